"""The logic of the HTTP clients, without any I/O.

Everything the sync and the async clients share lives here once: building a request for a
release (path, authentication, identity assertion, query and body), reading an answer (status
to model, error to exception) and the retry, rate-limit and legacy-route state machines.

A state machine is a generator (a *plan*). It yields :class:`Outgoing` ("send this") or
:class:`Sleep` ("wait this long"); the transport does that and sends back an :class:`Answer`
or a :class:`Failure` (for ``Sleep``: ``None``). The plan's return value is the result of
the call; the exceptions it raises are the client's. The transports in ``_client_http`` do
nothing but the I/O.
"""

from __future__ import annotations

import functools
import logging
import operator
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import quote

import orjson
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from matrix_appservice import models
from matrix_appservice._client_errors import (
    QueryTimeoutError,
    RequestFailedError,
    RequestValidationError,
    ResponseValidationError,
    error_for,
)
from matrix_appservice._releases import UNSTABLE, release_index
from matrix_appservice._validator import _json_path, parse_json, validator_for
from matrix_appservice.operations import AUTH_SCHEMES, OPERATIONS, Operation

__all__ = [
    "Answer",
    "AuthMode",
    "Call",
    "Failure",
    "LegacyRoutes",
    "Outgoing",
    "Plan",
    "Settings",
    "Sleep",
    "appservice_plan",
    "auth_placement",
    "build_call",
    "build_generic_call",
    "homeserver_plan",
    "identity_params",
    "read_answer",
    "scrub",
]

log = logging.getLogger("matrix_appservice.client")

AuthMode = Literal["auto", "header", "query", "both"]

TRANSACTION_OPERATIONS = frozenset({"sendTransaction"})
"""Operations retried with the backoff policy; every other AS operation is a query."""

DEVICE_ID_SINCE = "v1.17"
"""The first release with the ``device_id`` query parameter of identity assertion."""
MSC3202_DEVICE_ID = "org.matrix.msc3202.device_id"
"""The unstable name of ``device_id`` (MSC3202), sent in the ``unstable`` release as well."""
DEFAULT_RATE_LIMIT_WAIT = 1.0
"""Seconds to wait on a 429 that says neither ``retry_after_ms`` nor ``Retry-After``."""

# ---------------------------------------------------------------------------------------------
# Secrets: never in a log line, a repr or an exception text.

