"""The generated appservice server (``create_app``) with a real Synapse pushing to it.

Our server runs on granian (``AppServer``, what ``matrix-appservice serve`` runs) on a
loopback port with a counting handler; Synapse loads the same
registration file, which our loader has checked. Synapse pushes transactions (our server
validates and types every one), asks about unknown users and aliases in the namespaces (the
handler makes them exist through the homeserver client, or says no), pings the server when
the appservice asks it to, and delivers a transaction again after the handler failed it.
Every event and every transaction ID is handled exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from matrix_appservice import load_registration
from matrix_appservice.client import AsyncHomeserverClient, HomeserverClient
from matrix_appservice.errors import ForbiddenError, MatrixError, NotFoundError
from matrix_appservice.models import (
    ClientEvent,
    PingRequest,
    PingResponse,
    QueryRoomResponse,
    QueryUserResponse,
)
from matrix_appservice.server import (
    AppServiceHandler,
    IncomingTransaction,
    create_app,
    default_store_path,
)

from tests.interop import synapse
from tests.interop.asgi import Answers, serving

pytestmark = pytest.mark.synapse

APPSERVICE_ID = "server-bridge"
AS_TOKEN = "as_token_server_5b2e0d9c41"
HS_TOKEN = "hs_token_server_e7a3f61b08"
BOT = "@serverbot:localhost"
REGISTRATION = """\
id: {id}
url: "http://127.0.0.1:{port}"
as_token: "{as_token}"
hs_token: "{hs_token}"
sender_localpart: serverbot
rate_limited: false
namespaces:
  users: [{{exclusive: true, regex: '@srv_.*:localhost'}}]
  aliases: [{{exclusive: true, regex: '#srv_.*:localhost'}}]
  rooms: []
"""
WHOAMI = "/_matrix/client/v3/account/whoami"
FAIL_ONCE = "fail this delivery once"
_serial = count()


def _unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 1_000_000}x{next(_serial)}"


@dataclass
class Bridge(AppServiceHandler):
    """Counts every call; makes queried users and aliases exist unless their name says no."""

    homeserver: str = ""
    deliveries: list[str] = field(default_factory=list)
    """The txn ID of every call of ``send_transaction``, failed or not."""
    handled: Counter[str] = field(default_factory=Counter)
    """Successful calls per txn ID."""
    events: Counter[str] = field(default_factory=Counter)
    """Successful handlings per event ID."""
    typed: dict[str, ClientEvent] = field(default_factory=dict)
    own_echo: dict[str, bool] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    """Event ID -> txn ID of the delivery the handler failed."""
    pings: list[str | None] = field(default_factory=list)
    user_queries: list[str] = field(default_factory=list)
    alias_queries: list[str] = field(default_factory=list)
    alias_rooms: dict[str, str] = field(default_factory=dict)

    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        self.deliveries.append(transaction.txn_id)
        for event in transaction.events:
            if event.content.get("body") == FAIL_ONCE and event.event_id not in self.failed:
                self.failed[event.event_id] = transaction.txn_id
                raise RuntimeError("the bridge's backend is down")
        self.handled[transaction.txn_id] += 1
        for event in transaction.events:
            self.events[event.event_id] += 1
            self.typed[event.event_id] = event
            self.own_echo[event.event_id] = transaction.is_own_echo(event)

    async def ping(self, body: PingRequest) -> PingResponse:
        self.pings.append(body.transaction_id)
        return PingResponse()

    async def query_user(self, user_id: str) -> QueryUserResponse:
        self.user_queries.append(user_id)
        if "nobody" in user_id:
            raise NotFoundError("no such bridged user")
        async with AsyncHomeserverClient(self.homeserver, AS_TOKEN) as hs:
            try:
                await hs.register(username=user_id[1:].partition(":")[0], inhibit_login=True)
            except MatrixError as exc:
                if exc.errcode != "M_USER_IN_USE":  # asked again about a user made earlier
                    raise
        return QueryUserResponse()

    async def query_room_alias(self, room_alias: str) -> QueryRoomResponse:
        self.alias_queries.append(room_alias)
        if "missing" in room_alias:
            raise NotFoundError("no such bridged room")
        async with AsyncHomeserverClient(self.homeserver, AS_TOKEN) as hs:
            created = await hs.request(
                "POST", "/_matrix/client/v3/createRoom",
                json={"room_alias_name": room_alias[1:].partition(":")[0]},
            )  # fmt: skip
        self.alias_rooms[room_alias] = created["room_id"]
        return QueryRoomResponse()


@dataclass
class World:
    base_url: str
    bridge: Bridge
    answers: Answers
    registration: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("synapse-server")
    port = synapse.free_port()
    reg_path = workdir / "registration.yaml"
    reg_path.write_text(
        REGISTRATION.format(id=APPSERVICE_ID, port=port, as_token=AS_TOKEN, hs_token=HS_TOKEN)
    )
    load_registration(reg_path)  # our loader's checks pass on the file Synapse loads
    bridge = Bridge()
    # The default store: SQLite beside the registration file.
    app = create_app(reg_path, bridge, server_name=synapse.SERVER_NAME)
    answers = Answers(app)
    # The appservice is up before Synapse starts pushing.
    with serving(answers, port):
        server = synapse.start(workdir, reg_path)
        bridge.homeserver = server.base_url
        try:
            yield World(server.base_url, bridge, answers, reg_path)
        finally:
            server.stop()


def _eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _exactly_once(bridge: Bridge) -> None:
    assert [txn for txn, n in bridge.handled.items() if n != 1] == []
    assert [event for event, n in bridge.events.items() if n != 1] == []


def _user(base_url: str, localpart: str) -> httpx.Client:
    """A normal user's client (registered through the shared-secret admin API)."""
    registered = synapse.register_user(base_url, localpart)
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {registered['access_token']}"},
        timeout=30,
    )


