"""The generated appservice→homeserver clients against a real Synapse.

``HomeserverClient`` and ``AsyncHomeserverClient`` (with ``validate=True``, so every body
they send and every answer they parse is checked against the spec) register users in the
appservice's namespace, act as them by identity assertion, send with timestamp massaging,
ping the appservice through the homeserver, and publish rooms in the appservice's network
directory. Synapse's refusals arrive as the typed errors of the client. The recorder stands
in for the appservice, so the test sees what Synapse pushed to it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from itertools import count
from typing import Any
from urllib.parse import quote

import pytest
from matrix_appservice import models
from matrix_appservice.client import AsyncHomeserverClient, HomeserverClient
from matrix_appservice.errors import (
    ConnectionTimeoutError,
    ExclusiveError,
    ForbiddenError,
    UnknownTokenError,
)
from matrix_appservice.models import PingAppserviceResponse

from tests.interop import synapse
from tests.interop.recorder import Recorded, RecordingAppservice

pytestmark = pytest.mark.synapse

APPSERVICE_ID = "client-bridge"
AS_TOKEN = "as_token_client_0123456789"
HS_TOKEN = "hs_token_client_9876543210"
REGISTRATION = """\
id: {id}
url: "http://127.0.0.1:{port}"
as_token: "{as_token}"
hs_token: "{hs_token}"
sender_localpart: clientbot
rate_limited: false
namespaces:
  users: [{{exclusive: true, regex: '@cb_.*:localhost'}}]
  aliases: [{{exclusive: true, regex: '#cb_.*:localhost'}}]
  rooms: []
