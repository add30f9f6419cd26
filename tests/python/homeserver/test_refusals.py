"""What the in-memory homeserver refuses, and that a refusal leaves nothing behind.

Each refusal is the 4xx the operation documents (read from ``Operation.errcodes`` where the
operation is in the spec), and neither the homeserver's state nor the pusher holds anything
of a refused request; a retry under the same client transaction ID stores nothing new.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from matrix_appservice import OPERATIONS
from matrix_appservice.homeserver import InMemoryHomeserver, RecordingPusher

from tests.python.homeserver.support import AS_TOKEN, loaded, registration

CS = "/_matrix/client/v3"
AS = {"Authorization": f"Bearer {AS_TOKEN}"}
ALICE = "@_irc_alice:localhost"
BIG = {"msgtype": "m.text", "body": "x" * 70_000}


def _deep(levels: int) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for _ in range(levels):
        content = {"a": content}
    return content


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Client:
    """Raw requests with the as_token, as ``user_id`` when given."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(
        self, method: str, path: str, body: Any = None, *, user: str | None = ALICE, **query: str
    ) -> httpx.Response:
        params = {**query, **({"user_id": user} if user else {})}
        return await self.http.request(method, CS + path, json=body, params=params, headers=AS)


@asynccontextmanager
async def served(
    reg: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[tuple[Client, InMemoryHomeserver]]:
    hs = InMemoryHomeserver(loaded(reg or registration()), **options)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hs.app), base_url="http://hs"
    ) as http:
        client = Client(http)
        assert (
            await client.call("POST", "/register", {"type": "m.login.application_service",
                                                    "username": "_irc_alice"}, user=None)
        ).status_code == 200  # fmt: skip
        yield client, hs


async def _room(client: Client, **body: Any) -> str:
    made = await client.call("POST", "/createRoom", body)
    assert made.status_code == 200, made.text
    return str(made.json()["room_id"])


def _refused(response: httpx.Response, status: int, errcode: str, operation: str = "") -> None:
    """The answer is ``status`` and ``errcode``; with ``operation``, one it documents."""
    assert (response.status_code, response.json().get("errcode")) == (status, errcode), (
        response.text
    )
    if operation:
        documented = OPERATIONS[operation].errcodes()
        assert errcode in documented.get(status, ()), (operation, status, errcode, documented)


def _snapshot(hs: InMemoryHomeserver) -> tuple[int, int, int]:
    pusher = hs.pusher
    assert isinstance(pusher, RecordingPusher)
    return len(hs.state.events), len(pusher.events), len(hs.state.rooms)


# -- events that cannot be stored --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "status", "errcode"),
    [(BIG, 413, "M_TOO_LARGE"), (_deep(300), 400, "M_BAD_JSON")],
    ids=["over-64-kib", "nested-too-deeply"],
)
def test_an_event_that_cannot_be_stored_is_refused_and_leaves_nothing(
    content: dict[str, Any], status: int, errcode: str
) -> None:
    async def main() -> None:
        async with served() as (client, hs):
            room = await _room(client)
            before = _snapshot(hs)
            for _ in range(3):  # the client's retries, under one transaction ID
                sent = await client.call("PUT", f"/rooms/{room}/send/m.room.message/t1", content)
                _refused(sent, status, errcode, "sendMessage")
            state = await client.call("PUT", f"/rooms/{room}/state/m.room.topic/", content)
            _refused(state, status, errcode, "setRoomStateWithKey")
            assert _snapshot(hs) == before
            ok = await client.call("PUT", f"/rooms/{room}/send/m.room.message/t1", {"body": "x"})
            assert ok.status_code == 200
            assert _snapshot(hs)[0] == before[0] + 1

    run(main())


def test_with_the_transaction_pusher_too(tmp_path: Path) -> None:
    """The pusher refuses what the homeserver refuses: nothing is queued either."""

    async def main() -> None:
        reg = registration(url="http://irc.test")  # never started: events stay queued
        async with served(reg, pusher_store=tmp_path / "pusher.sqlite3") as (client, hs):
            pusher = hs.transaction_pusher
            assert pusher is not None
            room = await _room(client)
            events, queued = len(hs.state.events), pusher.backlog("irc")
            assert queued == events > 0  # alice's room: every event is in the namespace
            for content, status in ((BIG, 413), (_deep(300), 400)):
                sent = await client.call("PUT", f"/rooms/{room}/send/m.room.message/t1", content)
                assert sent.status_code == status, sent.text
            assert (len(hs.state.events), pusher.backlog("irc")) == (events, queued)
            pusher.store.close()

    run(main())


