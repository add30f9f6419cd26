"""Serving an ASGI app over HTTP/1.1 with granian (Rust, hyper), with its limits set explicitly.

What ``matrix-appservice serve`` (an :class:`~matrix_appservice.server.AppServiceApp`) and
``matrix-appservice homeserver`` (the in-memory homeserver's app) run on, and what a program runs an app on from code::

    server = AppServer(app)                  # AppServiceApp: its startup() and close() are the hooks
    await server.start("127.0.0.1", 9009)    # bind, start-up hook, then take connections
    ...                                      # port 0 picks a free one: server.port
    await server.close()                     # stop, let answers in progress end, shut-down hook

or ``run_app(app, host, port)``, which serves until SIGINT or SIGTERM.

granian parses HTTP/1.1 (framing, smuggling, pipelining, ``HEAD``, ``Expect``, trailers) in
its Rust thread and calls the app on this thread's event loop (uvloop when installed). The
limits it enforces are set here (:class:`HTTPLimits`); the app enforces the body's size while
it streams (413 ``M_TOO_LARGE``) and refuses a request on its path, method or token before it
reads the body. What granian cannot enforce (a request without ``Host``, separate limits on
idle and slow connections, a time limit on the body) is left to a reverse proxy: see the
package README's section on serving.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["AppServer", "HTTPLimits", "listen", "new_event_loop", "run_app"]

Hook = Callable[[], Awaitable[None]]

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})
_MIN_HEAD_BYTES = 8192
"""hyper reads into a buffer of at least this size; a smaller one is refused."""


@dataclass(frozen=True)
class HTTPLimits:
    """What :class:`AppServer` accepts from its peers."""

    header_timeout: float = 130.0
    """Seconds a connection may go without a complete request head: from connecting, or from
    the end of the previous answer. granian has one timer for both a slow head and an idle
    keep-alive connection, so it is longer than the 120 s Synapse keeps an idle connection
    (the homeserver, not this server, ends it: a server that closes first races a request
    sent at that moment)."""
    max_connections: int = 1024
    """Connections served at once; the next ones wait in the listen backlog, unanswered, until
    one ends."""
    backlog: int = 2048
    """Connections the kernel queues before they are taken."""
    max_head_bytes: int = 64 * 1024
    """The bound of the read buffer, which a request line and its headers must fit in (at
    least 8192). A head this size passes; one that still does not fit once the buffer is
    full is refused with 431 (one read can take the buffer up to twice the bound, so no head
    over twice this passes). hyper also refuses more than 100 headers (431)."""
    shutdown_timeout: float = 30.0
    """Seconds :meth:`AppServer.close` waits for the answers in progress."""
    linger_bytes: int = 1024 * 1024
    """After an answer given without reading the whole body (401, 413...), how much more of
    the body is read and dropped, so that a peer still sending gets to read the answer."""
    linger_timeout: float = 2.0
    """... and for at most how many seconds."""

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) <= 0:
                raise ValueError(f"HTTPLimits.{field.name} must be positive")
        if self.max_head_bytes < _MIN_HEAD_BYTES:
            raise ValueError(f"HTTPLimits.max_head_bytes must be at least {_MIN_HEAD_BYTES}")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when it is installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def listen(host: str, port: int, backlog: int = 2048) -> list[socket.socket]:
    """Listening sockets for every address of ``host`` on ``port`` (with port 0, the port the
    first one got, for all). Raises ``OSError`` (or ``UnicodeError`` for a bad host name)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    seen = set()
    try:
        for family, kind, proto, _, address in found:
            if (family, address[0]) in seen:
                continue
            seen.add((family, address[0]))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class AppServer:
    """Serve an ASGI ``app`` with granian (extra ``[server]``) on every address of one host.

    ``startup`` and ``shutdown`` are the hooks run before the first connection is taken and
    after the last answer; by default the app's own ``startup()`` and ``close()`` when it has
    them (an :class:`~matrix_appservice.server.AppServiceApp` does). The app's ASGI lifespan
    is not used. ``sockets``: sockets already listening (see :func:`listen`), served instead
    of binding.
    """

    def __init__(
        self,
        app: Any,
        limits: HTTPLimits | None = None,
        *,
        startup: Hook | None = None,
        shutdown: Hook | None = None,
        sockets: list[socket.socket] | None = None,
    ) -> None:
        import granian  # noqa: F401 - fail here, not on start

        self.app = app
        self.limits = limits or HTTPLimits()
        self._startup: Hook | None = startup or getattr(app, "startup", None)
        self._shutdown: Hook | None = shutdown or getattr(app, "close", None)
        self.sockets: list[socket.socket] = list(sockets or [])
        """The listening sockets (closed by :meth:`close`)."""
        self.port = int(self.sockets[0].getsockname()[1]) if self.sockets else 0
        self._signals: list[Any] = []
        self._stopped: list[asyncio.Future[None]] = []
        self._active = 0
        self._drained: asyncio.Event | None = None
        self._closed = False
        self._threads: set[str] = set()

    def bind(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` without taking connections yet (:meth:`start` does both);
        ``port`` 0 picks a free one, :attr:`port` says which. Raises ``OSError``."""
        self.sockets = listen(host, port, self.limits.backlog)
        self.port = int(self.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (unless :meth:`bind` did), run the start-up hook, then take
        connections; returns once it does. What binding or the hook raises is raised (call
        :meth:`close` to undo the rest)."""
        if not self.sockets:
            self.bind(host, port)
        if self._startup is not None:
            await self._startup()
        for sock in self.sockets:
            self._serve_on(sock)

    def _serve_on(self, sock: socket.socket) -> None:
        # granian's embedded worker, as granian.server.embed drives it, on a socket of ours
        # (its own Server binds by itself and cannot tell the port it got). Its type stubs
        # lag behind the extension, so its modules are used untyped.
        native: Any = importlib.import_module("granian._granian")
        futures: Any = importlib.import_module("granian._futures")
        from granian.http import HTTP1Settings

        limits = self.limits
        loop = asyncio.get_running_loop()
        stopped = loop.create_future()
        stop = native.WorkerSignal()

        def stopping() -> None:
            if not stopped.done():
                stopped.set_result(None)

        def on_stop() -> None:  # in granian's thread
            loop.call_soon_threadsafe(stopping)

        stop.add_cb(on_stop)
        http1 = HTTP1Settings(
            header_read_timeout=int(limits.header_timeout * 1000),
            keep_alive=True,
            max_buffer_size=limits.max_head_bytes,
            pipeline_flush=False,
        )
        # granian closes the descriptor it is given when it stops: give it its own.
        holder = native.SocketHolder(os.dup(sock.fileno()), False, limits.backlog)
        no_tls: tuple[Any, ...] = (False, None, None, None, "tls1.3", None, [], False)
        worker = native.ASGIWorker(
            1, (None, holder), None,
            1, 1,  # Rust threads: the runtime's, and for blocking work
            1, 30,  # Python threads (unused by ASGI) and their idle time
            limits.max_connections, "1", http1, None,
            False,  # websockets
            None,  # static files
            *no_tls, (None, None),
        )  # fmt: skip
        scheduler = futures._new_cbscheduler(loop, self._call, impl_asyncio=True)
        before = _thread_ids()
        worker.serve_async(scheduler, loop, stop)
        self._threads |= _thread_ids() - before
        self._signals.append(stop)
        self._stopped.append(stopped)

    async def _call(self, watcher: Any) -> None:
        """One request: the app with granian's scope, receive and send; then what is left
        of the body, up to a bound (see :meth:`_linger`)."""
        self._active += 1
        proto = watcher.proto
        read = proto.receive
        body_left = True

        async def receive() -> dict[str, Any]:
            nonlocal body_left
            message: dict[str, Any] = await read()
            body_left = bool(message.get("more_body")) and message["type"] == "http.request"
            return message

        try:
            await self.app(watcher.scope, receive, proto.send)
        except BaseException as exc:
            watcher.err(exc)
        else:
            if body_left and watcher.scope["method"] not in _NO_BODY:
                await self._linger(read)
            watcher.done()
        finally:
            self._active -= 1
            if not self._active and self._drained is not None:
                self._drained.set()

    async def _linger(self, read: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        """Read and drop what is left of a body the app answered without reading (a 401, a
        413...), up to ``linger_bytes`` for at most ``linger_timeout`` seconds: a server that
        closes with unread bytes makes the kernel reset the connection, and a peer still
        sending would lose the answer."""
        left = self.limits.linger_bytes
        try:
            async with asyncio.timeout(self.limits.linger_timeout):
                while left > 0:
                    message = await read()
                    left -= len(message.get("body", b""))
                    if not message.get("more_body") or message["type"] != "http.request":
                        return
        except TimeoutError:
            pass

    async def close(self) -> None:
        """Stop taking connections, let the answers in progress end (at most
        ``shutdown_timeout`` seconds), close the connections, then run the shut-down hook."""
        if self._closed:
            return
        self._closed = True
        self._drained = asyncio.Event()
        try:
            for stop in self._signals:
                stop.set()
            if self._stopped:
                await asyncio.wait(self._stopped, timeout=self.limits.shutdown_timeout)
            if self._active:
                try:
                    await asyncio.wait_for(self._drained.wait(), self.limits.shutdown_timeout)
                except TimeoutError:
                    pass
            await self._threads_ended()
        finally:
            for sock in self.sockets:
                sock.close()
            if self._shutdown is not None:
                await self._shutdown()

    async def _threads_ended(self) -> None:
        """Wait (at most ``shutdown_timeout`` seconds) until granian's threads have ended: its
        runtime still calls into the event loop while it closes the last connections, and
        a loop or an interpreter that ends first makes it abort the process."""
        if not self._threads:  # no /proc to look in: a moment for the runtime to end
            await asyncio.sleep(0.05 if self._signals else 0)
            return
        clock = asyncio.get_running_loop().time
        deadline = clock() + self.limits.shutdown_timeout
        while self._threads & _thread_ids() and clock() < deadline:
            await asyncio.sleep(0.002)

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start on ``host:port``, serve until SIGINT or SIGTERM, then close; when the start
        fails, the shut-down hook runs and the exception is raised."""
        try:
            await self.start(host, port)
        except BaseException:
            await self.close()
            raise
        await self.serve_forever()

    async def serve_forever(self) -> None:
        """Once started: serve until SIGINT or SIGTERM, then close as :meth:`close` does."""
        stopping = asyncio.Event()
        remove = on_stop_signals(asyncio.get_running_loop(), stopping.set)
        try:
            await stopping.wait()
        finally:
            remove()
            await self.close()


def _thread_ids() -> set[str]:
    """The ids of this process's threads, native ones included (empty where ``/proc`` is
    missing)."""
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:
        return set()


def on_stop_signals(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Callable[[], None]:
    """Call ``stop`` on SIGINT and SIGTERM; returns the function that removes the handlers."""
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # no signals in this thread
            pass

    def remove() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return remove


def run_app(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    limits: HTTPLimits | None = None,
    startup: Hook | None = None,
    shutdown: Hook | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` with :class:`AppServer` until SIGINT or SIGTERM."""
    server = AppServer(app, limits, startup=startup, shutdown=shutdown)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(server.serve(host, port))
