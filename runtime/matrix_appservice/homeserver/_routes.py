"""Client-Server routes outside this spec, served by the homeserver app with the same auth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from matrix_appservice._http_pipeline.request import HandlerRequest
from matrix_appservice.homeserver._requester import Requester

__all__ = ["PlainHandler", "PlainRoute"]

PlainHandler = Callable[[Requester, HandlerRequest], Awaitable[Any]]
"""Takes the requester and the request (path, query, parsed body); returns the JSON answer."""


@dataclass(frozen=True)
class PlainRoute:
    method: str
    path: str
    """The path template under ``/_matrix/client``, e.g. ``/v3/rooms/{roomId}/join``."""
    handler: PlainHandler
    body: bool = False
    """Whether the route reads a JSON body (an object; not checked against a schema)."""
    auth: bool = True
    """``False`` for the few routes a client calls before it has a token (``/versions``)."""