def test_a_large_state_event_may_replace_another_large_one() -> None:
    """``unsigned.prev_content`` is the homeserver's, not part of the size of the event."""
    near = {"topic": "t" * 60_000}

    async def main() -> None:
        async with served() as (client, hs):
            room = await _room(client)
            for _ in range(2):
                sent = await client.call("PUT", f"/rooms/{room}/state/m.room.topic/", near)
                assert sent.status_code == 200, sent.text
            topic = hs.state.events[sent.json()["event_id"]]
            assert topic["unsigned"]["prev_content"] == near

    run(main())


class FailingOnce:
    """A pusher whose first push fails after the event is stored (a full disk, say)."""

    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []
        self.failed = False

    def push(self, event: Mapping[str, Any]) -> None:
        if event["type"] == "m.room.message" and not self.failed:
            self.failed = True
            raise OSError("disk full")
        self.events.append(event)


def test_a_retry_after_a_failure_returns_the_same_event_and_stores_nothing_new() -> None:
    async def main() -> None:
        async with served(pusher=FailingOnce()) as (client, hs):
            room = await _room(client)
            path = f"/rooms/{room}/send/m.room.message/t1"
            failed = await client.call("PUT", path, {"body": "hello"})
            assert failed.status_code == 500
            count = len(hs.state.events)
            retries = [await client.call("PUT", path, {"body": "hello"}) for _ in range(3)]
            assert {r.json()["event_id"] for r in retries} == {
                hs.state.rooms[room].timeline[-1]["event_id"]
            }
            assert len(hs.state.events) == count

    run(main())


def test_a_transaction_id_is_per_user_and_device() -> None:
    async def main() -> None:
        async with served() as (client, hs):
            room = await _room(client, preset="public_chat")
            path = f"/rooms/{room}/send/m.room.message/t1"
            first = (await client.call("PUT", path, {"body": "a"})).json()["event_id"]
            again = (await client.call("PUT", path, {"body": "b"})).json()["event_id"]
            assert again == first and hs.state.events[first]["content"] == {"body": "a"}
            await client.call("POST", f"/rooms/{room}/join", {}, user=None)  # the bot joins
            bot = await client.call("PUT", path, {"body": "c"}, user=None)
            assert bot.status_code == 200 and bot.json()["event_id"] != first

    run(main())


# -- malformed parameters and bodies -----------------------------------------------------------

HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("query", "errcode"),
    [({"limit": HUGE}, "M_INVALID_PARAM"), ({"from": HUGE}, "M_INVALID_PARAM"),
     ({"limit": "-1"}, "M_INVALID_PARAM"), ({"from": "²"}, "M_INVALID_PARAM"),
     ({"dir": "sideways"}, "M_INVALID_PARAM")],
    ids=["huge-limit", "huge-from", "negative-limit", "unicode-digit", "bad-dir"],
)  # fmt: skip
def test_malformed_pagination_is_400(query: dict[str, str], errcode: str) -> None:
    async def main() -> None:
        async with served() as (client, _):
            room = await _room(client)
            params = {"dir": "b", **query}  # dir is required
            _refused(await client.call("GET", f"/rooms/{room}/messages", **params), 400, errcode)

    run(main())


def test_malformed_public_rooms_parameters_are_400() -> None:
    async def main() -> None:
        async with served() as (client, _):
            # The operations name no errcode for a bad parameter: the usual one.
            for query in ({"limit": HUGE}, {"since": HUGE}, {"since": "x"}):
                _refused(await client.call("GET", "/publicRooms", **query), 400, "M_INVALID_PARAM")
            got = await client.call("POST", "/publicRooms", {"since": HUGE})
            _refused(got, 400, "M_INVALID_PARAM")

    run(main())


@pytest.mark.parametrize(
    ("body", "errcode"),
    [({"creation_content": ["not", "an", "object"]}, "M_BAD_JSON"),
     ({"initial_state": [{"type": "m.room.topic", "content": {"topic": "t" * 70_000}}]},
      "M_TOO_LARGE"),
     ({"name": "n", "initial_state": [{"type": "x", "content": _deep(300)}]}, "M_BAD_JSON"),
     ({"invite": ["bob"]}, "M_INVALID_PARAM"),
     ({"room_alias_name": "a:b"}, "M_INVALID_PARAM")],
    ids=["list-creation-content", "large-initial-state", "deep-initial-state",
         "invalid-invitee", "invalid-alias-name"],
)  # fmt: skip
def test_create_room_checks_the_whole_body_first(body: dict[str, Any], errcode: str) -> None:
    async def main() -> None:
        async with served() as (client, hs):
            before = _snapshot(hs)
            made = await client.call("POST", "/createRoom", body)
            _refused(made, 413 if errcode == "M_TOO_LARGE" else 400, errcode)
            assert _snapshot(hs) == before

    run(main())


