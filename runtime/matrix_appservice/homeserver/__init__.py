"""The homeserver side of the Application Service API.

- :class:`HomeserverHandler` (generated: one typed async method per Client-Server operation
  of the spec) and :class:`HomeserverApp`, the ASGI application that authenticates the
  ``as_token``, resolves identity assertion into a :class:`Requester` and checks bodies and
  answers against the release's schemas before and after the handler runs;
- :class:`InMemoryHomeserver`, a homeserver in memory built on them, to run a bridge against
  in tests (``matrix-appservice homeserver``, and the ``in_memory_homeserver`` pytest fixture
  of :mod:`matrix_appservice.homeserver.testing`);
- :mod:`matrix_appservice.homeserver.pusher`, which delivers events to appservices as
  transactions, durably and in order (see :class:`~matrix_appservice.homeserver.pusher.Pusher`).
"""

from __future__ import annotations

from matrix_appservice._http_pipeline.request import HandlerRequest
from matrix_appservice.homeserver._app import HomeserverApp, RegisteredAppservice, RiskyRegexError
from matrix_appservice.homeserver._handler import HomeserverHandler
from matrix_appservice.homeserver._memory import InMemoryHomeserver
from matrix_appservice.homeserver._requester import Identities, Requester
from matrix_appservice.homeserver._routes import PlainHandler, PlainRoute
from matrix_appservice.homeserver._sink import EventPusher, RecordingPusher
from matrix_appservice.homeserver._state import HomeserverState, Room, User

__all__ = [
    "EventPusher",
    "HandlerRequest",
    "HomeserverApp",
    "HomeserverHandler",
    "HomeserverState",
    "Identities",
    "InMemoryHomeserver",
    "PlainHandler",
    "PlainRoute",
    "RecordingPusher",
    "RegisteredAppservice",
    "Requester",
    "RiskyRegexError",
    "Room",
    "User",
]
