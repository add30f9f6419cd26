"""HomeserverClient / AsyncHomeserverClient: appservice to homeserver, same tests for both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from matrix_appservice import models
from matrix_appservice.errors import (
    BadStatusError,
    LimitExceededError,
    MatrixError,
    RequestFailedError,
)

from tests.python.client.conftest import AS_TOKEN, Kit, Peer

SENT = {"event_id": "$new"}
KEY = {"user_id": "@_irc_bob:e", "usage": ["master"], "keys": {"ed25519:K": "K"}}
ROOMS = {"chunk": [{"room_id": "!r:e", "num_joined_members": 2, "world_readable": False,
                    "guest_can_join": False}]}  # fmt: skip
PROTOCOL = {"user_fields": ["nick"], "location_fields": ["channel"], "icon": "mxc://e/i",
            "field_types": {}, "instances": []}  # fmt: skip

# method, args, kwargs, HTTP method, path, query, JSON body, answer, result type
CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str, dict[str, str], Any, Any, Any]] = [
    ("register", (), {"username": "_irc_bob", "inhibit_login": True}, "POST",
     "/_matrix/client/v3/register", {},
     {"type": "m.login.application_service", "username": "_irc_bob", "inhibit_login": True},
     {"user_id": "@_irc_bob:e"}, models.RegisterResponse),
    ("login", (), {"identifier": {"type": "m.id.user", "user": "@_irc_bob:e"}, "device_id": "D1"},
     "POST",
     "/_matrix/client/v3/login", {},
     {"type": "m.login.application_service", "identifier": {"type": "m.id.user",
      "user": "@_irc_bob:e"}, "device_id": "D1"},
     {"user_id": "@_irc_bob:e", "access_token": "t", "device_id": "D1"}, models.LoginResponse),
    ("ping_appservice", ("irc bridge",), {"transaction_id": "x1"}, "POST",
     "/_matrix/client/v1/appservice/irc%20bridge/ping", {}, {"transaction_id": "x1"},
     {"duration_ms": 12}, models.PingAppserviceResponse),
    ("update_appservice_room_directory_visibility", ("irc", "!r:e", "public"), {}, "PUT",
     "/_matrix/client/v3/directory/list/appservice/irc/%21r%3Ae", {}, {"visibility": "public"},
     {}, models.AppserviceRoomDirectoryVisibilityResponse),
    ("get_protocols", (), {}, "GET", "/_matrix/client/v3/thirdparty/protocols", {}, None,
     {"irc": PROTOCOL}, models.ThirdPartyProtocols),
    ("get_protocol_metadata", ("irc",), {}, "GET", "/_matrix/client/v3/thirdparty/protocol/irc",
     {}, None, PROTOCOL, models.ClientProtocol),
    ("query_location_by_protocol", ("irc",), {"fields": {"channel": "#c"}}, "GET",
     "/_matrix/client/v3/thirdparty/location/irc", {"channel": "#c"}, None, [], list),
    ("query_user_by_protocol", ("irc",), {"fields": {"nick": "bob"}}, "GET",
     "/_matrix/client/v3/thirdparty/user/irc", {"nick": "bob"}, None, [], list),
    ("query_location_by_alias", ("#a:e",), {}, "GET", "/_matrix/client/v3/thirdparty/location",
     {"alias": "#a:e"}, None, [{"alias": "#a:e", "protocol": "irc", "fields": {}}], list),
    ("query_user_by_id", ("@bob:e",), {}, "GET", "/_matrix/client/v3/thirdparty/user",
     {"userid": "@bob:e"}, None, [], list),
    ("query_public_rooms", (), {"limit": 10, "third_party_instance_id": "irc-libera",
                                "server": "e"}, "POST",
     "/_matrix/client/v3/publicRooms", {"server": "e"},
     {"limit": 10, "third_party_instance_id": "irc-libera"}, ROOMS, models.PublicRoomsResponse),
    ("send_message", ("!r:e", "m.room.message", "t 1", {"msgtype": "m.text", "body": "hi"}),
     {"ts": 1700000000000}, "PUT", "/_matrix/client/v3/rooms/%21r%3Ae/send/m.room.message/t%201",
     {"ts": "1700000000000"}, {"msgtype": "m.text", "body": "hi"}, SENT, models.SendEventResponse),
    ("send_message", ("!r:e", "m.room.message", "t2", {"body": "no ts"}), {}, "PUT",
     "/_matrix/client/v3/rooms/%21r%3Ae/send/m.room.message/t2", {}, {"body": "no ts"}, SENT,
     models.SendEventResponse),
    ("set_room_state_with_key", ("!r:e", "m.room.topic", ""), {"content": {"topic": "t"},
                                                               "ts": 5}, "PUT",
     "/_matrix/client/v3/rooms/%21r%3Ae/state/m.room.topic/", {"ts": "5"}, {"topic": "t"},
     SENT, models.StateEventResponse),
    ("update_device", ("DEV1",), {"display_name": "Bridge"}, "PUT",
     "/_matrix/client/v3/devices/DEV1", {}, {"display_name": "Bridge"}, {},
     models.UpdateDeviceResponse),
    ("delete_device", ("DEV1",), {}, "DELETE", "/_matrix/client/v3/devices/DEV1", {}, {}, {},
     models.DeleteDeviceResponse),
    ("delete_devices", (["A", "B"],), {}, "POST", "/_matrix/client/v3/delete_devices", {},
     {"devices": ["A", "B"]}, {}, models.DeleteDevicesResponse),
    ("upload_cross_signing_keys", (), {"master_key": models.CrossSigningKey.model_validate(KEY)},
     "POST", "/_matrix/client/v3/keys/device_signing/upload", {}, {"master_key": KEY}, {},
     models.UploadCrossSigningKeysResponse),
]  # fmt: skip


@pytest.mark.parametrize("case", CALLS, ids=[c[0] + str(i) for i, c in enumerate(CALLS)])
def test_every_method_sends_its_request_and_reads_its_answer(kit: Kit, case: Any) -> None:
    name, args, kwargs, method, path, query, body, answer, result_type = case
    peer = Peer((200, answer))
    result = kit.run(kit.homeserver(peer), name, *args, **kwargs)
    seen = peer.last
    assert (seen.method, seen.path, seen.params) == (method, path, query)
    assert seen.json == body
    assert seen.headers["authorization"] == f"Bearer {AS_TOKEN}"
    assert isinstance(result, result_type)


def test_update_device_201_is_a_created_device(kit: Kit) -> None:
    peer = Peer((201, {}))
    result = kit.run(kit.homeserver(peer), "update_device", "NEW")
    assert isinstance(result, models.CreateDeviceResponse)


def test_ping_reports_duration_and_bad_status(kit: Kit) -> None:
    peer = Peer((200, {"duration_ms": 42}))
    assert kit.run(kit.homeserver(peer), "ping_appservice", "irc").duration_ms == 42
    failure = {"errcode": "M_BAD_STATUS", "error": "no", "status": 500, "body": "oops"}
    peer = Peer((502, failure))
    with pytest.raises(BadStatusError) as caught:
        kit.run(kit.homeserver(peer), "ping_appservice", "irc")
    assert (caught.value.upstream_status, caught.value.upstream_body) == (500, "oops")
    assert caught.value.status == 502 and caught.value.errcode == "M_BAD_STATUS"


@pytest.mark.parametrize(
    ("version", "device", "expected"),
    [
        ("r0.1.0", None, {"user_id": "@_irc_bob:e"}),
        ("v1.16", None, {"user_id": "@_irc_bob:e"}),
        ("v1.17", None, {"user_id": "@_irc_bob:e"}),
        ("v1.17", "DEV", {"user_id": "@_irc_bob:e", "device_id": "DEV"}),
        ("v1.19", "DEV", {"user_id": "@_irc_bob:e", "device_id": "DEV"}),
        ("unstable", "DEV", {"user_id": "@_irc_bob:e", "device_id": "DEV",
                             "org.matrix.msc3202.device_id": "DEV"}),
    ],
)  # fmt: skip
def test_identity_assertion_per_release(
    kit: Kit, version: str, device: str | None, expected: dict[str, str]
) -> None:
    peer = Peer((200, SENT))
    bob = kit.homeserver(peer, version=version).as_user("@_irc_bob:e", device)
    kit.run(bob, "send_message", "!r:e", "m.room.message", "t", {"body": "x"})
    assert peer.last.params == expected
    kit.run(bob, "request", "POST", "/_matrix/client/v3/createRoom", json={})
    assert peer.last.params == expected


def test_device_id_before_v1_17_is_refused(kit: Kit) -> None:
    client = kit.homeserver(Peer(), version="v1.16")
    with pytest.raises(ValueError, match="device_id"):
        client.as_user("@_irc_bob:e", "DEV")
    with pytest.raises(ValueError, match="user ID"):
        client.as_user("")


def test_no_identity_assertion_where_the_spec_has_none(kit: Kit) -> None:
    peer = Peer((200, {"user_id": "@_irc_bob:e"}), (200, SENT))
    bob = kit.homeserver(peer, version="v1.19").as_user("@_irc_bob:e", "DEV")
    kit.run(bob, "register", username="_irc_bob", inhibit_login=True)
    assert peer.last.params == {}
    kit.run(kit.homeserver(peer), "send_message", "!r:e", "m.room.message", "t", {})
    assert peer.last.params == {}  # the parent client asserts nobody


def test_as_user_shares_the_pool_and_leaves_it_open(kit: Kit) -> None:
    peer = Peer((200, SENT))
    client = kit.homeserver(peer)
    bob = client.as_user("@_irc_bob:e")
    pool = "_sender" if kit.is_async else "_http"
    assert getattr(bob, pool) is getattr(client, pool) and type(bob) is type(client)
    if kit.is_async:
        assert kit.loop is not None
        kit.loop.run_until_complete(bob.aclose())
    else:
        bob.close()
    kit.run(client, "send_message", "!r:e", "m.room.message", "t", {})  # still open
    assert "user_id" in repr(bob) and "user_id" not in repr(client)


@pytest.mark.parametrize("version", ["r0.1.0", "v1.3", "v1.11", "v1.19", "unstable"])
def test_as_token_in_the_header_by_default_query_on_request(kit: Kit, version: str) -> None:
    peer = Peer((200, {}))
    kit.run(kit.homeserver(peer, version=version), "get_protocols")
    assert peer.last.headers["authorization"] == f"Bearer {AS_TOKEN}"
    assert "access_token" not in peer.last.params
    if version == "unstable":
        return
    kit.run(kit.homeserver(peer, version=version, auth="query"), "get_protocols")
    assert peer.last.params == {"access_token": AS_TOKEN}
    assert "authorization" not in peer.last.headers


def test_cs_paths_follow_the_release(kit: Kit) -> None:
    peer = Peer((200, {"user_id": "@u:e"}))
    kit.run(kit.homeserver(peer, version="r0.1.2"), "register", username="u")
    assert peer.last.path == "/_matrix/client/r0/register"
    kit.run(kit.homeserver(peer, version="v1.1"), "register", username="u")
    assert peer.last.path == "/_matrix/client/v3/register"


def test_rate_limit_is_retried_after_retry_after_ms(kit: Kit) -> None:
    limited = (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 1500})
    peer = Peer(limited, (429, {"errcode": "M_LIMIT_EXCEEDED"}, {"Retry-After": "2"}),
                (200, SENT))  # fmt: skip
    result = kit.run(kit.homeserver(peer), "send_message", "!r:e", "m.room.message", "t", {})
    assert result.event_id == "$new"
    assert kit.sleeps == [1.5, 2.0]
    assert len({r.content for r in peer.requests}) == 1 and len(peer.requests) == 3


def test_rate_limit_retries_are_bounded(kit: Kit) -> None:
    limited = (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 100})
    peer = Peer(limited)
    with pytest.raises(LimitExceededError) as caught:
        kit.run(kit.homeserver(peer, rate_limit_retries=2), "get_protocols")
    assert caught.value.retry_after_ms == 100 and caught.value.status == 429
    assert len(peer.requests) == 3 and kit.sleeps == [0.1, 0.1]
    kit.sleeps.clear()
    peer = Peer((429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 31000}))
    with pytest.raises(LimitExceededError):  # asks for longer than max_retry_after (30 s)
        kit.run(kit.homeserver(peer), "get_protocols")
    assert len(peer.requests) == 1 and kit.sleeps == []
    peer = Peer(limited)
    with pytest.raises(LimitExceededError):
        kit.run(kit.homeserver(peer, rate_limit_retries=0), "get_protocols")
    assert len(peer.requests) == 1


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError])
def test_no_answer_raises_request_failed(kit: Kit, error: type[Exception]) -> None:
    peer = Peer(error)
    with pytest.raises(RequestFailedError) as caught:
        kit.run(kit.homeserver(peer), "get_protocols")
    assert caught.value.attempts == 1
    assert isinstance(caught.value.__cause__, error) or not kit.over_httpx


def test_generic_request(kit: Kit) -> None:
    peer = Peer((200, {"room_id": "!new:e"}), (200, b""), (403, {"errcode": "M_FORBIDDEN"}))
    client = kit.homeserver(peer).as_user("@_irc_bob:e")
    answer = kit.run(client, "request", "post", "/_matrix/client/v3/createRoom",
                     json={"preset": "private_chat"}, query={"x": 1, "skip": None})  # fmt: skip
    assert answer == {"room_id": "!new:e"}
    seen = peer.last
    assert (seen.method, seen.path, seen.json) == ("POST", "/_matrix/client/v3/createRoom",
                                                   {"preset": "private_chat"})  # fmt: skip
    assert seen.params == {"x": "1", "user_id": "@_irc_bob:e"}
    assert kit.run(client, "request", "POST", "/_matrix/client/v3/join/%21r%3Ae") is None
    with pytest.raises(MatrixError) as caught:
        kit.run(client, "request", "GET", "/_matrix/client/v3/profile/%40x%3Ae")
    assert caught.value.errcode == "M_FORBIDDEN"
    for bad in ("http://elsewhere.test/x", "//elsewhere.test/x", "_matrix/client/v3/x"):
        with pytest.raises(ValueError, match="path on the homeserver"):
            kit.run(client, "request", "GET", bad)
    assert len(peer.requests) == 3


def test_register_can_override_the_login_type(kit: Kit) -> None:
    peer = Peer((200, {"user_id": "@u:e"}))
    kit.run(kit.homeserver(peer), "register", username="u", type="m.login.dummy", kind="user")
    assert peer.last.json == {"type": "m.login.dummy", "username": "u"}
    assert peer.last.params == {"kind": "user"}


def test_register_without_the_appservice_type(kit: Kit) -> None:
    peer = Peer((401, {"flows": [{"stages": ["m.login.dummy"]}], "session": "s"}))
    with pytest.raises(MatrixError) as caught:
        kit.run(kit.homeserver(peer), "register", username="u", type=None)
    assert peer.last.json == {"username": "u"}
    assert caught.value.status == 401 and caught.value.errcode is None
    assert caught.value.body["session"] == "s"
