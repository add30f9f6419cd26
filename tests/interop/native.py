"""The package's own HTTP server (``HTTPServer``) in a thread with its own event loop, on a
loopback port: what ``matrix-appservice serve`` runs by default.

``serving_native(app, port)`` starts it and, on exit, closes it in its loop (answers in
progress finish, then the app is closed) and joins the thread. ``NativeAnswers`` records
``(method, path, status)`` of every answer the app gives, by wrapping the instance's
``answer`` and ``early_answer``; the path is percent-decoded, as ASGI's ``scope["path"]`` is,
so the records read like those of ``tests.interop.asgi.Answers``. Answers the HTTP layer
gives by itself (400 for malformed HTTP, 408, 413 from ``Content-Length``, 431, 503) never
reach the app and are not recorded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

import uvloop
from matrix_appservice.server import AppServiceApp, HTTPServer, ServerLimits

from tests.interop.asgi import Answered

_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def _decoded(path: bytes) -> str:
    return unquote_to_bytes(path).decode("utf-8", "replace")


@dataclass
class NativeAnswers:
    """Keeps ``(method, path, status)`` of each answer of the app it was attached to."""

    seen: list[Answered] = field(default_factory=list)

    def attach(self, app: AppServiceApp) -> AppServiceApp:
        """Wrap ``app``'s ``answer`` and ``early_answer`` (on the instance); returns ``app``."""
        answer = app.answer
        early_answer = app.early_answer

        async def recording(
            method: str,
            path: bytes,
            query_string: bytes,
            authorization: bytes | None,
            body: bytes | Callable[[], Awaitable[bytes]],
        ) -> _Answer:
            answered = await answer(method, path, query_string, authorization, body)
            self.seen.append(Answered(method, _decoded(path), answered[0]))
            return answered

        def recording_early(
            method: str, path: bytes, query_string: bytes, authorization: bytes | None
        ) -> _Answer | None:
            answered = early_answer(method, path, query_string, authorization)
            if answered is not None:
                self.seen.append(Answered(method, _decoded(path), answered[0]))
            return answered

        # Instance attributes shadow the methods; mypy objects to assigning to a method.
        app.answer = recording  # type: ignore[method-assign]
        app.early_answer = recording_early  # type: ignore[method-assign]
        return app


@contextmanager
def serving_native(
    app: AppServiceApp, port: int, timeout: float = 30, limits: ServerLimits | None = None
) -> Iterator[HTTPServer]:
    """``app`` served by :class:`HTTPServer` on 127.0.0.1:``port`` in a thread (uvloop when
    installed). Listening when this yields; closed, with the app, on exit."""
    server = HTTPServer(app, limits)
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
            await app.close()  # as HTTPServer.serve does when it cannot listen
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

    thread = threading.Thread(target=run, name=f"native-http-{port}", daemon=True)
    thread.start()
    if not started.wait(timeout) or errors:
        thread.join(timeout)  # after a failed start the app is being closed
        raise RuntimeError(f"the native HTTP server did not start on port {port}") from (
            errors[0] if errors else None
        )
    try:
        yield server
    finally:
        if thread.is_alive():
            loops[0].call_soon_threadsafe(stop[0].set)
        thread.join(timeout + server.limits.shutdown_timeout)
        if thread.is_alive():
            raise RuntimeError(f"the native HTTP server on port {port} did not stop")
        if errors:
            raise RuntimeError(f"the native HTTP server on port {port} failed") from errors[0]
