"""What every part of the in-memory homeserver shares: its state, its app, and the look-ups
that ask an appservice before they give up (see :mod:`._queries`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrix_appservice._namespaces import NamespaceTimeoutError
from matrix_appservice.errors import ForbiddenError
from matrix_appservice.homeserver._handler import HomeserverHandler
from matrix_appservice.homeserver._queries import AppserviceQueries
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._state import HomeserverState, Room, TxnKey, User

if TYPE_CHECKING:
    from matrix_appservice.homeserver._app import HomeserverApp, RegisteredAppservice

__all__ = ["MemoryBase"]


class MemoryBase(HomeserverHandler):
    """The attributes :class:`~matrix_appservice.homeserver.InMemoryHomeserver` sets up,
    and the helpers its parts use."""

    state: HomeserverState
    app: HomeserverApp
    version: str
    queries: AppserviceQueries
    check_content: bool

    @property
    def server_name(self) -> str:
        return self.state.server_name

    # -- who calls ----------------------------------------------------------------------------

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

    def _ts(self, requester: Requester, ts: int | None) -> int | None:
        # Timestamp massaging is for application services only.
        return ts if requester.appservice_id is not None else None

    def _txn_key(self, requester: Requester, txn_id: str) -> TxnKey:
        return (requester.user_id, requester.device_id or requester.appservice_id, txn_id)

    def _own(self, requester: Requester, user_id: str, what: str) -> None:
        """403 unless the path's user is the caller (profile, account data, presence)."""
        if user_id != requester.user_id:
            raise ForbiddenError(f"You cannot {what} of another user")

    # -- look-ups that ask the appservices first ----------------------------------------------

    async def find_user(self, user_id: str) -> User | None:
        """The user, or ``None``: a user this server does not know is asked for from the
        appservices whose namespaces hold it (once); one that answers yes has it registered."""
        user = self.state.users.get(user_id)
        if user is not None or not user_id.endswith(f":{self.server_name}"):
            return user
        if await self.queries.user(user_id):
            return self.state.users.get(user_id) or self.state.add_user(user_id)
        return None

    async def find_alias(self, alias: str) -> str | None:
        """The room ID of an alias, or ``None``: an alias this server does not know is asked
        for from the appservices whose namespaces hold it (once), which create it before
        they answer yes."""
        room_id = self.state.aliases.get(alias)
        if room_id is not None or not alias.endswith(f":{self.server_name}"):
            return room_id
        if await self.queries.alias(alias):
            return self.state.aliases.get(alias)
        return None

    def member_room(self, room_id: str, user_id: str, *, left: bool = False) -> Room:
        """A room the user is in (or, with ``left``, was in); 403 otherwise, an unknown room
        included (the reading operations document 403, not 404)."""
        room = self.state.rooms.get(room_id)
        allowed = ("join", "leave", "ban") if left else ("join",)
        if room is None or room.membership(user_id) not in allowed:
            raise ForbiddenError(f"{user_id} is not in the room {room_id}")
        return room
