"""The logic of the HTTP clients, without any I/O.

Everything the sync and the async clients share lives here once: building a request for a
release (path, authentication, identity assertion, query and body) and reading an answer
(status to model, error to exception). The state machines that decide when to send again
are in ``_client_plans``; the transports in ``_client_http`` do nothing but the I/O.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterable, Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from matrix_appservice._client_media import RawContent, media_answer
from matrix_appservice._client_paths import fill_template, method_name
from matrix_appservice._client_paths import target as _target
from matrix_appservice._client_secrets import redact, scrub
from matrix_appservice._errors_base import (
    MatrixError,
    RequestValidationError,
    ResponseValidationError,
)
from matrix_appservice._json import parse_json
from matrix_appservice._operation import type_name
from matrix_appservice._validator import validator_for
from matrix_appservice._walk import json_path
from matrix_appservice.errors import ERRCODE_CLASSES, NotFoundError
from matrix_appservice.operations import AUTH_SCHEMES, OPERATIONS, Operation

__all__ = [
    "Answer",
    "AuthMode",
    "Backoff",
    "Call",
    "Failure",
    "Outcome",
    "Outgoing",
    "Plan",
    "Route",
    "Settings",
    "Sleep",
    "Step",
    "auth_placement",
    "build_call",
    "build_generic_call",
    "error_for",
    "identity_params",
    "is_unrecognised",
    "outgoing",
    "read_answer",
    "retry_after",
    "route",
    "target",
]

log = logging.getLogger("matrix_appservice.client")

AuthMode = Literal["auto", "header", "query", "both"]
Query = tuple[tuple[str, str], ...]
Headers = tuple[tuple[str, str], ...]

MSC3202_DEVICE_ID = "org.matrix.msc3202.device_id"
"""The unstable name of ``device_id`` (MSC3202), sent in the ``unstable`` release as well."""
_PLAIN_CALL = "sendMessage"
"""The operation whose identity parameters ``request()`` uses for endpoints outside the spec."""
DEFAULT_RATE_LIMIT_WAIT = 1.0
"""Seconds to wait on a 429 that says neither ``retry_after_ms`` nor ``Retry-After``."""
ERROR_SCHEMA = "Error"
"""The schema of an error answer whose status the operation does not document."""
MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""The default bound on an answer's body; a transport stops reading beyond it."""


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
    max_answer_bytes: int = MAX_ANSWER_BYTES
    fixed: dict[tuple[str | None, bool], tuple[Query, Headers]] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )
    """What :func:`outgoing` adds to every request of an operation (with a body or not):
    worked out once per client (``replace()`` makes a new, empty one)."""

    def clean(self, text: str) -> str:
        return scrub(text, (self.token,))


def _query_parameter() -> str:
    return next(s.parameter for s in AUTH_SCHEMES.values() if s.kind == "query" and s.parameter)


