"""A homeserver in memory, good enough to run a bridge against in tests.

Here: setting it up, registering and logging in appservice users, plain users for tests, and
the appservice ping. Every other Client-Server call is served in a part of its own, each
from the generated handler method of its operation: events with ``ts``
(:mod:`._memory_events`), rooms and membership (:mod:`._memory_rooms`), reading rooms
(:mod:`._memory_reads`), aliases (:mod:`._memory_aliases`), users, profiles, receipts and
account data (:mod:`._memory_users`), to-device messages and keys (:mod:`._memory_devices`),
media (:mod:`._memory_media`) and the room directories (:mod:`._memory_directory`).
Toward the appservices it acts as a homeserver does: it asks them about a user or an alias in
their namespaces that it does not know before it answers that it does not exist
(:mod:`._queries`), and every event it creates goes to its pusher, which delivers it to the
appservices whose namespaces it falls in."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from matrix_appservice._releases import resolve_release
from matrix_appservice.errors import (
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
from matrix_appservice.homeserver._app import (
    DEFAULT_MAX_BODY_BYTES,
    HomeserverApp,
    RegisteredAppservice,
)
from matrix_appservice.homeserver._identifiers import check_localpart, check_user_id
from matrix_appservice.homeserver._memory_aliases import AliasCalls
from matrix_appservice.homeserver._memory_devices import DeviceCalls, DeviceStore
from matrix_appservice.homeserver._memory_directory import DirectoryCalls
from matrix_appservice.homeserver._memory_events import EventCalls
from matrix_appservice.homeserver._memory_media import MediaCalls, MediaStore
from matrix_appservice.homeserver._memory_reads import ReadCalls
from matrix_appservice.homeserver._memory_rooms import RoomCalls
from matrix_appservice.homeserver._memory_users import UserCalls
from matrix_appservice.homeserver._pusher import ClientFactory, Pusher
from matrix_appservice.homeserver._queries import AppserviceQueries
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._sink import EventPusher, RecordingPusher
from matrix_appservice.homeserver._state import HomeserverState
from matrix_appservice.models import (
    LoginRequest,
    LoginResponse,
    PingAppserviceFailure,
    PingAppserviceRequest,
    PingAppserviceResponse,
    RegisterRequest,
    RegisterResponse,
    Registration,
)
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


class InMemoryHomeserver(
    EventCalls,
    RoomCalls,
    ReadCalls,
    AliasCalls,
    UserCalls,
    DeviceCalls,
    MediaCalls,
    DirectoryCalls,
):
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
        seconds the appservice ping waits for the appservice's ``/ping``, and a user or
        alias query for its answer.
    ``max_body_bytes``
        the largest request body, and so the largest media file, it takes.
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
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
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
        self.devices = DeviceStore()
        self.media = MediaStore()
        self.app = HomeserverApp(
            _loaded(registrations, self.version),
            self,
            server_name=server_name,
            version=self.version,
            anchoring=anchoring,
            allow_risky_regex=allow_risky_regex,
            max_body_bytes=max_body_bytes,
        )
        self.queries = AppserviceQueries(
            self.app.appservices.values,
            version=self.version,
            timeout=ping_timeout,
            transport=appservice_transport,
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
