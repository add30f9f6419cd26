"""The in-memory homeserver's room calls: creating rooms, membership (join, knock, leave,
forget, invite, kick, ban, unban) and redaction."""

from __future__ import annotations

from typing import Any

from matrix_appservice.errors import (
    BadStateError,
    ForbiddenError,
    InvalidParamError,
    NotFoundError,
    RoomInUseError,
    UnknownError,
)
from matrix_appservice.homeserver._identifiers import check_alias, check_user_id
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._state import Room
from matrix_appservice.models import (
    BanRequest,
    BanResponse,
    CreateRoomRequest,
    CreateRoomResponse,
    ForgetRoomResponse,
    InviteUserRequest,
    InviteUserResponse,
    JoinRoomByIdRequest,
    JoinRoomRequest,
    KickRequest,
    KickResponse,
    KnockRoomRequest,
    LeaveRoomRequest,
    LeaveRoomResponse,
    RedactEventRequest,
    RedactEventResponse,
    RoomIdResponse,
    UnbanRequest,
    UnbanResponse,
)

__all__ = ["RoomCalls"]

_POWER = {"users_default": 0, "events_default": 0, "state_default": 50, "ban": 50, "kick": 50}


def _reason(reason: str | None) -> dict[str, Any]:
    return {} if reason is None else {"reason": reason}


