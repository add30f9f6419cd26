"""AppServiceClient / AsyncAppServiceClient: homeserver to appservice, same tests for both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from matrix_appservice import models
from matrix_appservice.client import RetryPolicy
from matrix_appservice.errors import (
    MatrixError,
    NotFoundError,
    QueryTimeoutError,
    RequestFailedError,
    UnrecognizedError,
)

from tests.python.client.conftest import HS_TOKEN, Kit, Peer

EVENT = {
    "type": "m.room.message",
    "room_id": "!room:example.org",
    "sender": "@alice:example.org",
    "event_id": "$ev1",
    "origin_server_ts": 1700000000000,
    "content": {"msgtype": "m.text", "body": "hello"},
}

# method, args, kwargs, HTTP method, path, query, JSON body, answer, result type
CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str, dict[str, str], Any, Any, type]] = [
    ("send_transaction", ("txn 1", {"events": [EVENT]}), {}, "PUT",
     "/_matrix/app/v1/transactions/txn%201", {}, {"events": [EVENT]}, {}, models.TransactionResponse),
    ("ping", (), {"transaction_id": "p1"}, "POST", "/_matrix/app/v1/ping", {},
     {"transaction_id": "p1"}, {}, models.PingResponse),
    ("ping", (), {}, "POST", "/_matrix/app/v1/ping", {}, {}, {}, models.PingResponse),
    ("query_user", ("@_irc_bob:example.org",), {}, "GET",
     "/_matrix/app/v1/users/%40_irc_bob%3Aexample.org", {}, None, {}, models.QueryUserResponse),
    ("query_room_alias", ("#_irc_chan:example.org",), {}, "GET",
     "/_matrix/app/v1/rooms/%23_irc_chan%3Aexample.org", {}, None, {}, models.QueryRoomResponse),
    # A "/" in a user ID or an alias is percent-encoded too, as the path parameter says.
    ("query_user", ("@ghost/x:example.org",), {}, "GET",
     "/_matrix/app/v1/users/%40ghost%2Fx%3Aexample.org", {}, None, {}, models.QueryUserResponse),
    ("query_room_alias", ("#ghost/x:example.org",), {}, "GET",
     "/_matrix/app/v1/rooms/%23ghost%2Fx%3Aexample.org", {}, None, {}, models.QueryRoomResponse),
    ("get_protocol_metadata", ("irc",), {}, "GET", "/_matrix/app/v1/thirdparty/protocol/irc", {},
     None, {"user_fields": ["nick"], "location_fields": ["channel"], "icon": "mxc://e/i",
            "field_types": {}, "instances": []}, models.Protocol),
    ("query_location_by_protocol", ("irc",), {"fields": {"channel": "#chan"}}, "GET",
     "/_matrix/app/v1/thirdparty/location/irc", {"channel": "#chan"}, None,
     [{"alias": "#a:e", "protocol": "irc", "fields": {"channel": "#chan"}}], list),
    ("query_user_by_protocol", ("irc",), {"fields": {"nick": "bob"}}, "GET",
     "/_matrix/app/v1/thirdparty/user/irc", {"nick": "bob"}, None,
     [{"userid": "@bob:e", "protocol": "irc", "fields": {"nick": "bob"}}], list),
    ("query_location_by_alias", (), {"alias": "#a:e"}, "GET", "/_matrix/app/v1/thirdparty/location",
     {"alias": "#a:e"}, None, [], list),
    ("query_user_by_id", (), {"userid": "@bob:e"}, "GET", "/_matrix/app/v1/thirdparty/user",
     {"userid": "@bob:e"}, None, [], list),
]  # fmt: skip


@pytest.mark.parametrize("case", CALLS, ids=[c[0] + str(i) for i, c in enumerate(CALLS)])
def test_every_method_sends_its_request_and_reads_its_answer(kit: Kit, case: Any) -> None:
    name, args, kwargs, method, path, query, body, answer, result_type = case
    peer = Peer((200, answer))
    result = kit.run(kit.appservice(peer), name, *args, **kwargs)
    seen = peer.last
    assert (seen.method, seen.path, seen.params) == (method, path, query)
    assert seen.json == body
    assert isinstance(result, result_type)
    if result_type is list and answer:
        assert type(result[0]).__name__ in {"Location", "ThirdPartyUser"}
        assert result[0].protocol == "irc"


def test_a_model_body_is_sent_as_its_json(kit: Kit) -> None:
    peer = Peer((200, {}))
    transaction = models.Transaction.model_validate({"events": [EVENT]})
    kit.run(kit.appservice(peer), "send_transaction", "t1", transaction)
    assert peer.last.json == {"events": [EVENT]}


@pytest.mark.parametrize(
    ("version", "auth", "header", "query"),
    [
        ("r0.1.0", "auto", False, True),
        ("v1.3", "auto", False, True),
        ("v1.4", "auto", True, False),
        ("v1.19", "auto", True, False),
        ("unstable", "auto", True, False),
        ("v1.3", "both", True, True),
        ("v1.19", "both", True, True),
        ("v1.3", "header", True, False),
        ("v1.19", "query", False, True),
    ],
)
def test_hs_token_placement_per_release(
    kit: Kit, version: str, auth: str, header: bool, query: bool
) -> None:
    peer = Peer((200, {}))
    client = kit.appservice(peer, version=version, auth=auth)
    kit.run(client, "query_user", "@u:e")
    seen = peer.last
    assert (seen.headers.get("authorization") == f"Bearer {HS_TOKEN}") is header
    assert "authorization" in seen.headers or not header
    assert (seen.params.get("access_token") == HS_TOKEN) is query
    assert ("access_token" in seen.params) is query


def test_an_operation_missing_from_the_release_is_refused(kit: Kit) -> None:
    from matrix_appservice import NotInReleaseError

    peer = Peer((200, {}))
    with pytest.raises(NotInReleaseError, match=r"ping does not exist in v1\.6"):
        kit.run(kit.appservice(peer, version="v1.6"), "ping")
    assert peer.requests == []


UNRECOGNIZED = (404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})


@pytest.mark.parametrize(
    "unknown",
    [
        UNRECOGNIZED,
        (405, {"errcode": "M_UNRECOGNIZED"}),
        (404, b"<html>Not Found</html>"),
        (404, b"404 page not found"),
        (405, b"Method Not Allowed"),
        (404, b""),
    ],
)
def test_legacy_fallback_then_v1_again_after_the_interval(kit: Kit, unknown: Any) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/_matrix/app/v1/") and not state["v1"]:
            status, body = unknown
            if isinstance(body, bytes):
                return httpx.Response(status, content=body)
            return httpx.Response(status, json=body)
        return httpx.Response(200, json={})

    state = {"v1": False}
    peer = Peer(app)
    client = kit.appservice(peer, legacy_retry_interval=60)
    kit.run(client, "send_transaction", "t1", {"events": []})
    assert [r.path for r in peer.requests] == [
        "/_matrix/app/v1/transactions/t1",
        "/transactions/t1",
    ]
    assert peer.requests[0].content == peer.requests[1].content
    kit.clock.now += 59  # still inside the interval: straight to the legacy path
    kit.run(client, "send_transaction", "t2", {"events": []})
    assert peer.last.path == "/transactions/t2" and len(peer.requests) == 3
    kit.clock.now += 2  # interval over, and the appservice has learnt v1 meanwhile
    state["v1"] = True
    kit.run(client, "send_transaction", "t3", {"events": []})
    assert peer.last.path == "/_matrix/app/v1/transactions/t3" and len(peer.requests) == 4
    kit.clock.now += 1  # v1 answered, so the fallback is forgotten
    kit.run(client, "send_transaction", "t4", {"events": []})
    assert peer.last.path == "/_matrix/app/v1/transactions/t4"


def test_legacy_fallback_is_tried_again_while_v1_stays_unknown(kit: Kit) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if "/v1/" in request.url.path:
            return httpx.Response(UNRECOGNIZED[0], json=UNRECOGNIZED[1])
        return httpx.Response(200, json={})

    peer = Peer(app)
    client = kit.appservice(peer, legacy_retry_interval=10)
    kit.run(client, "query_room_alias", "#a:e")
    kit.clock.now += 11
    kit.run(client, "query_room_alias", "#a:e")
    kit.clock.now += 5  # the second fallback restarted the interval
    kit.run(client, "query_room_alias", "#a:e")
    assert [r.path for r in peer.requests] == [
        "/_matrix/app/v1/rooms/%23a%3Ae", "/rooms/%23a%3Ae",
        "/_matrix/app/v1/rooms/%23a%3Ae", "/rooms/%23a%3Ae",
        "/rooms/%23a%3Ae",
    ]  # fmt: skip


def test_not_found_is_an_answer_not_a_missing_route(kit: Kit) -> None:
    peer = Peer((404, {"errcode": "M_NOT_FOUND", "error": "no such user"}))
    with pytest.raises(NotFoundError) as caught:
        kit.run(kit.appservice(peer), "query_user", "@nobody:e")
    assert len(peer.requests) == 1 and caught.value.status == 404
    peer = Peer((405, {}))  # a 405 without M_UNRECOGNIZED is not a missing route either
    with pytest.raises(MatrixError):
        kit.run(kit.appservice(peer), "query_user", "@nobody:e")
    assert len(peer.requests) == 1


def test_a_json_404_without_errcode_is_not_found_and_keeps_the_v1_route(kit: Kit) -> None:
    # mautrix-python answers a query for an unknown user with 404 {}; an appservice that
    # only has v1 routes answers the legacy paths with a plain-text "not found" page.
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_matrix/app/v1/users/@found:e":
            return httpx.Response(200, json={})
        if request.url.path.startswith("/_matrix/app/v1/users/"):
            return httpx.Response(404, json={})
        return httpx.Response(404, text="404 page not found")

    peer = Peer(app)
    client = kit.appservice(peer)
    kit.run(client, "query_user", "@found:e")
    with pytest.raises(NotFoundError) as caught:
        kit.run(client, "query_user", "@missing:e")
    assert (caught.value.status, caught.value.errcode, caught.value.body) == (404, None, {})
    assert "/_matrix/app/v1/users/%40missing%3Ae" in str(caught.value)
    assert isinstance(kit.run(client, "query_user", "@found:e"), models.QueryUserResponse)
    assert [r.path for r in peer.requests] == [
        "/_matrix/app/v1/users/%40found%3Ae",
        "/_matrix/app/v1/users/%40missing%3Ae",
        "/_matrix/app/v1/users/%40found%3Ae",
    ]


def test_both_paths_unknown_raises_unrecognized(kit: Kit) -> None:
    peer = Peer(UNRECOGNIZED)
    with pytest.raises(UnrecognizedError) as caught:
        kit.run(kit.appservice(peer), "get_protocol_metadata", "irc")
    assert [r.path for r in peer.requests] == [
        "/_matrix/app/v1/thirdparty/protocol/irc",
        "/_matrix/app/unstable/thirdparty/protocol/irc",
    ]
    # The error names the path that answered last: the legacy one.
    assert "(GET /_matrix/app/unstable/thirdparty/protocol/irc)" in str(caught.value)


def test_a_legacy_route_that_is_unknown_too_is_not_remembered(kit: Kit) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/_matrix/app/v1/") and not state["v1"]:
            return httpx.Response(404, text="404 page not found")
        if request.url.path.startswith("/_matrix/app/v1/"):
            return httpx.Response(200, json={})
        return httpx.Response(405, json={"errcode": "M_UNRECOGNIZED"})

    state = {"v1": False}  # v1 is briefly missing (an upstream behind a proxy restarting)
    peer = Peer(app)
    client = kit.appservice(peer, legacy_retry_interval=300)
    with pytest.raises(UnrecognizedError) as caught:
        kit.run(client, "query_user", "@u:e")
    assert "(GET /users/%40u%3Ae)" in str(caught.value)
    state["v1"] = True
    kit.run(client, "query_user", "@u:e")  # straight back to v1, not to the legacy path
    assert [r.path for r in peer.requests] == [
        "/_matrix/app/v1/users/%40u%3Ae",
        "/users/%40u%3Ae",
        "/_matrix/app/v1/users/%40u%3Ae",
    ]


def test_a_remembered_legacy_route_that_goes_away_is_forgotten(kit: Kit) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/_matrix/app/v1/"):
            return httpx.Response(state["v1"][0], content=state["v1"][1])
        return httpx.Response(state["legacy"][0], content=state["legacy"][1])

    state = {"v1": (404, b"nope"), "legacy": (200, b"{}")}
    peer = Peer(app)
    client = kit.appservice(peer, legacy_retry_interval=300)
    kit.run(client, "query_user", "@u:e")  # v1 unknown, the legacy route answers: remembered
    state["legacy"] = (404, b"gone")
    with pytest.raises(MatrixError) as caught:
        kit.run(client, "query_user", "@u:e")
    assert "(GET /users/%40u%3Ae)" in str(caught.value)
    state["v1"] = (200, b"{}")
    kit.run(client, "query_user", "@u:e")
    assert [r.path for r in peer.requests] == [
        "/_matrix/app/v1/users/%40u%3Ae", "/users/%40u%3Ae",
        "/users/%40u%3Ae",
        "/_matrix/app/v1/users/%40u%3Ae",
    ]  # fmt: skip


def test_ping_has_no_legacy_path(kit: Kit) -> None:
    peer = Peer(UNRECOGNIZED)
    with pytest.raises(UnrecognizedError):
        kit.run(kit.appservice(peer), "ping")
    assert len(peer.requests) == 1


def test_transaction_retries_same_txn_id_and_bytes_with_backoff(kit: Kit) -> None:
    peer = Peer(httpx.ConnectError, httpx.ReadTimeout, (500, {}), (502, b"bad gateway"),
                httpx.RemoteProtocolError, (503, {}), (200, {}))  # fmt: skip
    client = kit.appservice(peer, retry=RetryPolicy(initial=0.5, factor=3, cap=5))
    transaction = {"events": [EVENT], "ephemeral": []}
    result = kit.run(client, "send_transaction", "txn-42", transaction)
    assert isinstance(result, models.TransactionResponse)
    assert len(peer.requests) == 7
    assert {r.path for r in peer.requests} == {"/_matrix/app/v1/transactions/txn-42"}
    assert len({r.content for r in peer.requests}) == 1
    assert peer.requests[0].json == transaction
    assert kit.sleeps == [0.5, 1.5, 4.5, 5, 5, 5]


def test_transaction_gives_up_when_the_policy_says_so(kit: Kit) -> None:
    peer = Peer(httpx.ConnectTimeout)
    client = kit.appservice(peer, retry=RetryPolicy(initial=1, cap=60, max_attempts=4))
    with pytest.raises(RequestFailedError) as caught:
        kit.run(client, "send_transaction", "t", {"events": []})
    assert not isinstance(caught.value, QueryTimeoutError)
    assert caught.value.attempts == 4 and len(peer.requests) == 4
    assert kit.sleeps == [1, 2, 4]
    assert isinstance(caught.value.__cause__, httpx.ConnectTimeout) or not kit.over_httpx
    peer = Peer((500, {"errcode": "M_UNKNOWN", "error": "boom"}))
    client = kit.appservice(peer, retry=RetryPolicy(initial=1, max_attempts=2))
    with pytest.raises(MatrixError) as answered:
        kit.run(client, "send_transaction", "t", {"events": []})
    assert answered.value.status == 500 and answered.value.errcode == "M_UNKNOWN"
    assert len(peer.requests) == 2


def test_a_4xx_transaction_answer_is_not_retried(kit: Kit) -> None:
    peer = Peer((403, {"errcode": "M_FORBIDDEN"}))
    with pytest.raises(MatrixError):
        kit.run(kit.appservice(peer), "send_transaction", "t", {"events": []})
    assert len(peer.requests) == 1 and kit.sleeps == []


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError])
def test_query_tries_a_bounded_number_of_times(kit: Kit, error: type[Exception]) -> None:
    peer = Peer(error)
    with pytest.raises(QueryTimeoutError) as caught:
        kit.run(kit.appservice(peer), "query_user", "@u:e")
    assert caught.value.attempts == 2 and len(peer.requests) == 2
    assert kit.sleeps == []
    peer = Peer(error)
    with pytest.raises(QueryTimeoutError):
        kit.run(kit.appservice(peer, query_attempts=3), "query_room_alias", "#a:e")
    assert len(peer.requests) == 3


def test_query_succeeds_on_a_later_try(kit: Kit) -> None:
    peer = Peer(httpx.ReadTimeout, (200, {}))
    assert isinstance(kit.run(kit.appservice(peer), "query_user", "@u:e"),
                      models.QueryUserResponse)  # fmt: skip
    assert len(peer.requests) == 2


def test_constructor_checks_its_arguments() -> None:
    from matrix_appservice.client import AppServiceClient

    with pytest.raises(ValueError, match="auth must be one of"):
        AppServiceClient("http://as.test", "t", auth="cookie")
    with pytest.raises(ValueError, match="query_attempts"):
        AppServiceClient("http://as.test", "t", query_attempts=0)
    with pytest.raises(ValueError, match="timeout"):
        AppServiceClient("http://as.test", "t", timeout=0)
    with pytest.raises(ValueError, match="unknown release"):
        AppServiceClient("http://as.test", "t", version="v9.9")
