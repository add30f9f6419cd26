"""Where the in-memory homeserver hands the events it creates: the transaction pusher
(:class:`~matrix_appservice.homeserver.pusher.Pusher`), or a plain list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["EventPusher", "RecordingPusher"]


class EventPusher(Protocol):
    """Takes each event the homeserver creates, in order, to deliver it to appservices."""

    def push(self, event: Mapping[str, Any]) -> object: ...


class RecordingPusher:
    """Keeps every event it is given, in order, and delivers nothing."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def push(self, event: Mapping[str, Any]) -> None:
        self.events.append(dict(event))
