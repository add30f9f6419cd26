"""mautrix-python's appservice server on loopback, as a peer for the homeserver-side client.

``serve()`` starts a real ``mautrix.appservice.AppService`` on 127.0.0.1 at a free port, with
an in-memory state store and, unless told another, a homeserver URL that nothing listens on,
and records what reached it: every HTTP request (method, path, how the token came, body) and
every event its handlers saw. Handlers run before the transaction is
answered, so a test can assert on them as soon as the client's call returns.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from mautrix.appservice import AppService
from mautrix.appservice.state_store import ASStateStore
from mautrix.client.state_store import MemoryStateStore
from mautrix.types import Event

from tests.interop.synapse import free_port

Query = Callable[[str], Awaitable[dict[str, Any] | None]]


class MemoryASStateStore(MemoryStateStore, ASStateStore):
    """mautrix's appservice state, kept in memory (its default writes a file in the cwd)."""

    def __init__(self) -> None:
        MemoryStateStore.__init__(self)
        ASStateStore.__init__(self)


@dataclass
class Arrived:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: bytes


@dataclass
class MautrixPeer:
    appservice: AppService
    base_url: str
    requests: list[Arrived] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    user_queries: list[str] = field(default_factory=list)
    alias_queries: list[str] = field(default_factory=list)


async def _none(_: str) -> None:
    return None


@asynccontextmanager
async def serve(
    hs_token: str,
    *,
    ephemeral: bool = False,
    query_user: Query = _none,
    query_alias: Query = _none,
    homeserver: str = "http://127.0.0.1:9",
    as_token: str = "mautrix_peer_as_token",
    bot_localpart: str = "mautrixbot",
    appservice_id: str = "mautrix-peer",
    port: int | None = None,
) -> AsyncIterator[MautrixPeer]:
    """A started mautrix AppService; stopped (server, HTTP session, store) on exit.

    By default its homeserver URL is the discard port (nothing is called there); give
    ``homeserver`` (and the registration's ``as_token``, bot and id, and the ``port`` of its
    ``url``) to have its intents talk to a real one."""
    port = free_port() if port is None else port
    peer: MautrixPeer

    async def on_user(user_id: str) -> dict[str, Any] | None:
        peer.user_queries.append(user_id)
        return await query_user(user_id)

    async def on_alias(alias: str) -> dict[str, Any] | None:
        peer.alias_queries.append(alias)
        return await query_alias(alias)

    with warnings.catch_warnings():
        # mautrix 0.21 passes the running loop to aiohttp's Application, which aiohttp deprecates.
        warnings.filterwarnings("ignore", "loop argument is deprecated", DeprecationWarning)
        appservice = AppService(
            server=homeserver,
            domain="localhost",
            as_token=as_token,
            hs_token=hs_token,
            bot_localpart=bot_localpart,
            id=appservice_id,
            log=logging.getLogger("tests.interop.mautrix"),
            query_user=on_user,
            query_alias=on_alias,
            state_store=MemoryASStateStore(),
            ephemeral_events=ephemeral,
        )
    appservice.synchronous_handlers = True
    peer = MautrixPeer(appservice, f"http://127.0.0.1:{port}")

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read()  # aiohttp keeps it for the handler
        peer.requests.append(
            Arrived(request.method, request.path, dict(request.query),
                    request.headers.get("Authorization"), body)
        )  # fmt: skip
        return await handler(request)

    appservice.app.middlewares.append(record)

    async def seen(event: Event) -> None:
        peer.events.append(event)

    appservice.matrix_event_handler(seen)
    await appservice.start(host="127.0.0.1", port=port)
    try:
        yield peer
    finally:
        await appservice.stop()