def _room_path(room_id: str) -> str:
    return f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}"


def test_transactions_arrive_typed_and_once(world: World) -> None:
    bridge = world.bridge
    with (
        HomeserverClient(world.base_url, AS_TOKEN) as hs,
        _user(world.base_url, _unique("alice")) as alice,
    ):
        room_id = hs.request(
            "POST", "/_matrix/client/v3/createRoom", json={"preset": "public_chat"}
        )["room_id"]
        alice.post(f"/_matrix/client/v3/join/{quote(room_id, safe='')}").raise_for_status()
        sent = alice.put(
            f"{_room_path(room_id)}/send/m.room.message/{_unique('t')}",
            json={"msgtype": "m.text", "body": "hello from a normal user"},
        )
        sent.raise_for_status()
        from_alice = sent.json()["event_id"]
        from_bot = hs.send_message(
            room_id, "m.room.message", _unique("t"), {"msgtype": "m.text", "body": "bot"}
        ).event_id
        alice_id = alice.get("/_matrix/client/v3/account/whoami").json()["user_id"]

    _eventually(lambda: {from_alice, from_bot} <= set(bridge.typed), "both messages pushed")
    event = bridge.typed[from_alice]
    assert (event.sender, event.room_id, event.type) == (alice_id, room_id, "m.room.message")
    assert event.content == {"msgtype": "m.text", "body": "hello from a normal user"}
    # Synapse's legacy top-level keys are tolerated and kept among the extra keys.
    assert event.model_extra is not None and event.model_extra["user_id"] == alice_id
    assert "age" in event.model_extra
    assert bridge.own_echo[from_bot] is True and bridge.own_echo[from_alice] is False
    # Synapse numbers its transactions 1, 2, 3, ...; each was answered 200 and handled once.
    assert all(txn.isdigit() for txn in bridge.deliveries)
    puts = [a for a in world.answers.seen if a.method == "PUT"]
    assert puts and all(a.path.startswith("/_matrix/app/v1/transactions/") for a in puts)
    assert {a.status for a in puts} == {200}
    _exactly_once(bridge)
    # The default store is the SQLite file beside the registration.
    assert default_store_path(world.registration).stat().st_size > 0


def test_user_queries_answered(world: World) -> None:
    bridge = world.bridge
    bob = f"@{_unique('srv_bob')}:localhost"
    nobody = f"@{_unique('srv_nobody')}:localhost"
    with HomeserverClient(world.base_url, AS_TOKEN) as hs:
        room_id = hs.request("POST", "/_matrix/client/v3/createRoom", json={})["room_id"]
        # Neither user exists: the invites bring them into a room the appservice watches, and
        # Synapse asks the appservice about each before it pushes the invite.
        hs.request("POST", f"{_room_path(room_id)}/invite", json={"user_id": bob})
        hs.request("POST", f"{_room_path(room_id)}/invite", json={"user_id": nobody})
        _eventually(lambda: {bob, nobody} <= set(bridge.user_queries), "both user queries")
        # The handler registered bob before it answered 200, and said no to nobody.
        assert hs.as_user(bob).request("GET", WHOAMI)["user_id"] == bob
        with pytest.raises(ForbiddenError):  # Synapse: "has not registered this user"
            hs.as_user(nobody).request("GET", WHOAMI)
    queries = {
        (a.path.rpartition("/")[2], a.status)
        for a in world.answers.seen
        if a.path.startswith("/_matrix/app/v1/users/")
    }
    assert (bob, 200) in queries and (nobody, 404) in queries


def test_alias_queries_answered(world: World) -> None:
    bridge = world.bridge
    lobby = f"#{_unique('srv_lobby')}:localhost"
    missing = f"#{_unique('srv_missing')}:localhost"
    with _user(world.base_url, _unique("carol")) as carol:
        # The alias does not exist: Synapse asks us, the handler makes the room, it resolves.
        found = carol.get(f"/_matrix/client/v3/directory/room/{quote(lobby, safe='')}")
        assert found.status_code == 200, found.text
        assert found.json()["room_id"] == bridge.alias_rooms[lobby]
        gone = carol.get(f"/_matrix/client/v3/directory/room/{quote(missing, safe='')}")
        assert (gone.status_code, gone.json()["errcode"]) == (404, "M_NOT_FOUND")
    assert bridge.alias_queries.count(lobby) == 1
    assert missing in bridge.alias_queries


