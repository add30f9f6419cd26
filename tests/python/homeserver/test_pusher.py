"""The transaction pusher against our appservice server, in-process over ASGI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from matrix_appservice.client import AsyncAppServiceClient, RetryPolicy
from matrix_appservice.homeserver.pusher import Pusher
from matrix_appservice.server import AppServiceHandler, create_app

HS_TOKEN = "hs-secret-pusher-5e1"


def registration(ident: str = "bridge", **changes: Any) -> dict[str, Any]:
    reg: dict[str, Any] = {
        "id": ident,
        "url": f"http://{ident}.test",
        "as_token": f"as-{ident}",
        "hs_token": HS_TOKEN,
        "sender_localpart": f"{ident}bot",
        "namespaces": {"users": [{"regex": f"@_{ident}_.*:hs\\.test", "exclusive": True}]},
    }
    reg.update(changes)
    return reg


def event(n: int, sender: str = "@alice:hs.test", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"$e{n}",
        "room_id": "!plain:hs.test",
        "sender": sender,
        "type": "m.room.message",
        "origin_server_ts": 1_700_000_000_000 + n,
        "content": {"msgtype": "m.text", "body": f"message {n}"},
        **extra,
    }


class Recording(AppServiceHandler):
    """Keeps each transaction; optionally slow; tracks how many run at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.transactions: list[Any] = []
        self.delay = delay
        self.running = 0
        self.most_running = 0

    async def send_transaction(self, transaction: Any) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.transactions.append(transaction)
        finally:
            self.running -= 1

    def event_ids(self) -> list[str]:
        return [e.event_id for t in self.transactions for e in t.events]


class Wire(httpx.AsyncBaseTransport):
    """Records every request, fails the first ``fail`` of them, passes the rest on."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None, fail: int = 0) -> None:
        self.inner, self.fail = inner, fail
        self.seen: list[tuple[str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.seen.append((request.url.path, body))
        if self.fail:
            self.fail -= 1
            raise httpx.ConnectError("refused", request=request)
        assert self.inner is not None
        return await self.inner.handle_async_request(request)


def factory_for(transports: dict[str, httpx.AsyncBaseTransport]) -> Callable[..., Any]:
    """A client factory that picks each appservice's transport by its url."""

    def make(base_url: str, hs_token: str, **options: Any) -> AsyncAppServiceClient:
        host = httpx.URL(base_url).host.removesuffix(".test")
        return AsyncAppServiceClient(base_url, hs_token, transport=transports[host], **options)

    return make


@asynccontextmanager
async def setup(
    tmp_path: Path,
    regs: list[dict[str, Any]],
    handlers: dict[str, AppServiceHandler],
    **options: Any,
) -> AsyncIterator[Pusher]:
    apps = {r["id"]: create_app(r, handlers[r["id"]], store="memory") for r in regs}
    transports: dict[str, httpx.AsyncBaseTransport] = {
        k: httpx.ASGITransport(app=a) for k, a in apps.items()
    }
    transports.update(options.pop("transports", {}))
    options.setdefault("store_path", tmp_path / "pusher.sqlite3")
    options.setdefault("retry", RetryPolicy(initial=0.001, cap=0.01))
    pusher = Pusher(regs, client_factory=factory_for(transports), **options)
    await pusher.start()
    try:
        yield pusher
    finally:
        await pusher.stop()
        for app in apps.values():
            await app.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- routing -----------------------------------------------------------------------------------


def test_routing_by_each_namespace_kind_and_the_bot(tmp_path: Path) -> None:
    regs = [
        registration("users"),
        registration(
            "rooms", namespaces={"rooms": [{"regex": "!bridged:hs\\.test", "exclusive": False}]}
        ),
        registration(
            "aliases", namespaces={"aliases": [{"regex": "#_al_.*:hs\\.test", "exclusive": True}]}
        ),
    ]
    handlers = {r["id"]: Recording() for r in regs}
    aliases = {"!aliased:hs.test": ["#_al_lobby:hs.test"], "!other:hs.test": ["#lobby:hs.test"]}

    async def main() -> None:
        async with setup(
            tmp_path, regs, handlers, server_name="hs.test", aliases_of=lambda r: aliases.get(r, [])
        ) as pusher:
            assert pusher.push(event(1, "@_users_bob:hs.test")) == ("users",)
            member = event(2, type="m.room.member", state_key="@_users_carol:hs.test")
            member["content"] = {"membership": "invite"}
            assert pusher.push(member) == ("users",)
            assert pusher.push(event(3, room_id="!bridged:hs.test")) == ("rooms",)
            assert pusher.push(event(4, room_id="!aliased:hs.test")) == ("aliases",)
            assert pusher.push(event(5, room_id="!other:hs.test")) == ()
            assert pusher.push(event(6, "@roomsbot:hs.test")) == ("rooms",)
            assert pusher.push(event(7, "@roomsbot:elsewhere.test")) == ()
            assert pusher.push(event(8, "@_users_bob:elsewhere.test")) == ()
            await pusher.drain(10)

    run(main())
    got = {k: h.event_ids() for k, h in handlers.items()}
    assert got == {"users": ["$e1", "$e2"], "rooms": ["$e3", "$e6"], "aliases": ["$e4"]}


