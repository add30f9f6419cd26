"""No token in a log line, a repr or an exception text, whatever the peer or httpx does."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest
from matrix_appservice.client import RetryPolicy
from matrix_appservice.errors import ForbiddenError, RequestFailedError, ResponseValidationError

from tests.python.client.conftest import AS_TOKEN, HS_TOKEN, Kit, Peer


def _everything(error: BaseException) -> str:
    """The exception as any reader could see it: text, repr, traceback with its causes."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    cause = error.__cause__ or error.__context__
    while cause is not None:
        parts += [str(cause), repr(cause)]
        if isinstance(cause, httpx.RequestError):
            with pytest.raises(RuntimeError):  # the copy carries no request (nor its URL)
                parts.append(repr(cause.request))
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)


def test_query_token_stays_out_of_logs_reprs_and_errors(
    kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    peer = Peer((200, {}), (200, {}), httpx.ConnectError)  # the error text holds the URL
    client = kit.appservice(peer, version="v1.3", retry=RetryPolicy(initial=0, max_attempts=2))
    kit.run(client, "query_user", "@u:e")
    kit.run(client, "send_transaction", "t1", {"events": []})
    assert peer.requests[0].params["access_token"] == HS_TOKEN  # it was sent...
    with pytest.raises(RequestFailedError) as caught:
        kit.run(client, "send_transaction", "t2", {"events": []})
    text = _everything(caught.value)
    if kit.over_httpx:  # the transport's own texts (aiohttp's are tested in test_transports)
        assert "no answer from" in text and "access_token=<redacted>" in text
        assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # URLs logged
    seen = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for where in (seen, text, repr(client), str(peer.requests[0].headers.get("x", ""))):
        assert HS_TOKEN not in where  # ...and appears nowhere else


def test_bearer_token_stays_out_of_a_timeout(kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def leaky(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out; sent {request.headers['authorization']}",
                                request=request)  # fmt: skip

    client = kit.homeserver(Peer(leaky)).as_user("@_irc_bob:e")
    with pytest.raises(RequestFailedError) as caught:
        kit.run(client, "get_protocols")
    text = _everything(caught.value)
    assert "Bearer <redacted>" in text or not kit.over_httpx
    assert AS_TOKEN not in text + caplog.text + repr(client)


def test_a_peer_echoing_the_token_does_not_leak_it(kit: Kit) -> None:
    peer = Peer((403, {"errcode": "M_FORBIDDEN", "error": f"wrong token {HS_TOKEN}"}))
    with pytest.raises(ForbiddenError) as caught:
        kit.run(kit.appservice(peer), "query_user", "@u:e")
    assert HS_TOKEN not in _everything(caught.value)
    peer = Peer((200, {"duration_ms": AS_TOKEN}))
    with pytest.raises(ResponseValidationError) as invalid:
        kit.run(kit.homeserver(peer, validate=True), "ping_appservice", "irc")
    assert invalid.value.path == "$.duration_ms"
    assert AS_TOKEN not in _everything(invalid.value) + "".join(invalid.value.issues)


def test_query_auth_on_the_homeserver_side_is_scrubbed(
    kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    peer = Peer((200, {}), httpx.ConnectError)
    client = kit.homeserver(peer, version="v1.10", auth="query")
    kit.run(client, "get_protocols")
    assert peer.last.params["access_token"] == AS_TOKEN
    with pytest.raises(RequestFailedError) as caught:
        kit.run(client, "get_protocols")
    assert AS_TOKEN not in caplog.text + _everything(caught.value) + repr(client)
