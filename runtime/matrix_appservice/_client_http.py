"""The I/O of the HTTP clients: run a plan of ``_client_plans`` over httpx, sync or async.

The two runners differ only in ``await``: they send what the plan asks for, sleep when it asks
for it, and hand back what happened. Everything else (the request, the answer, the retries)
is decided in ``_client_core`` and ``_client_plans``. The base classes hold what a client is
made of.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, Literal, Protocol, Self, get_args

import httpx

from matrix_appservice._client_core import (
    MSC3202_DEVICE_ID,
    Answer,
    AuthMode,
    Backoff,
    Call,
    Failure,
    Outcome,
    Outgoing,
    Plan,
    R,
    Settings,
    Sleep,
    build_call,
    build_generic_call,
    identity_params,
    target,
)
from matrix_appservice._client_deadlines import ClientDeadlines
from matrix_appservice._client_plans import LegacyRoutes, appservice_plan, homeserver_plan
from matrix_appservice._client_retry import DEFAULT_CLIENT_RETRY
from matrix_appservice._client_secrets import RedactTokens, scrub
from matrix_appservice._credentials import require_plain_url, require_token
from matrix_appservice._http_limits import DeadlineTransport, aread_bounded, deadline, read_bounded
from matrix_appservice._releases import resolve_release
from matrix_appservice.operations import Operation

__all__ = [
    "AppServiceBase",
    "AsyncTransportBase",
    "Backend",
    "HomeserverBase",
    "SyncTransportBase",
    "appservice_settings",
    "homeserver_settings",
]

_REDACT = RedactTokens()
# httpx logs every request URL at INFO, query string included; with query authentication
# that holds the token. The filter removes it from those records (and from httpcore's).
logging.getLogger("httpx").addFilter(_REDACT)
logging.getLogger("httpcore").addFilter(_REDACT)

HomeserverAuthMode = Literal["auto", "header", "query"]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and math.isfinite(value) and value > 0
    ):
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _mode(auth: str, allowed: tuple[str, ...]) -> Any:
    if auth not in allowed:
        raise ValueError(f"auth must be one of {', '.join(allowed)}, not {auth!r}")
    return auth


def _count(name: str, value: int, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ValueError(f"{name} must be an integer of at least {least}, not {value!r}")
    return value


def appservice_settings(
    hs_token: str, *, version: str | None, auth: AuthMode, validate: bool,
    retry: Backoff | None, query_attempts: int, clock: Callable[[], float],
    max_answer_bytes: int,
) -> Settings:  # fmt: skip
    """The settings of a client that calls an appservice, checked."""
    return Settings(
        token=require_token("hs_token", hs_token),
        version=resolve_release(version),
        auth=_mode(auth, get_args(AuthMode)),
        validate=validate,
        clock=clock,
        retry=retry if retry is not None else DEFAULT_CLIENT_RETRY,
        query_attempts=_count("query_attempts", query_attempts, 1),
        max_answer_bytes=_count("max_answer_bytes", max_answer_bytes, 1),
    )


def homeserver_settings(
    as_token: str, *, version: str | None, auth: HomeserverAuthMode, validate: bool,
    rate_limit_retries: int, max_retry_after: float, clock: Callable[[], float],
    max_answer_bytes: int,
) -> Settings:  # fmt: skip
    """The settings of a client that calls a homeserver, checked."""
    if not (math.isfinite(max_retry_after) and max_retry_after >= 0):
        raise ValueError(
            f"max_retry_after must be a number of seconds >= 0, not {max_retry_after!r}"
        )
    return Settings(
        token=require_token("as_token", as_token),
        version=resolve_release(version),
        auth=_mode(auth, get_args(HomeserverAuthMode)),
        validate=validate,
        clock=clock,
        rate_limit_retries=_count("rate_limit_retries", rate_limit_retries, 0),
        max_retry_after=float(max_retry_after),
        max_answer_bytes=_count("max_answer_bytes", max_answer_bytes, 1),
    )


def _clean_error(exc: httpx.TransportError, settings: Settings) -> BaseException:
    """A copy of a transport error without its request (whose URL may hold the token)."""
    message = settings.clean(str(exc))
    try:
        return type(exc)(message)
    except Exception:  # an exception class with another signature: keep the text only
        return httpx.TransportError(message)


def _failure(exc: httpx.TransportError, settings: Settings) -> Failure:
    if isinstance(exc, httpx.TimeoutException):
        kind: Literal["timeout", "connect", "other"] = "timeout"
    else:
        kind = "connect" if isinstance(exc, httpx.ConnectError) else "other"
    return Failure(kind, _clean_error(exc, settings))


class _ClientBase:
    """What a client is made of, apart from its transport and its plan."""

    _settings: Settings
    _base_url: str
    _owns_pool: bool

    def _plan(self, call: Call[Any]) -> Plan:
        raise NotImplementedError

    @property
    def version(self) -> str:
        """The release this client speaks."""
        return self._settings.version

    def _call(
        self, operation: Operation[Any, R], *, path: Mapping[str, str], query: Mapping[str, Any],
        body: Any = None, fields: Mapping[str, Any] | None = None, raw: Any = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> Call[R]:  # fmt: skip
        return build_call(self._settings, operation, path, query, body, fields, raw, headers)

    def __repr__(self) -> str:
        s = self._settings
        who = f", user_id={s.user_id!r}" if s.user_id is not None else ""
        who += f", device_id={s.device_id!r}" if s.device_id is not None else ""
        url = scrub(self._base_url, (s.token,))
        return f"{type(self).__name__}({url!r}, version={s.version!r}, auth={s.auth!r}{who})"


class AppServiceBase(_ClientBase):
    """A client that calls an appservice, as a homeserver does."""

    _routes: LegacyRoutes

    def _plan(self, call: Call[Any]) -> Plan:
        return appservice_plan(call, self._settings, self._routes)


class HomeserverBase(_ClientBase):
    """A client that calls a homeserver with the appservice's ``as_token``."""

    def _plan(self, call: Call[Any]) -> Plan:
        return homeserver_plan(call, self._settings)

    def as_user(self, user_id: str, device_id: str | None = None) -> Self:
        """A client that acts as ``user_id`` (and its device ``device_id``) by identity
        assertion. It shares this client's connections; closing it does not close them."""
        if not isinstance(user_id, str) or not user_id:
            raise ValueError("as_user() needs a user ID such as @bot:example.org")
        names = identity_params(None, self._settings.version)
        if device_id is not None and not {"device_id", MSC3202_DEVICE_ID} & set(names):
            raise ValueError(
                f"{self._settings.version} has no device_id for identity assertion "
                "(it exists from v1.17, and in unstable as org.matrix.msc3202.device_id)"
            )
        view = copy.copy(self)
        view._settings = replace(self._settings, user_id=user_id, device_id=device_id)
        view._owns_pool = False
        return view

    def _generic(
        self, method: str, path: str, *, json: Any, path_params: Mapping[str, str] | None,
        query: Mapping[str, Any] | None,
    ) -> Call[Any]:  # fmt: skip
        return build_generic_call(
            self._settings, method, path, json=json, path_params=path_params, query=query
        )


