"""One error tree for clients and servers: what a client raises is what a server answers.

A bridge's handler calls its homeserver with the package's client; an error answer there
raises a class of :mod:`matrix_appservice.errors`, and when the handler lets it escape, the
appservice answers with the same status and errcode (it used to be a 500). The same holds
the other way round in the homeserver, and for errors a handler raises itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from matrix_appservice import errors
from matrix_appservice.client import AsyncHomeserverClient
from matrix_appservice.errors import (
    ERRCODE_CLASSES,
    ForbiddenError,
    LimitExceededError,
    MatrixError,
    NotFoundError,
)
from matrix_appservice.homeserver import HomeserverApp, HomeserverHandler, Requester
from matrix_appservice.models import PingAppserviceRequest
from matrix_appservice.server import AppServiceHandler, create_app

from tests.python.homeserver.support import loaded
from tests.python.homeserver.support import registration as hs_registration
from tests.python.server.support import AUTH, registration

UPSTREAM = [
    (403, {"errcode": "M_FORBIDDEN", "error": "not yours"}, ForbiddenError),
    (429, {"errcode": "M_LIMIT_EXCEEDED", "error": "slow", "retry_after_ms": 250}, LimitExceededError),
    (404, {}, NotFoundError),  # a 404 without an errcode (how mautrix answers)
    (418, {"errcode": "M_TEAPOT", "error": "short and stout"}, MatrixError),  # not in the spec
    (400, {"errcode": "M_USER_IN_USE", "error": "taken"}, errors.UserInUseError),
]  # fmt: skip


class Bridge(AppServiceHandler):
    """Answers a user query by asking its homeserver, as a bridge does; lets errors escape."""

    def __init__(self, homeserver: httpx.MockTransport) -> None:
        self.homeserver = homeserver
        self.raised: list[BaseException] = []

    async def query_user(self, user_id: str) -> Any:
        async with AsyncHomeserverClient(
            "http://hs", "as-secret-93be21", transport=self.homeserver, rate_limit_retries=0
        ) as client:
            try:
                await client.register(username=user_id[1:].split(":")[0], inhibit_login=True)
            except BaseException as exc:
                self.raised.append(exc)
                raise
        return {}


def _query(handler: AppServiceHandler) -> httpx.Response:
    async def go() -> httpx.Response:
        app = create_app(registration(), handler, store="memory")
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://as") as client:
                return await client.get("/_matrix/app/v1/users/@_echo_a:example.org", headers=AUTH)
        finally:
            await app.close()

    return asyncio.run(go())


@pytest.mark.parametrize(("status", "body", "cls"), UPSTREAM)
def test_a_client_error_escaping_an_appservice_handler_keeps_its_status_and_errcode(
    status: int, body: dict[str, Any], cls: type[MatrixError]
) -> None:
    bridge = Bridge(httpx.MockTransport(lambda _: httpx.Response(status, json=body)))
    answer = _query(bridge)
    [raised] = bridge.raised
    assert type(raised) is cls  # what the client raised...
    assert answer.status_code == status  # ...is what the appservice answered
    errcode = body.get("errcode", "M_NOT_FOUND")
    assert answer.json()["errcode"] == errcode
    assert answer.json()["error"] == body.get("error", "Not found")
    if cls is LimitExceededError:
        assert answer.json()["retry_after_ms"] == 250  # the rest of the body goes along


def test_a_client_that_cannot_reach_its_peer_is_still_a_500() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    bridge = Bridge(httpx.MockTransport(down))
    answer = _query(bridge)
    assert isinstance(bridge.raised[0], errors.RequestFailedError)
    assert (answer.status_code, answer.json()["errcode"]) == (500, "M_UNKNOWN")


class Homeserver(HomeserverHandler):
    def __init__(self, error: MatrixError) -> None:
        self.error = error

    async def ping_appservice(
        self, requester: Requester, appservice_id: str, body: PingAppserviceRequest
    ) -> Any:
        raise self.error


def _ping(error: MatrixError) -> httpx.Response:
    models = [r.model for r in loaded(hs_registration())]
    app = HomeserverApp(models, Homeserver(error), server_name="localhost")

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hs") as client:
            return await client.post(
                "/_matrix/client/v1/appservice/irc/ping",
                json={},
                headers={"Authorization": "Bearer as-secret-4c1d9e"},
            )

    return asyncio.run(go())


@pytest.mark.parametrize("errcode", sorted(ERRCODE_CLASSES))
def test_every_errcode_class_is_answered_with_its_status_and_errcode(errcode: str) -> None:
    cls = ERRCODE_CLASSES[errcode]
    answer = _ping(cls())
    assert (answer.status_code, answer.json()["errcode"]) == (cls.STATUS, errcode)
    assert answer.json()["error"]  # the errcode in words when the error says nothing


def test_an_error_raised_by_hand_is_answered_as_given() -> None:
    error = errors.BadStatusError("it answered 500", body={"status": 500, "body": "oops"})
    answer = _ping(error)
    assert answer.status_code == 502
    assert orjson.loads(answer.content) == {
        "errcode": "M_BAD_STATUS",
        "error": "it answered 500",
        "status": 500,
        "body": "oops",
    }
    answer = _ping(MatrixError("short and stout", status=418, errcode="M_TEAPOT"))
    assert (answer.status_code, answer.json()["errcode"]) == (418, "M_TEAPOT")
    answer = _ping(NotFoundError("gone", status=410))
    assert (answer.status_code, answer.json()["errcode"]) == (410, "M_NOT_FOUND")


def test_a_matrix_error_needs_a_status_and_an_errcode() -> None:
    with pytest.raises(TypeError, match="needs a status and an errcode"):
        MatrixError("what?")
    with pytest.raises(ValueError, match="HTTP status"):
        NotFoundError(status=42)
    error = NotFoundError()
    assert (error.status, error.errcode, error.error, str(error)) == (
        404,
        "M_NOT_FOUND",
        None,
        "404 M_NOT_FOUND",
    )
