"""An ASGI app served by granian (``AppServer``, what ``matrix-appservice serve`` runs) in a
thread with its own event loop, on a loopback port.

``serving(app, port)`` starts it (the app's ``startup()`` first, when it has one) and, on
exit, closes it in its loop (answers in progress finish, then the app's ``close()``) and
joins the thread. ``Answers`` wraps an app and keeps the status of every answer it sent, so
a test can see what the homeserver was told; answers granian gives by itself (400 for
malformed HTTP, 431) never reach the app and are not recorded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvloop
from matrix_appservice.server import AppServer, HTTPLimits


@dataclass
class Answered:
    method: str
    path: str
    status: int


@dataclass
class Answers:
    """ASGI middleware recording ``(method, path, status)`` of each answer; the wrapped
    app's ``startup()`` and ``close()`` are its own."""

    app: Any
    seen: list[Answered] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def recording(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.seen.append(Answered(scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, recording)

    async def startup(self) -> None:
        if hasattr(self.app, "startup"):
            await self.app.startup()

    async def close(self) -> None:
        if hasattr(self.app, "close"):
            await self.app.close()


@contextmanager
def serving(
    app: Any, port: int, timeout: float = 30, limits: HTTPLimits | None = None
) -> Iterator[AppServer]:
    """``app`` served on 127.0.0.1:``port`` (0: any free one, ``server.port`` says which).
    Listening when this yields; closed, with the app, on exit."""
    server = AppServer(app, limits)
    started = threading.Event()
    errors: list[BaseException] = []
    loops: list[asyncio.AbstractEventLoop] = []
    stop: list[asyncio.Event] = []

    async def lifetime() -> None:
        stop.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        try:
            await server.start("127.0.0.1", port)
        except BaseException as exc:
            errors.append(exc)
            started.set()
            await server.close()
            return
        started.set()
        await stop[0].wait()
        await server.close()

    def run() -> None:
        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(lifetime())
        except BaseException as exc:  # raised in the test's thread on exit
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=run, name=f"asgi-{port}", daemon=True)
    thread.start()
    if not started.wait(timeout) or errors:
        thread.join(timeout)  # after a failed start the app is being closed
        raise RuntimeError(f"the ASGI server did not start on port {port}") from (
            errors[0] if errors else None
        )
    try:
        yield server
    finally:
        if thread.is_alive():
            loops[0].call_soon_threadsafe(stop[0].set)
        thread.join(timeout + server.limits.shutdown_timeout)
        if thread.is_alive():
            raise RuntimeError(f"the ASGI server on port {port} did not stop")
        if errors:
            raise RuntimeError(f"the ASGI server on port {port} failed") from errors[0]