class RoomCalls(MemoryBase):
    """Rooms and membership."""

    async def create_room(
        self, requester: Requester, body: CreateRoomRequest
    ) -> CreateRoomResponse:
        data = body.model_dump(by_alias=True, exclude_unset=True)
        alias = f"#{body.room_alias_name}:{self.server_name}" if body.room_alias_name else None
        if alias is not None:
            check_alias(alias, "$.room_alias_name")
            if alias in self.state.aliases:
                raise RoomInUseError(f"The alias {alias} is taken")
        for index, invitee in enumerate(body.invite or []):
            check_user_id(invitee, f"$.invite[{index}]")
        visibility = body.visibility or "private"
        preset = body.preset or ("public_chat" if visibility == "public" else "private_chat")
        user = requester.user_id
        room_id = self.state.new_room_id()
        create = {**(body.creation_content or {}), "creator": user}
        if body.room_version:
            create["room_version"] = body.room_version
        chosen: list[tuple[str, str, dict[str, Any]]] = [("m.room.create", "", create)]
        for event in data.get("initial_state") or []:
            chosen.append((event["type"], event.get("state_key", ""), event["content"]))
        for key, kind in (("name", "m.room.name"), ("topic", "m.room.topic")):
            if data.get(key) is not None:
                chosen.append((kind, "", {key: data[key]}))
        # Every event from the body, checked before the room exists: nothing is left behind.
        for kind, key, content in chosen:
            self.state.draft_event(room_id, user, kind, content, state_key=key)
        room = self.state.new_room(user, room_id)
        (_, _, create_content), *rest = chosen
        self.state.add_event(room, user, "m.room.create", create_content, state_key="")
        self.state.set_membership(room, user, user, "join")
        power = {**_POWER, "users": {user: 100}, **(body.power_level_content_override or {})}
        self.state.add_event(room, user, "m.room.power_levels", power, state_key="")
        rule = "public" if preset == "public_chat" else "invite"
        self.state.add_event(room, user, "m.room.join_rules", {"join_rule": rule}, state_key="")
        for kind, key, content in rest:
            self.state.add_event(room, user, kind, content, state_key=key)
        if alias is not None:
            self.state.add_alias(alias, room.room_id)
            self.state.add_event(
                room, user, "m.room.canonical_alias", {"alias": alias}, state_key=""
            )
        for invitee in body.invite or []:
            extra = {"is_direct": True} if body.is_direct else {}
            self.state.set_membership(room, user, invitee, "invite", **extra)
        room.public = visibility == "public"
        return CreateRoomResponse(room_id=room.room_id)

    # -- joining ------------------------------------------------------------------------------

    async def _target_room(self, room_id_or_alias: str) -> Room:
        """The room of a room ID or an alias (an unknown alias asked of the appservices);
        404 when there is none."""
        if room_id_or_alias.startswith("#"):
            alias = check_alias(room_id_or_alias, "the room alias")
            room_id = await self.find_alias(alias)
            if room_id is None:
                raise NotFoundError(f"Unknown alias {alias}")
            return self.state.room(room_id)
        if not room_id_or_alias.startswith("!"):
            raise InvalidParamError("Expected a room ID (!...) or a room alias (#...)")
        return self.state.room(room_id_or_alias)

    def _join(self, room: Room, user_id: str, reason: str | None) -> RoomIdResponse:
        membership = room.membership(user_id)
        if membership == "ban":
            raise BadStateError(f"{user_id} is banned from {room.room_id}")
        if membership != "join":
            if membership != "invite" and room.join_rule() != "public":
                raise ForbiddenError(f"{user_id} is not invited to {room.room_id}")
            self.state.set_membership(room, user_id, user_id, "join", **_reason(reason))
        return RoomIdResponse(room_id=room.room_id)

    async def join_room_by_id(
        self, requester: Requester, room_id: str, body: JoinRoomByIdRequest
    ) -> RoomIdResponse:
        return self._join(self.state.room(room_id), requester.user_id, body.reason)

    async def join_room(
        self,
        requester: Requester,
        room_id_or_alias: str,
        body: JoinRoomRequest,
        *,
        via: str | None = None,
    ) -> RoomIdResponse:
        room = await self._target_room(room_id_or_alias)
        return self._join(room, requester.user_id, body.reason)

    async def knock_room(
        self,
        requester: Requester,
        room_id_or_alias: str,
        body: KnockRoomRequest,
        *,
        via: str | None = None,
    ) -> RoomIdResponse:
        room = await self._target_room(room_id_or_alias)
        user = requester.user_id
        if room.join_rule() not in ("knock", "knock_restricted"):
            raise ForbiddenError(f"{room.room_id} does not take knocks")
        if room.membership(user) in ("join", "invite", "ban"):
            raise ForbiddenError(f"{user} cannot knock on {room.room_id}")
        self.state.set_membership(room, user, user, "knock", **_reason(body.reason))
        return RoomIdResponse(room_id=room.room_id)

    async def leave_room(
        self, requester: Requester, room_id: str, body: LeaveRoomRequest
    ) -> LeaveRoomResponse:
        room = self.state.rooms.get(room_id)
        user = requester.user_id
        if room is None or room.membership(user) not in ("join", "invite", "knock"):
            raise ForbiddenError(f"{user} is not in the room {room_id}")
        self.state.set_membership(room, user, user, "leave", **_reason(body.reason))
        return LeaveRoomResponse()

    async def forget_room(self, requester: Requester, room_id: str) -> ForgetRoomResponse:
        room = self.state.rooms.get(room_id)
        if room is not None and room.membership(requester.user_id) in ("join", "invite"):
            raise UnknownError("Leave the room before forgetting it", status=400)
        return ForgetRoomResponse()

    # -- what members do to each other --------------------------------------------------------

    def _power(self, room: Room, user_id: str, action: str) -> None:
        event = room.state.get(("m.room.power_levels", ""))
        levels = event["content"] if event else {}
        users = levels.get("users")
        mine = (users if isinstance(users, dict) else {}).get(
            user_id, levels.get("users_default", 0)
        )
        needed = levels.get(action, 50)
        if not isinstance(mine, int) or not isinstance(needed, int) or mine < needed:
            raise ForbiddenError(f"{user_id} may not {action} in {room.room_id}")

    async def invite_user(
        self, requester: Requester, room_id: str, body: InviteUserRequest
    ) -> InviteUserResponse:
        room = self.member_room(room_id, requester.user_id)
        target = check_user_id(body.user_id, "$.user_id")
        if await self.find_user(target) is None and target.endswith(f":{self.server_name}"):
            raise ForbiddenError(f"{target} does not exist")
        if room.membership(target) in ("join", "ban"):
            raise ForbiddenError(f"{target} is already in the room or banned from it")
        self.state.set_membership(room, requester.user_id, target, "invite", **_reason(body.reason))
        return InviteUserResponse()

    async def kick(self, requester: Requester, room_id: str, body: KickRequest) -> KickResponse:
        room = self.member_room(room_id, requester.user_id)
        target = check_user_id(body.user_id, "$.user_id")
        if room.membership(target) not in ("join", "invite", "knock"):
            raise ForbiddenError(f"{target} is not in the room")
        self._power(room, requester.user_id, "kick")
        self.state.set_membership(room, requester.user_id, target, "leave", **_reason(body.reason))
        return KickResponse()

    async def ban(self, requester: Requester, room_id: str, body: BanRequest) -> BanResponse:
        room = self.member_room(room_id, requester.user_id)
        target = check_user_id(body.user_id, "$.user_id")
        self._power(room, requester.user_id, "ban")
        self.state.set_membership(room, requester.user_id, target, "ban", **_reason(body.reason))
        return BanResponse()

    async def unban(self, requester: Requester, room_id: str, body: UnbanRequest) -> UnbanResponse:
        room = self.member_room(room_id, requester.user_id)
        target = check_user_id(body.user_id, "$.user_id")
        if room.membership(target) != "ban":
            raise ForbiddenError(f"{target} is not banned")
        self._power(room, requester.user_id, "ban")
        self.state.set_membership(room, requester.user_id, target, "leave", **_reason(body.reason))
        return UnbanResponse()

    async def redact_event(
        self,
        requester: Requester,
        room_id: str,
        event_id: str,
        txn_id: str,
        body: RedactEventRequest,
    ) -> RedactEventResponse:
        room = self.member_room(room_id, requester.user_id)
        key = self._txn_key(requester, f"redact {txn_id}")
        known = self.state.sent(key)
        if known is not None:
            return RedactEventResponse(event_id=known)
        target = self.state.events.get(event_id)
        if target is None or target["room_id"] != room.room_id:
            raise ForbiddenError(f"No event {event_id} in the room")
        if target["sender"] != requester.user_id:
            self._power(room, requester.user_id, "redact")
        content = {"redacts": event_id, **_reason(body.reason)}
        redaction = self.state.add_event(
            room, requester.user_id, "m.room.redaction", content, txn=key, redacts=event_id
        )
        target["content"] = {}
        target["unsigned"] = {"redacted_because": redaction}
        return RedactEventResponse(event_id=redaction["event_id"])
