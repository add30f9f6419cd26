"""The in-memory homeserver keeps the rules of spec/rules/ that bind a homeserver; each test
here is named by the rule's `checked.tests` (tests/test_conformance.py holds the two together)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from matrix_appservice.client import AsyncHomeserverClient
from matrix_appservice.errors import ForbiddenError, MatrixError
from matrix_appservice.homeserver import InMemoryHomeserver

from tests.python.homeserver.support import (
    AS_TOKEN,
    homeserver,
    loaded,
    other_registration,
    raw,
    registration,
)

CS = "/_matrix/client/v3"
ALICE = "@_irc_alice:localhost"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _room_of_alice(client: AsyncHomeserverClient) -> tuple[AsyncHomeserverClient, str]:
    await client.register(username="_irc_alice", inhibit_login=True)
    alice = client.as_user(ALICE)
    room = (await alice.request("POST", f"{CS}/createRoom", json={}))["room_id"]
    return alice, room


def test_an_event_is_sent_whatever_the_appservice_answers(tmp_path: Path) -> None:
    """as.passive, txn.non-blocking: the appservice refuses every transaction, yet the event
    is sent, stored as it was written, and waits in the queue."""
    pushes: list[httpx.Request] = []

    def refusing(request: httpx.Request) -> httpx.Response:
        pushes.append(request)
        return httpx.Response(500, json={"errcode": "M_UNKNOWN", "error": "no"})

    reg = registration(url="http://127.0.0.1:9")
    options = {
        "pusher_store": tmp_path / "queue.sqlite",
        "appservice_transport": httpx.MockTransport(refusing),
    }

    async def main() -> None:
        async with homeserver(reg, **options) as (client, hs):
            await hs.startup()
            try:
                alice, room = await _room_of_alice(client)
                content = {"msgtype": "m.text", "body": "not yours to stop"}
                sent = await asyncio.wait_for(
                    alice.send_message(room, "m.room.message", "t1", content), 5
                )
                stored = await alice.request("GET", f"{CS}/rooms/{room}/event/{sent.event_id}")
                assert stored["content"] == content
                for _ in range(200):  # the pusher tries, and is refused
                    if pushes:
                        break
                    await asyncio.sleep(0.01)
                assert pushes and pushes[0].url.path.startswith("/_matrix/app/v1/transactions/")
            finally:
                await hs.shutdown()

    run(main())


def test_two_registrations_with_one_id_or_as_token_are_refused() -> None:
    """registration.enforce-unique."""
    same_id = other_registration() | {"id": "irc"}
    same_token = other_registration() | {"as_token": AS_TOKEN}
    with pytest.raises(ValueError, match=r"id is also used by .* it must be unique"):
        InMemoryHomeserver(loaded(registration(), same_id))
    with pytest.raises(ValueError, match=r"as_token is also used by .* it must be unique"):
        InMemoryHomeserver(loaded(registration(), same_token))


def test_the_appservice_only_endpoints_refuse_a_user_token() -> None:
    """cs.extensions-supported, ping.appservice-only: a user's own token is refused."""

    async def main() -> None:
        async with homeserver(version="v1.19") as (client, hs):
            _, room = await _room_of_alice(client)
            token = hs.create_user("carol")
            async with AsyncHomeserverClient(
                "http://hs", token, version="v1.19", transport=httpx.ASGITransport(app=hs.app)
            ) as carol:
                with pytest.raises(ForbiddenError):
                    await carol.ping_appservice("irc")
                with pytest.raises(ForbiddenError):
                    await carol.update_appservice_room_directory_visibility("irc", room, "public")

    run(main())


def test_without_user_id_a_request_acts_as_the_sender_localpart_user() -> None:
    """identity.default-user."""

    async def main() -> None:
        async with homeserver() as (client, _):
            who = await client.request("GET", f"{CS}/account/whoami")
            assert who["user_id"] == "@ircbot:localhost"

    run(main())


def test_without_user_id_the_device_must_be_the_sender_localpart_users() -> None:
    """identity.device-of-sender: without `user_id` the device is looked up on the bot."""

    async def main() -> None:
        async with homeserver(version="v1.17") as (client, hs), raw(hs) as http:
            await client.register(username="_irc_alice", inhibit_login=True)
            hs.state.new_session(ALICE, "ALICEDEV")
            hs.state.new_session("@ircbot:localhost", "BOTDEV")
            auth = {"Authorization": f"Bearer {AS_TOKEN}"}
            theirs = await http.get(
                f"{CS}/account/whoami", params={"device_id": "ALICEDEV"}, headers=auth
            )
            assert (theirs.status_code, theirs.json()["errcode"]) == (400, "M_UNKNOWN_DEVICE")
            mine = await http.get(
                f"{CS}/account/whoami", params={"device_id": "BOTDEV"}, headers=auth
            )
            assert mine.json() == {
                "user_id": "@ircbot:localhost",
                "is_guest": False,
                "device_id": "BOTDEV",
            }

    run(main())


