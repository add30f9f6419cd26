"""The in-memory homeserver's reading calls: room state, members, history (messages and an
event's context) and the rooms a user is in."""

from __future__ import annotations

from typing import Any

from matrix_appservice.errors import InvalidParamError, NotFoundError
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.models import (
    ClientEvent,
    EventContext,
    JoinedMembersResponse,
    JoinedRoomsResponse,
    MembersResponse,
    RoomEventsPage,
)

__all__ = ["ReadCalls"]

_MAX_EVENTS = 1000
"""The most events one page of history or context holds, whatever ``limit`` asks."""


def _limit(value: int | None, default: int) -> int:
    if value is not None and value < 0:
        raise InvalidParamError("limit must not be negative")
    return min(default if value is None else value, _MAX_EVENTS)


def _position(token: str | None) -> int | None:
    """A pagination token of this server (a position in the timeline); 400 otherwise."""
    if not token:
        return None
    if not (token.isascii() and token.isdigit() and len(token) <= 16):
        raise InvalidParamError("The token is not a pagination token of this server")
    return int(token)


class ReadCalls(MemoryBase):
    """Reading rooms."""

    async def get_one_room_event(
        self, requester: Requester, room_id: str, event_id: str
    ) -> ClientEvent:
        room = self.member_room(room_id, requester.user_id, left=True)
        event = self.state.events.get(event_id)
        if event is None or event["room_id"] != room.room_id:
            raise NotFoundError("Event not found")
        return ClientEvent.model_validate(event)

    async def get_room_state(self, requester: Requester, room_id: str) -> Any:
        room = self.member_room(room_id, requester.user_id)
        return list(room.state.values())

    async def get_room_state_with_key(
        self,
        requester: Requester,
        room_id: str,
        event_type: str,
        state_key: str,
        *,
        format: str | None = None,
    ) -> dict[str, Any]:
        room = self.member_room(room_id, requester.user_id)
        event = room.state.get((event_type, state_key))
        if event is None:
            raise NotFoundError(f"No {event_type} state event with key {state_key!r}")
        # ``format=event`` (a Synapse habit that mautrix relies on) asks for the whole event.
        found: dict[str, Any] = event if format == "event" else event["content"]
        return found

    async def get_joined_members_by_room(
        self, requester: Requester, room_id: str
    ) -> JoinedMembersResponse:
        room = self.member_room(room_id, requester.user_id)
        joined: dict[str, Any] = {}
        for (kind, key), event in room.state.items():
            if kind == "m.room.member" and room.membership(key) == "join":
                content = event["content"]
                joined[key] = {
                    name: content[field]
                    for name, field in (
                        ("display_name", "displayname"),
                        ("avatar_url", "avatar_url"),
                    )
                    if isinstance(content.get(field), str)
                }
        return JoinedMembersResponse.model_validate({"joined": joined})

    async def get_members_by_room(
        self,
        requester: Requester,
        room_id: str,
        *,
        at: str | None = None,
        membership: str | None = None,
        not_membership: str | None = None,
    ) -> MembersResponse:
        room = self.member_room(room_id, requester.user_id, left=True)
        chunk = [
            event
            for (kind, key), event in room.state.items()
            if kind == "m.room.member"
            and (membership is None or room.membership(key) == membership)
            and (not_membership is None or room.membership(key) != not_membership)
        ]
        return MembersResponse.model_validate({"chunk": chunk})

    async def get_joined_rooms(self, requester: Requester) -> JoinedRoomsResponse:
        user = requester.user_id
        joined = [r.room_id for r in self.state.rooms.values() if r.membership(user) == "join"]
        return JoinedRoomsResponse(joined_rooms=joined)

    async def get_room_events(
        self,
        requester: Requester,
        room_id: str,
        dir: str,
        *,
        from_: str | None = None,
        to: str | None = None,
        limit: int | None = None,
        filter: str | None = None,
    ) -> RoomEventsPage:
        room = self.member_room(room_id, requester.user_id, left=True)
        if dir not in ("b", "f"):
            raise InvalidParamError("dir must be b or f")
        count = _limit(limit, 10)
        timeline = room.timeline
        position = _position(from_)
        if dir == "b":
            end = len(timeline) if position is None else min(position, len(timeline))
            start = max(end - count, 0)
            page = {"chunk": list(reversed(timeline[start:end])), "start": str(end)}
            if start > 0:
                page["end"] = str(start)
            return RoomEventsPage.model_validate(page)
        begin = 0 if position is None else min(position, len(timeline))
        stop = min(begin + count, len(timeline))
        page = {"chunk": timeline[begin:stop], "start": str(begin)}
        if stop < len(timeline):
            page["end"] = str(stop)
        return RoomEventsPage.model_validate(page)

    async def get_event_context(
        self,
        requester: Requester,
        room_id: str,
        event_id: str,
        *,
        limit: int | None = None,
        filter: str | None = None,
    ) -> EventContext:
        room = self.member_room(room_id, requester.user_id, left=True)
        index = next(
            (i for i, event in enumerate(room.timeline) if event["event_id"] == event_id), None
        )
        if index is None:
            raise NotFoundError(f"No event {event_id} in the room")
        count = _limit(limit, 10)
        before_count, after_count = count // 2, count - count // 2
        first = max(index - before_count, 0)
        last = min(index + 1 + after_count, len(room.timeline))
        return EventContext.model_validate(
            {
                "event": room.timeline[index],
                "events_before": list(reversed(room.timeline[first:index])),
                "events_after": room.timeline[index + 1 : last],
                "start": str(first),
                "end": str(last),
                "state": list(room.state.values()),
            }
        )
