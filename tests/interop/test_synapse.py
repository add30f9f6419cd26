"""Against a real Synapse: every payload in both directions passes the generated validator.

The appservice side is a recorder that checks the hs_token; the client side calls the
Client-Server extensions with the as_token, paths and methods taken from the generated
operation metadata. Request bodies are validated before they are sent, response bodies
after they arrive, and every request Synapse makes to the appservice is matched to an
operation and validated.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from matrix_appservice import LATEST, OPERATIONS, validate

from codegen.spec import Spec
from tests.helpers import errcodes, operations
from tests.interop import synapse
from tests.interop.recorder import Recorded, RecordingAppservice

pytestmark = pytest.mark.synapse

AS_TOKEN = "as_token_interop_0123456789"
HS_TOKEN = "hs_token_interop_9876543210"
REGISTRATION = """\
id: interop-bridge
url: "http://127.0.0.1:{port}"
as_token: "{as_token}"
hs_token: "{hs_token}"
sender_localpart: interopbot
rate_limited: false
namespaces:
  users: [{{exclusive: true, regex: '@bridge_.*:localhost'}}]
  aliases: [{{exclusive: true, regex: '#bridge_.*:localhost'}}]
  rooms: []
protocols: []
"""


class Homeserver:
    def __init__(self, base_url: str, spec: Spec) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.view = spec.ir.release(LATEST)
        self.doc = self.view.doc
        self.headers = {"Authorization": f"Bearer {AS_TOKEN}"}

    def call(self, name: str, expect: int = 200, body: Any = None,
             query: dict[str, Any] | None = None, **params: str) -> Any:  # fmt: skip
        op = OPERATIONS[name]
        if body is not None:
            sent = validate(body, request=name)
            assert sent.valid, (name, sent.errors)
        response = self.client.request(
            op.method,
            op.format_path(LATEST, **params),
            json=body,
            params=query,
            headers=self.headers,
        )
        assert response.status_code == expect, (name, response.status_code, response.text)
        assert expect in op.responses, f"{name} answered {expect}, which the spec does not list"
        if op.responses[expect] is not None:
            got = validate(response.content, response=name, status=expect)
            assert got.valid, (name, expect, got.errors, response.text)
        data = response.json()
        if expect >= 400:
            allowed = errcodes(self.doc, operations(self.view)[name][2], str(expect))
            assert data["errcode"] in allowed, (name, expect, data, allowed)
        return data


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, spec: Spec
) -> Iterator[tuple[Homeserver, RecordingAppservice]]:
    workdir = tmp_path_factory.mktemp("synapse")

    def registration(port: int) -> str:
        return REGISTRATION.format(port=port, as_token=AS_TOKEN, hs_token=HS_TOKEN)

    with synapse.with_recorder(workdir, registration, HS_TOKEN) as (server, appservice):
        homeserver = Homeserver(server.base_url, spec)
        try:
            yield homeserver, appservice
        finally:
            homeserver.client.close()


def _operation_for(rec: Recorded) -> str:
    """The operation a request from the homeserver is for, by method and path template."""
    for name, op in OPERATIONS.items():
        if op.api != "application-service" or op.method != rec.method or not op.exists_in(LATEST):
            continue
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op.path(LATEST)))
        if re.fullmatch(pattern, rec.raw_path):
            return name
    raise AssertionError(f"{rec.method} {rec.raw_path} matches no operation of the spec")


def test_registration_register_send_and_transactions(
    world: tuple[Homeserver, RecordingAppservice],
) -> None:
    hs, appservice = world
    suffix = str(int(time.time() * 1000))[-6:]
    alice = hs.call("register", body={"type": "m.login.application_service", "username": f"bridge_alice{suffix}"},
                    query={"kind": "user"})  # fmt: skip
    assert alice["user_id"] == f"@bridge_alice{suffix}:localhost"
    hs.call(
        "register",
        400,
        body={"type": "m.login.application_service", "username": f"outsider{suffix}"},
    )

    room = hs.client.post(
        "/_matrix/client/v3/createRoom", json={"preset": "public_chat"}, headers=hs.headers
    )
    room_id = room.json()["room_id"]
    sent = hs.call("sendMessage", body={"msgtype": "m.text", "body": "from the bridge"},
                   query={"ts": 1_600_000_000_000}, roomId=room_id, eventType="m.room.message",
                   txnId=f"t{suffix}")  # fmt: skip
    hs.call("setRoomStateWithKey", body={"name": "Bridged room"}, query={"ts": 1_600_000_000_001},
            roomId=room_id, eventType="m.room.name", stateKey="")  # fmt: skip

    def has_event(rec: Recorded) -> bool:
        return rec.method == "PUT" and sent["event_id"].encode() in rec.body

    delivered = appservice.wait_for(has_event)
    assert _operation_for(delivered) == "sendTransaction"
    result = validate(delivered.body, request="sendTransaction")
    assert result.valid, result.errors
    events = {e["event_id"]: e for e in orjson.loads(delivered.body)["events"]}
    assert events[sent["event_id"]]["origin_server_ts"] == 1_600_000_000_000


def test_ping_both_directions(world: tuple[Homeserver, RecordingAppservice]) -> None:
    hs, appservice = world
    body = {"transaction_id": "interop-ping-1"}
    for _ in range(3):
        # 504 M_CONNECTION_TIMEOUT is a valid answer when this machine is busy; try again.
        response = hs.client.post(
            "/_matrix/client/v1/appservice/interop-bridge/ping", json=body, headers=hs.headers
        )
        assert validate(
            response.content, response="pingAppservice", status=response.status_code
        ).valid
        if response.status_code != 504:
            break
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["duration_ms"] >= 0
    ping = appservice.wait_for(
        lambda r: r.path == "/_matrix/app/v1/ping" and b"interop-ping-1" in r.body
    )
    assert _operation_for(ping) == "ping"
    assert validate(ping.body, request="ping").valid
    hs.call("pingAppservice", 403, body={}, appserviceId="someone-else")


def test_room_directory_and_public_rooms(world: tuple[Homeserver, RecordingAppservice]) -> None:
    hs, _ = world
    room = hs.client.post(
        "/_matrix/client/v3/createRoom", json={"preset": "public_chat"}, headers=hs.headers
    ).json()["room_id"]
    hs.call("updateAppserviceRoomDirectoryVisibility", body={"visibility": "public"},
            networkId="interopnet", roomId=room)  # fmt: skip
    listed: set[str] = set()
    for _ in range(50):  # the homeserver may refresh its directory a moment later
        answer = hs.call(
            "queryPublicRooms", body={"third_party_instance_id": "interop-bridge|interopnet"}
        )
        listed = {r["room_id"] for r in answer["chunk"]}
        if room in listed:
            break
        time.sleep(0.2)
    assert room in listed
    hs.call("getProtocols")
    # The plain GET form (which bridges also use), with identity assertion as the metadata says.
    get = OPERATIONS["getPublicRooms"]
    assert get.identity_params(LATEST)[0] == "user_id"
    page = hs.call("getPublicRooms", query={"limit": 5, "user_id": "@interopbot:localhost"})
    assert len(page["chunk"]) <= 5


def test_user_and_alias_queries_reach_the_appservice(
    world: tuple[Homeserver, RecordingAppservice],
) -> None:
    hs, appservice = world
    missing = hs.client.get(
        "/_matrix/client/v3/directory/room/%23bridge_nowhere%3Alocalhost", headers=hs.headers
    )
    assert missing.status_code == 404
    query = appservice.wait_for(
        lambda r: r.path == "/_matrix/app/v1/rooms/#bridge_nowhere:localhost"
    )
    assert _operation_for(query) == "queryRoomByAlias"
    # The appservice knows no such room: the homeserver says so to the client.
    assert missing.json()["errcode"] == "M_NOT_FOUND"


def test_every_request_to_the_appservice_follows_the_spec(
    world: tuple[Homeserver, RecordingAppservice],
) -> None:
    _, appservice = world
    assert appservice.requests, "the homeserver never called the appservice"
    for rec in appservice.requests:
        name = _operation_for(rec)
        assert rec.headers["authorization"] == f"Bearer {HS_TOKEN}"  # header auth, as from v1.4
        assert "access_token" not in rec.query
        op = OPERATIONS[name]
        if op.request is not None and rec.body:
            result = validate(rec.body, request=name)
            assert result.valid, (name, result.errors)
