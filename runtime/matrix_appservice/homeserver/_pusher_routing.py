"""Which appservices an event or an ephemeral item goes to.

An appservice is interested in a room event when any of these is in its namespaces:

- the ``sender`` (users namespace), or the user a ``m.room.member`` event is about (its
  ``state_key``);
- the ``room_id`` (rooms namespace);
- one of the room's aliases (aliases namespace), as ``aliases_of(room_id)`` reports them;
- one of the room's members (users namespace), as ``members_of(room_id)`` reports them.

The appservice's own user (``@sender_localpart:server_name``) counts as in its namespaces.
Exclusivity plays no part: an exclusive namespace reserves identifiers for registering, it
does not decide who sees events, so shared and exclusive namespaces both receive.

Ephemeral items go only to appservices that opted in (``receive_ephemeral``, or the
pre-release ``de.sorunome.msc2409.push_ephemeral``): ``m.presence`` by its ``sender``;
``m.typing`` and ``m.receipt`` by their ``room_id`` as above, or by a user they name (the
typing ``user_ids``, the readers of a receipt). Any other type goes by ``room_id`` and
``sender`` when present.

A namespace regex that runs out of time on an identifier
(:class:`~matrix_appservice.NamespaceTimeoutError`) counts as "not in the namespace" for
that identifier: the identifier comes from elsewhere, and the pusher hands no event out on
an unknown answer. The appservice may still get the event for another reason (its room, its
bot), and the queue goes on either way: a regex that is slow on one crafted user ID must not
hold up every transaction after it. Each time-out is logged once, as one ERROR line naming
the registration, the regex and the kind of identifier (users, aliases, rooms), not the
identifier; the identifier is then remembered (the last :data:`SLOW_IDENTIFIERS` of them
per appservice) so that its regexes are not run again on every event that names it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from matrix_appservice._namespaces import NamespaceMatcher, NamespaceTimeoutError
from matrix_appservice._plain_yaml import short
from matrix_appservice.models import Registration

__all__ = ["SLOW_IDENTIFIERS", "RoomLookup", "Router"]

_LOG = logging.getLogger("matrix_appservice.homeserver.pusher")

RoomLookup = Callable[[str], Iterable[str]]
"""A room ID to the room's aliases (or members)."""

_MAX_NAMED_USERS = 1000
"""The most user IDs read from one ephemeral item (a receipt or typing list)."""
SLOW_IDENTIFIERS = 1024
"""How many identifiers that made a namespace regex run out of time each router remembers."""


def _no_one(room_id: str) -> Iterable[str]:
    return ()


def _localpart(user_id: str) -> str | None:
    if not user_id.startswith("@") or ":" not in user_id:
        return None
    return user_id[1:].split(":", 1)[0]


def opted_in(registration: Registration) -> tuple[bool, bool]:
    """(stable ``receive_ephemeral``, pre-release ``push_ephemeral``) opt-ins."""
    return bool(registration.receive_ephemeral), bool(
        registration.de_sorunome_msc2409_push_ephemeral
    )


class Router:
    """Answers "is this appservice interested in this event?" for one registration."""

    def __init__(
        self,
        registration: Registration,
        *,
        server_name: str | None = None,
        aliases_of: RoomLookup | None = None,
        members_of: RoomLookup | None = None,
    ) -> None:
        self.registration = registration
        self.matcher = NamespaceMatcher(registration)
        self.server_name = server_name
        self.aliases_of = aliases_of or _no_one
        self.members_of = members_of or _no_one
        stable, unstable = opted_in(registration)
        self.wants_ephemeral = stable or unstable
        self._slow: OrderedDict[tuple[str, str], None] = OrderedDict()

    def _safe(self, test: Callable[[str], bool], value: object) -> bool:
        if not isinstance(value, str):
            return False
        key = (test.__name__, value)
        if key in self._slow:
            return False
        try:
            return test(value)
        except NamespaceTimeoutError as exc:
            self._slow[key] = None
            if len(self._slow) > SLOW_IDENTIFIERS:
                self._slow.popitem(last=False)
            _LOG.error(
                "%s: the namespaces.%s regex '%s' ran out of time (%g s) on an identifier; "
                "treated as outside the namespace, the event is routed without it",
                self.registration.id,
                exc.kind,
                short(exc.regex),
                exc.timeout,
                extra={
                    "event": "namespace_timeout",
                    "appservice": self.registration.id,
                    "kind": exc.kind,
                    "regex": short(exc.regex),
                },
            )
            return False

    def is_bot(self, user_id: object) -> bool:
        """Whether ``user_id`` is the appservice's own user (by localpart when no server name)."""
        if not isinstance(user_id, str):
            return False
        if self.server_name is not None:
            return user_id == f"@{self.registration.sender_localpart}:{self.server_name}"
        return _localpart(user_id) == self.registration.sender_localpart

    def user(self, user_id: object) -> bool:
        """Whether ``user_id`` is the bot or in the users namespaces."""
        return self.is_bot(user_id) or self._safe(self.matcher.matches_user, user_id)

    def room(self, room_id: object) -> bool:
        """Whether the room is in the rooms namespaces, or one of its aliases or members is."""
        if not isinstance(room_id, str):
            return False
        if self._safe(self.matcher.matches_room, room_id):
            return True
        if any(self._safe(self.matcher.matches_alias, a) for a in self.aliases_of(room_id)):
            return True
        return any(self.user(member) for member in self.members_of(room_id))

    def event(self, event: Mapping[str, Any]) -> bool:
        """Whether a room event goes to this appservice."""
        if self.user(event.get("sender")):
            return True
        if event.get("type") == "m.room.member" and self.user(event.get("state_key")):
            return True
        return self.room(event.get("room_id"))

    def ephemeral(self, item: Mapping[str, Any]) -> bool:
        """Whether an ephemeral item (typing, receipt, presence) goes to this appservice."""
        if not self.wants_ephemeral:
            return False
        kind = item.get("type")
        if kind == "m.presence":
            return self.user(item.get("sender"))
        if kind in ("m.typing", "m.receipt"):
            return self.room(item.get("room_id")) or any(self.user(u) for u in _named_users(item))
        return self.user(item.get("sender")) or self.room(item.get("room_id"))


def _named_users(item: Mapping[str, Any]) -> list[str]:
    """The users a typing notification or receipt names (at most ``_MAX_NAMED_USERS``)."""
    content = item.get("content")
    if not isinstance(content, Mapping):
        return []
    users: list[str] = []
    if item.get("type") == "m.typing":
        ids = content.get("user_ids")
        if isinstance(ids, list):
            users = [u for u in ids[:_MAX_NAMED_USERS] if isinstance(u, str)]
        return users
    # m.receipt: {event_id: {receipt_type: {user_id: {...}}}}
    for per_event in content.values():
        if not isinstance(per_event, Mapping):
            continue
        for readers in per_event.values():
            if isinstance(readers, Mapping):
                users += [u for u in readers if isinstance(u, str)]
            if len(users) >= _MAX_NAMED_USERS:
                return users[:_MAX_NAMED_USERS]
    return users
