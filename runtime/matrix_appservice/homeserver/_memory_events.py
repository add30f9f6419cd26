"""The in-memory homeserver's events: messages and state events (with ``ts`` for
appservices), each once per client transaction, and the alias checks of
``m.room.canonical_alias``."""

from __future__ import annotations

import functools
from typing import Any

from matrix_appservice._validator import targets, validator_for
from matrix_appservice.errors import BadAliasError, BadJsonError
from matrix_appservice.homeserver._identifiers import check_alias, check_user_id
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._state import Room
from matrix_appservice.models import (
    RoomEventContent,
    SendEventResponse,
    StateEventContent,
    StateEventResponse,
)
from matrix_appservice.operations import OPERATIONS

__all__ = ["EventCalls"]


class EventCalls(MemoryBase):
    """Sending events."""

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


def _aliases(value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadJsonError("alt_aliases must be a list of room aliases")
    return value


@functools.cache
def _event_targets(version: str) -> frozenset[str]:
    return frozenset(t for t in targets(version) if t.startswith("event:"))
