"""Who makes a Client-Server request, as the homeserver app resolved it before the handler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix_appservice.homeserver._routes import PlainRoute

__all__ = ["Identities", "Requester"]


@dataclass(frozen=True)
class Requester:
    """The caller of one request, after authentication and identity assertion."""

    appservice_id: str | None
    """The registration whose ``as_token`` was sent; ``None`` for a user's own token."""
    user_id: str
    """The user acted as: the asserted ``user_id``, else the appservice's sender user."""
    device_id: str | None
    """The asserted device, or the device of a user's own token; ``None`` if none."""
    asserted: bool = False
    """Whether ``user_id`` came from identity assertion."""


class Identities:
    """What the homeserver app asks its handler while it authenticates a request.

    The defaults know no user, no device and no user token: a homeserver overrides them.
    """

    async def user_exists(self, user_id: str) -> bool:
        """Whether ``user_id`` is registered (identity assertion needs a registered user)."""
        return False

    async def device_exists(self, user_id: str, device_id: str) -> bool:
        """Whether ``device_id`` is one of ``user_id``'s devices."""
        return False

    async def user_for_token(self, token: str) -> tuple[str, str | None] | None:
        """The user and device of an access token that is no appservice's ``as_token``."""
        return None

    async def startup(self) -> None:
        """Called when the ASGI server starts the app (lifespan startup)."""

    async def shutdown(self) -> None:
        """Called when the ASGI server stops the app (lifespan shutdown)."""

    def plain_routes(self) -> Sequence[PlainRoute]:
        """Client-Server routes outside this spec that the app serves too (none by default)."""
        return ()