protocols: []
"""
BOT = "@clientbot:localhost"
PUBLIC_ROOM = {"preset": "public_chat"}
_serial = count()


def _unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 1_000_000}x{next(_serial)}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RecordingAppservice]]:
    def registration(port: int) -> str:
        return REGISTRATION.format(
            id=APPSERVICE_ID, port=port, as_token=AS_TOKEN, hs_token=HS_TOKEN
        )

    workdir = tmp_path_factory.mktemp("synapse-client")
    with synapse.with_recorder(workdir, registration, HS_TOKEN) as (server, appservice):
        yield server.base_url, appservice


def _register(hs: HomeserverClient, localpart: str) -> str:
    answer = hs.register(username=localpart)
    assert isinstance(answer, models.RegisterResponse)
    return answer.user_id


def test_register_in_the_namespace_and_outside_it(world: tuple[str, RecordingAppservice]) -> None:
    base_url, _ = world
    with HomeserverClient(base_url, AS_TOKEN, validate=True) as hs:
        localpart = _unique("cb_alice")
        user_id = _register(hs, localpart)
        assert user_id == f"@{localpart}:localhost"
        # The new user is ours to act as: whoami through identity assertion names it.
        assert (
            hs.as_user(user_id).request("GET", "/_matrix/client/v3/account/whoami")["user_id"]
            == user_id
        )

        with pytest.raises(ExclusiveError) as caught:
            hs.register(username=_unique("outsider"))
        assert caught.value.status == 400
        assert caught.value.errcode == "M_EXCLUSIVE"
        assert AS_TOKEN not in str(caught.value) and AS_TOKEN not in repr(caught.value)
    assert AS_TOKEN not in repr(hs)

    with HomeserverClient(base_url, "not-our-token", validate=True) as stranger:
        with pytest.raises(UnknownTokenError) as unknown:
            stranger.request("GET", "/_matrix/client/v3/account/whoami")
        assert unknown.value.status == 401 and unknown.value.errcode == "M_UNKNOWN_TOKEN"


def test_send_as_a_user_with_a_massaged_timestamp(
    world: tuple[str, RecordingAppservice],
) -> None:
    base_url, appservice = world
    ts = 1_600_000_000_000
    with HomeserverClient(base_url, AS_TOKEN, validate=True) as hs:
        user_id = _register(hs, _unique("cb_bob"))
        room_id = hs.request("POST", "/_matrix/client/v3/createRoom", json=PUBLIC_ROOM)["room_id"]
        as_bob = hs.as_user(user_id)
        as_bob.request("POST", "/_matrix/client/v3/join/{room}", path_params={"room": room_id})

        sent = as_bob.send_message(
            room_id, "m.room.message", _unique("txn"), {"msgtype": "m.text", "body": "from bob"},
            ts=ts,
        )  # fmt: skip
        assert isinstance(sent, models.SendEventResponse)
        event = hs.request(
            "GET", "/_matrix/client/v3/rooms/{roomId}/event/{eventId}",
            path_params={"roomId": room_id, "eventId": sent.event_id},
        )  # fmt: skip
        assert event["sender"] == user_id
        assert event["origin_server_ts"] == ts
        assert event["content"] == {"msgtype": "m.text", "body": "from bob"}

        named = hs.set_room_state_with_key(
            room_id, "m.room.name", "", {"name": "Bridged with a past date"}, ts=ts + 1
        )
        state = hs.request(
            "GET",
            f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/event/{quote(named.event_id, safe='')}",
        )
        assert (state["sender"], state["origin_server_ts"]) == (BOT, ts + 1)

    def carries(rec: Recorded) -> bool:
        return rec.method == "PUT" and sent.event_id.encode() in rec.body

    pushed = appservice.wait_for(carries)
    events = {e["event_id"]: e for e in json.loads(pushed.body)["events"]}
    assert events[sent.event_id]["sender"] == user_id
    assert events[sent.event_id]["origin_server_ts"] == ts


async def _ping(hs: AsyncHomeserverClient, transaction_id: str) -> PingAppserviceResponse:
    for attempt in range(3):
        try:
            return await hs.ping_appservice(APPSERVICE_ID, transaction_id=transaction_id)
        except ConnectionTimeoutError:
            # Synapse answers 504 when the appservice is slow to answer, as on a busy machine.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_ping_reaches_the_appservice(world: tuple[str, RecordingAppservice]) -> None:
    base_url, appservice = world
    transaction_id = _unique("client-ping-")

    async def scenario() -> None:
        async with AsyncHomeserverClient(base_url, AS_TOKEN, validate=True) as hs:
            answer = await _ping(hs, transaction_id)
            assert isinstance(answer, PingAppserviceResponse)
            assert answer.duration_ms >= 0
            with pytest.raises(ForbiddenError) as caught:
                await hs.ping_appservice("someone-else")
            assert (caught.value.status, caught.value.errcode) == (403, "M_FORBIDDEN")

    asyncio.run(scenario())
    ping = appservice.wait_for(
        lambda r: r.method == "POST" and r.path == "/_matrix/app/v1/ping"
        and transaction_id.encode() in r.body
    )  # fmt: skip
    assert models.PingRequest.model_validate_json(ping.body).transaction_id == transaction_id


def test_room_directory_of_the_network_and_filtered_public_rooms(
    world: tuple[str, RecordingAppservice],
) -> None:
    """Two rooms, each published in a network of its own; the filter tells them apart."""
    base_url, _ = world

    async def listed(hs: AsyncHomeserverClient, **filters: Any) -> set[str]:
        page = await hs.query_public_rooms(**filters)
        assert isinstance(page, models.PublicRoomsResponse)
        return {room.room_id for room in page.chunk}

    async def scenario() -> tuple[dict[str, str], dict[str, set[str]]]:
        async with AsyncHomeserverClient(base_url, AS_TOKEN, validate=True) as hs:
            rooms = {}
            for network in ("clientnet", "othernet"):
                created = await hs.request(
                    "POST", "/_matrix/client/v3/createRoom", json=PUBLIC_ROOM
                )
                rooms[network] = created["room_id"]
                await hs.update_appservice_room_directory_visibility(
                    network, rooms[network], "public"
                )
            found: dict[str, set[str]] = {}
            for network in rooms:
                instance = f"{APPSERVICE_ID}|{network}"
                for _ in range(50):  # Synapse may list a room a moment after publishing it
                    found[network] = await listed(hs, third_party_instance_id=instance)
                    if rooms[network] in found[network]:
                        break
                    await asyncio.sleep(0.2)
            found["all"] = await listed(hs, include_all_networks=True)
            found["homeserver"] = await listed(hs)
            return rooms, found

    rooms, found = asyncio.run(scenario())
    ours = set(rooms.values())
    assert found["clientnet"] & ours == {rooms["clientnet"]}
    assert found["othernet"] & ours == {rooms["othernet"]}
    assert found["all"] & ours == ours
    assert found["homeserver"] & ours == set()
