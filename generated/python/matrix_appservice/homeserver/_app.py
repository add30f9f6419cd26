"""The homeserver's ASGI application, for the Client-Server calls of appservices.

Requests go through the steps of :mod:`matrix_appservice._http_pipeline.app` (routing,
the token, the body, the handler, its answer checked), with the routes of the Client-Server
operations of the release served and the handler's routes outside the spec. What is the
homeserver's own:

- the token, found by the one rule of :mod:`matrix_appservice._http_pipeline.tokens`, is a
  registration's ``as_token`` or a user's token (the handler knows those): none is 401
  ``M_MISSING_TOKEN``, one that is neither (or two that differ) 401 ``M_UNKNOWN_TOKEN``;
- identity assertion, with the parameters the operation takes in the release served
  (``user_id``; ``device_id`` from v1.17; ``org.matrix.msc3202.device_id`` in
  ``unstable``): a ``user_id`` that is not a user ID is 400 ``M_INVALID_PARAM``, a user
  outside the appservice's user namespaces or not registered is 403 ``M_FORBIDDEN``, a
  device the user does not have is 400 ``M_UNKNOWN_DEVICE``; the handler gets the resolved
  :class:`Requester`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from matrix_appservice._credentials import require_usable
from matrix_appservice._http_pipeline.app import Head, JsonApp, Query, Route
from matrix_appservice._http_pipeline.routing import Router
from matrix_appservice._http_pipeline.tokens import (
    query_token_allowed,
    read_token,
    require_token,
)
from matrix_appservice._namespaces import NamespaceMatcher, NamespaceTimeoutError
from matrix_appservice._plain_yaml import short
from matrix_appservice._regex_risk import backtracking_risk
from matrix_appservice._releases import resolve_release
from matrix_appservice._validator import validator_for
from matrix_appservice.errors import (
    BadJsonError,
    ForbiddenError,
    InvalidParamError,
    MatrixError,
    UnknownDeviceError,
    UnknownTokenError,
)
from matrix_appservice.homeserver._handler import DISPATCH, Dispatch, HomeserverHandler
from matrix_appservice.homeserver._identifiers import check_user_id
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._routes import PlainHandler
from matrix_appservice.models import Registration
from matrix_appservice.operations import OPERATIONS
from matrix_appservice.registration import Anchoring

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "HomeserverApp",
    "RegisteredAppservice",
    "RiskyRegexError",
    "risky_regexes",
]

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
_LOG = logging.getLogger("matrix_appservice.homeserver")
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
class RegisteredAppservice:
    """An appservice as the homeserver knows it: its registration, a matcher of its
    namespaces, and its ``sender_localpart`` user."""

    registration: Registration
    matcher: NamespaceMatcher
    sender: str
    """The full user ID of ``sender_localpart``."""


@dataclass(frozen=True)
class _Route(Route):
    identity: tuple[str, ...] = ()
    dispatch: Dispatch | None = None
    plain: PlainHandler | None = None
    auth: bool = True


def _wrong_token(reason: str) -> MatrixError:
    return UnknownTokenError(reason)


class HomeserverApp(JsonApp[_Route, Requester]):
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
        access_log: bool = False,
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
        release = resolve_release(version)
        self.server_name = server_name
        self.handler = handler
        self.appservices: dict[str, RegisteredAppservice] = {}
        self._by_token: dict[bytes, RegisteredAppservice] = {}
        for reg in registrations:
            require_usable(reg)  # never an empty as_token: anyone's empty token would match
            if reg.id in self.appservices:
                raise ValueError(f"two registrations have the id {reg.id!r}")
            service = RegisteredAppservice(
                reg, NamespaceMatcher(reg, anchoring), f"@{reg.sender_localpart}:{server_name}"
            )
            self.appservices[reg.id] = service
            token = reg.as_token.encode("utf-8")
            if token in self._by_token:
                raise ValueError(f"the registrations {reg.id!r} and another share an as_token")
            self._by_token[token] = service
        super().__init__(
            self._routes(release),
            version=release,
            max_body_bytes=max_body_bytes,
            logger=_LOG,
            party="homeserver",
            access_log=access_log,
        )

    def _routes(self, version: str) -> Router[_Route]:
        entries: list[tuple[str, str, _Route, str | None]] = []
        for op in OPERATIONS.values():
            if op.api != "client-server" or not op.exists_in(version):
                continue
            route = _Route(
                name=op.name,
                query_token=query_token_allowed(op, version),
                reads_body=op.request is not None,
                body_required=op.request_required,
                validator=validator_for(request=op.name, version=version) if op.request else None,
                answer=validator_for(response=op.name, status=200, version=version),
                identity=op.identity_params(version),
                dispatch=DISPATCH[op.name],
            )
            entries.append((op.path(version), op.method, route, op.rest_param))
        like = OPERATIONS[_PLAIN_LIKE]
        for plain in self.handler.plain_routes():
            route = _Route(
                name=f"{plain.method} {plain.path}",
                query_token=query_token_allowed(like, version),
                reads_body=plain.body,
                identity=like.identity_params(version),
                plain=plain.handler,
                auth=plain.auth,
            )
            entries.append((plain.path, plain.method, route, None))
        return Router(entries, _MAY_BE_EMPTY)

    async def startup(self) -> None:
        await self.handler.startup()

    async def close(self) -> None:
        await self.handler.shutdown()

    async def respond(
        self, route: _Route, caller: Requester, params: dict[str, str], query: Query, body: Any
    ) -> bytes:
        request = self.request(params, query, body)
        if route.plain is not None:
            if route.reads_body and not isinstance(request.body, dict):
                raise BadJsonError("The body must be a JSON object")
            return orjson.dumps(await route.plain(caller, request))
        assert route.dispatch is not None
        return await self.checked(route, route.dispatch(self.handler, caller, request))

    # -- authentication and identity assertion ------------------------------------------------

    async def authenticate(self, route: _Route, head: Head) -> Requester:
        reading = require_token if route.auth else read_token
        token = reading(
            head.authorization,
            head.query_string,
            query_allowed=route.query_token,
            wrong=_wrong_token,
        )
        if token is None:  # a route open to anyone (/versions)
            return Requester(None, "", None)
        service = self._appservice_for(token)
        if service is None:
            try:
                session = await self.handler.user_for_token(token.decode("utf-8"))
            except UnicodeDecodeError:
                session = None
            if session is None:
                raise UnknownTokenError("Unrecognised access token")
            return Requester(None, session[0], session[1])
        values = {key: value for key, value in reversed(head.query) if key in route.identity}
        user_id = values.get("user_id")
        devices = {values[n] for n in route.identity if n != "user_id" and n in values}
        if len(devices) > 1:
            raise InvalidParamError("The device_id parameters differ")
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
                raise ForbiddenError(
                    f"Application service {reg.id} cannot masquerade as {user_id}: "
                    "it is outside the appservice's user namespaces"
                )
            if not await self.handler.user_exists(user_id):
                raise ForbiddenError(f"{user_id} is not registered")
            user = user_id
        if device_id is not None and not await self.handler.device_exists(user, device_id):
            raise UnknownDeviceError(f"{user} has no device {device_id}")
        return Requester(reg.id, user, device_id, asserted=user_id is not None)

    def _appservice_for(self, token: bytes) -> RegisteredAppservice | None:
        found = None
        for known, service in self._by_token.items():
            if hmac.compare_digest(known, token):
                found = service
        return found