def test_a_slash_in_a_queried_user_id_or_alias_reaches_the_handler(world: World) -> None:
    """Synapse leaves "/" unencoded in the user ID and the alias it queries about
    (``urllib.parse.quote`` keeps it); the handler gets them whole and answers 200."""
    bridge = world.bridge
    slashed = f"@{_unique('srv_a')}/b:localhost"
    lobby = f"#{_unique('srv_lobby')}/b:localhost"
    with HomeserverClient(world.base_url, AS_TOKEN) as hs:
        room_id = hs.request("POST", "/_matrix/client/v3/createRoom", json={})["room_id"]
        hs.request("POST", f"{_room_path(room_id)}/invite", json={"user_id": slashed})
        user_path = f"/_matrix/app/v1/users/{slashed}"
        _eventually(
            lambda: (user_path, 200) in {(a.path, a.status) for a in world.answers.seen},
            "the user query answered",
        )
        assert slashed in bridge.user_queries
        assert hs.as_user(slashed).request("GET", WHOAMI)["user_id"] == slashed
    with _user(world.base_url, _unique("dave")) as dave:
        found = dave.get(f"/_matrix/client/v3/directory/room/{quote(lobby, safe='')}")
        assert found.status_code == 200, found.text
    assert lobby in bridge.alias_queries
    assert (f"/_matrix/app/v1/rooms/{lobby}", 200) in {
        (a.path, a.status) for a in world.answers.seen
    }


def test_ping_reaches_the_server(world: World) -> None:
    transaction_id = _unique("ping-")

    async def scenario() -> tuple[int, int]:
        async with AsyncHomeserverClient(world.base_url, AS_TOKEN, validate=True) as hs:
            first = await hs.ping_appservice(APPSERVICE_ID, transaction_id=transaction_id)
            # Without a transaction_id Synapse sends {"transaction_id": null}; read as absent.
            second = await hs.ping_appservice(APPSERVICE_ID)
            return first.duration_ms, second.duration_ms

    durations = asyncio.run(scenario())
    assert all(d >= 0 for d in durations)
    assert world.bridge.pings[-2:] == [transaction_id, None]
    pings = [a for a in world.answers.seen if a.path == "/_matrix/app/v1/ping"]
    assert [a.status for a in pings[-2:]] == [200, 200]


def test_failed_delivery_is_retried_and_handled_once(world: World) -> None:
    bridge = world.bridge
    with HomeserverClient(world.base_url, AS_TOKEN) as hs:
        room_id = hs.request("POST", "/_matrix/client/v3/createRoom", json={})["room_id"]
        event_id = hs.send_message(
            room_id, "m.room.message", _unique("t"), {"msgtype": "m.text", "body": FAIL_ONCE}
        ).event_id
        _eventually(lambda: event_id in bridge.failed, "the first delivery")
        # Synapse backs off 2 s after a failure; a successful ping makes it retry at once.
        hs.ping_appservice(APPSERVICE_ID, transaction_id=_unique("recover-"))
    _eventually(lambda: event_id in bridge.events, "the retried delivery")
    txn_id = bridge.failed[event_id]
    assert bridge.typed[event_id].content["body"] == FAIL_ONCE
    # Delivered at least twice under the same ID, handled once.
    assert bridge.deliveries.count(txn_id) >= 2
    assert bridge.handled[txn_id] == 1 and bridge.events[event_id] == 1
    path = f"/_matrix/app/v1/transactions/{txn_id}"

    def statuses() -> list[int]:
        return [a.status for a in world.answers.seen if a.method == "PUT" and a.path == path]

    # The answer is recorded once it has been sent, a moment after the handler ran.
    _eventually(lambda: statuses()[-1:] == [200], "the 200 answer to the retried delivery")
    assert statuses()[0] == 500
    _exactly_once(bridge)


def test_nothing_was_handled_twice(world: World) -> None:
    """Across everything Synapse pushed during this module (one more message first, so that
    the check has something to look at when this test runs alone)."""
    bridge = world.bridge
    with HomeserverClient(world.base_url, AS_TOKEN) as hs:
        room_id = hs.request("POST", "/_matrix/client/v3/createRoom", json={})["room_id"]
        event_id = hs.send_message(
            room_id, "m.room.message", _unique("t"), {"msgtype": "m.text", "body": "last"}
        ).event_id
    _eventually(lambda: event_id in bridge.events, "the last message")
    _exactly_once(bridge)
    delivered = Counter(bridge.deliveries)
    retried = {txn for txn, n in delivered.items() if n > 1}
    assert retried <= set(bridge.failed.values())