def auth_placement(
    operation: Operation[Any, Any] | None, version: str, mode: AuthMode
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


def identity_params(operation: Operation[Any, Any] | None, version: str) -> tuple[str, ...]:
    """The identity-assertion query parameters an operation takes in a release.

    This reads the operation metadata (:meth:`Operation.identity_params`): ``user_id``;
    ``device_id`` from v1.17; MSC3202's ``org.matrix.msc3202.device_id`` in ``unstable``;
    nothing for the calls that name their user themselves (``register``, ``login``).
    ``operation=None`` stands for any Client-Server endpoint outside the spec (``request()``),
    which takes what a plain call such as ``sendMessage`` takes.
    """
    operation = OPERATIONS[_PLAIN_CALL] if operation is None else operation
    return operation.identity_params(version) if operation.exists_in(version) else ()


@dataclass(frozen=True)
class Route:
    """What a client needs to send an operation in a release, worked out once: the path
    template, the legacy path, where the token goes, the identity parameters and the
    search-field parameters. ``operation=None`` stands for ``request()``."""

    operation: Operation[Any, Any] | None
    template: str | None
    legacy: str | None
    header: bool
    token_parameter: str | None
    identity: tuple[str, ...]
    search: frozenset[str]
    path_params: tuple[str, ...]


@functools.lru_cache(maxsize=4096)
def route(name: str | None, version: str, mode: AuthMode) -> Route:
    """The :class:`Route` of an operation (by name; ``None`` for ``request()``) in a release
    and an auth mode. Raises ``NotInReleaseError`` (not cached) when the release lacks it."""
    operation = OPERATIONS[name] if name is not None else None
    template = operation.path(version) if operation is not None else None
    header, token_parameter = auth_placement(operation, version, mode)
    return Route(
        operation=operation,
        template=template,
        legacy=operation.legacy_paths[0] if operation and operation.legacy_paths else None,
        header=header,
        token_parameter=token_parameter,
        identity=identity_params(operation, version),
        search=frozenset(n for _, n in operation.free_query_history if n)
        if operation
        else frozenset(),
        path_params=operation.path_params if operation is not None else (),
    )


# ---------------------------------------------------------------------------------------------
# Steps of a plan.
#
# A call builds one of each of these: slotted classes rather than frozen ones (a frozen
# dataclass costs three times as much to build). Nothing changes them once they are built.


Content = bytes | Iterable[bytes] | AsyncIterable[bytes]
"""A request body: bytes, or (a media upload) pieces read once as they are sent."""


@dataclass(slots=True)
class Outgoing:
    """Send this request. ``query`` and ``headers`` may hold the token: never logged."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    content: Content | None = field(repr=False)


@dataclass(slots=True)
class Sleep:
    """Wait this many seconds, then go on."""

    seconds: float


@dataclass(slots=True)
class Answer:
    """The peer answered. ``complete`` is false when the body went over the size bound and
    the transport stopped reading."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    complete: bool = True


@dataclass(slots=True)
class Failure:
    """The request got no answer. ``error`` is the transport's exception, tokens removed."""

    kind: Literal["timeout", "connect", "other"]
    error: BaseException


Step = Outgoing | Sleep
Outcome = Answer | Failure | None
Plan = Generator[Step, Outcome, Any]


R = TypeVar("R")
"""The type of a call's success answer."""


@dataclass(slots=True)
class Call(Generic[R]):
    """One call of an operation, ready to send: the path is filled in, the body serialised
    once (a retry sends these very bytes). ``R`` is the type of the success answer."""

    operation: Operation[Any, R] | None
    method: str
    path: str
    legacy_path: str | None
    query: tuple[tuple[str, str], ...]
    content: Content | None = field(repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    """Headers of the body: the type and length of a file being uploaded."""
    replayable: bool = True
    """Whether the call can be sent again: false for an upload streamed from pieces."""
    upload_problems: list[Exception] = field(default_factory=list, repr=False, compare=False)
    """What stopped the pieces of a streamed upload while they were sent."""

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


def _encode_default(value: Any) -> Any:
    """What orjson cannot serialise itself: models and mappings other than dicts."""
    if isinstance(value, (BaseModel, Mapping)):
        return _jsonable(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _dumps(value: Any) -> bytes:
    """``orjson.dumps(_jsonable(value))``, without copying the plain dicts and lists."""
    try:
        return orjson.dumps(value, default=_encode_default)
    except orjson.JSONEncodeError:  # a key that is not a string, say: the slow way says
        return orjson.dumps(_jsonable(value))


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_items(
    query: Mapping[str, Any],
    operation: Operation[Any, Any] | None = None,
    version: str | None = None,
    search: frozenset[str] = frozenset(),
) -> tuple[tuple[str, str], ...]:
    """Query pairs; the search fields of a third-party lookup (the parameters named in
    ``search``) become one parameter each, as the operation metadata says
    (:meth:`Operation.field_query`)."""
    if not query:
        return ()
    items: list[tuple[str, str]] = []
    for name, value in query.items():
        if value is None:
            continue
        if operation is not None and name in search:
            items += operation.field_query(value, version)
        elif isinstance(value, Mapping):  # an object in form style: one parameter per key
            items += [(str(k), _query_value(v)) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):  # an array in form style: repeated (?via=a&via=b)
            items += [(name, _query_value(v)) for v in value]
        else:
            items.append((name, _query_value(value)))
    return tuple(items)


def _issues(result_errors: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(issue) for issue in result_errors)


def _check_request(operation: Operation[Any, Any], payload: Any, version: str) -> None:
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
    operation: Operation[Any, R],
    path: Mapping[str, str],
    query: Mapping[str, Any],
    body: Any = None,
    fields: Mapping[str, Any] | None = None,
    raw: RawContent | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> Call[R]:
    """A call of ``operation`` in the client's release.

    ``body`` is a whole body (a model or a mapping); ``fields`` are body fields one by one,
    where ``None`` means "leave it out". ``raw`` is a body that is a file (a media upload),
    and ``headers`` the operation's header parameters (its ``Content-Type``).
    """
    known = route(operation.name, settings.version, settings.auth)
    assert known.template is not None
    try:
        filled = fill_template(known.template, path, who=operation.name)
    except ValueError:
        missing = [p for p in known.path_params if p not in path]
        if missing:
            raise TypeError(
                f"{operation.name} needs the path parameters: {', '.join(missing)}"
            ) from None
        raise
    legacy = fill_template(known.legacy, path, who=operation.name) if known.legacy else None
    content: Content | None = None
    if operation.request is not None:
        given = {k: v for k, v in fields.items() if v is not None} if fields is not None else body
        if settings.validate:
            payload = _jsonable(given) if given is not None else {}
            _check_request(operation, payload, settings.version)
            content = orjson.dumps(payload)
        else:
            content = _dumps(given) if given is not None else b"{}"
    if headers is None and raw is None:  # most calls: a JSON body or none
        items = _query_items(query, operation, settings.version, known.search)
        return Call(operation, operation.method, filled, legacy, items, content)
    sent = [(name, value) for name, value in (headers or {}).items() if value is not None]
    for name, value in sent:  # a line break would end the header and start another
        if not isinstance(value, str) or not (value.isascii() and value.isprintable()):
            raise ValueError(
                f"{operation.name}: the {name} header takes printable ASCII text, not {value!r}"
            )
    replayable, problems = True, list[Exception]()
    if raw is not None and operation.raw_request is not None:
        content, replayable, problems = raw.body, raw.replayable, raw.problems
        if not any(name.lower() == "content-type" for name, _ in sent):
            sent.append(("Content-Type", operation.raw_request))
        if not isinstance(content, bytes):  # pieces: say the length, or it goes chunked
            sent.append(("Content-Length", str(raw.length)))
    items = _query_items(query, operation, settings.version, known.search)
    return Call(
        operation, operation.method, filled, legacy, items, content, tuple(sent), replayable,
        problems,
    )  # fmt: skip


def _client_query(settings: Settings, known: Route) -> list[tuple[str, str]]:
    """The query parameters the client adds itself: identity assertion and the token."""
    query = []
    if settings.user_id is not None:
        for param in known.identity:
            value = settings.user_id if param == "user_id" else settings.device_id
            if value is not None:
                query.append((param, value))
    if known.token_parameter is not None:
        query.append((known.token_parameter, settings.token))
    return query


def build_generic_call(
    settings: Settings, method: str, path: str, *, json: Any = None,
    path_params: Mapping[str, str] | None = None, query: Mapping[str, Any] | None = None,
) -> Call[Any]:  # fmt: skip
    """A call of an endpoint outside the spec (``/sync``, filters, tags, ...), for
    ``request()``: ``path`` is a template whose ``{name}`` placeholders take
    ``path_params`` (see :func:`~matrix_appservice._client_paths.fill_template`); ``query``
    is merged with the parameters the client adds, and may not name one of them."""
    who = "request()"
    verb = method_name(method, who=who)
    filled = fill_template(path, path_params or {}, who=who)
    items = _query_items(query or {})
    ours = {
        name for name, _ in _client_query(settings, route(None, settings.version, settings.auth))
    }
    clash = sorted(ours & {name for name, _ in items})
    if clash:
        raise ValueError(f"{who}: the client sets the query parameter {', '.join(clash)} itself")
    content = None if json is None else _dumps(json)
    return Call(None, verb, filled, None, items, content)


def outgoing(call: Call[Any], settings: Settings, path: str) -> Outgoing:
    """The request on the wire: query with identity assertion and auth, headers, body."""
    operation = call.operation
    key = (
        operation.name if operation is not None else None,
        call.content is not None and not call.headers,
    )
    fixed = settings.fixed.get(key)
    if fixed is None:
        files = operation is not None and bool(operation.raw_responses)
        fixed = settings.fixed[key] = _fixed(settings, *key, files=files)
    query = call.query + fixed[0] if call.query else fixed[0]
    headers = fixed[1] + call.headers if call.headers else fixed[1]
    return Outgoing(call.method, path, query, headers, call.content)


def _fixed(
    settings: Settings, name: str | None, json_body: bool, *, files: bool
) -> tuple[Query, Headers]:
    """The query parameters and the headers the client adds to a request of ``name``:
    ``json_body`` says whether it sends a JSON body, ``files`` whether it answers files."""
    known = route(name, settings.version, settings.auth)
    headers = [("Accept", "*/*" if files else "application/json")]
    if known.header:
        headers.append(("Authorization", f"Bearer {settings.token}"))
    if json_body:
        headers.append(("Content-Type", "application/json"))
    return tuple(_client_query(settings, known)), tuple(headers)


def target(step: Outgoing) -> str:
    """The request target of a step, percent-encoded once: every transport sends it as is."""
    return _target(step.path, step.query)


# ---------------------------------------------------------------------------------------------
# Reading an answer.


@functools.cache
def _validate(kind: Any) -> Callable[[Any], Any]:
    """The validation of ``kind`` from Python values (pydantic's validator itself: the
    adapter's wrapper around it is a tenth of a call's own cost)."""
    return TypeAdapter(kind).validator.validate_python


def _pydantic_path(loc: tuple[int | str, ...]) -> str:
    return json_path(tuple(loc))


def _check_response(call: Call[Any], status: int, body: Any, settings: Settings) -> None:
    assert call.operation is not None
    try:
        validator = validator_for(
            response=call.operation.name, status=status, version=settings.version
        )
    except ValueError:  # the operation documents no JSON body for this status
        if status < 400:
            return
        # An error status the operation does not list: the standard error body.
        validator = validator_for(schema=ERROR_SCHEMA, version=settings.version)
    result = validator.validate(body)
    if result.errors:
        # The messages quote values cut short, which could cut the token in two: take them
        # from the values with the token hidden (so they need no scrubbing after).
        clean = redact(body, (settings.token,))
        errors = validator.validate(clean).errors if clean != body else result.errors
        issues = tuple(str(i) for i in errors)
        if not errors:  # hiding the token made the body valid
            errors, issues = result.errors, tuple(settings.clean(str(i)) for i in result.errors)
        raise ResponseValidationError(
            f"{call.what} answered {status} with a body that does not match the spec "
            f"({settings.version}): " + "; ".join(issues),
            path=errors[0].path,
            status=status,
            issues=issues,
        )


def _build_model(call: Call[Any], status: int, model: Any, body: Any, settings: Settings) -> Any:
    try:
        return _validate(model)(body)
    except PydanticValidationError as exc:
        issues = tuple(
            settings.clean(f"{_pydantic_path(err['loc'])}: {err['msg']}") for err in exc.errors()
        )
        first = _pydantic_path(exc.errors()[0]["loc"]) if exc.errors() else "$"
        raise ResponseValidationError(
            f"{call.what} answered {status} with a body that is not a {type_name(model)}: "
            + "; ".join(issues[:5]),
            path=first,
            status=status,
            issues=issues,
        ) from None


def _success_model(operation: Operation[Any, Any], status: int) -> Any:
    if status in operation.responses:
        return operation.responses[status]
    documented = [m for code, m in operation.responses.items() if 200 <= code < 300 and m]
    return documented[0] if documented else None


def _parse(answer: Answer) -> Any:
    """The JSON body of an answer, or None; ValueError when it is not JSON."""
    if not answer.complete:
        raise ValueError(
            f"the body is larger than the client accepts ({len(answer.content)}+ bytes)"
        )
    if not answer.content or answer.content.isspace():
        return None
    return parse_json(answer.content)  # ValueError names the problem, depth included


def error_for(status: int, body: Any, what: str) -> MatrixError:
    """The exception for an error answer: the class of its errcode (``MatrixError`` for one
    the spec does not document), ``NotFoundError`` for a JSON 404 without an errcode.
    ``what`` names the request (no token in it)."""
    errcode = body.get("errcode") if isinstance(body, Mapping) else None
    error = body.get("error") if isinstance(body, Mapping) else None
    errcode = errcode if isinstance(errcode, str) else None
    error = error if isinstance(error, str) else None
    cls = ERRCODE_CLASSES.get(errcode or "", MatrixError)
    if status == 404 and errcode is None and isinstance(body, Mapping):
        cls = NotFoundError  # a JSON "not found" without an errcode
    detail = f"{errcode}: {error}" if errcode and error else errcode or error or "no errcode"
    message = f"{what} answered {status} ({detail})"
    exc = cls(error, status=status, errcode=errcode or "", body=body, message=message)
    exc.errcode = errcode
    return exc


def read_answer(call: Call[Any], answer: Answer, settings: Settings) -> Any:
    """The result of an answer: the model of its status, or the exception of its errcode."""
    status = answer.status
    if call.operation is not None and status in call.operation.raw_responses:
        return media_answer(
            status, answer.headers, answer.content, answer.complete,
            settings.max_answer_bytes, call.what,
        )  # fmt: skip
    body: Any = None
    not_json = None
    try:
        # Most answers are JSON: parsed at once (what parse_json does first); any other
        # goes through _parse, which tells why it is not.
        body = orjson.loads(answer.content) if answer.complete else _parse(answer)
    except ValueError:  # orjson.JSONDecodeError is one
        try:
            body = _parse(answer)
        except ValueError as exc:
            not_json = str(exc)
    if 200 <= status < 300:
        model = _success_model(call.operation, status) if call.operation is not None else Any
        if model is None:
            return None
        if not_json is not None:
            raise ResponseValidationError(
                f"{call.what} answered {status} with a body that cannot be read: "
                + settings.clean(not_json),
                path="$", status=status, issues=(f"$: {settings.clean(not_json)}",),
            )  # fmt: skip
        if call.operation is None:
            return body
        if settings.validate:
            _check_response(call, status, body, settings)
        return _build_model(call, status, model, body, settings)
    error = error_for(status, body, call.what)
    error.args = (settings.clean(str(error)),)
    if settings.validate and call.operation is not None and body is not None:
        try:
            _check_response(call, status, body, settings)
        except ResponseValidationError as broken:  # still the status's error, with the why
            error.validation = broken
    raise error


def is_unrecognised(answer: Answer) -> bool:
    """Whether an answer says "no such route": a 404 or 405 with ``M_UNRECOGNIZED``, or a
    404 or 405 whose body is not JSON (a web server's or a proxy's "not found" page).

    A JSON 404 without an errcode (``404 {}``, as mautrix answers a query for an unknown
    user) is an answer of the route, not a sign that the route is missing.
    """
    if answer.status not in (404, 405):
        return False
    try:
        body = _parse(answer)
    except ValueError:
        return True
    if body is None:  # an empty body: nothing that a Matrix route would answer
        return True
    return isinstance(body, dict) and body.get("errcode") == "M_UNRECOGNIZED"


def retry_after(answer: Answer) -> float:
    """Seconds a 429 asks to wait: ``retry_after_ms``, else ``Retry-After``, else a default."""
    try:
        body = _parse(answer)
    except ValueError:
        body = None
    value = body.get("retry_after_ms") if isinstance(body, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value / 1000
    header = answer.headers.get("retry-after", "")
    return float(header) if header.isdigit() else DEFAULT_RATE_LIMIT_WAIT
