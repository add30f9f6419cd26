"""The in-memory homeserver's data: users and devices, rooms, events, aliases, directories.

Every method checks what a homeserver checks and raises :class:`MatrixError` with the
errcode a client expects, before it changes anything; every event it creates is handed to
the pusher.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from matrix_appservice.errors import (
    BadJsonError,
    ForbiddenError,
    InvalidParamError,
    MatrixError,
    NotFoundError,
    TooLargeError,
    UserInUseError,
)
from matrix_appservice.homeserver._event_limits import EventTooLarge, encode_event
from matrix_appservice.homeserver._sink import EventPusher

__all__ = ["HomeserverState", "Room", "TxnKey", "User"]

TxnKey = tuple[str, str | None, str]
"""Whose client transaction ID it is: (user, device or appservice, transaction ID)."""


@dataclass
class User:
    user_id: str
    displayname: str | None = None
    devices: set[str] = field(default_factory=set)


@dataclass
class Room:
    room_id: str
    creator: str
    state: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    public: bool = False
    """Listed in the homeserver's own room directory."""

    def membership(self, user_id: str) -> str | None:
        event = self.state.get(("m.room.member", user_id))
        value = event["content"].get("membership") if event else None
        return value if isinstance(value, str) else None

    def join_rule(self) -> str:
        event = self.state.get(("m.room.join_rules", ""))
        value = event["content"].get("join_rule") if event else None
        return value if isinstance(value, str) else "invite"


class HomeserverState:
    """Users, rooms and directories of one server name, in memory."""

    def __init__(
        self,
        server_name: str,
        pusher: EventPusher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server_name = server_name
        self.pusher = pusher
        self.clock = clock
        self.users: dict[str, User] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self.rooms: dict[str, Room] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.aliases: dict[str, str] = {}
        self.network_rooms: dict[tuple[str, str], set[str]] = {}
        """``(appservice id, network id)`` -> rooms it published in its directory."""
        self._txns: dict[TxnKey, str] = {}

    # -- users ------------------------------------------------------------------------------

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def add_user(self, user_id: str) -> User:
        if user_id in self.users:
            raise UserInUseError(f"{user_id} is already registered")
        user = self.users[user_id] = User(user_id)
        return user

    def new_session(self, user_id: str, device_id: str | None = None) -> tuple[str, str]:
        """A device (the one named, or a new one) and an access token for it."""
        device = device_id or secrets.token_hex(5).upper()
        self.users[user_id].devices.add(device)
        token = f"syt_{secrets.token_urlsafe(24)}"
        self.tokens[token] = (user_id, device)
        return token, device

    def known_user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise NotFoundError(f"{user_id} does not exist")
        return user

    # -- rooms and events -------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            raise NotFoundError(f"Unknown room {room_id}")
        return room

    def joined_room(self, room_id: str, user_id: str) -> Room:
        # An unknown room is one the user is not in: 403, as the operations that need a
        # joined user document (none of them lists 404).
        room = self.rooms.get(room_id)
        if room is None or room.membership(user_id) != "join":
            raise ForbiddenError(f"{user_id} is not in the room {room_id}")
        return room

    def new_room_id(self) -> str:
        return f"!{secrets.token_urlsafe(12)}:{self.server_name}"

    def new_room(self, creator: str, room_id: str | None = None) -> Room:
        room_id = room_id or self.new_room_id()
        room = self.rooms[room_id] = Room(room_id, creator)
        return room

    def draft_event(
        self,
        room_id: str,
        sender: str,
        event_type: str,
        content: Mapping[str, Any],
        *,
        state_key: str | None = None,
        ts: int | None = None,
    ) -> dict[str, Any]:
        """A new event, checked but not stored: 413 ``M_TOO_LARGE`` when it is over 64 KiB
        as JSON, 400 ``M_BAD_JSON`` when it cannot be written as JSON (nested too deeply)."""
        event: dict[str, Any] = {
            "event_id": f"${secrets.token_urlsafe(16)}",
            "room_id": room_id,
            "sender": sender,
            "type": event_type,
            "content": dict(content),
            "origin_server_ts": int(self.clock() * 1000) if ts is None else ts,
        }
        if state_key is not None:
            event["state_key"] = state_key
        try:
            encode_event(event, "the event")
        except EventTooLarge as exc:
            raise TooLargeError(str(exc)) from None
        except (TypeError, ValueError) as exc:
            raise BadJsonError(str(exc)) from None
        event["unsigned"] = {}
        return event

    def add_event(
        self,
        room: Room,
        sender: str,
        event_type: str,
        content: Mapping[str, Any],
        *,
        state_key: str | None = None,
        ts: int | None = None,
        txn: TxnKey | None = None,
    ) -> dict[str, Any]:
        """Create an event in ``room``: checked (:meth:`draft_event`; a refused event leaves
        nothing behind), then stored, applied to the state and pushed. With ``txn``, its
        event ID is recorded under that client transaction as soon as it is stored."""
        event = self.draft_event(
            room.room_id, sender, event_type, content, state_key=state_key, ts=ts
        )
        if state_key is not None:
            previous = room.state.get((event_type, state_key))
            if previous is not None:
                event["unsigned"]["prev_content"] = previous["content"]
            room.state[(event_type, state_key)] = event
        room.timeline.append(event)
        self.events[event["event_id"]] = event
        if txn is not None:
            self._txns[txn] = event["event_id"]
        self.pusher.push(event)
        return event

    def sent(self, txn: TxnKey) -> str | None:
        """The event ID already created for a client transaction, or ``None``."""
        return self._txns.get(txn)

    def set_membership(
        self, room: Room, sender: str, target: str, membership: str, **extra: Any
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"membership": membership, **extra}
        profile = self.users.get(target)
        if membership == "join" and profile is not None and profile.displayname:
            content.setdefault("displayname", profile.displayname)
        return self.add_event(room, sender, "m.room.member", content, state_key=target)

    def join(self, room: Room, user_id: str) -> None:
        membership = room.membership(user_id)
        if membership == "join":
            return
        if membership != "invite" and room.join_rule() != "public":
            raise ForbiddenError(f"{user_id} is not invited to {room.room_id}")
        self.set_membership(room, user_id, user_id, "join")

    def resolve_room(self, room_id_or_alias: str) -> Room:
        if room_id_or_alias.startswith("#"):
            room_id = self.aliases.get(room_id_or_alias)
            if room_id is None:
                raise NotFoundError(f"Unknown alias {room_id_or_alias}")
            return self.room(room_id)
        return self.room(room_id_or_alias)

    def add_alias(self, alias: str, room_id: str) -> None:
        if alias in self.aliases:
            raise MatrixError(f"The alias {alias} is taken", status=400, errcode="M_ROOM_IN_USE")
        if not alias.startswith("#") or not alias.endswith(f":{self.server_name}"):
            raise InvalidParamError(f"{alias} is not an alias on this server")
        self.aliases[alias] = self.room(room_id).room_id

    # -- the room directory -----------------------------------------------------------------

    def published(self, network: str | None, everything: bool) -> list[tuple[Room, str | None]]:
        """Rooms in the directory with their network: the homeserver's own list, one
        appservice network (``<appservice id>|<network id>``) or all of them."""
        rooms: list[tuple[Room, str | None]] = []
        if network is None:
            rooms = [(room, None) for room in self.rooms.values() if room.public]
        if network is not None or everything:
            for (service, network_id), ids in sorted(self.network_rooms.items()):
                instance = f"{service}|{network_id}"
                if network is None or network == instance:
                    rooms += [(self.rooms[i], instance) for i in sorted(ids) if i in self.rooms]
        return rooms