def test_members_of_makes_a_room_interesting_and_bot_by_localpart_without_server_name(
    tmp_path: Path,
) -> None:
    regs = [registration("bridge")]
    handlers = {"bridge": Recording()}
    members = {"!shared:hs.test": ["@alice:hs.test", "@_bridge_x:hs.test"]}

    async def main() -> None:
        async with setup(
            tmp_path, regs, handlers, members_of=lambda r: members.get(r, [])
        ) as pusher:
            assert pusher.push(event(1, room_id="!shared:hs.test")) == ("bridge",)
            assert pusher.push(event(2, room_id="!lonely:hs.test")) == ()
            assert pusher.push(event(3, "@bridgebot:any.test")) == ("bridge",)
            await pusher.drain(10)

    run(main())
    assert handlers["bridge"].event_ids() == ["$e1", "$e3"]


def test_exclusive_and_shared_namespaces_both_receive(tmp_path: Path) -> None:
    regex = "@_puppet_.*:hs\\.test"
    regs = [
        registration("owner", namespaces={"users": [{"regex": regex, "exclusive": True}]}),
        registration("watcher", namespaces={"users": [{"regex": regex, "exclusive": False}]}),
    ]
    handlers = {r["id"]: Recording() for r in regs}

    async def main() -> None:
        async with setup(tmp_path, regs, handlers) as pusher:
            assert pusher.push(event(1, "@_puppet_a:hs.test")) == ("owner", "watcher")
            await pusher.drain(10)

    run(main())
    assert handlers["owner"].event_ids() == handlers["watcher"].event_ids() == ["$e1"]


def test_ephemeral_only_when_opted_in_under_the_name_it_opted_in_with(tmp_path: Path) -> None:
    regs = [
        registration("stable", receive_ephemeral=True),
        registration("unstable", **{"de.sorunome.msc2409.push_ephemeral": True}),
        registration("none"),
    ]
    handlers = {r["id"]: Recording() for r in regs}
    bodies: dict[str, list[bytes]] = {}
    wires = {}

    async def main() -> None:
        apps = {}
        for r in regs:
            apps[r["id"]] = create_app(r, handlers[r["id"]], store="memory")
            wires[r["id"]] = Wire(httpx.ASGITransport(app=apps[r["id"]]))
        async with setup(tmp_path, regs, handlers, transports=wires) as pusher:
            for ident in ("stable", "unstable", "none"):
                typing = {
                    "type": "m.typing",
                    "room_id": "!r:hs.test",
                    "content": {"user_ids": [f"@_{ident}_t:hs.test"]},
                }
                presence = {
                    "type": "m.presence",
                    "sender": f"@_{ident}_p:hs.test",
                    "content": {"presence": "online"},
                }
                receipt = {
                    "type": "m.receipt",
                    "room_id": "!r:hs.test",
                    "content": {"$x": {"m.read": {f"@_{ident}_r:hs.test": {"ts": 1}}}},
                }
                expected = () if ident == "none" else (ident,)
                assert pusher.push_ephemeral(typing) == expected
                assert pusher.push_ephemeral(presence) == expected
                assert pusher.push_ephemeral(receipt) == expected
            assert pusher.push(event(1, "@_none_u:hs.test")) == ("none",)
            await pusher.drain(10)
        for app in apps.values():
            await app.close()

    run(main())
    for ident, wire in wires.items():
        bodies[ident] = [body for _, body in wire.seen]
    stable = orjson.loads(bodies["stable"][0])
    assert [e["type"] for e in stable["ephemeral"]] == ["m.typing", "m.presence", "m.receipt"]
    assert "de.sorunome.msc2409.ephemeral" not in stable and stable["events"] == []
    unstable = orjson.loads(bodies["unstable"][0])
    assert len(unstable["de.sorunome.msc2409.ephemeral"]) == 3 and "ephemeral" not in unstable
    assert [orjson.loads(b) for b in bodies["none"]] == [{"events": [event(1, "@_none_u:hs.test")]}]
    assert [e.type for e in handlers["stable"].transactions[0].ephemeral] == [
        "m.typing", "m.presence", "m.receipt",
    ]  # fmt: skip


