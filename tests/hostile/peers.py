"""Hostile HTTP peers on a loopback port, for the package's clients and its probe.

A peer is a plain TCP server on 127.0.0.1 (a port it picks) that reads each request head
and hands the connection to a responder: one that sends an endless or huge body, one that
sends its answer a byte at a time, one that records the exact request line. The bytes on
the wire are what the test says, which an HTTP server library would not allow. Every peer
stops (its connections closed, its threads joined) when its ``with`` block ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = [
    "Head",
    "Responder",
    "answer",
    "endless_chunked",
    "huge_body",
    "recorder",
    "routed",
    "serving",
    "trickle",
]

MAX_HEAD = 64 * 1024
BLOCK = b" " * (1024 * 1024)  # JSON whitespace: a body that is valid JSON so far


@dataclass
class Head:
    """A request as received: the request line exactly, and the header block."""

    line: bytes
    headers: dict[str, str]

    @property
    def method(self) -> str:
        return self.line.split(b" ", 1)[0].decode("latin-1")

    @property
    def target(self) -> str:
        return self.line.split(b" ")[1].decode("latin-1") if b" " in self.line else ""


Responder = Callable[[socket.socket, Head, threading.Event], bool]
"""Answers one request; returns whether the connection can carry another."""


@dataclass
class _Conn:
    sock: socket.socket
    buffer: bytes = b""

    def head(self) -> Head | None:
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD:
                return None
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        raw, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        line, *rest = raw.split(b"\r\n")
        headers = {}
        for item in rest:
            name, _, value = item.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return Head(line, headers)

    def drain(self, head: Head) -> None:
        """Read the request body (by Content-Length) so the client can go on to read."""
        left = int(head.headers.get("content-length", "0") or 0) - len(self.buffer)
        self.buffer = b""
        while left > 0:
            data = self.sock.recv(min(left, 1 << 20))
            if not data:
                return
            left -= len(data)


@dataclass
class _Server:
    respond: Responder
    drain: bool
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    conns: list[socket.socket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, sock: socket.socket) -> None:
        conn = _Conn(sock)
        try:
            while not self.stop.is_set():
                head = conn.head()
                if head is None:
                    return
                if self.drain:
                    conn.drain(head)
                if not self.respond(sock, head, self.stop):
                    return
        except OSError:  # the client left: nothing more to do
            return
        finally:
            sock.close()

    def accept(self, listener: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            with self.lock:
                self.conns.append(sock)
                thread = threading.Thread(target=self.handle, args=(sock,), daemon=True)
                self.threads.append(thread)
            thread.start()


@contextmanager
def serving(respond: Responder, *, drain: bool = True) -> Iterator[str]:
    """Serve ``respond`` on 127.0.0.1; yields the base URL. ``drain``: read each request's
    body before answering (off: the peer answers without reading, as a hostile one may)."""
    server = _Server(respond, drain)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    acceptor = threading.Thread(target=server.accept, args=(listener,), daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.stop.set()
        acceptor.join(timeout=5)
        listener.close()
        with server.lock:
            for sock in server.conns:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            threads = list(server.threads)
        for thread in threads:
            thread.join(timeout=5)


def _status(code: int, headers: dict[str, str]) -> bytes:
    lines = [
        f"HTTP/1.1 {code} X",
        "Content-Type: application/json",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def huge_body(size: int) -> Responder:
    """A 200 that announces ``size`` bytes with Content-Length and sends them."""

    def respond(sock: socket.socket, head: Head, stop: threading.Event) -> bool:
        sock.sendall(_status(200, {"Content-Length": str(size)}))
        left = size
        while left > 0 and not stop.is_set():
            piece = BLOCK[: min(left, len(BLOCK))]
            sock.sendall(piece)
            left -= len(piece)
        return True

    return respond


def endless_chunked() -> Responder:
    """A 200 with a chunked body that never ends."""
    chunk = f"{len(BLOCK):x}\r\n".encode() + BLOCK + b"\r\n"

    def respond(sock: socket.socket, head: Head, stop: threading.Event) -> bool:
        sock.sendall(_status(200, {"Transfer-Encoding": "chunked"}))
        while not stop.is_set():
            sock.sendall(chunk)
        return False

    return respond


def trickle(interval: float) -> Responder:
    """An answer sent one byte every ``interval`` seconds, status line first, that does not
    end in any time a test would wait (its Content-Length is a million bytes)."""

    def respond(sock: socket.socket, head: Head, stop: threading.Event) -> bool:
        data = _status(200, {"Content-Length": "1000000"}) + b" " * 1_000_000
        for at in range(len(data)):
            if stop.wait(interval):
                break
            sock.sendall(data[at : at + 1])
        return False

    return respond


def answer(code: int, body: bytes = b"{}") -> Responder:
    """A plain answer, on a connection that stays open."""

    def respond(sock: socket.socket, head: Head, stop: threading.Event) -> bool:
        sock.sendall(_status(code, {"Content-Length": str(len(body))}) + body)
        return True

    return respond


def routed(choose: Callable[[Head], Responder]) -> Responder:
    """The responder that ``choose`` picks for each request."""

    def respond(sock: socket.socket, head: Head, stop: threading.Event) -> bool:
        return choose(head)(sock, head, stop)

    return respond


def recorder(seen: list[Head], code: int = 200, body: bytes = b"{}") -> Responder:
    """Records every request head in ``seen`` and answers ``code`` with ``body``."""
    plain = answer(code, body)

    def respond(sock: socket.socket, head: Head, stop: threading.Event) -> bool:
        seen.append(head)
        return plain(sock, head, stop)

    return respond
