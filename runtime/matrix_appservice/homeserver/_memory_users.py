"""The in-memory homeserver's calls about users: versions, whoami, profiles (asking the
appservices about an unknown user in their namespaces first), presence, typing, receipts,
read markers and account data."""

from __future__ import annotations

from typing import Any

from matrix_appservice._releases import RELEASES, release_index
from matrix_appservice.errors import ForbiddenError, NotFoundError
from matrix_appservice.homeserver._identifiers import check_user_id
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._state import User
from matrix_appservice.models import (
    AccountDataContent,
    AvatarUrl,
    DisplayName,
    PresenceStatus,
    ReadMarkersRequest,
    ReadMarkersResponse,
    ReceiptRequest,
    ReceiptResponse,
    RoomAccountDataContent,
    SetAccountDataResponse,
    SetAvatarUrlResponse,
    SetDisplayNameResponse,
    SetPresenceRequest,
    SetPresenceResponse,
    SetRoomAccountDataResponse,
    TypingRequest,
    TypingResponse,
    UserProfile,
    VersionsResponse,
    WhoamiResponse,
)

__all__ = ["UserCalls"]

_CS_R0 = ("r0.5.0", "r0.6.0", "r0.6.1")


class UserCalls(MemoryBase):
    """Users: who they are, their profiles, presence, receipts and account data."""

    async def get_versions(self, requester: Requester) -> VersionsResponse:
        served = release_index(self.version)
        names = [r for r in RELEASES if r.startswith("v") and release_index(r) <= served]
        # The appservice releases r0.1.x are not Client-Server versions.
        return VersionsResponse(versions=[*_CS_R0, *names], unstable_features={})

    async def get_token_owner(self, requester: Requester) -> WhoamiResponse:
        answer: dict[str, Any] = {"user_id": requester.user_id, "is_guest": False}
        if requester.device_id is not None:
            answer["device_id"] = requester.device_id
        return WhoamiResponse.model_validate(answer)

    # -- profiles -----------------------------------------------------------------------------

    async def _profile_of(self, user_id: str) -> User:
        check_user_id(user_id, "the user ID in the path")
        user = await self.find_user(user_id)
        if user is None:
            raise NotFoundError(f"{user_id} has no profile here")
        return user

    async def get_user_profile(self, requester: Requester, user_id: str) -> UserProfile:
        user = await self._profile_of(user_id)
        fields = {"displayname": user.displayname, "avatar_url": user.avatar_url}
        return UserProfile.model_validate({k: v for k, v in fields.items() if v is not None})

    async def get_display_name(self, requester: Requester, user_id: str) -> DisplayName:
        user = await self._profile_of(user_id)
        return DisplayName.model_validate(
            {} if user.displayname is None else {"displayname": user.displayname}
        )

    async def get_avatar_url(self, requester: Requester, user_id: str) -> AvatarUrl:
        user = await self._profile_of(user_id)
        return AvatarUrl.model_validate(
            {} if user.avatar_url is None else {"avatar_url": user.avatar_url}
        )

    def _set_profile(
        self, requester: Requester, user_id: str, field: str, value: str | None
    ) -> None:
        self._own(requester, user_id, "change the profile")
        user = self.state.users.get(user_id)
        if user is None:
            raise ForbiddenError(f"{user_id} is not registered")
        joined = [r for r in self.state.rooms.values() if r.membership(user_id) == "join"]
        for room in joined[:1]:  # the member events to come, checked before any is made
            content = {"membership": "join", field: value}
            self.state.draft_event(
                room.room_id, user_id, "m.room.member", content, state_key=user_id
            )
        setattr(user, field, value)
        for room in joined:
            current = room.state[("m.room.member", user_id)]["content"]
            content = {**current, field: value}
            if value is None:
                del content[field]
            self.state.add_event(room, user_id, "m.room.member", content, state_key=user_id)

    async def set_display_name(
        self, requester: Requester, user_id: str, body: DisplayName
    ) -> SetDisplayNameResponse:
        self._set_profile(requester, user_id, "displayname", body.displayname)
        return SetDisplayNameResponse()

    async def set_avatar_url(
        self, requester: Requester, user_id: str, body: AvatarUrl
    ) -> SetAvatarUrlResponse:
        self._set_profile(requester, user_id, "avatar_url", body.avatar_url)
        return SetAvatarUrlResponse()

    # -- presence, typing, receipts -----------------------------------------------------------

    async def get_presence(self, requester: Requester, user_id: str) -> PresenceStatus:
        user = await self._profile_of(user_id)
        return PresenceStatus.model_validate(user.presence)

    async def set_presence(
        self, requester: Requester, user_id: str, body: SetPresenceRequest
    ) -> SetPresenceResponse:
        self._own(requester, user_id, "set the presence")
        user = self.state.users.get(user_id)
        if user is None:
            raise ForbiddenError(f"{user_id} is not registered")
        user.presence = body.model_dump(exclude_none=True)
        return SetPresenceResponse()

    async def set_typing(
        self, requester: Requester, room_id: str, user_id: str, body: TypingRequest
    ) -> TypingResponse:
        self._own(requester, user_id, "set the typing notice")
        self.member_room(room_id, user_id)
        return TypingResponse()  # typing notices are ephemeral: nothing is kept

    async def post_receipt(
        self,
        requester: Requester,
        room_id: str,
        receipt_type: str,
        event_id: str,
        body: ReceiptRequest,
    ) -> ReceiptResponse:
        room = self.member_room(room_id, requester.user_id)
        self._in_room(room.room_id, event_id)
        if receipt_type == "m.fully_read":
            self._account_data(requester.user_id)[(room_id, "m.fully_read")] = {
                "event_id": event_id
            }
        return ReceiptResponse()

    def _in_room(self, room_id: str, event_id: str) -> None:
        event = self.state.events.get(event_id)
        if event is None or event["room_id"] != room_id:
            raise ForbiddenError(f"No event {event_id} in the room")

    async def set_read_marker(
        self, requester: Requester, room_id: str, body: ReadMarkersRequest
    ) -> ReadMarkersResponse:
        room = self.member_room(room_id, requester.user_id)
        for event_id in (body.m_fully_read, body.m_read, body.m_read_private):
            if event_id is not None:
                self._in_room(room.room_id, event_id)
        if body.m_fully_read is not None:
            self._account_data(requester.user_id)[(room_id, "m.fully_read")] = {
                "event_id": body.m_fully_read
            }
        return ReadMarkersResponse()

    # -- account data -------------------------------------------------------------------------

    def _account_data(self, user_id: str) -> dict[tuple[str | None, str], dict[str, Any]]:
        return self.state.users[user_id].account_data

    async def get_account_data(
        self, requester: Requester, user_id: str, type: str
    ) -> dict[str, Any]:
        self._own(requester, user_id, "read the account data")
        found = self._account_data(user_id).get((None, type))
        if found is None:
            raise NotFoundError(f"No account data of type {type}")
        return found

    async def set_account_data(
        self, requester: Requester, user_id: str, type: str, body: AccountDataContent
    ) -> SetAccountDataResponse:
        self._own(requester, user_id, "change the account data")
        content = body.model_dump(by_alias=True, exclude_unset=True)
        self._account_data(user_id)[(None, type)] = content
        return SetAccountDataResponse()

    async def get_account_data_per_room(
        self, requester: Requester, user_id: str, room_id: str, type: str
    ) -> dict[str, Any]:
        self._own(requester, user_id, "read the account data")
        found = self._account_data(user_id).get((room_id, type))
        if found is None:
            raise NotFoundError(f"No account data of type {type} in {room_id}")
        return found

    async def set_account_data_per_room(
        self,
        requester: Requester,
        user_id: str,
        room_id: str,
        type: str,
        body: RoomAccountDataContent,
    ) -> SetRoomAccountDataResponse:
        self._own(requester, user_id, "change the account data")
        content = body.model_dump(by_alias=True, exclude_unset=True)
        self._account_data(user_id)[(room_id, type)] = content
        return SetRoomAccountDataResponse()