def _answer(response: httpx.Response, body: tuple[bytes, bool]) -> Answer:
    return Answer(response.status_code, response.headers, *body)


class SyncTransportBase(_ClientBase):
    """Runs plans over one ``httpx.Client`` (a connection pool), sleeping with ``sleep``."""

    _http: httpx.Client
    _sleep: Callable[[float], None]

    def _setup(
        self, base_url: str, settings: Settings, *, timeout: float,
        transport: httpx.BaseTransport | None, sleep: Callable[[float], None],
    ) -> None:  # fmt: skip
        self._base_url = require_plain_url("base_url", base_url)
        self._settings, self._sleep = settings, sleep
        self._timeout = _positive("timeout", timeout)
        self._http = httpx.Client(
            base_url=base_url, timeout=self._timeout,
            transport=transport if transport is not None else DeadlineTransport(),
        )  # fmt: skip
        self._owns_pool = True

    def _send(self, step: Outgoing) -> Outcome:
        limit = self._settings.max_answer_bytes
        try:
            with deadline(self._timeout), self._http.stream(
                step.method, target(step), headers=step.headers, content=step.content,
            ) as response:  # fmt: skip
                body = read_bounded(response.iter_bytes(), limit)
        except httpx.TransportError as exc:
            return _failure(exc, self._settings)
        return _answer(response, body)

    def _run(self, call: Call[R]) -> R:
        plan = self._plan(call)
        try:
            step = next(plan)
            while True:
                if isinstance(step, Sleep):
                    self._sleep(step.seconds)
                    step = plan.send(None)
                else:
                    step = plan.send(self._send(step))
        except StopIteration as done:
            result: R = done.value
            return result

    def close(self) -> None:
        """Close the connections (a client made by ``as_user()`` leaves them to its parent)."""
        if self._owns_pool:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


