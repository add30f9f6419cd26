"""The everyday Client-Server calls of a bridge, with the typed clients, against a real Synapse
and against the in-memory homeserver: the same calls and the same expectations for both.

Every operation of the everyday set is called here through ``HomeserverClient`` or
``AsyncHomeserverClient`` with ``validate=True``: each request is checked against the spec
before it leaves and each answer (a success, or an error with its errcode class) against the
release's schema when it arrives. Users are asserted with ``as_user()``; one of them has a
``/`` in its localpart, and aliases carry their ``#``, so the path encoding is exercised on
a server that decodes it. The last test checks that the calls covered every everyday
operation.
"""

from __future__ import annotations

import asyncio
import io
import re
import struct
import sys
import time
import zlib
from collections.abc import Iterator
from itertools import count
from typing import Any

import aiohttp
import httpx
import pytest
from matrix_appservice import models
from matrix_appservice.client import AsyncHomeserverClient, HomeserverClient, Media, Upload
from matrix_appservice.errors import (
    BadStateError,
    ForbiddenError,
    MediaTooLargeError,
    NotFoundError,
)
from matrix_appservice.homeserver.testing import free_port, running_homeserver
from matrix_appservice.operations import OPERATIONS

from tests.interop import synapse
from tests.interop.recorder import RecordingAppservice

APPSERVICE_ID = "everyday-bridge"
AS_TOKEN = "as_token_everyday_0123456789"
HS_TOKEN = "hs_token_everyday_9876543210"
REGISTRATION = """\
id: {id}
url: "http://127.0.0.1:{port}"
as_token: "{as_token}"
hs_token: "{hs_token}"
sender_localpart: everydaybot
rate_limited: false
namespaces:
  users: [{{exclusive: true, regex: '@ev_.*:localhost'}}]
  aliases: [{{exclusive: true, regex: '#ev_.*:localhost'}}]
  rooms: []
protocols: []
"""
BOT = "@everydaybot:localhost"
EVERYDAY = {
    "getVersions", "getTokenOwner", "createRoom", "joinRoomById", "joinRoom", "leaveRoom",
    "forgetRoom", "inviteUser", "kick", "ban", "unban", "knockRoom", "redactEvent",
    "getRoomState", "getRoomStateWithKey", "getJoinedMembersByRoom", "getMembersByRoom",
    "getRoomEvents", "getEventContext", "getOneRoomEvent", "setRoomAlias", "deleteRoomAlias",
    "getRoomIdByAlias", "getLocalAliases", "getUserProfile", "getDisplayName", "setDisplayName", "getAvatarUrl",
    "setAvatarUrl", "setTyping", "postReceipt", "setReadMarker", "getPresence", "setPresence",
    "sendToDevice", "uploadKeys", "queryKeys", "claimKeys", "getAccountData", "setAccountData",
    "getAccountDataPerRoom", "setAccountDataPerRoom", "uploadContent", "createContent",
    "uploadContentToMXC", "getContent", "getContentThumbnail", "getConfig", "getContentAuthed",
    "getContentThumbnailAuthed", "getConfigAuthed", "getJoinedRooms",
}  # fmt: skip
_serial = count()
CALLED: set[str] = set()
"""The operations the tests of this module called (filled by the clients' transports)."""


def _unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 1_000_000}x{next(_serial)}"