@pytest.mark.parametrize("ts", ["9223372036854775808", "soon", "1.5"])
def test_a_timestamp_origin_server_ts_cannot_hold_is_refused(ts: str) -> None:
    """ts.bad-value: a `ts` beyond int64, or not an integer, is a bad request (400)."""

    async def main() -> None:
        async with homeserver() as (client, hs), raw(hs) as http:
            _, room = await _room_of_alice(client)
            answer = await http.put(
                f"{CS}/rooms/{room}/send/m.room.message/t1",
                params={"user_id": ALICE, "ts": ts},
                json={"body": "x"},
                headers={"Authorization": f"Bearer {AS_TOKEN}"},
            )
            assert answer.status_code == 400, answer.text
            assert not [e for e in hs.state.events.values() if e["type"] == "m.room.message"]

    run(main())


def test_without_ts_an_event_gets_the_current_time() -> None:
    """ts.default-now."""

    async def main() -> None:
        async with homeserver(clock=lambda: 1_700_000_123.456) as (client, _):
            alice, room = await _room_of_alice(client)
            sent = await alice.send_message(room, "m.room.message", "t1", {"body": "now"})
            event = await alice.request("GET", f"{CS}/rooms/{room}/event/{sent.event_id}")
            assert event["origin_server_ts"] == 1_700_000_123_456

    run(main())


def test_ts_is_taken_by_the_send_and_state_endpoints_only() -> None:
    """ts.endpoints: an invitation made with `ts` still gets the homeserver's time."""

    async def main() -> None:
        async with homeserver(clock=lambda: 1_700_000_000.0) as (client, hs):
            alice, room = await _room_of_alice(client)
            await client.register(username="_irc_bob", inhibit_login=True)
            await alice.request(
                "POST", f"{CS}/rooms/{room}/invite", json={"user_id": "@_irc_bob:localhost"},
                query={"ts": "5"},
            )  # fmt: skip
            invite = next(
                e for e in hs.state.events.values()
                if e["type"] == "m.room.member" and e.get("state_key") == "@_irc_bob:localhost"
            )  # fmt: skip
            assert invite["origin_server_ts"] == 1_700_000_000_000

    run(main())


def test_an_older_timestamp_does_not_move_the_event_back() -> None:
    """ts.order-unchanged: the event with the older `ts` still comes last."""

    async def main() -> None:
        async with homeserver() as (client, _):
            alice, room = await _room_of_alice(client)
            first = await alice.send_message(room, "m.room.message", "t1", {"body": "1"}, ts=2_000)
            second = await alice.send_message(room, "m.room.message", "t2", {"body": "2"}, ts=1_000)
            page = await alice.request("GET", f"{CS}/rooms/{room}/messages", query={"dir": "b"})
            ids = [e["event_id"] for e in page["chunk"]]
            assert ids.index(second.event_id) < ids.index(first.event_id)  # newest first

    run(main())


def test_an_appservice_logs_in_one_of_its_users() -> None:
    """login.appservice-type, login.forbidden."""

    async def main() -> None:
        reg = registration(url="http://127.0.0.1:9")  # before v1.15 the url is a string
        async with homeserver(reg, version="v1.2") as (client, hs):
            await client.register(username="_irc_alice", inhibit_login=True)
            user = {"type": "m.id.user", "user": ALICE}
            made = await client.login(identifier=user)
            assert made.user_id == ALICE and made.access_token
            ghost = {"type": "m.id.user", "user": "@_irc_ghost:localhost"}
            with pytest.raises(ForbiddenError):
                await client.login(identifier=ghost)
            token = hs.create_user("carol")
            async with AsyncHomeserverClient(
                "http://hs", token, version="v1.2", transport=httpx.ASGITransport(app=hs.app)
            ) as carol:
                with pytest.raises(MatrixError) as refused:
                    await carol.login(identifier=user)
                assert (refused.value.status, refused.value.errcode) == (403, "M_FORBIDDEN")

    run(main())
