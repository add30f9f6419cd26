"""The homeserver asking an appservice about a user or an alias it does not know.

Before the in-memory homeserver treats a user ID or an alias that falls in an appservice's
namespace as missing, it asks that appservice (``GET /users/{userId}``,
``GET /rooms/{roomAlias}``), once per look-up, as a homeserver does: a 200 answer means the
appservice has made the user (the homeserver then registers it) or has created the alias
(through ``PUT /directory/room/{roomAlias}`` before answering); any other answer, or none in
time, means it does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from matrix_appservice._namespaces import NamespaceTimeoutError
from matrix_appservice.errors import MatrixError, RequestFailedError
from matrix_appservice.homeserver._app import RegisteredAppservice

__all__ = ["AppserviceQueries"]

_LOG = logging.getLogger("matrix_appservice.homeserver")


def _interested(
    services: Iterable[RegisteredAppservice], kind: str, value: str
) -> list[RegisteredAppservice]:
    """The appservices whose ``kind`` namespaces (``user``, ``alias``) hold ``value``, those
    that hold it exclusively first; a regex that runs out of time counts as no match."""
    found: list[tuple[bool, RegisteredAppservice]] = []
    for service in services:
        matcher = service.matcher
        try:
            if getattr(matcher, f"matches_{kind}")(value):
                exclusive = getattr(matcher, f"{kind}_is_exclusive")(value)
                found.append((not exclusive, service))
        except NamespaceTimeoutError:
            continue
    return [service for _, service in sorted(found, key=lambda pair: pair[0])]


class AppserviceQueries:
    """Asks the appservices, with their ``hs_token``, through ``transport`` (tests) or the
    network, within ``timeout`` seconds."""

    def __init__(
        self,
        services: Callable[[], Iterable[RegisteredAppservice]],
        *,
        version: str,
        timeout: float,
        transport: Any = None,
    ) -> None:
        self._services = services
        self._version = version
        self._timeout = timeout
        self._transport = transport

    async def user(self, user_id: str) -> bool:
        """Whether an appservice whose user namespaces hold ``user_id`` says it exists."""
        for service in _interested(self._services(), "user", user_id):
            if await self._ask(service, "query_user", user_id):
                return True
        return False

    async def alias(self, alias: str) -> bool:
        """Whether an appservice whose alias namespaces hold ``alias`` says it has made it."""
        for service in _interested(self._services(), "alias", alias):
            if await self._ask(service, "query_room_alias", alias):
                return True
        return False

    async def _ask(self, service: RegisteredAppservice, method: str, value: str) -> bool:
        from matrix_appservice.client import AsyncAppServiceClient

        reg = service.registration
        if not reg.url:
            return False  # an appservice without a URL is never asked
        try:
            async with AsyncAppServiceClient(
                reg.url,
                reg.hs_token,
                version=self._version,
                timeout=self._timeout,
                query_attempts=1,
                transport=self._transport,
            ) as client:
                await getattr(client, method)(value)
        except (MatrixError, RequestFailedError) as exc:
            _LOG.debug(
                "the application service %s does not know %s: %s",
                reg.id,
                value,
                exc,
                extra={"event": "query_negative", "appservice": reg.id},
            )
            return False
        return True
