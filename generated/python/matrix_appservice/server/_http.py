"""A small HTTP/1.1 server for :class:`AppServiceApp`: httptools parses, asyncio (uvloop when
installed) carries the bytes, and each request goes straight to :meth:`AppServiceApp.answer`.

This is what ``matrix-appservice serve`` runs by default (``--http uvicorn`` runs the ASGI app
under uvicorn instead). It serves exactly what an appservice needs, JSON requests and answers
over keep-alive connections, and leaves out what it does not (upgrades, streaming answers),
which is where a general ASGI server spends most of its time per request.

Limits, each answered before anything reaches the app (see :class:`ServerLimits`):

- a request line and headers over ``max_header_bytes`` or ``max_headers`` in number: 431,
  and the connection is closed;
- a body over the app's ``max_body_bytes``: 413 ``M_TOO_LARGE``, from ``Content-Length``
  before the body is read, or as soon as a chunked body passes it;
- a request not read whole within ``request_timeout`` seconds of its first byte (a client
  that trickles its headers or body): 408, closed;
- a connection idle for ``keepalive_timeout`` seconds: closed;
- more than ``max_connections`` open connections: 503, closed;
- requests sent ahead on one connection (pipelining) are answered in order, one at a time;
  past ``max_pipelined`` waiting, the connection is not read until they are answered; more
  than four times that in one read is 400, and the connection is closed after the answer
  in progress; a peer that does not read its answers is not read either, and the next
  answer waits until the transport takes bytes again;
- malformed HTTP: 400, closed. An ``Upgrade`` or ``CONNECT`` request is answered as a
  normal request and the connection is closed after it.

A handler runs to its end even when the homeserver goes away meanwhile: a transaction it
completes is recorded, and the homeserver's retry gets the recorded answer.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, cast

from matrix_appservice._http_pipeline.answers import error_body

if TYPE_CHECKING:
    from matrix_appservice.server._app import AppServiceApp

__all__ = ["HTTPServer", "ServerLimits", "new_event_loop", "run_http"]

_LOG = logging.getLogger("matrix_appservice.server")


@dataclass(frozen=True)
class ServerLimits:
    """What one :class:`HTTPServer` accepts from its peers."""

    max_header_bytes: int = 64 * 1024
    """The request line and all header names and values of one request, together."""
    max_headers: int = 100
    keepalive_timeout: float = 130.0
    """Seconds a connection may stay open without a request in progress. Longer than the
    120 s Synapse keeps an idle connection in its pool, so that the homeserver, not this
    server, ends it: a server that closes first can race a request sent at that moment."""
    request_timeout: float = 60.0
    """Seconds from a request's first byte to its last."""
    max_connections: int = 1024
    max_pipelined: int = 16
    """Requests read ahead on one connection before it is no longer read (reading stops
    between reads: one read that brings more than four times this many is refused)."""
    shutdown_timeout: float = 30.0
    """Seconds :meth:`HTTPServer.close` waits for the answers in progress."""
    linger_bytes: int = 1024 * 1024
    """After an error answer (413, 431, ...), how much more of the request is read and
    dropped, so that a peer still sending gets to read the answer."""
    linger_timeout: float = 2.0
    """... and for at most how many seconds."""

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) <= 0:
                raise ValueError(f"ServerLimits.{name} must be positive")


