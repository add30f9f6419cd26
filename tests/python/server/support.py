"""Shared pieces of the server tests: a registration, events, and an in-process client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from matrix_appservice.server import AppServer, AppService, AppServiceHandler, create_app

T = TypeVar("T")
HS_TOKEN = "hs-secret-7d1f0c"
AS_TOKEN = "as-secret-93be21"
AUTH = {"Authorization": f"Bearer {HS_TOKEN}"}
TXN = "/_matrix/app/v1/transactions/"


def registration(**changes: Any) -> dict[str, Any]:
    reg: dict[str, Any] = {
        "id": "echo-bridge",
        "url": "http://127.0.0.1:9009",
        "as_token": AS_TOKEN,
        "hs_token": HS_TOKEN,
        "sender_localpart": "echobot",
        "namespaces": {
            "users": [
                {"regex": "@_echo_.*:example\\.org", "exclusive": True},
                {"regex": "@watched_.*:example\\.org", "exclusive": False},
            ],
            "aliases": [{"regex": "#_echo_.*:example\\.org", "exclusive": True}],
        },
    }
    reg.update(changes)
    return reg


def event(n: int, sender: str = "@alice:example.org", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"$event{n}",
        "room_id": "!room:example.org",
        "sender": sender,
        "type": "m.room.message",
        "origin_server_ts": 1_700_000_000_000 + n,
        "content": {"msgtype": "m.text", "body": f"hello {n}"},
        "unsigned": {"age": 12},
        **extra,
    }


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


LAYERS = ("asgi", "granian")
"""How ``serving`` carries requests: the ASGI app called in-process, or the app served by
:class:`AppServer` (granian) on a loopback port. Tests of modules that use ``serving`` run with each
(``conftest.py``)."""
layer = "asgi"


@asynccontextmanager
async def serving(
    handler: AppServiceHandler, reg: Any = None, **options: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, AppService]]:
    """The app for ``handler`` and a client that talks to it (in-process, or over loopback
    through :class:`AppServer`, as ``layer`` says); closed afterwards."""
    options.setdefault("store", "memory")
    app = create_app(registration() if reg is None else reg, handler, **options)
    if layer == "granian":
        server = AppServer(app)
        await server.start("127.0.0.1", 0)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                yield client, app
        finally:
            await server.close()  # closes the app too
        return
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://appservice") as client:
            yield client, app
    finally:
        await app.close()


class Recorder(AppServiceHandler):
    """Keeps every transaction it is given; optionally slow or failing first."""

    def __init__(self, delay: float = 0.0, fail_times: int = 0) -> None:
        self.transactions: list[Any] = []
        self.calls = 0
        self.delay = delay
        self.fail_times = fail_times

    async def send_transaction(self, transaction: Any) -> None:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("the bridge's backend is down")
        self.transactions.append(transaction)