# -- user IDs and aliases outside the grammar --------------------------------------------------

BAD_USERS = ["alice", "@alice", "@alice:", "@al:ice:bad host", "@" + "a" * 250 + ":localhost",
             "@al ice:localhost", "@alice:exa_mple.org"]  # fmt: skip
BAD_ALIASES = ["chan", "#chan", "#chan:", "#ch\x00an:localhost", "#" + "a" * 250 + ":localhost"]


@pytest.mark.parametrize("user_id", BAD_USERS)
def test_identity_assertion_with_an_invalid_user_id_is_400(user_id: str) -> None:
    async def main() -> None:
        async with served() as (client, hs):
            room = await _room(client)
            before = _snapshot(hs)
            sent = await client.call(
                "PUT", f"/rooms/{room}/send/m.room.message/t9", {"body": "x"}, user=user_id
            )
            _refused(sent, 400, "M_INVALID_PARAM")
            who = await client.call("GET", "/account/whoami", user=user_id)
            _refused(who, 400, "M_INVALID_PARAM")
            assert _snapshot(hs) == before

    run(main())


@pytest.mark.parametrize("user_id", BAD_USERS)
def test_invalid_user_ids_in_paths_and_bodies_are_400(user_id: str) -> None:
    async def main() -> None:
        async with served() as (client, hs):
            room = await _room(client)
            before = _snapshot(hs)
            quoted = quote(user_id, safe="")
            for response in (
                await client.call("GET", f"/profile/{quoted}/displayname"),
                await client.call("POST", f"/rooms/{room}/invite", {"user_id": user_id}),
                await client.call(
                    "PUT", f"/rooms/{room}/state/m.room.member/{quoted}", {"membership": "invite"}
                ),
            ):
                _refused(response, 400, "M_INVALID_PARAM")
            login = await client.call(
                "POST", "/login",
                {"type": "m.login.application_service",
                 "identifier": {"type": "m.id.user", "user": user_id}},
                user=None,
            )  # fmt: skip
            if user_id.startswith("@"):
                _refused(login, 400, "M_INVALID_PARAM", "login")
            assert _snapshot(hs) == before

    run(main())


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_invalid_aliases_in_paths_and_bodies_are_400(alias: str) -> None:
    async def main() -> None:
        async with served() as (client, hs):
            room = await _room(client)
            before = _snapshot(hs)
            quoted = quote(alias, safe="")
            for response in (
                await client.call("GET", f"/directory/room/{quoted}"),
                await client.call("PUT", f"/directory/room/{quoted}", {"room_id": room}),
                await client.call("DELETE", f"/directory/room/{quoted}"),
                await client.call("POST", f"/join/{quoted}", {}),
                await client.call(
                    "PUT", f"/rooms/{room}/state/m.room.canonical_alias/", {"alias": alias}
                ),
            ):
                _refused(response, 400, "M_INVALID_PARAM")
            assert _snapshot(hs) == before and not hs.state.aliases

    run(main())


def test_a_canonical_alias_must_point_to_the_room() -> None:
    async def main() -> None:
        async with served() as (client, _):
            room, other = await _room(client), await _room(client)
            put = await client.call(
                "PUT", "/directory/room/%23_irc_a:localhost", {"room_id": other}
            )
            assert put.status_code == 200
            elsewhere = await client.call(
                "PUT",
                f"/rooms/{room}/state/m.room.canonical_alias/",
                {"alias": "#_irc_a:localhost"},
            )
            _refused(elsewhere, 400, "M_BAD_ALIAS", "setRoomStateWithKey")
            here = await client.call(
                "PUT",
                f"/rooms/{other}/state/m.room.canonical_alias/",
                {"alias": "#_irc_a:localhost"},
            )
            assert here.status_code == 200

    run(main())


@pytest.mark.parametrize("username", ["Bad Name", "a:b", "\u00e9t\u00e9", "a" * 260, "x\x00"])
def test_register_refuses_a_localpart_outside_the_grammar(username: str) -> None:
    async def main() -> None:
        async with served() as (client, hs):
            users = set(hs.state.users)
            made = await client.call(
                "POST", "/register",
                {"type": "m.login.application_service", "username": username}, user=None,
            )  # fmt: skip
            _refused(made, 400, "M_INVALID_USERNAME", "register")
            assert set(hs.state.users) == users

    run(main())
