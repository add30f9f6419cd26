"""Client-Server routes outside this spec that a bridge calls first, for the in-memory homeserver.

``GET /versions``, ``GET /account/whoami``, ``POST /createRoom``, joining, inviting, the
display name, aliases (``/directory/room/{roomAlias}``), one event, room state (one event, or
all), the joined members and a minimal ``/messages``. They answer the common cases the way
Synapse does; anything else gets the errcode a client expects. Every input is checked before
anything is created: a user ID or alias outside the grammar is 400 ``M_INVALID_PARAM``, a
malformed body field 400 ``M_BAD_JSON``, an event over 64 KiB 413 ``M_TOO_LARGE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matrix_appservice._http_pipeline.request import HandlerRequest
from matrix_appservice._releases import RELEASES, release_index
from matrix_appservice.errors import (
    BadJsonError,
    ForbiddenError,
    InvalidParamError,
    MatrixError,
    MissingParamError,
    NotFoundError,
)
from matrix_appservice.homeserver._identifiers import check_alias, check_user_id
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.homeserver._routes import PlainHandler, PlainRoute
from matrix_appservice.homeserver._state import Room

if TYPE_CHECKING:
    from matrix_appservice.homeserver._memory import InMemoryHomeserver

__all__ = ["plain_routes"]

_MAX_MESSAGES = 1000
_CS_R0 = ("r0.5.0", "r0.6.0", "r0.6.1")


def _text(body: Any, key: str) -> str | None:
    value = body.get(key) if isinstance(body, dict) else None
    if value is not None and not isinstance(value, str):
        raise BadJsonError(f"$.{key} must be a string")
    return value


def _object(body: Any, key: str) -> dict[str, Any]:
    value = body.get(key) if isinstance(body, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadJsonError(f"$.{key} must be an object")
    return value


def _room_or_alias(value: str) -> str:
    if value.startswith("#"):
        return check_alias(value, "the room alias")
    if not value.startswith("!"):
        raise InvalidParamError("Expected a room ID (!...) or a room alias (#...)")
    return value


def plain_routes(hs: InMemoryHomeserver) -> list[PlainRoute]:
    """The routes, under both ``/r0`` and ``/v3``."""
    state = hs.state

    async def versions(requester: Requester, request: HandlerRequest) -> Any:
        served = release_index(hs.version)
        names = [
            r for r in RELEASES if r.startswith("v") and release_index(r) <= served
        ]  # the appservice releases r0.1.x are not Client-Server versions
        return {"versions": [*_CS_R0, *names], "unstable_features": {}}

    async def whoami(requester: Requester, request: HandlerRequest) -> Any:
        answer: dict[str, Any] = {"user_id": requester.user_id, "is_guest": False}
        if requester.device_id is not None:
            answer["device_id"] = requester.device_id
        return answer

    async def create_room(requester: Requester, request: HandlerRequest) -> Any:
        body = request.body
        alias_name = _text(body, "room_alias_name")
        alias = f"#{alias_name}:{state.server_name}" if alias_name else None
        if alias is not None:
            check_alias(alias, "$.room_alias_name")
            if alias in state.aliases:
                raise MatrixError(
                    f"The alias {alias} is taken", status=400, errcode="M_ROOM_IN_USE"
                )
        preset = _text(body, "preset")
        visibility = _text(body, "visibility") or "private"
        if preset is None:
            preset = "public_chat" if visibility == "public" else "private_chat"
        invites = body.get("invite", [])
        initial = body.get("initial_state", [])
        if not isinstance(invites, list) or not all(isinstance(u, str) for u in invites):
            raise BadJsonError("$.invite must be a list of user IDs")
        for index, invitee in enumerate(invites):
            check_user_id(invitee, f"$.invite[{index}]")
        if not isinstance(initial, list) or not all(isinstance(e, dict) for e in initial):
            raise BadJsonError("$.initial_state must be a list of events")
        user = requester.user_id
        room_id = state.new_room_id()
        # Every event from the body, checked before the room exists: nothing is left behind.
        chosen: list[tuple[str, str, dict[str, Any]]] = [
            ("m.room.create", "", {**_object(body, "creation_content"), "creator": user})
        ]
        for index, event in enumerate(initial):
            kind, key, content = event.get("type"), event.get("state_key", ""), event.get("content")
            if (
                not isinstance(kind, str)
                or not isinstance(key, str)
                or not isinstance(content, dict)
            ):
                raise BadJsonError(f"$.initial_state[{index}]: type, state_key, content")
            chosen.append((kind, key, content))
        for key, kind in (("name", "m.room.name"), ("topic", "m.room.topic")):
            value = _text(body, key)
            if value is not None:
                chosen.append((kind, "", {key: value}))
        for kind, key, content in chosen:
            state.draft_event(room_id, user, kind, content, state_key=key)
        room = state.new_room(user, room_id)
        create, *rest = chosen
        state.add_event(room, user, create[0], create[2], state_key="")
        state.set_membership(room, user, user, "join")
        state.add_event(
            room,
            user,
            "m.room.power_levels",
            {"users": {user: 100}, "users_default": 0, "events_default": 0, "state_default": 50},
            state_key="",
        )
        rule = "public" if preset == "public_chat" else "invite"
        state.add_event(room, user, "m.room.join_rules", {"join_rule": rule}, state_key="")
        for kind, key, content in rest:
            state.add_event(room, user, kind, content, state_key=key)
        if alias is not None:
            state.add_alias(alias, room.room_id)
            state.add_event(room, user, "m.room.canonical_alias", {"alias": alias}, state_key="")
        for invitee in invites:
            state.set_membership(room, user, invitee, "invite")
        room.public = visibility == "public"
        return {"room_id": room.room_id}

    async def join_by_id(requester: Requester, request: HandlerRequest) -> Any:
        room = state.room(request.path["roomId"])
        state.join(room, requester.user_id)
        return {"room_id": room.room_id}

    async def join_any(requester: Requester, request: HandlerRequest) -> Any:
        room = state.resolve_room(_room_or_alias(request.path["roomIdOrAlias"]))
        state.join(room, requester.user_id)
        return {"room_id": room.room_id}

    async def invite(requester: Requester, request: HandlerRequest) -> Any:
        room = state.joined_room(request.path["roomId"], requester.user_id)
        target = _text(request.body, "user_id")
        if not target:
            raise MissingParamError("user_id is required")
        check_user_id(target, "$.user_id")
        if room.membership(target) == "join":
            raise ForbiddenError(f"{target} is already in the room")
        state.set_membership(room, requester.user_id, target, "invite")
        return {}

    async def get_displayname(requester: Requester, request: HandlerRequest) -> Any:
        user_id = check_user_id(request.path["userId"], "the user ID in the path")
        user = state.known_user(user_id)
        return {} if user.displayname is None else {"displayname": user.displayname}

    async def set_displayname(requester: Requester, request: HandlerRequest) -> Any:
        user_id = check_user_id(request.path["userId"], "the user ID in the path")
        if user_id != requester.user_id:
            raise ForbiddenError("You cannot set another user's display name")
        user = state.known_user(user_id)
        name = _text(request.body, "displayname")
        joined = [room for room in state.rooms.values() if room.membership(user_id) == "join"]
        for room in joined[:1]:  # the member events to come, checked before any is made
            content = {"membership": "join", "displayname": name}
            state.draft_event(room.room_id, user_id, "m.room.member", content, state_key=user_id)
        user.displayname = name
        for room in joined:
            state.set_membership(room, user_id, user_id, "join")
        return {}

    async def get_event(requester: Requester, request: HandlerRequest) -> Any:
        room = state.room(request.path["roomId"])
        event = state.events.get(request.path["eventId"])
        if (
            event is None
            or event["room_id"] != room.room_id
            or room.membership(requester.user_id) not in ("join", "leave")
        ):
            raise NotFoundError("Event not found")
        return event

    async def messages(requester: Requester, request: HandlerRequest) -> Any:
        room = state.joined_room(request.path["roomId"], requester.user_id)
        direction = request.query_value("dir") or "b"
        if direction not in ("b", "f"):
            raise InvalidParamError("dir must be b or f")
        backwards = direction == "b"
        limit = request.int_param("limit")
        if limit is not None and limit < 0:
            raise InvalidParamError("limit must not be negative")
        limit = min(10 if limit is None else limit, _MAX_MESSAGES)
        timeline = room.timeline
        token = request.query_value("from")
        if token and not (token.isascii() and token.isdigit() and len(token) <= 16):
            raise InvalidParamError("from is not a pagination token of this server")
        position = int(token) if token else None
        if backwards:
            end = len(timeline) if position is None else min(position, len(timeline))
            start = max(end - limit, 0)
            chunk = list(reversed(timeline[start:end]))
            return {"chunk": chunk, "start": str(end), "end": str(start)}
        begin = 0 if position is None else min(position, len(timeline))
        stop = min(begin + limit, len(timeline))
        return {"chunk": timeline[begin:stop], "start": str(begin), "end": str(stop)}

    def _visible_room(room_id: str, user_id: str) -> Room:
        room = state.room(room_id)
        if room.membership(user_id) != "join":
            raise ForbiddenError(f"{user_id} is not in the room {room_id}")
        return room

    async def state_event(requester: Requester, request: HandlerRequest) -> Any:
        room = _visible_room(request.path["roomId"], requester.user_id)
        kind, key = request.path["eventType"], request.path.get("stateKey") or ""
        event = room.state.get((kind, key))
        if event is None:
            raise NotFoundError(f"No {kind} state event with key {key!r}")
        # ``format=event`` (a Synapse habit that mautrix relies on) asks for the whole event.
        return event if request.query_value("format") == "event" else event["content"]

    async def room_state(requester: Requester, request: HandlerRequest) -> Any:
        room = _visible_room(request.path["roomId"], requester.user_id)
        return list(room.state.values())

    async def joined_members(requester: Requester, request: HandlerRequest) -> Any:
        room = _visible_room(request.path["roomId"], requester.user_id)
        joined: dict[str, Any] = {}
        for (kind, key), event in room.state.items():
            if kind == "m.room.member" and room.membership(key) == "join":
                name = event["content"].get("displayname")
                joined[key] = {} if name is None else {"display_name": name}
        return {"joined": joined}

    async def get_alias(requester: Requester, request: HandlerRequest) -> Any:
        room = state.resolve_room(check_alias(request.path["roomAlias"], "the alias in the path"))
        return {"room_id": room.room_id, "servers": [state.server_name]}

    async def put_alias(requester: Requester, request: HandlerRequest) -> Any:
        room_id = _text(request.body, "room_id")
        if not room_id:
            raise MissingParamError("room_id is required")
        state.add_alias(check_alias(request.path["roomAlias"], "the alias in the path"), room_id)
        return {}

    async def delete_alias(requester: Requester, request: HandlerRequest) -> Any:
        alias = check_alias(request.path["roomAlias"], "the alias in the path")
        if state.aliases.pop(alias, None) is None:
            raise NotFoundError(f"Unknown alias {alias}")
        return {}

    table: list[tuple[str, str, PlainHandler, bool]] = [
        ("GET", "/account/whoami", whoami, False),
        ("POST", "/createRoom", create_room, True),
        ("POST", "/rooms/{roomId}/join", join_by_id, True),
        ("POST", "/join/{roomIdOrAlias}", join_any, True),
        ("POST", "/rooms/{roomId}/invite", invite, True),
        ("GET", "/profile/{userId}/displayname", get_displayname, False),
        ("PUT", "/profile/{userId}/displayname", set_displayname, True),
        ("GET", "/rooms/{roomId}/event/{eventId}", get_event, False),
        ("GET", "/rooms/{roomId}/messages", messages, False),
        ("GET", "/rooms/{roomId}/state/{eventType}/{stateKey}", state_event, False),
        ("GET", "/rooms/{roomId}/state", room_state, False),
        ("GET", "/rooms/{roomId}/joined_members", joined_members, False),
        ("GET", "/directory/room/{roomAlias}", get_alias, False),
        ("PUT", "/directory/room/{roomAlias}", put_alias, True),
        ("DELETE", "/directory/room/{roomAlias}", delete_alias, False),
    ]
    routes = [PlainRoute("GET", "/_matrix/client/versions", versions, auth=False)]
    for prefix in ("/_matrix/client/r0", "/_matrix/client/v3"):
        routes += [PlainRoute(m, prefix + p, f, body=b) for m, p, f, b in table]
    return routes