def _png(side: int = 40) -> bytes:
    """A small grey PNG, made by hand (zlib and struct) so Synapse can thumbnail it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"".join([
        b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(rows)),
        chunk(b"IEND", b""),
    ])  # fmt: skip


def _registration(port: int) -> str:
    return REGISTRATION.format(id=APPSERVICE_ID, port=port, as_token=AS_TOKEN, hs_token=HS_TOKEN)


@pytest.fixture(
    scope="module", params=["memory", pytest.param("synapse", marks=pytest.mark.synapse)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, RecordingAppservice]]:
    """The homeserver (its base URL) and the recording appservice beside it."""
    workdir = tmp_path_factory.mktemp(f"{request.param}-everyday")
    if request.param == "synapse":
        with synapse.with_recorder(workdir, _registration, HS_TOKEN) as (server, appservice):
            yield server.base_url, appservice
        return
    port = free_port()
    path = workdir / "registration.yaml"
    path.write_text(_registration(port))
    appservice = RecordingAppservice(HS_TOKEN)
    appservice.start(port)
    try:
        with running_homeserver([path]) as running:
            yield running.url, appservice
    finally:
        appservice.stop()


def _route(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("[^/]*".join(re.escape(part) for part in parts))


ROUTES = [
    (method, _route(template), name)
    for method, template, name in sorted(
        {(op.method.upper(), t, op.name) for op in OPERATIONS.values() for _, t in op.path_history},
        key=lambda route: -len(re.sub(r"\{[^}]+\}", "", route[1])),
    )
]
"""Every operation's path templates, the most literal first, so that a request is named by
the most specific template it matches."""


def _record(method: str, raw_path: str) -> None:
    """Note which operation a request the clients sent is (by its method and encoded path)."""
    path = raw_path.split("?", 1)[0]
    for wanted, route, name in ROUTES:
        if wanted == method.upper() and route.fullmatch(path):
            CALLED.add(name)
            return


class SpyingTransport(httpx.BaseTransport):
    """The sync clients' transport: records each request, then sends it."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _record(request.method, request.url.raw_path.decode("ascii"))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def spying_session() -> aiohttp.ClientSession:
    """The async clients' aiohttp session: records each request as it starts."""

    async def started(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        _record(params.method, params.url.raw_path_qs)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    return aiohttp.ClientSession(trace_configs=[trace])


@pytest.fixture
def hs(world: tuple[str, RecordingAppservice]) -> Iterator[HomeserverClient]:
    with HomeserverClient(world[0], AS_TOKEN, validate=True, transport=SpyingTransport()) as client:
        yield client


def _puppet(hs: HomeserverClient, prefix: str = "ev_") -> str:
    return hs.register(username=_unique(prefix), inhibit_login=True).user_id


def _room(hs: HomeserverClient, **options: Any) -> str:
    created = hs.create_room(**options)
    assert isinstance(created, models.CreateRoomResponse)
    return created.room_id


def test_versions_whoami_and_joined_rooms(hs: HomeserverClient) -> None:
    versions = hs.get_versions()
    assert isinstance(versions, models.VersionsResponse) and "v1.1" in versions.versions
    assert hs.get_token_owner().user_id == BOT
    alice = _puppet(hs)
    as_alice = hs.as_user(alice)
    assert as_alice.get_token_owner().user_id == alice
    with pytest.raises(ForbiddenError):  # outside the namespace
        hs.as_user("@somebody_else:localhost").get_token_owner()
    room_id = _room(hs, preset="public_chat", name="Everyday")
    assert as_alice.join_room_by_id(room_id).room_id == room_id
    assert room_id in as_alice.get_joined_rooms().joined_rooms


def test_membership(hs: HomeserverClient) -> None:
    alice, bob = _puppet(hs), _puppet(hs)
    room_id = _room(hs, preset="private_chat")
    hs.invite_user(room_id, alice, reason="come in")
    assert hs.as_user(alice).join_room_by_id(room_id, reason="hello").room_id == room_id
    hs.kick(room_id, alice, reason="out")
    hs.ban(room_id, alice, reason="banned on IRC")
    with pytest.raises(BadStateError):  # Synapse's errcode for a banned user
        hs.as_user(alice).join_room_by_id(room_id)
    hs.unban(room_id, alice)
    hs.invite_user(room_id, bob)
    as_bob = hs.as_user(bob)
    as_bob.join_room_by_id(room_id)
    as_bob.leave_room(room_id, reason="bye")
    as_bob.forget_room(room_id)
    assert room_id not in as_bob.get_joined_rooms().joined_rooms


def test_join_and_knock_by_alias(hs: HomeserverClient) -> None:
    alice, bob = _puppet(hs), _puppet(hs)
    localpart = _unique("ev_open")
    room_id = _room(hs, preset="public_chat", room_alias_name=localpart)
    alias = f"#{localpart}:localhost"
    joined = hs.as_user(alice).join_room(alias, via=["localhost"])
    assert joined.room_id == room_id  # the '#' went as %23, or Synapse would not find it

    knock_alias = _unique("ev_knock")
    knocking = _room(
        hs, room_alias_name=knock_alias, room_version="12",
        initial_state=[{"type": "m.room.join_rules", "content": {"join_rule": "knock"}}],
    )  # fmt: skip
    knocked = hs.as_user(bob).knock_room(f"#{knock_alias}:localhost", reason="let me in")
    assert knocked.room_id == knocking
    members = hs.get_members_by_room(knocking, membership="knock")
    assert [event.state_key for event in members.chunk or []] == [bob]


def test_state_history_and_redaction(hs: HomeserverClient) -> None:
    alice = _puppet(hs)
    as_alice = hs.as_user(alice)
    room_id = _room(hs, preset="public_chat", topic="before")
    as_alice.join_room_by_id(room_id)
    first = as_alice.send_message(
        room_id, "m.room.message", _unique("t"), {"msgtype": "m.text", "body": "one"}
    )
    second = as_alice.send_message(
        room_id, "m.room.message", _unique("t"), {"msgtype": "m.text", "body": "two"}
    )

    state = hs.get_room_state(room_id)
    assert {event.type for event in state} >= {"m.room.create", "m.room.member", "m.room.topic"}
    assert hs.get_room_state_with_key(room_id, "m.room.topic", "")["topic"] == "before"
    member = hs.get_room_state_with_key(room_id, "m.room.member", alice)
    assert member["membership"] == "join"  # the user ID went as one segment
    with pytest.raises(NotFoundError):
        hs.get_room_state_with_key(room_id, "m.room.name", "")
    joined = hs.get_joined_members_by_room(room_id).joined or {}
    assert set(joined) == {BOT, alice}
    members = hs.get_members_by_room(room_id, not_membership="leave")
    assert {event.state_key for event in members.chunk or []} == {BOT, alice}

    page = as_alice.get_room_events(room_id, "b", limit=2)
    assert [event.event_id for event in page.chunk] == [second.event_id, first.event_id]
    assert page.end
    older = as_alice.get_room_events(room_id, "b", from_=page.end, limit=50)
    assert any(event.type == "m.room.create" for event in older.chunk)
    one = hs.get_one_room_event(room_id, second.event_id)
    assert (one.sender, one.content) == (alice, {"msgtype": "m.text", "body": "two"})
    with pytest.raises(NotFoundError):
        hs.get_one_room_event(room_id, "$nothing-here")
    context = as_alice.get_event_context(room_id, first.event_id, limit=2)
    assert context.event is not None and context.event.event_id == first.event_id
    assert [event.event_id for event in context.events_after or []] == [second.event_id]

    redaction = as_alice.redact_event(
        room_id, first.event_id, _unique("r"), reason="deleted on IRC"
    )
    assert redaction.event_id
    context = hs.get_event_context(room_id, first.event_id)
    assert context.event is not None and context.event.content == {}


def test_aliases(hs: HomeserverClient) -> None:
    room_id = _room(hs)
    alias = f"#{_unique('ev_alias')}:localhost"
    hs.set_room_alias(alias, room_id)
    target = hs.get_room_id_by_alias(alias)
    assert target.room_id == room_id and "localhost" in (target.servers or [])
    assert alias in hs.get_local_aliases(room_id).aliases
    hs.delete_room_alias(alias)
    with pytest.raises(NotFoundError):
        hs.get_room_id_by_alias(alias)


def test_profile_with_a_slash_in_the_user_id(hs: HomeserverClient) -> None:
    slashed = _puppet(hs, "ev_a/")
    assert "/" in slashed
    puppet = hs.as_user(slashed)
    puppet.set_display_name(slashed, displayname="alice (IRC)")
    uploaded = puppet.upload_content(_png(), content_type="image/png", filename="alice.png")
    puppet.set_avatar_url(slashed, avatar_url=uploaded.content_uri)
    assert hs.get_display_name(slashed).displayname == "alice (IRC)"
    assert hs.get_avatar_url(slashed).avatar_url == uploaded.content_uri
    profile = hs.get_user_profile(slashed)
    assert (profile.displayname, profile.avatar_url) == ("alice (IRC)", uploaded.content_uri)
    with pytest.raises(ForbiddenError):  # the bot may not rename its puppet without asserting it
        hs.set_display_name(slashed, displayname="stolen")


def test_typing_receipts_markers_and_presence(hs: HomeserverClient) -> None:
    alice = _puppet(hs)
    as_alice = hs.as_user(alice)
    room_id = _room(hs, preset="public_chat")
    as_alice.join_room_by_id(room_id)
    sent = hs.send_message(
        room_id, "m.room.message", _unique("t"), {"msgtype": "m.text", "body": "hi"}
    )
    as_alice.set_typing(room_id, alice, True, timeout=10_000)
    as_alice.set_typing(room_id, alice, False)
    as_alice.post_receipt(room_id, "m.read", sent.event_id)
    as_alice.post_receipt(room_id, "m.read.private", sent.event_id, thread_id="main")
    as_alice.set_read_marker(room_id, m_fully_read=sent.event_id, m_read=sent.event_id)
    assert as_alice.get_account_data_per_room(alice, room_id, "m.fully_read") == {
        "event_id": sent.event_id
    }
    as_alice.set_presence(alice, "online", status_msg="on IRC")
    presence = as_alice.get_presence(alice)
    assert presence.presence in ("online", "offline", "unavailable")


def test_account_data(hs: HomeserverClient) -> None:
    alice = _puppet(hs)
    as_alice = hs.as_user(alice)
    room_id = _room(hs)
    as_alice.set_account_data(alice, "org.example.bridge", {"nick": "alice"})
    assert as_alice.get_account_data(alice, "org.example.bridge") == {"nick": "alice"}
    as_alice.set_account_data_per_room(alice, room_id, "org.example.bridge", {"seen": 3})
    assert as_alice.get_account_data_per_room(alice, room_id, "org.example.bridge") == {"seen": 3}
    with pytest.raises(NotFoundError):
        as_alice.get_account_data(alice, "org.example.missing")
    with pytest.raises(ForbiddenError):
        hs.set_account_data(alice, "org.example.bridge", {"nick": "not the bot's"})


def test_to_device_and_keys(hs: HomeserverClient, world: tuple[str, RecordingAppservice]) -> None:
    alice = _puppet(hs)
    login = hs.login(identifier={"type": "m.id.user", "user": alice})
    assert login.device_id and login.access_token
    with HomeserverClient(
        world[0], login.access_token, validate=True, transport=SpyingTransport()
    ) as device:
        counts = device.upload_keys(
            device_keys={
                "user_id": alice, "device_id": login.device_id,
                "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                "keys": {f"curve25519:{login.device_id}": "Y3VydmUyNTUxOWtleQ",
                         f"ed25519:{login.device_id}": "ZWQyNTUxOWtleQ"},
                "signatures": {alice: {f"ed25519:{login.device_id}": "c2lnbmF0dXJl"}},
            },
            one_time_keys={
                "signed_curve25519:AAAAAQ": {
                    "key": "b25ldGltZWtleQ",
                    "signatures": {alice: {f"ed25519:{login.device_id}": "c2ln"}},
                }
            },
        )  # fmt: skip
        assert counts.one_time_key_counts.get("signed_curve25519") == 1
    found = hs.query_keys({alice: []})
    assert login.device_id in (found.device_keys or {}).get(alice, {})
    claimed = hs.claim_keys({alice: {login.device_id: "signed_curve25519"}})
    assert "signed_curve25519:AAAAAQ" in claimed.one_time_keys[alice][login.device_id].root
    hs.send_to_device(
        "org.example.hello", _unique("td"), {alice: {login.device_id: {"hello": "world"}}}
    )