# -- delivery ----------------------------------------------------------------------------------


def test_linearised_batched_in_order_with_consecutive_txn_ids(tmp_path: Path) -> None:
    regs = [registration("slow")]
    handler = Recording(delay=0.02)
    wire: dict[str, Wire] = {}

    async def main() -> None:
        app = create_app(regs[0], handler, store="memory")
        wire["slow"] = Wire(httpx.ASGITransport(app=app))
        async with setup(tmp_path, regs, {"slow": handler}, transports=wire) as pusher:
            pusher.push(event(0, "@_slow_u:hs.test"))
            while handler.running == 0:  # transaction 1 is in the slow handler
                await asyncio.sleep(0.001)
            for n in range(1, 350):
                pusher.push(event(n, "@_slow_u:hs.test"))
            await pusher.drain(20)
            assert pusher.last_txn_id("slow") == len(handler.transactions)
        await app.close()

    run(main())
    assert handler.most_running == 1
    assert handler.event_ids() == [f"$e{n}" for n in range(350)]
    sizes = [len(t.events) for t in handler.transactions]
    assert sizes == [1, 100, 100, 100, 49]
    paths = [p for p, _ in wire["slow"].seen]
    assert paths == [f"/_matrix/app/v1/transactions/{n}" for n in range(1, len(sizes) + 1)]


def test_backoff_schedule_with_cap_and_same_txn_id_and_bytes_on_every_try(tmp_path: Path) -> None:
    regs = [registration("down")]
    handler = Recording()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main() -> Wire:
        app = create_app(regs[0], handler, store="memory")
        wire = Wire(httpx.ASGITransport(app=app), fail=7)
        async with setup(
            tmp_path, regs, {"down": handler}, transports={"down": wire},
            retry=RetryPolicy(initial=0.5, factor=3, cap=10), sleep=fake_sleep,
        ) as pusher:  # fmt: skip
            pusher.push(event(1, "@_down_u:hs.test"))
            pusher.push(event(2, "@_down_u:hs.test"))
            await pusher.drain(10)
        await app.close()
        return wire

    wire = run(main())
    assert slept == [0.5, 1.5, 4.5, 10, 10, 10, 10]
    assert len(wire.seen) == 8
    assert {p for p, _ in wire.seen} == {"/_matrix/app/v1/transactions/1"}
    assert len({b for _, b in wire.seen}) == 1
    assert handler.event_ids() == ["$e1", "$e2"]


def test_error_answers_are_retried_too(tmp_path: Path) -> None:
    class Flaky(Recording):
        def __init__(self) -> None:
            super().__init__()
            self.failures = 2

        async def send_transaction(self, transaction: Any) -> None:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("backend down")  # the server answers 500
            await super().send_transaction(transaction)

    regs = [registration("flaky")]
    handler = Flaky()

    async def main() -> None:
        async with setup(tmp_path, regs, {"flaky": handler}) as pusher:
            pusher.push(event(1, "@_flaky_u:hs.test"))
            await pusher.drain(10)

    run(main())
    assert handler.failures == 0 and handler.event_ids() == ["$e1"]


def test_legacy_path_fallback_keeps_the_bytes(tmp_path: Path) -> None:
    regs = [registration("old")]
    seen: list[tuple[str, bytes]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.content))
        if request.url.path.startswith("/_matrix/app/v1/"):
            return httpx.Response(404, json={"errcode": "M_UNRECOGNIZED", "error": "?"})
        return httpx.Response(200, json={})

    async def main() -> None:
        async with setup(
            tmp_path, regs, {"old": Recording()}, transports={"old": httpx.MockTransport(answer)}
        ) as pusher:
            pusher.push(event(1, "@_old_u:hs.test"))
            await pusher.drain(10)

    run(main())
    assert [p for p, _ in seen] == ["/_matrix/app/v1/transactions/1", "/transactions/1"]
    assert seen[0][1] == seen[1][1]
    assert orjson.loads(seen[1][1]) == {"events": [event(1, "@_old_u:hs.test")]}


