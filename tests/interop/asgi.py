"""An ASGI app served by uvicorn (uvloop, httptools) in a thread, on a loopback port.

``serving(app, port)`` starts it and stops it on exit. ``Answers`` wraps an app and keeps the
status of every answer it sent, so a test can see what the homeserver was told.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class Answered:
    method: str
    path: str
    status: int


@dataclass
class Answers:
    """ASGI middleware recording ``(method, path, status)`` of each answer."""

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


@contextmanager
def serving(app: Any, port: int, timeout: float = 30) -> Iterator[uvicorn.Server]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", lifespan="on",
        access_log=False, log_config=None, log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout)
            raise RuntimeError(f"the ASGI server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout)
