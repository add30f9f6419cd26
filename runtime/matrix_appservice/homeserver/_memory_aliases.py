"""The in-memory homeserver's alias calls: create, delete, resolve (asking the appservices
about an unknown alias in their namespaces first) and the aliases of a room."""

from __future__ import annotations

from matrix_appservice._namespaces import NamespaceTimeoutError
from matrix_appservice.errors import (
    ExclusiveError,
    ForbiddenError,
    InvalidParamError,
    NotFoundError,
    UnknownError,
)
from matrix_appservice.homeserver._identifiers import check_alias
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.models import (
    DeleteRoomAliasResponse,
    LocalAliasesResponse,
    RoomAliasTarget,
    SetRoomAliasRequest,
    SetRoomAliasResponse,
)

__all__ = ["AliasCalls"]


class AliasCalls(MemoryBase):
    """Room aliases."""

    def _held_by_other(self, requester: Requester, alias: str) -> bool:
        for service in self.app.appservices.values():
            if service.registration.id == requester.appservice_id:
                continue
            try:
                if service.matcher.alias_is_exclusive(alias):
                    return True
            except NamespaceTimeoutError:
                return True
        return False

    async def set_room_alias(
        self, requester: Requester, room_alias: str, body: SetRoomAliasRequest
    ) -> SetRoomAliasResponse:
        alias = check_alias(room_alias, "the alias in the path")
        if self._held_by_other(requester, alias):
            raise ExclusiveError(f"{alias} is held exclusively by an application service")
        if alias in self.state.aliases:
            raise UnknownError(f"The alias {alias} exists already", status=409)
        if body.room_id not in self.state.rooms:
            raise InvalidParamError(f"Unknown room {body.room_id}")
        self.state.add_alias(alias, body.room_id)
        return SetRoomAliasResponse()

    async def delete_room_alias(
        self, requester: Requester, room_alias: str
    ) -> DeleteRoomAliasResponse:
        alias = check_alias(room_alias, "the alias in the path")
        if alias not in self.state.aliases:
            raise NotFoundError(f"Unknown alias {alias}")
        if self._held_by_other(requester, alias):
            raise ForbiddenError(f"{alias} is held exclusively by another application service")
        del self.state.aliases[alias]
        return DeleteRoomAliasResponse()

    async def get_room_id_by_alias(self, requester: Requester, room_alias: str) -> RoomAliasTarget:
        alias = check_alias(room_alias, "the alias in the path")
        room_id = await self.find_alias(alias)
        if room_id is None:
            raise NotFoundError(f"Unknown alias {alias}")
        return RoomAliasTarget(room_id=room_id, servers=[self.server_name])

    async def get_local_aliases(self, requester: Requester, room_id: str) -> LocalAliasesResponse:
        room = self.member_room(room_id, requester.user_id, left=True)
        found = [alias for alias, target in self.state.aliases.items() if target == room.room_id]
        return LocalAliasesResponse(aliases=found)
