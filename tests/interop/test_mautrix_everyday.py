"""mautrix-python's ``IntentAPI`` making a bridge's everyday calls against our in-memory
homeserver, and the homeserver's user and alias queries answered by a mautrix appservice.

The first test goes through the README's parity table: each ``IntentAPI`` method a bridge
uses, called by a real mautrix appservice (its bot and its puppets) against the in-memory
homeserver, and what it answers checked against the homeserver's state. The others show the
homeserver asking the appservice about a user or an alias in its namespaces that it does not
know: the appservice's answer decides, the question is asked once per look-up, and a yes is
remembered (the user is registered, the alias was created by the appservice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from matrix_appservice.client import AsyncHomeserverClient
from matrix_appservice.errors import ForbiddenError, NotFoundError
from matrix_appservice.homeserver.testing import RunningHomeserver, free_port, running_homeserver
from matrix_appservice.registration import LoadedRegistration
from mautrix.client import Client
from mautrix.errors import MNotFound
from mautrix.types import (
    EncryptionKeyAlgorithm,
    EventType,
    PaginationDirection,
    PresenceState,
    RoomAlias,
    RoomCreatePreset,
    UserID,
)

from tests.interop import mautrix_peer
from tests.interop.mautrix_peer import MautrixPeer

AS_TOKEN = "mx_everyday_as_token_0123456789"
HS_TOKEN = "mx_everyday_hs_token_0123456789"
BOT = UserID("@mxbot:localhost")
ALICE = UserID("@mx_alice:localhost")
BOB = UserID("@mx_bob:localhost")

Scenario = Callable[[MautrixPeer, RunningHomeserver], Awaitable[None]]


def _registration(port: int) -> LoadedRegistration:
    return LoadedRegistration(
        "<mautrix>",
        {
            "id": "mautrix-everyday",
            "url": f"http://127.0.0.1:{port}",
            "as_token": AS_TOKEN,
            "hs_token": HS_TOKEN,
            "sender_localpart": "mxbot",
            "namespaces": {
                "users": [{"regex": "@mx_.*:localhost", "exclusive": True}],
                "aliases": [{"regex": "#mx_.*:localhost", "exclusive": True}],
            },
        },
    )


def _run(scenario: Scenario, **queries: Any) -> None:
    port = free_port()
    with running_homeserver([_registration(port)]) as hs:

        async def main() -> None:
            async with mautrix_peer.serve(
                HS_TOKEN,
                homeserver=hs.url,
                as_token=AS_TOKEN,
                bot_localpart="mxbot",
                appservice_id="mautrix-everyday",
                port=port,
                **queries,
            ) as peer:
                await scenario(peer, hs)

        asyncio.run(main())


def test_intent_api_makes_every_everyday_call_against_the_in_memory_homeserver() -> None:
    _run(_everyday)


async def _everyday(peer: MautrixPeer, hs: RunningHomeserver) -> None:
    state = hs.homeserver.state
    bot = peer.appservice.intent
    alice, bob = bot.user(ALICE), bot.user(BOB)
    await alice.ensure_registered()
    await bob.ensure_registered()
    assert (await bot.whoami()).user_id == BOT
    assert (await alice.whoami()).user_id == ALICE
    assert (await bot.versions(no_cache=True)).supports("v1.1")

    # Rooms and membership.
    room_id = await bot.create_room(
        alias_localpart="mx_everyday", preset=RoomCreatePreset.PUBLIC, name="Everyday"
    )
    assert state.aliases["#mx_everyday:localhost"] == room_id
    assert await alice.join_room_by_id(room_id) == room_id
    assert await bob.join_room(RoomAlias("#mx_everyday:localhost")) == room_id
    assert room_id in await alice.get_joined_rooms()
    await bot.kick_user(room_id, BOB, reason="out")
    await bot.ban_user(room_id, BOB, reason="banned")
    assert state.rooms[room_id].membership(BOB) == "ban"
    await bot.unban_user(room_id, BOB)
    await bot.invite_user(room_id, BOB)
    await bob.join_room_by_id(room_id)
    await bob.leave_room(room_id, reason="bye")
    await bob.forget_room(room_id)
    assert room_id not in await bob.get_joined_rooms()
    knocking = await bot.create_room(
        initial_state=[{"type": "m.room.join_rules", "content": {"join_rule": "knock"}}]
    )
    assert await bob.knock_room(knocking, reason="let me in") == knocking
    assert state.rooms[knocking].membership(BOB) == "knock"

    # State, members, history, redaction.
    name = await bot.get_state_event(room_id, EventType.ROOM_NAME)
    assert name.name == "Everyday"
    assert {e.type for e in await bot.get_state(room_id)} >= {EventType.ROOM_CREATE}
    assert set(await bot.get_joined_members(room_id)) == {BOT, ALICE}
    members = await bot.get_members(room_id)
    assert {m.state_key for m in members} == {BOT, ALICE, BOB}
    first = await alice.send_text(room_id, "one")
    second = await alice.send_text(room_id, "two")
    page = await bot.get_messages(room_id, PaginationDirection.BACKWARD, limit=2)
    assert [e.event_id for e in page.events] == [second, first]
    assert (await bot.get_event(room_id, second)).content.body == "two"
    context = await bot.get_event_context(room_id, first, limit=2)
    assert context.event.event_id == first
    assert [e.event_id for e in context.events_after] == [second]
    await alice.redact(room_id, first, reason="deleted")
    assert state.events[first]["content"] == {}

    # Aliases.
    await bot.add_room_alias(room_id, "mx_second")
    resolved = await bot.resolve_room_alias(RoomAlias("#mx_second:localhost"))
    assert resolved.room_id == room_id
    await bot.remove_room_alias("mx_second")
    assert "#mx_second:localhost" not in state.aliases

    # Profiles, typing, receipts, presence, account data.
    avatar = await alice.upload_media(b"\x89PNG avatar", mime_type="image/png")
    await alice.set_displayname("Alice (mautrix)")
    await alice.set_avatar_url(avatar)
    assert await bot.get_displayname(ALICE) == "Alice (mautrix)"
    assert await bot.get_avatar_url(ALICE) == avatar
    profile = await bot.get_profile(ALICE)
    assert (profile.displayname, profile.avatar_url) == ("Alice (mautrix)", avatar)
    await alice.set_typing(room_id, timeout=1000)
    await alice.send_receipt(room_id, second)
    await alice.set_fully_read_marker(room_id, second, second)
    assert state.users[ALICE].account_data[(room_id, "m.fully_read")] == {"event_id": second}
    await alice.set_presence(PresenceState.ONLINE, status="bridged", ignore_cache=True)
    assert (await bot.get_presence(ALICE)).presence == PresenceState.ONLINE
    await alice.set_account_data("org.example.bridge", {"nick": "alice"})
    assert await alice.get_account_data("org.example.bridge") == {"nick": "alice"}
    await alice.set_account_data("org.example.bridge", {"seen": 2}, room_id=room_id)
    assert await alice.get_account_data("org.example.bridge", room_id=room_id) == {"seen": 2}

    # To-device messages and keys, from a device of Alice's (a login of the appservice's).
    async with AsyncHomeserverClient(hs.url, AS_TOKEN) as ours:
        login = await ours.login(identifier={"type": "m.id.user", "user": ALICE})
    device = Client(
        mxid=ALICE, device_id=login.device_id, base_url=hs.url, token=login.access_token
    )
    try:
        counts = await device.upload_keys(
            one_time_keys={
                "signed_curve25519:AAAAAQ": {
                    "key": "b25ldGltZQ",
                    "signatures": {ALICE: {f"ed25519:{login.device_id}": "c2ln"}},
                }
            },
            device_keys={
                "user_id": ALICE, "device_id": login.device_id,
                "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
                "keys": {f"ed25519:{login.device_id}": "ZWQyNTUxOQ"}, "signatures": {},
            },
        )  # fmt: skip
        assert counts[EncryptionKeyAlgorithm.SIGNED_CURVE25519] == 1
        found = await bot.query_keys([ALICE])
        assert login.device_id in found.device_keys[ALICE]
        wanted = {ALICE: {login.device_id: EncryptionKeyAlgorithm.SIGNED_CURVE25519}}
        claimed = await bot.claim_keys(wanted)
        assert ALICE in claimed.one_time_keys
        hello = EventType.find("org.example.hello", EventType.Class.TO_DEVICE)
        await bot.send_to_device(hello, {ALICE: {login.device_id: {"hello": "world"}}})
        inbox = hs.homeserver.devices.inbox[(ALICE, login.device_id)]
        assert inbox[-1]["content"] == {"hello": "world"}
    finally:
        await device.api.session.close()

    # Media.
    config = await alice.get_media_repo_config()
    assert config.upload_size == hs.homeserver.app.max_body_bytes
    uri = await alice.upload_media(b"a file", mime_type="text/plain", filename="a.txt")
    assert await alice.download_media(uri) == b"a file"
    assert await alice.download_thumbnail(uri, 32, 32) == b"a file"  # not scaled here
    created = await alice.create_mxc()
    assert created.content_uri.startswith("mxc://localhost/")
    # What mautrix bridges do: a new media ID, answered at once, the file sent after.
    later = await alice.upload_media(b"later", mime_type="text/plain", async_upload=True)
    server, media_id = later.removeprefix("mxc://").split("/")
    entry = hs.homeserver.media.files[(server, media_id)]
    for _ in range(500):
        if entry.file is not None:
            break
        await asyncio.sleep(0.01)
    assert await alice.download_media(later) == b"later"


# -- the homeserver asks the appservice --------------------------------------------------------


def test_an_unknown_user_in_the_namespace_is_asked_of_the_appservice_once() -> None:
    async def known(user_id: str) -> dict[str, Any] | None:
        # mautrix answers 404 for an empty answer: a yes carries something.
        return {"org.example.bridged": True} if user_id == "@mx_known:localhost" else None

    async def scenario(peer: MautrixPeer, hs: RunningHomeserver) -> None:
        async with AsyncHomeserverClient(hs.url, AS_TOKEN, validate=True) as ours:
            # The appservice says yes: the user exists from then on, without a second query.
            assert (await ours.get_user_profile("@mx_known:localhost")).displayname is None
            assert "@mx_known:localhost" in hs.homeserver.state.users
            await ours.get_display_name("@mx_known:localhost")
            assert peer.user_queries == ["@mx_known:localhost"]
            # The appservice says no: missing, after one query per look-up.
            with pytest.raises(NotFoundError):
                await ours.get_display_name("@mx_ghost:localhost")
            assert peer.user_queries[1:] == ["@mx_ghost:localhost"]
            room_id = (await ours.create_room()).room_id
            with pytest.raises(ForbiddenError):  # an invite to nobody
                await ours.invite_user(room_id, "@mx_ghost:localhost")
            assert peer.user_queries[1:] == ["@mx_ghost:localhost"] * 2
            # Outside the namespaces nobody is asked.
            with pytest.raises(NotFoundError):
                await ours.get_display_name("@stranger:localhost")
            assert len(peer.user_queries) == 3
            assert "@mx_ghost:localhost" not in hs.homeserver.state.users

    _run(scenario, query_user=known)


def test_an_unknown_alias_in_the_namespace_is_asked_of_the_appservice_once() -> None:
    peer_box: list[MautrixPeer] = []

    async def make(alias: str) -> dict[str, Any] | None:
        if alias == "#mx_made:localhost":  # the appservice creates the room and the alias
            bot = peer_box[0].appservice.intent
            await bot.create_room(alias_localpart="mx_made", preset=RoomCreatePreset.PUBLIC)
            return {"org.example.bridged": True}
        if alias == "#mx_claimed:localhost":  # says yes, creates nothing
            return {"org.example.bridged": True}
        return None

    async def scenario(peer: MautrixPeer, hs: RunningHomeserver) -> None:
        peer_box.append(peer)
        made = RoomAlias("#mx_made:localhost")
        alice = peer.appservice.intent.user(ALICE)
        await alice.ensure_registered()
        # Joining by an alias nobody made yet: the appservice makes it, the join goes on.
        room_id = await alice.join_room(made)
        assert hs.homeserver.state.aliases[made] == room_id
        assert (await alice.resolve_room_alias(made)).room_id == room_id
        assert peer.alias_queries == [made]  # asked once, then known
        # No, and a yes that made nothing: 404 after exactly one query each.
        for alias in ("#mx_missing:localhost", "#mx_claimed:localhost"):
            with pytest.raises(MNotFound):
                await alice.resolve_room_alias(RoomAlias(alias))
            assert peer.alias_queries[-1] == alias
        with pytest.raises(MNotFound):
            await alice.join_room(RoomAlias("#mx_missing:localhost"), max_retries=0)
        assert peer.alias_queries[1:] == [
            "#mx_missing:localhost", "#mx_claimed:localhost", "#mx_missing:localhost"
        ]  # fmt: skip
        # Outside the namespaces nobody is asked.
        with pytest.raises(MNotFound):
            await alice.resolve_room_alias(RoomAlias("#elsewhere:localhost"))
        assert len(peer.alias_queries) == 4

    _run(scenario, query_alias=make)
