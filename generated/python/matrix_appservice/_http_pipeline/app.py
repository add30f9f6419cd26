"""The request pipeline of both servers, as an ASGI application to subclass.

A request goes through these steps, each of which may answer on its own:

0. the ``Host`` header: an HTTP/1.1 request without one or any request with two is answered
   400 ``M_UNKNOWN`` (the HTTP server lets them through);
1. routing on the raw path (:class:`~matrix_appservice._http_pipeline.routing.Router`):
   404 ``M_UNRECOGNIZED`` for an unknown path, 405 ``M_UNRECOGNIZED`` with ``Allow`` for a
   known path and another method;
2. the query string, read within bounds (400 ``M_INVALID_PARAM``);
3. authentication, the app's part (:meth:`JsonApp.authenticate`), on the token found by the
   one rule of :mod:`~matrix_appservice._http_pipeline.tokens`;
4. the path parameters, decoded (400 ``M_INVALID_PARAM`` for one that is not UTF-8);
5. the body, for routes that read one: more than ``max_body_bytes`` is 413 ``M_TOO_LARGE``
   (from ``Content-Length``, or as soon as the chunks read pass it), malformed JSON 400
   ``M_NOT_JSON``, JSON that breaks the release's schema 400 ``M_BAD_JSON``;
6. the app's answer (:meth:`JsonApp.respond`); a handler's answer is checked against the
   operation's response schema (:meth:`JsonApp.checked`), and one that does not fit is
   logged and answered 500 ``M_UNKNOWN``.

Any :class:`~matrix_appservice.errors.MatrixError` raised on the way is answered with its
status and errcode, a client's error escaping a handler included; any other exception is
logged and answered 500 ``M_UNKNOWN``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from matrix_appservice._http_pipeline.answers import InvalidAnswer, error_answer, error_body
from matrix_appservice._http_pipeline.asgi import (
    Disconnected,
    Receive,
    Scope,
    Send,
    host_problem,
    raw_path,
    read_body,
    request_headers,
    send_json,
)
from matrix_appservice._http_pipeline.request import HandlerRequest, parse_body, query_pairs
from matrix_appservice._http_pipeline.routing import MethodNotAllowed, Router
from matrix_appservice._validator import Validator, parse_json
from matrix_appservice.errors import MatrixError, UnknownError

__all__ = ["Answer", "Head", "JsonApp", "Query", "Route"]

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
"""Status, extra headers and the JSON body of an answer."""
Query = list[tuple[str, str]]
"""The query parameters of a request in order, without ``access_token``."""


class Head(NamedTuple):
    """What authentication reads of a request: the ``Authorization`` header (raw), the raw
    query string, and the query parameters (without ``access_token``)."""

    authorization: bytes | None
    query_string: bytes
    query: Query


@dataclass(frozen=True)
class Route:
    """What the pipeline needs of a route; each app adds its own fields."""

    name: str
    """The operationId (or ``METHOD path`` for a route outside the spec), for logs."""
    query_token: bool
    """Whether the ``access_token`` query parameter authenticates on its own."""
    reads_body: bool
    body_required: bool = False
    validator: Validator | None = None
    """The release's schema of the request body (``None``: not checked)."""
    answer: Validator | None = None
    """The release's schema of the 200 answer (``None``: not checked)."""
    null_means_absent: tuple[str, ...] = ()
    """Body keys whose ``null`` is read as absent (a tolerated homeserver quirk)."""


R = TypeVar("R", bound=Route)
W = TypeVar("W")