def test_media_upload_and_download(hs: HomeserverClient) -> None:
    image = _png()
    config = hs.get_config_authed()
    assert config.m_upload_size is None or config.m_upload_size > len(image)
    assert isinstance(hs.get_config(), models.MediaConfig)
    alice = _puppet(hs)
    as_alice = hs.as_user(alice)
    whole = as_alice.upload_content(image, content_type="image/png", filename="cat.png")
    streamed = as_alice.upload_content(
        Upload.from_file(io.BytesIO(image), chunk_size=100), content_type="image/png"
    )
    for uri, name in ((whole.content_uri, "cat.png"), (streamed.content_uri, None)):
        server, media_id = uri.removeprefix("mxc://").split("/")
        media = as_alice.get_content_authed(server, media_id)
        assert isinstance(media, Media) and media.content == image
        assert media.content_type == "image/png" and media.filename == name
    server, media_id = whole.content_uri.removeprefix("mxc://").split("/")
    with pytest.raises(MediaTooLargeError):
        hs.with_answer_limit(len(image) - 1).get_content_authed(server, media_id)
    thumbnail = hs.get_content_thumbnail_authed(server, media_id, 32, 32, method="crop")
    assert thumbnail.content_type in ("image/png", "image/jpeg") and thumbnail.content
    # Media uploaded after Synapse froze unauthenticated access is not served there (v1.11).
    with pytest.raises(NotFoundError):
        hs.get_content(server, media_id)
    with pytest.raises(NotFoundError):
        hs.get_content_thumbnail(server, media_id, 32, 32)

    created = as_alice.create_content()
    assert created.content_uri.startswith("mxc://localhost/")
    server, media_id = created.content_uri.removeprefix("mxc://").split("/")
    as_alice.upload_content_to_mxc(server, media_id, b"later", content_type="text/plain")
    assert as_alice.get_content_authed(server, media_id).content == b"later"