Backend = Literal["httpx", "aiohttp"]


class _HttpxSender:
    """Sends the async clients' requests over one ``httpx.AsyncClient`` (a connection pool)."""

    def __init__(
        self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def send(self, step: Outgoing, settings: Settings) -> Outcome:
        try:
            async with self._http.stream(
                step.method, target(step), headers=step.headers, content=step.content,
            ) as response:  # fmt: skip
                body = await aread_bounded(response.aiter_bytes(), settings.max_answer_bytes)
        except httpx.TransportError as exc:
            return _failure(exc, settings)
        return _answer(response, body)

    async def aclose(self) -> None:
        await self._http.aclose()


class _AsyncSender(Protocol):
    async def send(self, step: Outgoing, settings: Settings) -> Outcome: ...

    async def aclose(self) -> None: ...


def _async_sender(
    base_url: str, timeout: float, *, backend: str | None,
    transport: httpx.AsyncBaseTransport | None, session: Any,
) -> _AsyncSender:  # fmt: skip
    """The sender of ``backend``; without one, aiohttp (the faster), or httpx when an
    httpx ``transport`` is given (an in-process app, ``httpx.MockTransport``)."""
    if backend is None:
        backend = "httpx" if transport is not None else "aiohttp"
    if backend == "httpx":
        if session is not None:
            raise ValueError("session= is an aiohttp.ClientSession, for backend='aiohttp'")
        return _HttpxSender(base_url, timeout, transport)
    if backend == "aiohttp":
        if transport is not None:
            raise ValueError("transport= is an httpx transport, for backend='httpx'")
        from matrix_appservice._client_aiohttp import AiohttpSender  # aiohttp only when used

        return AiohttpSender(base_url, session)
    raise ValueError(f"backend must be 'aiohttp' or 'httpx', not {backend!r}")


class AsyncTransportBase(_ClientBase):
    """Runs plans over one connection pool (aiohttp's, or httpx's with ``backend="httpx"``
    or an httpx ``transport``), sleeping with an async ``sleep``."""

    _sender: _AsyncSender
    _sleep: Callable[[float], Awaitable[None]]
    _deadlines: ClientDeadlines

    def _setup(
        self, base_url: str, settings: Settings, *, timeout: float,
        transport: httpx.AsyncBaseTransport | None, sleep: Callable[[float], Awaitable[None]],
        backend: Backend | None = None, session: Any = None,
    ) -> None:  # fmt: skip
        self._base_url = require_plain_url("base_url", base_url)
        self._settings, self._sleep = settings, sleep
        self._timeout = _positive("timeout", timeout)
        self._deadlines = ClientDeadlines(self._timeout)  # views share it
        self._sender = _async_sender(
            base_url, self._timeout, backend=backend, transport=transport, session=session
        )
        self._owns_pool = True

    async def _run(self, call: Call[R]) -> R:
        # Each exchange has the deadline of the whole exchange, not of one read (see
        # ``_client_deadlines``); written out here, not in a coroutine of its own: a call's
        # own cost is a few such layers.
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("the async clients send from within an asyncio task")
        deadlines, timeout = self._deadlines.on(task.get_loop()), self._timeout
        send, settings = self._sender.send, self._settings
        plan = self._plan(call)
        try:
            step = next(plan)
            while True:
                if isinstance(step, Sleep):
                    await self._sleep(step.seconds)
                    step = plan.send(None)
                    continue
                deadline = deadlines.start(task)
                try:
                    outcome = await send(step, settings)
                except asyncio.CancelledError:
                    if not deadline.is_ours():
                        raise  # cancelled from outside (too)
                    outcome = Failure(
                        "timeout", TimeoutError(f"no complete answer within {timeout:g} s")
                    )
                finally:
                    deadlines.finish(deadline)
                step = plan.send(outcome)
        except StopIteration as done:
            result: R = done.value
            return result

    async def aclose(self) -> None:
        """Close the connections (a client made by ``as_user()`` leaves them to its parent)."""
        if self._owns_pool:
            await self._sender.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