class JsonApp(Generic[R, W]):
    """An ASGI application of JSON operations: the steps above, lifespan and access log.

    Subclasses give :meth:`authenticate` (who calls, ``W``) and :meth:`respond` (the answer
    of one request), and :meth:`startup` and :meth:`close` for the lifespan.
    """

    def __init__(
        self,
        router: Router[R],
        *,
        version: str,
        max_body_bytes: int,
        logger: logging.Logger,
        party: str,
        access_log: bool = False,
    ) -> None:
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        self.router = router
        self.version = version
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log
        self._log = logger
        self._party = party
        self._failed = error_body("M_UNKNOWN", f"The {party} failed to handle the request")

    # -- what a subclass gives ------------------------------------------------------------------

    async def authenticate(self, route: R, head: Head) -> W:
        """Who makes the request; raises the error that answers a missing or wrong token."""
        raise NotImplementedError

    async def respond(
        self, route: R, caller: W, params: dict[str, str], query: Query, body: Any
    ) -> bytes:
        """The JSON body of the 200 answer to a request with these path parameters (decoded),
        query parameters and body (parsed and checked; ``None`` for a route without one)."""
        raise NotImplementedError

    def request(self, params: dict[str, str], query: Query, body: Any) -> HandlerRequest:
        """What a handler is given of a request."""
        return HandlerRequest(params, query, body, self.version)

    async def startup(self) -> None:
        """Before the first request (the lifespan's startup)."""

    async def close(self) -> None:
        """After the last answer (the lifespan's shutdown)."""

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    self._log.exception("start-up failed", extra={"event": "startup_failed"})
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization, length, hosts = request_headers(scope)
        wrong_host = host_problem(scope, hosts)
        if wrong_host is not None:
            await send_json(send, 400, error_body("M_UNKNOWN", wrong_host), [])
            return
        limit = self.max_body_bytes

        def body() -> Awaitable[bytes]:
            return read_body(receive, length, limit)

        try:
            status, headers, answer = await self.answer(
                scope["method"],
                raw_path(scope),
                scope.get("query_string", b""),
                authorization,
                body,
            )
        except Disconnected:
            return
        await send_json(send, status, answer, headers)

    # -- the pipeline -------------------------------------------------------------------------

    async def answer(
        self,
        method: str,
        path: bytes,
        query_string: bytes,
        authorization: bytes | None,
        body: bytes | Callable[[], Awaitable[bytes]],
    ) -> Answer:
        """The answer to one request, whatever server carries it: status, extra headers
        and the JSON body.

        ``path`` is the raw path (still percent-encoded, without the query string);
        ``body`` is the whole body, or a coroutine function that reads it (called only
        once the request is routed and authenticated; it may raise :class:`MatrixError`,
        413 for one, or ``Disconnected``, which is let through). Every other failure is
        an error answer, never an exception.
        """
        started = time.perf_counter() if self.access_log else 0.0
        headers: list[tuple[bytes, bytes]] = []
        try:
            found = self.router.find(method, path)
            route = found.route
            query = query_pairs(query_string)
            caller = await self.authenticate(route, Head(authorization, query_string, query))
            params = found.params()
            data = None
            if route.reads_body:
                raw = body if isinstance(body, bytes) else await body()
                data = parse_body(
                    raw,
                    route.validator,
                    required=route.body_required,
                    null_means_absent=route.null_means_absent,
                )
            status, answer = 200, await self.respond(route, caller, params, query, data)
        except MatrixError as exc:
            if isinstance(exc, MethodNotAllowed):
                headers.append((b"allow", exc.allow))
            status, answer = error_answer(exc)
        except Disconnected:
            raise
        except Exception:
            self._log.exception("request failed", extra={"event": "request_failed"})
            status, answer = 500, self._failed
        if self.access_log:
            self.log_request(method, path, status, started)
        return status, headers, answer

    async def checked(self, route: R, answering: Awaitable[bytes]) -> bytes:
        """A handler's answer, checked against the route's answer schema; one that does not
        fit is logged and answered 500 ``M_UNKNOWN``."""
        try:
            answer = await answering
            if route.answer is not None:
                problem = route.answer.first_issue(parse_json(answer))
                if problem is not None:
                    raise InvalidAnswer(str(problem))
        except InvalidAnswer as exc:
            self._log.error(
                "the handler's answer to %s does not fit the spec: %s",
                route.name,
                exc,
                extra={"event": "invalid_answer", "operation": route.name},
            )
            raise UnknownError(
                f"The {self._party} produced an invalid answer", status=500
            ) from None
        return answer

    def log_request(self, method: str, path: bytes, status: int, started: float) -> None:
        """One access-log line: method, path without query string, status, duration."""
        shown = path.decode("latin-1")
        self._log.info(
            "%s %s %d",
            method,
            shown,
            status,
            extra={
                "event": "request",
                "method": method,
                "path": shown,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 3),
            },
        )
