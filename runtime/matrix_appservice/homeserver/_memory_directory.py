"""The in-memory homeserver's room directories: the homeserver's own public rooms and the
rooms each appservice publishes under its networks, with paging and a search term."""

from __future__ import annotations

from typing import Any

from matrix_appservice.errors import InvalidParamError
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.models import (
    AppserviceRoomDirectoryVisibility,
    AppserviceRoomDirectoryVisibilityResponse,
    PublicRoomsFilterRequest,
    PublicRoomsResponse,
    PublishedRoom,
)

__all__ = ["DirectoryCalls"]


class DirectoryCalls(MemoryBase):
    """Room directories."""

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


def _position(token: str | None, name: str) -> int:
    """A pagination token this homeserver gave out (a position); 400 ``M_INVALID_PARAM``
    for anything else."""
    if not token:
        return 0
    if not (token.isascii() and token.isdigit() and len(token) <= 16):
        raise InvalidParamError(f"{name} is not a pagination token of this server")
    return int(token)


def _content(event: dict[str, Any] | None, key: str) -> str | None:
    value = event["content"].get(key) if event else None
    return value if isinstance(value, str) else None
