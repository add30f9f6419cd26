"""Shared pieces of the server tests: a registration, events, and the app driven in-process.

The protocol-level tests talk to the ASGI app without sockets (httpx's ASGI transport, or
:func:`asgi_request` for a request byte for byte) and without sleeping: a handler that must
stay busy waits on an event, and a test that needs time to pass runs on a loop whose clock
jumps to its next timer (:func:`run_fake_time`). Sockets are for the end-to-end tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import looptime
from matrix_appservice.server import AppServiceApp, AppServiceHandler, create_app

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


def run_fake_time(coro: Coroutine[Any, Any, T]) -> T:
    """``coro`` on an event loop whose clock does not follow the wall clock: when nothing is
    ready to run, it jumps to the next timer (looptime), so timeouts pass at once."""
    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0)) as runner:
        return runner.run(coro)


async def asgi_request(
    app: Any,
    method: str,
    raw_path: bytes,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
    hosts: tuple[bytes, ...] = (b"appservice",),
    http_version: str = "1.1",
) -> tuple[int, list[tuple[bytes, bytes]], bytes, int]:
    """One request to the ASGI ``app`` byte for byte, without a socket: the status, headers
    and body of its answer, and how many body chunks the app took in. ``hosts``: the values
    of its ``Host`` headers."""
    parts = list(chunks or [b""])
    taken = 0
    sent: list[Any] = []

    async def receive() -> Any:
        nonlocal taken
        taken += 1
        if taken > len(parts):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": parts[taken - 1], "more_body": taken < len(parts)}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": method, "path": raw_path.decode("latin-1"),
        "raw_path": raw_path, "query_string": query, "http_version": http_version,
        "headers": [*((b"host", host) for host in hosts), *(headers or [])],
    }  # fmt: skip
    await app(scope, receive, send)
    return sent[0]["status"], sent[0]["headers"], sent[1]["body"], taken


@asynccontextmanager
async def serving(
    handler: AppServiceHandler, reg: Any = None, **options: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, AppServiceApp]]:
    """The app for ``handler`` and a client that talks to it in-process; closed afterwards."""
    options.setdefault("store", "memory")
    app = create_app(registration() if reg is None else reg, handler, **options)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://appservice") as client:
            yield client, app
    finally:
        await app.close()


class Recorder(AppServiceHandler):
    """Keeps every transaction it is given; optionally held until ``go`` is set (``started``
    is set once it holds one), or failing first."""

    def __init__(self, hold: bool = False, fail_times: int = 0, delay: float = 0.0) -> None:
        self.transactions: list[Any] = []
        self.calls = 0
        self.hold = hold
        self.delay = delay  # for the end-to-end tests over a socket
        self.started = asyncio.Event()
        self.go = asyncio.Event()
        self.fail_times = fail_times

    async def send_transaction(self, transaction: Any) -> None:
        self.calls += 1
        if self.hold:
            self.started.set()
            await self.go.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("the bridge's backend is down")
        self.transactions.append(transaction)
