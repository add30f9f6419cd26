"""The ASGI application for the Client-Server calls of appservices.

A request goes through these steps, each of which may answer on its own:

1. routing on the raw path (404/405 ``M_UNRECOGNIZED``);
2. authentication: the token comes in an ``Authorization: Bearer`` header, or as the
   ``access_token`` query parameter where the release allows it. None is 401
   ``M_MISSING_TOKEN``; one that is no registration's ``as_token`` and no user's token is 401
   ``M_UNKNOWN_TOKEN``;
3. identity assertion, with the parameters the operation takes in the release served
   (``user_id``; ``device_id`` from v1.17; ``org.matrix.msc3202.device_id`` in
   ``unstable``): a ``user_id`` that is not a user ID is 400 ``M_INVALID_PARAM``, a user
   outside the appservice's user namespaces or not registered is 403 ``M_FORBIDDEN``, a
   device the user does not have is 400 ``M_UNKNOWN_DEVICE``;
4. the body: more than ``max_body_bytes`` is 413 ``M_TOO_LARGE``, malformed JSON 400
   ``M_NOT_JSON``, JSON that breaks the release's schema 400 ``M_BAD_JSON``;
5. the handler, with the resolved :class:`Requester`; its answer is checked against the
   operation's response schema.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

from matrix_appservice._credentials import require_usable
from matrix_appservice._namespaces import NamespaceMatcher, NamespaceTimeoutError
from matrix_appservice._plain_yaml import short
from matrix_appservice._regex_risk import backtracking_risk
from matrix_appservice._releases import resolve_release
from matrix_appservice._validator import Validator, parse_json, validator_for
from matrix_appservice.homeserver._handler import DISPATCH, Dispatch, HomeserverHandler
from matrix_appservice.homeserver._identifiers import check_user_id
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._routes import PlainHandler
from matrix_appservice.models import Registration
from matrix_appservice.operations import OPERATIONS, Operation
from matrix_appservice.registration import Anchoring
from matrix_appservice.server._asgi import (
    Disconnected,
    Receive,
    Scope,
    Send,
    compile_path,
    decode_segment,
    find_path,
    parse_body,
    query_pairs,
    raw_path,
    read_body,
    request_headers,
    send_json,
)
from matrix_appservice.server._errors import InvalidAnswer, MatrixError, error_body
from matrix_appservice.server._request import HandlerRequest

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Appservice",
    "HomeserverApp",
    "RiskyRegexError",
    "risky_regexes",
]

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
_LOG = logging.getLogger("matrix_appservice.homeserver")
_NOT_FOUND = error_body("M_UNRECOGNIZED", "Unrecognized request")
_FAILED = error_body("M_UNKNOWN", "The homeserver failed to handle the request")
# The routes outside this spec take identity assertion and tokens as sendMessage does.
_PLAIN_LIKE = "sendMessage"
_MAY_BE_EMPTY = ("stateKey",)  # most state events have the empty state key


class RiskyRegexError(ValueError):
    """A registration has namespace regexes that can backtrack catastrophically; the
    homeserver refuses to start with it unless ``allow_risky_regex=True``."""


def risky_regexes(registrations: Sequence[Registration]) -> list[str]:
    """One line per namespace regex that the registration checks flag as able to take
    exponential time (see :func:`~matrix_appservice.check_registration`)."""
    found = []
    for reg in registrations:
        for kind in ("users", "aliases", "rooms"):
            for index, entry in enumerate(getattr(reg.namespaces, kind) or []):
                risk = backtracking_risk(entry.regex)
                if risk:
                    found.append(
                        f"registration {reg.id!r}: namespaces.{kind}[{index}].regex "
                        f"'{short(entry.regex)}' can take exponential time to match: {risk}"
                    )
    return found


@dataclass(frozen=True)
class Appservice:
    """One registration as the homeserver knows it."""

    registration: Registration
    matcher: NamespaceMatcher
    sender: str
    """The full user ID of ``sender_localpart``."""


@dataclass(frozen=True)
class _Route:
    name: str
    query_token: bool
    identity: tuple[str, ...]
    body: bool
    required: bool
    validator: Validator | None
    answer: Validator | None
    dispatch: Dispatch | None
    plain: PlainHandler | None
    auth: bool = True


@dataclass(frozen=True)
class _Path:
    pattern: re.Pattern[bytes]
    params: tuple[str, ...]
    methods: dict[str, _Route]
    allow: bytes


class HomeserverApp:
    """The ASGI application; the handler answers, the app authenticates and checks.

    Registrations with a namespace regex that can backtrack catastrophically (the ones
    :func:`~matrix_appservice.check_registration` warns about) are refused with
    :class:`RiskyRegexError` unless ``allow_risky_regex=True``.
    """

    def __init__(
        self,
        registrations: Sequence[Registration],
        handler: HomeserverHandler,
        *,
        server_name: str,
        version: str | None = None,
        anchoring: Anchoring = "full",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        allow_risky_regex: bool = False,
    ) -> None:
        if not isinstance(handler, HomeserverHandler):
            raise TypeError(f"handler must be a HomeserverHandler, not {type(handler).__name__}")
        risky = [] if allow_risky_regex else risky_regexes(registrations)
        if risky:
            raise RiskyRegexError(
                "\n".join(risky) + "\nA crafted identifier can make such a regex run out of "
                "time on every event that names it. Rewrite the regex (for example '(a+)+' as "
                "'a+'), or start anyway with allow_risky_regex=True."
            )
        self.version = resolve_release(version)
        self.server_name = server_name
        self.handler = handler
        self.max_body_bytes = max_body_bytes
        self.appservices: dict[str, Appservice] = {}
        self._by_token: dict[bytes, Appservice] = {}
        for reg in registrations:
            require_usable(reg)  # never an empty as_token: anyone's empty token would match
            if reg.id in self.appservices:
                raise ValueError(f"two registrations have the id {reg.id!r}")
            service = Appservice(
                reg, NamespaceMatcher(reg, anchoring), f"@{reg.sender_localpart}:{server_name}"
            )
            self.appservices[reg.id] = service
            token = reg.as_token.encode("utf-8")
            if token in self._by_token:
                raise ValueError(f"the registrations {reg.id!r} and another share an as_token")
            self._by_token[token] = service
        self._paths = self._routes()

    def _routes(self) -> list[_Path]:
        by_template: dict[str, dict[str, _Route]] = {}
        for op in OPERATIONS.values():
            if op.api != "client-server" or not op.exists_in(self.version):
                continue
            if op.name not in DISPATCH:  # media: a file as body is not served yet
                continue
            by_template.setdefault(op.path(self.version), {})[op.method] = _Route(
                name=op.name,
                query_token=_query_token(op, self.version),
                identity=op.identity_params(self.version),
                body=op.request is not None,
                required=op.request_required,
                validator=validator_for(request=op.name, version=self.version)
                if op.request
                else None,
                answer=validator_for(response=op.name, status=200, version=self.version),
                dispatch=DISPATCH[op.name],
                plain=None,
            )
        like = OPERATIONS[_PLAIN_LIKE]
        for plain in self.handler.plain_routes():
            by_template.setdefault(plain.path, {})[plain.method] = _Route(
                name=f"{plain.method} {plain.path}",
                query_token=_query_token(like, self.version),
                identity=like.identity_params(self.version),
                body=plain.body,
                required=False,
                validator=None,
                answer=None,
                dispatch=None,
                plain=plain.handler,
                auth=plain.auth,
            )
        paths = []
        for template, methods in by_template.items():
            pattern, names = compile_path(template, _MAY_BE_EMPTY)
            paths.append(_Path(pattern, names, methods, ", ".join(sorted(methods)).encode()))
        return paths

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.handler.startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.handler.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = []
        try:
            status, body = await self._respond(scope, receive, headers)
        except MatrixError as exc:
            status, body = exc.status, exc.body()
        except Disconnected:
            return
        except Exception:
            _LOG.exception("request failed", extra={"event": "request_failed"})
            status, body = 500, _FAILED
        await send_json(send, status, body, headers)

    async def _respond(
        self, scope: Scope, receive: Receive, headers: list[tuple[bytes, bytes]]
    ) -> tuple[int, bytes]:
        found = find_path(self._paths, raw_path(scope))
        if found is None:
            return 404, _NOT_FOUND
        path, match = found
        route = path.methods.get(scope["method"])
        if route is None:
            headers.append((b"allow", path.allow))
            return 405, error_body("M_UNRECOGNIZED", "Unsupported method")
        authorization, length = request_headers(scope)
        query_string: bytes = scope.get("query_string", b"")
        query = query_pairs(query_string)
        requester = await self._requester(route, authorization, query_string, query)
        params = {name: decode_segment(match.group(i + 1)) for i, name in enumerate(path.params)}
        raw = await read_body(receive, length, self.max_body_bytes) if route.body else b""
        body = parse_body(raw, route.validator, required=route.required) if route.body else None
        request = HandlerRequest(params, query, body, self.version)
        if route.plain is not None:
            if route.body and not isinstance(body, dict):
                raise MatrixError(400, "M_BAD_JSON", "The body must be a JSON object")
            return 200, orjson.dumps(await route.plain(requester, request))
        assert route.dispatch is not None and route.answer is not None
        try:
            answer = await route.dispatch(self.handler, requester, request)
            problem = route.answer.first_issue(parse_json(answer))
            if problem is not None:
                raise InvalidAnswer(str(problem))
        except InvalidAnswer as exc:
            _LOG.error(
                "the handler's answer to %s does not fit the spec: %s",
                route.name,
                exc,
                extra={"event": "invalid_answer", "operation": route.name},
            )
            raise MatrixError(
                500, "M_UNKNOWN", "The homeserver produced an invalid answer"
            ) from None
        return 200, answer

    # -- authentication and identity assertion ------------------------------------------------

    async def _requester(
        self,
        route: _Route,
        authorization: bytes | None,
        query_string: bytes,
        query: list[tuple[str, str]],
    ) -> Requester:
        token = _token(authorization, query_string, route.query_token)
        if token is None:
            if not route.auth:
                return Requester(None, "", None)
            raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")
        service = self._appservice_for(token)
        if service is None:
            try:
                session = await self.handler.user_for_token(token.decode("utf-8"))
            except UnicodeDecodeError:
                session = None
            if session is None:
                raise MatrixError(401, "M_UNKNOWN_TOKEN", "Unrecognised access token")
            return Requester(None, session[0], session[1])
        values = {key: value for key, value in reversed(query) if key in route.identity}
        user_id = values.get("user_id")
        devices = {values[n] for n in route.identity if n != "user_id" and n in values}
        if len(devices) > 1:
            raise MatrixError(400, "M_INVALID_PARAM", "The device_id parameters differ")
        device_id = next(iter(devices), None)
        reg = service.registration
        if user_id is not None:
            check_user_id(user_id, "the user_id parameter")
        if user_id is None or user_id == service.sender:
            user = service.sender
        else:
            try:
                inside = service.matcher.matches_user(user_id)
            except NamespaceTimeoutError:
                inside = False
            if not inside:
                raise MatrixError(
                    403,
                    "M_FORBIDDEN",
                    f"Application service {reg.id} cannot masquerade as {user_id}: "
                    "it is outside the appservice's user namespaces",
                )
            if not await self.handler.user_exists(user_id):
                raise MatrixError(403, "M_FORBIDDEN", f"{user_id} is not registered")
            user = user_id
        if device_id is not None and not await self.handler.device_exists(user, device_id):
            raise MatrixError(400, "M_UNKNOWN_DEVICE", f"{user} has no device {device_id}")
        return Requester(reg.id, user, device_id, asserted=user_id is not None)

    def _appservice_for(self, token: bytes) -> Appservice | None:
        found = None
        for known, service in self._by_token.items():
            if hmac.compare_digest(known, token):
                found = service
        return found


def _query_token(op: Operation[Any, Any], version: str) -> bool:
    return any(scheme.kind == "query" for scheme in op.auth(version))


def _token(authorization: bytes | None, query_string: bytes, query_allowed: bool) -> bytes | None:
    if authorization is not None:
        scheme, _, credentials = authorization.strip().partition(b" ")
        if scheme.lower() == b"bearer" and credentials.strip():
            return credentials.strip()
    if query_allowed and b"access_token" in query_string:
        for key, value in _raw_pairs(query_string):
            if key == b"access_token" and value:
                return value
    return None


def _raw_pairs(query_string: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    for part in query_string.split(b"&")[:1000]:
        key, _, value = part.partition(b"=")
        out.append((unquote_to_bytes(key), unquote_to_bytes(value.replace(b"+", b" "))))
    return out