_QUERY_TOKEN = re.compile(r"((?:access_token|as_token|hs_token)(?:=|%3D))[^&\s'\"#<>]+", re.I)
_BEARER = re.compile(r"(Bearer\s+)[^\s'\",<>]+", re.I)
REDACTED = "<redacted>"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without tokens: query parameters, bearer values and the known secrets."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
            encoded = quote(secret, safe="")
            if encoded != secret:
                text = text.replace(encoded, REDACTED)
    text = _QUERY_TOKEN.sub(r"\1" + REDACTED, text)
    return _BEARER.sub(r"\1" + REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter that removes tokens from records (httpx logs full request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


# ---------------------------------------------------------------------------------------------
# Settings of one client, and how a request is authenticated.


class Backoff(Protocol):
    """What the transaction retry needs of a policy (``RetryPolicy`` or a replacement)."""

    def delays(self) -> Iterator[float]: ...


@dataclass(frozen=True)
class Settings:
    """Everything a plan needs to know about the client that runs it."""

    token: str = field(repr=False)
    version: str
    auth: AuthMode
    validate: bool
    clock: Callable[[], float]
    retry: Backoff | None = None
    query_attempts: int = 2
    rate_limit_retries: int = 0
    max_retry_after: float = 0.0
    user_id: str | None = None
    device_id: str | None = None

    def clean(self, text: str) -> str:
        return scrub(text, (self.token,))


def _query_parameter() -> str:
    return next(s.parameter for s in AUTH_SCHEMES.values() if s.kind == "query" and s.parameter)


def auth_placement(
    operation: Operation | None, version: str, mode: AuthMode
) -> tuple[bool, str | None]:
    """Whether to send the bearer header, and the query parameter for the token (or None).

    ``auto`` follows the operation's security schemes in the release: the header when one of
    them is a bearer scheme, else the query parameter (the AS API before v1.4). ``header``,
    ``query`` and ``both`` force a placement.
    """
    schemes = operation.auth(version) if operation is not None else ()
    query_names = [s.parameter for s in schemes if s.kind == "query" and s.parameter]
    name = query_names[0] if query_names else _query_parameter()
    if mode == "header":
        return True, None
    if mode == "query":
        return False, name
    if mode == "both":
        return True, name
    if not schemes or any(s.kind == "bearer" for s in schemes):
        return True, None
    return False, name


def identity_params(operation: Operation | None, version: str) -> tuple[str, ...]:
    """The identity-assertion query parameters an operation takes in a release.

    Operations with a ``user_id`` query parameter take it (``None``: any Client-Server
    endpoint, for ``request()``); ``device_id`` from v1.17; the ``unstable`` release also
    takes MSC3202's ``org.matrix.msc3202.device_id``. This is the one place that decides.
    """
    if operation is not None and all(name != "user_id" for name, _ in operation.query_params):
        return ()
    names = ["user_id"]
    if release_index(version) >= release_index(DEVICE_ID_SINCE):
        names.append("device_id")
    if version == UNSTABLE:
        names.append(MSC3202_DEVICE_ID)
    return tuple(names)


# ---------------------------------------------------------------------------------------------
# Steps of a plan.


@dataclass(frozen=True)
class Outgoing:
    """Send this request. ``query`` and ``headers`` may hold the token: never logged."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    content: bytes | None = field(repr=False)


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds, then go on."""

    seconds: float


@dataclass(frozen=True)
class Answer:
    """The peer answered."""

    status: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class Failure:
    """The request got no answer. ``error`` is the transport's exception, tokens removed."""

    kind: Literal["timeout", "connect", "other"]
    error: BaseException


Step = Outgoing | Sleep
Outcome = Answer | Failure | None
Plan = Generator[Step, Outcome, Any]


@dataclass(frozen=True)
class Call:
    """One call of an operation, ready to send: the path is filled in, the body serialised
    once (a retry sends these very bytes)."""

    operation: Operation | None
    method: str
    path: str
    legacy_path: str | None
    query: tuple[tuple[str, str], ...]
    content: bytes | None = field(repr=False)

    @property
    def what(self) -> str:
        name = self.operation.name if self.operation is not None else "request"
        return f"{name} ({self.method} {self.path})"


# ---------------------------------------------------------------------------------------------
# Building a call.


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_items(query: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    items: list[tuple[str, str]] = []
    for name, value in query.items():
        if value is None:
            continue
        if isinstance(value, Mapping):  # an object in form style: one parameter per key
            items += [(str(k), _query_value(v)) for k, v in value.items()]
        else:
            items.append((name, _query_value(value)))
    return tuple(items)


def _fill(template: str, params: Mapping[str, str]) -> str:
    for key, value in params.items():
        template = template.replace("{" + key + "}", quote(str(value), safe=""))
    return template


def _issues(result_errors: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(issue) for issue in result_errors)


def _check_request(operation: Operation, payload: Any, version: str) -> None:
    try:
        validator = validator_for(request=operation.name, version=version)
    except ValueError:  # no request body in this release
        return
    result = validator.validate(payload)
    if result.errors:
        issues = _issues(result.errors)
        raise RequestValidationError(
            f"{operation.name} request does not match the spec ({version}), not sent: "
            + "; ".join(issues),
            path=result.errors[0].path,
            issues=issues,
        )


def build_call(
    settings: Settings,
    name: str,
    *,
    path: Mapping[str, str],
    query: Mapping[str, Any],
    body: Any = None,
    fields: Mapping[str, Any] | None = None,
) -> Call:
    """A call of the operation ``name`` in the client's release.

    ``body`` is a whole body (a model or a mapping); ``fields`` are body fields one by one,
    where ``None`` means "leave it out".
    """
    operation = OPERATIONS[name]
    filled = operation.format_path(settings.version, **path)
    legacy = _fill(operation.legacy_paths[0], path) if operation.legacy_paths else None
    content = None
    if operation.request is not None:
        if fields is not None:
            payload = {k: _jsonable(v) for k, v in fields.items() if v is not None}
        else:
            payload = _jsonable(body) if body is not None else {}
        if settings.validate:
            _check_request(operation, payload, settings.version)
        content = orjson.dumps(payload)
    return Call(operation, operation.method, filled, legacy, _query_items(query), content)


def build_generic_call(
    method: str, path: str, json: Any = None, query: Mapping[str, Any] | None = None
) -> Call:
    """A call of an endpoint outside the spec (``createRoom``, ``join``, ...)."""
    if not path.startswith("/") or path.startswith("//"):
        # An absolute URL would send the token to whatever host it names.
        raise ValueError(f"request() takes a path on the homeserver such as /_matrix/...: {path!r}")
    content = None if json is None else orjson.dumps(_jsonable(json))
    return Call(None, method.upper(), path, None, _query_items(query or {}), content)


def outgoing(call: Call, settings: Settings, path: str) -> Outgoing:
    """The request on the wire: query with identity assertion and auth, headers, body."""
    header, query_name = auth_placement(call.operation, settings.version, settings.auth)
    query = list(call.query)
    if settings.user_id is not None:
        for name in identity_params(call.operation, settings.version):
            value = settings.user_id if name == "user_id" else settings.device_id
            if value is not None:
                query.append((name, value))
    if query_name is not None:
        query.append((query_name, settings.token))
    headers = [("Accept", "application/json")]
    if header:
        headers.append(("Authorization", f"Bearer {settings.token}"))
    if call.content is not None:
        headers.append(("Content-Type", "application/json"))
    return Outgoing(call.method, path, tuple(query), tuple(headers), call.content)


# ---------------------------------------------------------------------------------------------
# Reading an answer.


def _split_union(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _python_type(text: str) -> Any:
    parts = _split_union(text)
    if len(parts) > 1:
        return functools.reduce(operator.or_, [_python_type(p) for p in parts])
    if text.startswith("list[") and text.endswith("]"):
        return list[_python_type(text[5:-1])]  # type: ignore[misc]  # built at run time
    if text.startswith("dict["):
        return dict[str, Any]
    if text == "Any":
        return Any
    return getattr(models, text)


@functools.cache
def _adapter(text: str) -> TypeAdapter[Any]:
    return TypeAdapter(_python_type(text))


def _pydantic_path(loc: tuple[int | str, ...]) -> str:
    return _json_path(list(loc))


def _check_response(call: Call, status: int, body: Any, settings: Settings) -> None:
    assert call.operation is not None
    try:
        validator = validator_for(response=call.operation.name, status=status, version=settings.version)
    except ValueError:  # the spec has no JSON body for this status
        return
    result = validator.validate(body)
    if result.errors:
        issues = tuple(settings.clean(str(i)) for i in result.errors)
        raise ResponseValidationError(
            f"{call.what} answered {status} with a body that does not match the spec "
            f"({settings.version}): " + "; ".join(issues),
            path=result.errors[0].path,
            status=status,
            issues=issues,
        )


def _build_model(call: Call, status: int, model: str, body: Any, settings: Settings) -> Any:
    try:
        return _adapter(model).validate_python(body)
    except PydanticValidationError as exc:
        issues = tuple(
            settings.clean(f"{_pydantic_path(err['loc'])}: {err['msg']}") for err in exc.errors()
        )
        first = _pydantic_path(exc.errors()[0]["loc"]) if exc.errors() else "$"
        raise ResponseValidationError(
            f"{call.what} answered {status} with a body that is not a {model}: "
            + "; ".join(issues[:5]),
            path=first,
            status=status,
            issues=issues,
        ) from None


def _success_model(operation: Operation, status: int) -> str | None:
    if status in operation.responses:
        return operation.responses[status]
    documented = [m for code, m in operation.responses.items() if 200 <= code < 300 and m]
    return documented[0] if documented else None


def read_answer(call: Call, answer: Answer, settings: Settings) -> Any:
    """The result of an answer: the model of its status, or the exception of its errcode."""
    body: Any = None
    not_json = None
    if answer.content.strip():
        try:
            body = parse_json(answer.content)
        except ValueError as exc:
            not_json = str(exc)
    status = answer.status
    if 200 <= status < 300:
        model = _success_model(call.operation, status) if call.operation is not None else "Any"
        if model is None:
            return None
        if not_json is not None:
            raise ResponseValidationError(
                f"{call.what} answered {status} with a body that is not JSON: "
                + settings.clean(not_json),
                path="$", status=status, issues=(f"$: {settings.clean(not_json)}",),
            )  # fmt: skip
        if call.operation is None:
            return body
        if settings.validate:
            _check_response(call, status, body, settings)
        return _build_model(call, status, model, body, settings)
    if settings.validate and call.operation is not None and body is not None:
        _check_response(call, status, body, settings)
    error = error_for(status, body, call.what)
    error.args = (settings.clean(str(error)),)
    raise error


def _errcode(answer: Answer) -> str | None:
    try:
        body = parse_json(answer.content) if answer.content.strip() else None
    except ValueError:
        return None
    value = body.get("errcode") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def is_unrecognised(answer: Answer) -> bool:
    """A 404/405 with ``M_UNRECOGNIZED``, or a 404 without an errcode: no such route."""
    if answer.status not in (404, 405):
        return False
    errcode = _errcode(answer)
    return errcode == "M_UNRECOGNIZED" or (answer.status == 404 and errcode is None)


def retry_after(answer: Answer) -> float:
    """Seconds a 429 asks to wait: ``retry_after_ms``, else ``Retry-After``, else a default."""
    try:
        body = parse_json(answer.content) if answer.content.strip() else None
    except ValueError:
        body = None
    value = body.get("retry_after_ms") if isinstance(body, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value / 1000
    header = answer.headers.get("retry-after", "")
    return float(header) if header.isdigit() else DEFAULT_RATE_LIMIT_WAIT


# ---------------------------------------------------------------------------------------------
# The state machines.


class LegacyRoutes:
    """Which operations fell back to their legacy path, and since when (by the client's clock).

    After ``interval`` seconds the v1 path is tried again; when it answers, it is used again.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._since: dict[str, float] = {}

    def use_legacy(self, name: str, now: float) -> bool:
        since = self._since.get(name)
        return since is not None and now - since < self.interval

    def remember(self, name: str, now: float) -> None:
        self._since[name] = now

    def forget(self, name: str) -> None:
        self._since.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._since


def _exchange(call: Call, settings: Settings, path: str) -> Generator[Step, Outcome, Answer | Failure]:
    outcome = yield outgoing(call, settings, path)
    if isinstance(outcome, Answer):
        log.debug("%s %s -> %d", call.method, path, outcome.status)
        return outcome
    if not isinstance(outcome, Failure):
        raise TypeError(f"a transport must answer a request with Answer or Failure, not {outcome!r}")
    log.debug("%s %s -> no answer (%s)", call.method, path, outcome.kind)
    return outcome


def _with_legacy(
    call: Call, settings: Settings, routes: LegacyRoutes
) -> Generator[Step, Outcome, Answer | Failure]:
    legacy, operation = call.legacy_path, call.operation
    if legacy is None or operation is None:
        return (yield from _exchange(call, settings, call.path))
    if routes.use_legacy(operation.name, settings.clock()):
        return (yield from _exchange(call, settings, legacy))
    outcome = yield from _exchange(call, settings, call.path)
    if isinstance(outcome, Answer) and is_unrecognised(outcome):
        routes.remember(operation.name, settings.clock())
        log.info("%s: the appservice does not know %s; using %s", operation.name, call.path, legacy)
        return (yield from _exchange(call, settings, legacy))
    if isinstance(outcome, Answer) and outcome.status < 500:
        routes.forget(operation.name)
    return outcome


def _gave_up(call: Call, failure: Failure, attempts: int, settings: Settings, *, query: bool) -> RequestFailedError:
    cls = QueryTimeoutError if query else RequestFailedError
    reason = settings.clean(f"{type(failure.error).__name__}: {failure.error}")
    return cls(f"{call.what} got no answer after {attempts} attempt(s): {reason}", attempts=attempts)


def appservice_plan(call: Call, settings: Settings, routes: LegacyRoutes) -> Plan:
    """Homeserver to appservice: legacy fallback; transactions retried with the backoff
    policy (connection errors, timeouts, 5xx), queries tried ``query_attempts`` times."""
    transaction = call.operation is not None and call.operation.name in TRANSACTION_OPERATIONS
    delays = iter(settings.retry.delays()) if transaction and settings.retry is not None else None
    attempts = 0
    while True:
        attempts += 1
        outcome = yield from _with_legacy(call, settings, routes)
        if isinstance(outcome, Answer) and outcome.status < 500:
            return read_answer(call, outcome, settings)
        if transaction:
            wait = next(delays, None) if delays is not None else None
        else:
            wait = 0.0 if attempts < settings.query_attempts else None
        if wait is None:
            if isinstance(outcome, Answer):
                return read_answer(call, outcome, settings)
            raise _gave_up(call, outcome, attempts, settings, query=not transaction) from outcome.error
        log.debug("%s: try %d failed; again in %.3f s", call.what, attempts, wait)
        if wait > 0:
            yield Sleep(wait)


def homeserver_plan(call: Call, settings: Settings) -> Plan:
    """Appservice to homeserver: one send, and 429 answers retried after the wait the
    homeserver asks for (at most ``rate_limit_retries`` times, never longer than
    ``max_retry_after`` seconds; otherwise ``LimitExceededError``)."""
    retries = 0
    while True:
        outcome = yield from _exchange(call, settings, call.path)
        if isinstance(outcome, Failure):
            raise _gave_up(call, outcome, retries + 1, settings, query=False) from outcome.error
        if outcome.status == 429 and retries < settings.rate_limit_retries:
            wait = retry_after(outcome)
            if wait <= settings.max_retry_after:
                retries += 1
                log.debug("%s: rate-limited; again in %.3f s", call.what, wait)
                yield Sleep(wait)
                continue
        return read_answer(call, outcome, settings)
