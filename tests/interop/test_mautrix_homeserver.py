"""mautrix-python's appservice side against our in-memory homeserver and its pusher.

A real ``mautrix.appservice.AppService`` listens on loopback; our in-memory homeserver runs
with its registration and a SQLite transaction pusher. mautrix's ``IntentAPI`` registers a
namespaced user, creates a room, invites and joins the bot and sends a message, all through
our homeserver's Client-Server routes (mautrix reads power levels, the create event and the
joined members along the way). Every event of the room comes back to mautrix's handlers as
transactions our pusher sent: each once, in the room's order, on the v1 path with the
``hs_token``, with increasing transaction IDs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from matrix_appservice.homeserver import HomeserverState
from matrix_appservice.homeserver.testing import free_port, running_homeserver
from matrix_appservice.registration import LoadedRegistration
from mautrix.errors import MExclusive

from tests.interop import mautrix_peer
from tests.interop.mautrix_peer import MautrixPeer

AS_TOKEN = "mx_as_token_0123456789"
HS_TOKEN = "mx_hs_token_0123456789"
ALICE = "@mx_alice:localhost"
BOT = "@mxbot:localhost"


def _registration(port: int) -> LoadedRegistration:
    return LoadedRegistration(
        "<mautrix>",
        {
            "id": "mautrix-bridge",
            "url": f"http://127.0.0.1:{port}",
            "as_token": AS_TOKEN,
            "hs_token": HS_TOKEN,
            "sender_localpart": "mxbot",
            "namespaces": {"users": [{"regex": "@mx_.*:localhost", "exclusive": True}]},
        },
    )


async def _eventually(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def test_intent_api_through_our_homeserver_and_back_by_our_pusher() -> None:
    port = free_port()
    with running_homeserver([_registration(port)]) as hs:

        async def scenario() -> None:
            async with mautrix_peer.serve(
                HS_TOKEN,
                homeserver=hs.url,
                as_token=AS_TOKEN,
                bot_localpart="mxbot",
                appservice_id="mautrix-bridge",
                port=port,
            ) as peer:
                await _talk(peer, hs.homeserver.state)

        asyncio.run(scenario())


async def _talk(peer: MautrixPeer, state: HomeserverState) -> None:
    alice = peer.appservice.intent.user(ALICE)
    await alice.ensure_registered()
    assert ALICE in state.users
    await alice.ensure_registered()  # M_USER_IN_USE the second time, which mautrix accepts
    with pytest.raises(MExclusive):  # outside the namespaces
        await peer.appservice.intent.user("@carol:localhost").ensure_registered()
    assert "@carol:localhost" not in state.users

    room_id = await alice.create_room(name="mautrix room", invitees=[BOT])
    room = state.rooms[room_id]
    assert room.creator == ALICE and room.membership(BOT) == "invite"
    await peer.appservice.intent.ensure_joined(room_id)
    assert room.membership(BOT) == "join"
    members = await alice.get_joined_members(room_id)
    assert set(members) == {ALICE, BOT}
    event_id = await alice.send_text(room_id, "hello from mautrix")
    assert state.events[event_id]["content"]["body"] == "hello from mautrix"

    def arrived() -> list[str]:
        return [str(e.event_id) for e in peer.events if getattr(e, "room_id", None) == room_id]

    await _eventually(lambda: event_id in arrived(), "the message to reach mautrix")
    message = next(e for e in peer.events if getattr(e, "event_id", None) == event_id)
    assert message.sender == ALICE and message.content.body == "hello from mautrix"
    # Everything in the room came back, once each and in order: the registration's
    # namespaces hold both senders.
    await _eventually(lambda: len(arrived()) == len(room.timeline), "every room event")
    assert arrived() == [e["event_id"] for e in room.timeline]

    pushed = [r for r in peer.requests if r.method == "PUT"]
    assert pushed, "no transaction reached mautrix"
    ids = [int(r.path.rsplit("/", 1)[1]) for r in pushed]
    assert all(r.path.startswith("/_matrix/app/v1/transactions/") for r in pushed)
    assert ids == sorted(set(ids))  # no retry was needed, and the IDs only grow
    assert all(r.authorization == f"Bearer {HS_TOKEN}" for r in pushed)
