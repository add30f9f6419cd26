"""A homeserver in memory, good enough to run a bridge against in tests.

It serves the Client-Server calls of appservices (registering users inside their namespaces,
identity assertion, sending and state events with ``ts``, the appservice ping, the appservice
room directory and network-filtered public rooms) and the few plain Client-Server routes a
bridge calls first (see :mod:`matrix_appservice.homeserver._plain`). Every event it creates
goes to its pusher.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from matrix_appservice._namespaces import NamespaceTimeoutError
from matrix_appservice._releases import resolve_release
from matrix_appservice._validator import targets, validator_for
from matrix_appservice.errors import (
    BadAliasError,
    BadJsonError,
    BadStatusError,
    ConnectionFailedError,
    ConnectionTimeoutError,
    ExclusiveError,
    ForbiddenError,
    InvalidParamError,
    MatrixError,
    MissingParamError,
    RequestFailedError,
    UnknownError,
    UrlNotSetError,
)
from matrix_appservice.homeserver._app import HomeserverApp, RegisteredAppservice
from matrix_appservice.homeserver._handler import HomeserverHandler
from matrix_appservice.homeserver._identifiers import check_alias, check_localpart, check_user_id
from matrix_appservice.homeserver._plain import plain_routes
from matrix_appservice.homeserver._pusher import ClientFactory, Pusher
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._routes import PlainRoute
from matrix_appservice.homeserver._sink import EventPusher, RecordingPusher
from matrix_appservice.homeserver._state import HomeserverState, Room, TxnKey
from matrix_appservice.models import (
    AppserviceRoomDirectoryVisibility,
    AppserviceRoomDirectoryVisibilityResponse,
    LoginRequest,
    LoginResponse,
    PingAppserviceFailure,
    PingAppserviceRequest,
    PingAppserviceResponse,
    PublicRoomsFilterRequest,
    PublicRoomsResponse,
    PublishedRoom,
    RegisterRequest,
    RegisterResponse,
    Registration,
    RoomEventContent,
    SendEventResponse,
    StateEventContent,
    StateEventResponse,
)
from matrix_appservice.operations import OPERATIONS
from matrix_appservice.registration import (
    Anchoring,
    LoadedRegistration,
    RegistrationError,
    check_registration,
    check_registrations,
    load_registration,
)

__all__ = ["InMemoryHomeserver"]

_APPSERVICE_LOGIN = "m.login.application_service"


def _loaded(
    registrations: Iterable[str | Path | LoadedRegistration | Registration], version: str
) -> list[Registration]:
    loaded: list[LoadedRegistration] = []
    models: list[Registration] = []
    for item in registrations:
        if isinstance(item, Registration):
            models.append(item)
            continue
        if isinstance(item, (str, Path)):
            item = load_registration(item, version)
        else:
            errors = [p for p in check_registration(item, version) if p.severity == "error"]
            if errors:
                raise RegistrationError(errors)
        loaded.append(item)
        models.append(item.model)
    errors = [p for p in check_registrations(loaded) if p.severity == "error"]
    if errors:
        raise RegistrationError(errors)
    return models


class InMemoryHomeserver(HomeserverHandler):
    """The handler of an in-memory homeserver; :attr:`app` is its ASGI application.

    ``registrations``
        registration files (checked like :func:`load_registration` does, and together like
        :func:`check_registrations`), loaded registrations or models.
    ``server_name``
        the part after ``:`` of every user ID, room ID and alias it makes.
    ``pusher_store``
        the SQLite file of a :class:`~matrix_appservice.homeserver.pusher.Pusher` that
        delivers every event created to the appservices whose namespaces it falls in, as
        transactions (started and stopped with the app's lifespan, or :meth:`startup` and
        :meth:`shutdown`).
    ``pusher``
        takes every event created instead (default without ``pusher_store``: a
        :class:`RecordingPusher`, which keeps them and delivers nothing).
    ``ping_timeout``
        seconds the appservice ping waits for the appservice's ``/ping``.
    ``appservice_transport``
        an ``httpx.AsyncBaseTransport`` for the calls to appservices, the ping's and the
        pusher's (tests); default the network.
    ``allow_risky_regex``
        start even when a registration has a namespace regex that can backtrack
        catastrophically (refused with :class:`RiskyRegexError` otherwise). Routing stays
        safe either way: a regex that runs out of time on an identifier counts it as
        outside the namespace, with an ERROR log line (see
        :mod:`matrix_appservice.homeserver._pusher_routing`).
    ``check_content``
        refuse an event sent through ``send`` or ``state`` whose content breaks the schema
        of its type in ``version`` (and, for ``m.room.message``, of its ``msgtype``), with
        400 ``M_BAD_JSON`` naming the JSON path; types the release does not define pass.
    """

    def __init__(
        self,
        registrations: Iterable[str | Path | LoadedRegistration | Registration],
        *,
        server_name: str = "localhost",
        version: str | None = None,
        pusher: EventPusher | None = None,
        pusher_store: str | Path | None = None,
        anchoring: Anchoring = "full",
        ping_timeout: float = 10.0,
        appservice_transport: Any = None,
        clock: Callable[[], float] = time.time,
        allow_risky_regex: bool = False,
        check_content: bool = False,
    ) -> None:
        self.version = resolve_release(version)
        self.check_content = check_content
        if pusher is not None and pusher_store is not None:
            raise ValueError("give pusher or pusher_store, not both")
        self.pusher: EventPusher = pusher if pusher is not None else RecordingPusher()
        self.state = HomeserverState(server_name, self.pusher, clock)
        self.ping_timeout = ping_timeout
        self.appservice_transport = appservice_transport
        self._plain = plain_routes(self)
        self.app = HomeserverApp(
            _loaded(registrations, self.version),
            self,
            server_name=server_name,
            version=self.version,
            anchoring=anchoring,
            allow_risky_regex=allow_risky_regex,
        )
        for service in self.app.appservices.values():
            if service.sender not in self.state.users:
                self.state.add_user(service.sender)
        self.transaction_pusher: Pusher | None = None
        if pusher_store is not None:
            self.transaction_pusher = Pusher(
                [s.registration for s in self.app.appservices.values()],
                store_path=pusher_store,
                server_name=server_name,
                aliases_of=self._aliases_of,
                members_of=self._members_of,
                version=self.version,
                client_factory=self._client_factory(),
            )
            self.pusher = self.state.pusher = self.transaction_pusher
        self._pushing = False

    def _client_factory(self) -> ClientFactory | None:
        if self.appservice_transport is None:
            return None
        from matrix_appservice.client import AsyncAppServiceClient

        return functools.partial(AsyncAppServiceClient, transport=self.appservice_transport)

    def _aliases_of(self, room_id: str) -> list[str]:
        return [alias for alias, target in self.state.aliases.items() if target == room_id]

    def _members_of(self, room_id: str) -> list[str]:
        room = self.state.rooms.get(room_id)
        if room is None:
            return []
        return [key for kind, key in room.state if kind == "m.room.member"
                and room.membership(key) == "join"]  # fmt: skip

    async def startup(self) -> None:
        """Start delivering events to the appservices (with ``pusher_store``)."""
        if self.transaction_pusher is not None and not self._pushing:
            await self.transaction_pusher.start()
            self._pushing = True

    async def shutdown(self) -> None:
        """Stop delivering; what is not acknowledged stays in the pusher's store."""
        if self.transaction_pusher is not None and self._pushing:
            self._pushing = False
            await self.transaction_pusher.stop()

    @property
    def server_name(self) -> str:
        return self.state.server_name

    @property
    def appservices(self) -> dict[str, RegisteredAppservice]:
        return self.app.appservices

    # -- what the app asks --------------------------------------------------------------------

    async def user_exists(self, user_id: str) -> bool:
        return user_id in self.state.users

    async def device_exists(self, user_id: str, device_id: str) -> bool:
        user = self.state.users.get(user_id)
        return user is not None and device_id in user.devices

    async def user_for_token(self, token: str) -> tuple[str, str | None] | None:
        return self.state.tokens.get(token)

    def plain_routes(self) -> Sequence[PlainRoute]:
        return self._plain

    # -- helpers ------------------------------------------------------------------------------

    def _appservice(self, requester: Requester) -> RegisteredAppservice:
        if requester.appservice_id is None:
            raise ForbiddenError("Only an application service can do this")
        return self.app.appservices[requester.appservice_id]

    def _claimed_by_other(self, user_id: str, own: RegisteredAppservice | None) -> bool:
        for service in self.app.appservices.values():
            if service is own:
                continue
            try:
                if service.matcher.user_is_exclusive(user_id):
                    return True
            except NamespaceTimeoutError:
                return True
        return False

    def _inside(self, service: RegisteredAppservice, user_id: str) -> bool:
        if user_id == service.sender:
            return True
        try:
            return service.matcher.matches_user(user_id)
        except NamespaceTimeoutError:
            return False

    # -- registering and logging in -----------------------------------------------------------

    def create_user(self, localpart: str, *, displayname: str | None = None) -> str:
        """Register a plain (non-appservice) user, as a person signing up would, and return
        an access token for a new device of it: the test's way to have someone talk to a
        bridge. A localpart outside the grammar of new user IDs is refused
        (``M_INVALID_USERNAME``), a user ID that an appservice holds exclusively too
        (``M_EXCLUSIVE``), and one that exists already (``M_USER_IN_USE``)."""
        user_id = check_localpart(localpart, self.server_name)
        if self._claimed_by_other(user_id, None):
            raise ExclusiveError(f"{user_id} is held exclusively by an application service")
        self.state.add_user(user_id).displayname = displayname
        token, _device = self.state.new_session(user_id)
        return token

    async def register(
        self, requester: Requester, body: RegisterRequest, *, kind: str | None = None
    ) -> RegisterResponse:
        service = self._appservice(requester)
        if body.type != _APPSERVICE_LOGIN:
            raise MissingParamError(
                f"An application service registers users with type {_APPSERVICE_LOGIN}"
            )
        if kind not in (None, "user"):
            raise InvalidParamError("Application services register users only")
        if not body.username:
            raise MissingParamError("username is required")
        user_id = check_localpart(body.username.lower(), self.server_name)
        if not self._inside(service, user_id) or self._claimed_by_other(user_id, service):
            raise ExclusiveError(
                f"{user_id} is outside the user namespaces of the application service {service.registration.id}"
            )
        self.state.add_user(user_id)
        if body.inhibit_login:
            return RegisterResponse(user_id=user_id, home_server=self.server_name)
        token, device = self.state.new_session(user_id, body.device_id)
        return RegisterResponse(
            user_id=user_id, access_token=token, device_id=device, home_server=self.server_name
        )

    async def login(self, requester: Requester, body: LoginRequest) -> LoginResponse:
        service = self._appservice(requester)
        if body.type != _APPSERVICE_LOGIN:
            raise UnknownError(f"Only {_APPSERVICE_LOGIN} logins are served")
        identifier = body.identifier
        user = getattr(identifier, "user", None) if identifier is not None else body.user
        if not isinstance(user, str) or not user:
            raise MissingParamError("The identifier names no user")
        user_id = user if user.startswith("@") else self.state.user_id(user)
        check_user_id(user_id, "the identifier's user")
        if not self._inside(service, user_id):
            raise ForbiddenError(f"{user_id} is outside the namespaces")
        if user_id not in self.state.users:
            raise ForbiddenError(f"{user_id} is not registered")
        token, device = self.state.new_session(user_id, body.device_id)
        return LoginResponse(
            user_id=user_id, access_token=token, device_id=device, home_server=self.server_name
        )

    # -- events -------------------------------------------------------------------------------

    def _ts(self, requester: Requester, ts: int | None) -> int | None:
        # Timestamp massaging is for application services only.
        return ts if requester.appservice_id is not None else None

    def _txn_key(self, requester: Requester, txn_id: str) -> TxnKey:
        return (requester.user_id, requester.device_id or requester.appservice_id, txn_id)

    async def send_message(
        self,
        requester: Requester,
        room_id: str,
        event_type: str,
        txn_id: str,
        body: RoomEventContent,
        *,
        ts: int | None = None,
    ) -> SendEventResponse:
        room = self.state.joined_room(room_id, requester.user_id)
        key = self._txn_key(requester, txn_id)
        known = self.state.sent(key)
        if known is not None:  # a retry: the same event, whatever the body
            return SendEventResponse(event_id=known)
        content = body.model_dump(by_alias=True, exclude_unset=True)
        self._check_content(event_type, content)
        event = self.state.add_event(
            room, requester.user_id, event_type, content, ts=self._ts(requester, ts), txn=key
        )
        return SendEventResponse(event_id=event["event_id"])

    async def set_room_state_with_key(
        self,
        requester: Requester,
        room_id: str,
        event_type: str,
        state_key: str,
        body: StateEventContent,
        *,
        ts: int | None = None,
    ) -> StateEventResponse:
        room = self.state.joined_room(room_id, requester.user_id)
        if event_type == "m.room.member":
            check_user_id(state_key, "the state key of an m.room.member event")
        content = body.model_dump(by_alias=True, exclude_unset=True)
        self._check_content(event_type, content)
        if event_type == "m.room.canonical_alias" and state_key == "":
            self._check_canonical_aliases(room, content)
        event = self.state.add_event(
            room,
            requester.user_id,
            event_type,
            content,
            state_key=state_key,
            ts=self._ts(requester, ts),
        )
        return StateEventResponse(event_id=event["event_id"])

    def _check_content(self, event_type: str, content: dict[str, Any]) -> None:
        """With ``check_content``: 400 ``M_BAD_JSON`` for a content that breaks its schema."""
        if not self.check_content or f"event:{event_type}" not in _event_targets(self.version):
            return
        problem = validator_for(event=event_type, version=self.version).first_issue(content)
        if problem is not None:
            raise BadJsonError(f"content of {event_type}: {problem}")

    def _check_canonical_aliases(self, room: Room, content: dict[str, Any]) -> None:
        """Each alias the event adds is well formed (400 ``M_INVALID_PARAM``) and points
        to this room (400 ``M_BAD_ALIAS``), where the release documents these checks."""
        documented = OPERATIONS["setRoomStateWithKey"].errcodes(self.version).get(400, ())
        if "M_BAD_ALIAS" not in documented:
            return
        current = room.state.get(("m.room.canonical_alias", ""))
        before = current["content"] if current else {}
        old_alt = before.get("alt_aliases")
        old = [before.get("alias"), *(old_alt if isinstance(old_alt, list) else [])]
        known = {a for a in old if isinstance(a, str)}
        added = [content.get("alias"), *_aliases(content.get("alt_aliases"))]
        for alias in added:
            if alias is None or (isinstance(alias, str) and alias in known):
                continue
            alias = check_alias(alias, "an alias of m.room.canonical_alias")
            if self.state.aliases.get(alias) != room.room_id:
                raise BadAliasError(f"{alias} does not point to this room")

    # -- the ping -----------------------------------------------------------------------------

    async def ping_appservice(
        self, requester: Requester, appservice_id: str, body: PingAppserviceRequest
    ) -> PingAppserviceResponse:
        from matrix_appservice.client import AsyncAppServiceClient

        if requester.appservice_id != appservice_id:
            raise ForbiddenError("The path names another application service than the token")
        reg = self.app.appservices[appservice_id].registration
        if not reg.url:
            raise UrlNotSetError("The application service has no URL")
        started = time.monotonic()
        try:
            async with AsyncAppServiceClient(
                reg.url,
                reg.hs_token,
                version=self.version,
                timeout=self.ping_timeout,
                query_attempts=1,
                transport=self.appservice_transport,
            ) as client:
                await client.ping(transaction_id=body.transaction_id)
        except MatrixError as exc:
            text = orjson.dumps(exc.body).decode() if exc.body is not None else ""
            raise BadStatusError(
                f"The application service answered {exc.status}",
                body=PingAppserviceFailure(
                    errcode="M_BAD_STATUS", status=exc.status, body=text
                ).model_dump(exclude_none=True),
            ) from None
        except RequestFailedError as exc:
            import httpx

            if isinstance(exc.__cause__, httpx.TimeoutException):
                raise ConnectionTimeoutError(
                    "The application service did not answer in time"
                ) from None
            raise ConnectionFailedError("The application service could not be reached") from None
        return PingAppserviceResponse(duration_ms=int((time.monotonic() - started) * 1000))

    # -- the room directory -------------------------------------------------------------------

    async def update_appservice_room_directory_visibility(
        self,
        requester: Requester,
        network_id: str,
        room_id: str,
        body: AppserviceRoomDirectoryVisibility,
    ) -> AppserviceRoomDirectoryVisibilityResponse:
        service = self._appservice(requester)
        if room_id not in self.state.rooms:  # the operation documents 400 and 403, not 404
            raise InvalidParamError(f"Unknown room {room_id}")
        key = (service.registration.id, network_id)
        listed = self.state.network_rooms.setdefault(key, set())
        if body.visibility == "public":
            listed.add(room_id)
        else:
            listed.discard(room_id)
        return AppserviceRoomDirectoryVisibilityResponse()

    def _public_rooms(
        self,
        network: str | None,
        everything: bool,
        limit: int | None,
        since: str | None,
        search: str | None,
    ) -> PublicRoomsResponse:
        if network is not None and "|" not in network:
            raise InvalidParamError(f"Unknown third_party_instance_id {network}")
        chunk: list[PublishedRoom] = []
        for room, _ in self.state.published(network, everything):
            name = _content(room.state.get(("m.room.name", "")), "name")
            topic = _content(room.state.get(("m.room.topic", "")), "topic")
            if search and not any(search.lower() in (t or "").lower() for t in (name, topic)):
                continue
            members = sum(1 for (t, _k) in room.state if t == "m.room.member"
                          and room.membership(_k) == "join")  # fmt: skip
            entry: dict[str, Any] = {
                "room_id": room.room_id,
                "num_joined_members": members,
                "world_readable": False,
                "guest_can_join": False,
                "join_rule": room.join_rule(),
            }
            if name is not None:
                entry["name"] = name
            if topic is not None:
                entry["topic"] = topic
            alias = _content(room.state.get(("m.room.canonical_alias", "")), "alias")
            if alias is not None:
                entry["canonical_alias"] = alias
            chunk.append(PublishedRoom.model_validate(entry))
        start = _position(since, "since")
        end = len(chunk) if limit is None else start + max(limit, 0)
        page = PublicRoomsResponse(chunk=chunk[start:end], total_room_count_estimate=len(chunk))
        if end < len(chunk):
            page.next_batch = str(end)
        if start > 0:
            page.prev_batch = str(max(start - (limit or start), 0))
        return page

    async def query_public_rooms(
        self, requester: Requester, body: PublicRoomsFilterRequest, *, server: str | None = None
    ) -> PublicRoomsResponse:
        search = body.filter.generic_search_term if body.filter else None
        return self._public_rooms(
            body.third_party_instance_id, body.include_all_networks, body.limit, body.since, search
        )

    async def get_public_rooms(
        self,
        requester: Requester,
        limit: int | None = None,
        since: str | None = None,
        server: str | None = None,
    ) -> PublicRoomsResponse:
        return self._public_rooms(None, False, limit, since, None)


@functools.cache
def _event_targets(version: str) -> frozenset[str]:
    return frozenset(t for t in targets(version) if t.startswith("event:"))


def _position(token: str | None, name: str) -> int:
    """A pagination token this homeserver gave out (a position); 400 ``M_INVALID_PARAM``
    for anything else."""
    if not token:
        return 0
    if not (token.isascii() and token.isdigit() and len(token) <= 16):
        raise InvalidParamError(f"{name} is not a pagination token of this server")
    return int(token)


def _aliases(value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadJsonError("alt_aliases must be a list of room aliases")
    return value


def _content(event: dict[str, Any] | None, key: str) -> str | None:
    value = event["content"].get(key) if event else None
    return value if isinstance(value, str) else None