# -- restarts ----------------------------------------------------------------------------------


def test_restart_resends_pending_with_same_id_and_bytes_and_ids_keep_increasing(
    tmp_path: Path,
) -> None:
    regs = [registration("kept")]
    handler = Recording()
    store = tmp_path / "kept.sqlite3"

    async def main() -> tuple[Wire, Wire]:
        app = create_app(regs[0], handler, store=f"sqlite:{tmp_path / 'as.sqlite3'}")
        first = Wire(httpx.ASGITransport(app=app))
        async with setup(
            tmp_path, regs, {"kept": handler}, transports={"kept": first}, store_path=store
        ) as p:
            p.push(event(1, "@_kept_u:hs.test"))
            await p.drain(10)
            first.fail = 10**6  # the appservice goes away
            p.push(event(2, "@_kept_u:hs.test"))
            p.push(event(3, "@_kept_u:hs.test"))
            while len(first.seen) < 3:
                await asyncio.sleep(0.005)
        # a new pusher on the same file: the pending transaction 2 first, then 3 and on
        second = Wire(httpx.ASGITransport(app=app))
        async with setup(
            tmp_path, regs, {"kept": handler}, transports={"kept": second}, store_path=store
        ) as p:
            assert p.backlog("kept") == 1
            p.push(event(4, "@_kept_u:hs.test"))
            await p.drain(10)
            assert p.last_txn_id("kept") == 3
        await app.close()
        return first, second

    first, second = run(main())
    assert [p for p, _ in first.seen[1:]] == ["/_matrix/app/v1/transactions/2"] * (
        len(first.seen) - 1
    )
    assert second.seen[0] == first.seen[1]
    assert [p for p, _ in second.seen] == [
        "/_matrix/app/v1/transactions/2", "/_matrix/app/v1/transactions/3",
    ]  # fmt: skip
    assert handler.event_ids() == ["$e1", "$e2", "$e3", "$e4"]


def test_events_pushed_before_start_or_while_stopped_are_kept(tmp_path: Path) -> None:
    regs = [registration("late")]
    handler = Recording()
    store = tmp_path / "late.sqlite3"

    async def main() -> None:
        pusher = Pusher(regs, store_path=store)
        pusher.push(event(1, "@_late_u:hs.test"))
        pusher.store.close()  # a crash before any worker ran
        async with setup(tmp_path, regs, {"late": handler}, store_path=store) as p:
            await p.drain(10)

    run(main())
    assert handler.event_ids() == ["$e1"]


# -- bad input ---------------------------------------------------------------------------------


def test_bad_events_and_registrations_get_clear_errors(tmp_path: Path) -> None:
    pusher = Pusher([registration("x")], store_path=tmp_path / "x.sqlite3")
    try:
        with pytest.raises(TypeError, match="an event must be a JSON object"):
            pusher.push(["not", "an", "object"])  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="limit is 65536"):
            pusher.push(event(1, "@_x_u:hs.test", content={"body": "x" * 70_000}))
        deep: dict[str, Any] = {}
        cursor = deep
        for _ in range(10_000):
            cursor["a"] = {}
            cursor = cursor["a"]
        with pytest.raises(ValueError, match="cannot be serialised"):
            pusher.push(event(1, "@_x_u:hs.test", content=deep))
        with pytest.raises(ValueError, match="cannot be serialised"):
            pusher.push(event(1, "@_x_u:hs.test", content={"when": object()}))
        long_sender = "@_x_" + "a" * 1000 + ":hs.test"  # over the 255-byte limit of an ID
        assert pusher.push(event(1, long_sender)) == ()
        assert pusher.backlog("x") == 0
    finally:
        pusher.store.close()
    with pytest.raises(ValueError, match="two registrations have the id 'x'"):
        Pusher([registration("x"), registration("x")], store_path=tmp_path / "y.sqlite3")
    with pytest.raises(ValueError, match="namespaces"):
        Pusher([registration("x", namespaces={"users": "nope"})], store_path=tmp_path / "z.sqlite3")
    with pytest.raises(ValueError, match="max_transaction_events"):
        Pusher([], store_path=tmp_path / "w.sqlite3", max_transaction_events=0)