def test_the_async_client_makes_the_same_calls(world: tuple[str, RecordingAppservice]) -> None:
    async def scenario() -> None:
        async with (
            spying_session() as session,
            AsyncHomeserverClient(world[0], AS_TOKEN, validate=True, session=session) as hs,
        ):
            alice = (await hs.register(username=_unique("ev_"), inhibit_login=True)).user_id
            room_id = (await hs.create_room(preset="public_chat")).room_id
            as_alice = hs.as_user(alice)
            await as_alice.join_room_by_id(room_id)

            async def pieces() -> Any:
                yield b"async "
                yield b"file"

            uploaded = await as_alice.upload_content(
                Upload(pieces(), 10), content_type="text/plain"
            )
            server, media_id = uploaded.content_uri.removeprefix("mxc://").split("/")
            assert (await as_alice.get_content_authed(server, media_id)).content == b"async file"
            assert alice in ((await hs.get_joined_members_by_room(room_id)).joined or {})

    asyncio.run(scenario())


def test_every_everyday_operation_was_called(request: pytest.FixtureRequest) -> None:
    """Runs last: the tests above called each everyday operation at least once."""
    assert EVERYDAY <= {op.name for op in OPERATIONS.values()}
    ours = [n for n in globals() if n.startswith("test_")]
    ran = [item for item in request.session.items if item.module is sys.modules[__name__]]
    if len(ran) < len(ours):
        pytest.skip("only part of the module was selected")
    missing = sorted(EVERYDAY - CALLED)
    assert not missing, f"not called: {missing}"