class _Refused(Exception):
    """Raised inside a parser callback: answer ``status`` with ``body`` and close."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers
        self.body = body


_REASONS = {s.value: s.phrase.encode("ascii") for s in HTTPStatus}
_METHODS = {m: m.decode("ascii") for m in (b"GET", b"PUT", b"POST", b"DELETE", b"HEAD", b"OPTIONS")}


def _method(raw: bytes) -> str:
    return _METHODS.get(raw) or raw.decode("latin-1")


_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_EARLY_CHECK_BYTES = 64 * 1024
"""Bodies larger than this (or sent in chunks) are not read for a request that is refused
on its path, method or token."""
_TOO_MANY_HEADERS = error_body("M_UNKNOWN", "The request's headers are too large")
_BAD_REQUEST = error_body("M_UNKNOWN", "The request is not valid HTTP/1.1")
_TIMEOUT = error_body("M_UNKNOWN", "The request was not sent in time")
_TOO_FAR_AHEAD = error_body("M_UNKNOWN", "Too many requests sent ahead on one connection")
_BUSY = error_body("M_UNKNOWN", "Too many connections")
_FAILED = error_body("M_UNKNOWN", "The appservice failed to handle the request")


def _date() -> bytes:
    return formatdate(usegmt=True).encode("ascii")


class _Connection(asyncio.Protocol):
    """One keep-alive connection: requests are parsed as bytes arrive and answered in order."""

    def __init__(self, server: HTTPServer) -> None:
        import httptools

        self.server = server
        self.app = server.app
        self.limits = server.limits
        self.body_limit = server.app.max_body_bytes
        self.parser = httptools.HttpRequestParser(self)
        self.upgrade = httptools.HttpParserUpgrade
        self.callback_error = httptools.HttpParserCallbackError
        self.parse_error = httptools.HttpParserError
        self.transport: asyncio.Transport | None = None
        self.queue: deque[tuple[str, bytes, bytes | None, bytes, bool]] = deque()
        self.busy = False
        """An answer is in progress (requests that complete meanwhile wait in ``queue``)."""
        self.paused = False
        self.write_paused = False
        self.last_upgrade = False
        self.refusal: tuple[int, list[tuple[bytes, bytes]], bytes] | None = None
        """An error answer to send, and close, once the answer in progress is sent."""
        self.started = 0.0
        """When the request being read began (0.0: none is being read)."""
        self.drained: asyncio.Future[None] | None = None
        """Set while the next answer waits for the transport to take more bytes."""
        self.peer_done = False
        """The peer ended its side of the connection after its last request."""
        self.in_head = False
        """A request's head is being read: ``head_seen`` counts its bytes."""
        self.head_seen = 0
        self.lingering = 0
        """After an error answer: how many more bytes are read and dropped (0: not lingering)."""
        self.linger_until = 0.0
        self.last = 0.0
        self._new_request()

    def _new_request(self) -> None:
        self.url = b""
        self.authorization: bytes | None = None
        self.length: bytes | None = None
        self.expect = False
        self.chunked = False
        self.header_bytes = 0
        self.header_count = 0
        self.chunks: list[bytes] = []
        self.size = 0

    # -- asyncio ----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.last = self.server.loop.time()
        if len(self.server.connections) >= self.limits.max_connections:
            # No lingering here: such a connection is not tracked, so nothing would end it.
            self.transport.write(self._head(503, [], len(_BUSY), True) + _BUSY)
            self.transport.close()
            return
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.transport = None
        self.queue.clear()
        self._wake_writer()

    def eof_received(self) -> bool:
        if self.busy and not self.lingering:  # the peer has sent all it will: answer, then close
            self.peer_done = True
            return True
        return False

    def pause_writing(self) -> None:
        self.write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_writer()
        self._update_reading()

    def _wake_writer(self) -> None:
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() or self.lingering:
            return
        pause = self.write_paused or len(self.queue) >= self.limits.max_pipelined
        if pause and not self.paused:
            self.paused = True
            transport.pause_reading()
        elif not pause and self.paused:
            self.paused = False
            transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self.last = self.server.loop.time()
        if self.lingering:  # after an error answer: read and drop, so the peer gets to read it
            self.lingering -= len(data)
            if self.lingering <= 0:
                self._close()
            return
        try:
            self.parser.feed_data(data)
            if self.in_head:
                # httptools keeps a header line to itself until it ends: count what it holds.
                self.head_seen += len(data)
                if self.head_seen > self.limits.max_header_bytes:
                    self.in_head = False
                    self._refuse(431, _TOO_MANY_HEADERS)
        except self.upgrade:  # Upgrade or CONNECT: answer what came, then close
            self.last_upgrade = True
            if self.transport is not None:
                self.transport.pause_reading()
                self.paused = True
            if not self.busy:
                self._linger()
        except self.callback_error as exc:
            cause = exc.__context__
            if isinstance(cause, _Refused):
                self._refuse(cause.status, cause.body, cause.headers)
            else:  # a parser callback failed: a bug here, not the peer's
                _LOG.error(
                    "HTTP parser callback failed", exc_info=cause, extra={"event": "http_error"}
                )
                self._refuse(500, _FAILED)
        except self.parse_error:
            self._refuse(400, _BAD_REQUEST)

    # -- httptools callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._new_request()
        self.started = self.last
        self.in_head = True

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.header_bytes += len(url)
        if self.header_bytes > self.limits.max_header_bytes:
            raise _Refused(414, [], error_body("M_UNKNOWN", "The request's path is too long"))

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value)
        self.header_count += 1
        if (
            self.header_bytes > self.limits.max_header_bytes
            or self.header_count > self.limits.max_headers
        ):
            raise _Refused(431, [], _TOO_MANY_HEADERS)
        name = name.lower()
        if name == b"authorization":
            self.authorization = value
        elif name == b"content-length":
            self.length = value
        elif name == b"expect":
            self.expect = value.lower() == b"100-continue"
        elif name == b"transfer-encoding":
            self.chunked = True

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_seen = 0
        length = self.length
        declared = -1 if length is None else int(length) if len(length) <= 18 else 1 << 62
        if (
            (self.chunked and length is None)
            or declared > _EARLY_CHECK_BYTES
            or declared > self.body_limit
        ):
            # A body sent in chunks, or a large one: refuse what will be refused before
            # taking the body in (small bodies are nearly always whole in the first read).
            path, query = _split_target(self.url)
            early = self.app.early_answer(
                _method(self.parser.get_method()), path, query, self.authorization
            )
            if early is not None:
                raise _Refused(*early)
            if declared > self.body_limit:
                raise _Refused(413, [], _too_large(self.body_limit))
        if self.expect and self.transport is not None and not self.busy and not self.queue:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.body_limit:
            raise _Refused(413, [], _too_large(self.body_limit))
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        request = (
            _method(self.parser.get_method()),
            self.url,
            self.authorization,
            body,
            self.parser.should_keep_alive(),
        )
        self.started = 0.0
        if self.busy:
            if len(self.queue) >= self.limits.max_pipelined * 4:
                # Past the limit within one read (reading stops between reads): too far.
                raise _Refused(400, [], _TOO_FAR_AHEAD)
            self.queue.append(request)
            self._update_reading()
            return
        self.busy = True
        self.server.loop.create_task(self._answer(request))

    # -- answers ----------------------------------------------------------------------------------

    async def _answer(self, request: tuple[str, bytes, bytes | None, bytes, bool]) -> None:
        while True:
            method, url, authorization, body, keep_alive = request
            path, query = _split_target(url)
            try:
                status, headers, answer = await self.app.answer(
                    method, path, query, authorization, body
                )
            except Exception:
                _LOG.exception("request failed", extra={"event": "request_failed"})
                status, headers, answer = 500, [], _FAILED
            transport = self.transport
            if transport is None or transport.is_closing():
                self.busy = False
                return
            last = (
                not keep_alive
                or self.server.closing
                or (self.peer_done and not self.queue)
                or (not self.queue and (self.last_upgrade or self.refusal is not None))
            )
            if last and self.refusal is not None:
                transport.write(self._head(status, headers, len(answer), False) + answer)
                status, headers, answer = self.refusal
            transport.write(self._head(status, headers, len(answer), last) + answer)
            self.last = self.server.loop.time()
            if last:
                if self.refusal is not None or self.last_upgrade:
                    self._linger()
                else:
                    self._close()
                return
            if not self.queue:
                self.busy = False
                return
            request = self.queue.popleft()
            self._update_reading()
            if self.write_paused:  # a peer that does not read: its answers wait, not pile up
                self.drained = self.server.loop.create_future()
                await self.drained

    def _head(
        self, status: int, headers: list[tuple[bytes, bytes]], length: int, last: bool
    ) -> bytes:
        if status == 200 and not headers and not last:
            return self.server.ok_head + b"%d\r\n\r\n" % length
        head = (
            b"HTTP/1.1 %d %s\r\ndate: %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            % (
                status,
                _REASONS.get(status, b"Unknown"),
                self.server.date,
                length,
            )
        )
        for name, value in headers:
            head += name + b": " + value + b"\r\n"
        if last:
            head += b"connection: close\r\n"
        return head + b"\r\n"

    def _refuse(
        self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        """Answer ``status`` at once (after any answer in progress, if it can wait) and close."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.queue.clear()
        if self.busy:  # the answer in progress comes first
            transport.pause_reading()
            self.paused = True
            self.refusal = (status, headers or [], body)
            return
        transport.write(self._head(status, headers or [], len(body), True) + body)
        self._linger()

    def _linger(self) -> None:
        """Close after an error answer, when the peer may still be sending the request.

        Closing at once would make the kernel reset the connection, and the peer could lose
        the answer before reading it. So: end the sending side, then read and drop up to
        ``linger_bytes`` for at most ``linger_timeout`` seconds, or until the peer closes.
        """
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        self.lingering = self.limits.linger_bytes
        self.linger_until = self.server.loop.time() + self.limits.linger_timeout
        self.queue.clear()
        self.started = 0.0
        if self.paused:
            self.paused = False
            transport.resume_reading()

    def _close(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.close()

    def check(self, now: float) -> None:
        """Close this connection if a timeout has passed (called about once a second)."""
        if self.lingering:
            if now > self.linger_until:
                self._close()
        elif self.started and now - self.started > self.limits.request_timeout:
            self.started = 0.0
            self._refuse(408, _TIMEOUT)
        elif not self.busy and not self.started and now - self.last > self.limits.keepalive_timeout:
            self._close()

    def close_if_idle(self) -> bool:
        """Close now if no answer is in progress; whether it was closed."""
        if self.busy:
            return False
        self._close()
        return True


def _too_large(limit: int) -> bytes:
    return error_body("M_TOO_LARGE", f"The body is larger than {limit} bytes")


def _split_target(url: bytes) -> tuple[bytes, bytes]:
    """A request target's raw path and query string."""
    if url[:1] == b"/":
        path, _, query = url.partition(b"?")
        return path.partition(b"#")[0], query.partition(b"#")[0]
    return _absolute_form(url)


def _absolute_form(url: bytes) -> tuple[bytes, bytes]:
    """``http://host/path?query`` (a request target in absolute form): the path and query."""
    _, sep, rest = url.partition(b"://")
    if not sep:
        return url, b""  # "*" and the like: no path the app serves
    slash = rest.find(b"/")
    if slash < 0:
        return b"/", rest.partition(b"?")[2].partition(b"#")[0]
    path, _, query = rest[slash:].partition(b"?")
    return path.partition(b"#")[0], query.partition(b"#")[0]


class HTTPServer:
    """Serve an :class:`AppServiceApp` over HTTP/1.1 (needs ``httptools``: extra ``[server]``).

    ::

        server = HTTPServer(app)
        await server.start("127.0.0.1", 9009)   # port 0 picks a free one: server.port
        ...
        await server.close()                    # stops listening, finishes answers, closes the app
    """

    def __init__(self, app: AppServiceApp, limits: ServerLimits | None = None) -> None:
        import httptools  # noqa: F401 - fail here, not on the first connection

        self.app = app
        self.limits = limits or ServerLimits()
        self.connections: set[_Connection] = set()
        self.date = _date()
        self.ok_head = b""
        self._refresh_head()
        self._server: asyncio.AbstractServer | None = None
        self._ticker: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closing = False
        self.port = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "the server is not started"
        return self._loop

    def _refresh_head(self) -> None:
        self.ok_head = (
            b"HTTP/1.1 200 OK\r\ndate: %s\r\ncontent-type: application/json\r\ncontent-length: "
            % self.date
        )

    async def bind(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` without taking connections yet (:meth:`start` does both);
        ``port`` 0 picks a free one, :attr:`port` says which. Raises ``OSError``."""
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(
            lambda: _Connection(self), host, port, backlog=2048, reuse_address=True,
            start_serving=False,
        )  # fmt: skip
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (unless :meth:`bind` did), run the app's start-up
        (:meth:`AppServiceApp.startup`: the store's connection, the handler's ``startup``), then
        take connections; returns once it does. When binding or the start-up fails, the
        exception is raised; :meth:`close` undoes the rest."""
        if self._server is None:
            await self.bind(host, port)
        assert self._server is not None
        await self.app.startup()
        await self._server.start_serving()
        self._tick()

    def _tick(self) -> None:
        self.date = _date()
        self._refresh_head()
        now = self.loop.time()
        for connection in list(self.connections):
            connection.check(now)
        self._ticker = self.loop.call_later(1.0, self._tick)

    async def close(self) -> None:
        """Stop listening, let the answers in progress finish (at most ``shutdown_timeout``
        seconds), close every connection, then close the app."""
        self.closing = True
        if self._server is not None:
            self._server.close()
        deadline = time.monotonic() + self.limits.shutdown_timeout
        while True:
            waiting = [c for c in list(self.connections) if not c.close_if_idle()]
            if not waiting or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection._close()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await self.app.close()

    async def serve(self, host: str, port: int) -> None:
        """Listen on ``host:port`` and serve until SIGINT or SIGTERM (see :meth:`serve_forever`);
        when the address cannot be bound, the app is closed and the ``OSError`` raised."""
        try:
            await self.start(host, port)
        except BaseException:
            await self.app.close()
            raise
        await self.serve_forever()

    async def serve_forever(self) -> None:
        """Once started: serve until SIGINT or SIGTERM, then close as :meth:`close` does."""
        stop = asyncio.Event()
        loop = self.loop
        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):  # no signals in this thread
                pass
        try:
            await stop.wait()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            await self.close()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when it is installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def run_http(
    app: AppServiceApp, host: str, port: int, *, limits: ServerLimits | None = None
) -> None:
    """Serve ``app`` on ``host:port`` with :class:`HTTPServer` until SIGINT or SIGTERM."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(HTTPServer(app, limits).serve(host, port))
