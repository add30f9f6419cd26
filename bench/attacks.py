"""Raw-socket cases against an HTTP/1.1 server that serves the appservice app on loopback.

Each case opens its own connections to ``127.0.0.1:port``, sends bytes a broken or hostile
peer would send, and says whether the server did what a careful server does, with a short
account of what it saw. ``bench/http_stack.py`` runs every case against each candidate
server side by side; the tests in ``tests/python/server/test_http.py`` assert the chosen
server's behaviour case by case.

The app behind the server is ``matrix-appservice serve`` with the bench's handler: a
transaction needs the hs_token ``TOKEN``; an unknown path is 404, a known path with another
method 405 (``HEAD`` included), each with a JSON body.

Every case is bounded in time (``Limits`` says how long the server may take for the timed
ones) and sends at most a few tens of MiB.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TOKEN = "bench-hs-token-5f0c2a"
TXN = "/_matrix/app/v1/transactions/"
REFUSED = (400, 413, 414, 431)
"""The statuses that refuse a request for its size."""
HORIZON = 140.0
"""How long the timed cases watch a server that has no header timeout."""
WAIT = 5.0
"""How long an answer may take to come in the cases that are not about time."""


@dataclass(frozen=True)
class Limits:
    """What the server under test is configured to do, for the timed and counted cases."""

    header_timeout: float | None
    """Seconds within which a connection that sends no complete request head is dropped
    (``None``: the server has no such limit, and the timed cases watch for ``HORIZON``)."""
    keepalive: float
    """Seconds an idle connection is kept between requests (must exceed Synapse's 120 s)."""
    max_connections: int
    """The connection cap."""
    max_body_bytes: int = 32 * 1024 * 1024
    """The app's body limit."""


@dataclass(frozen=True)
class Outcome:
    passed: bool
    saw: str


Case = Callable[[int, Limits], Outcome]


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request(
    method: str,
    target: str,
    body: bytes | None = None,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    version: str = "1.1",
    host: bool = True,
    token: bool = True,
) -> bytes:
    lines = [f"{method} {target} HTTP/{version}"]
    if host:
        lines.append("Host: appservice")
    if token:
        lines.append(f"Authorization: Bearer {TOKEN}")
    lines += [f"{name}: {value}" for name, value in headers]
    if body is not None and not any(n.lower() == "transfer-encoding" for n, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Reader:
    """Answers read off one connection, as bytes arrive."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def _fill(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0 or self.closed:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        except OSError:  # reset
            self.closed = True
            return False
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    def head(self, timeout: float = WAIT) -> tuple[int, dict[str, str]] | None:
        """The next answer's status and headers (names in lower case), or None."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill(deadline):
                return None
        raw, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts = status_line.split()
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            return 0, {"status-line": status_line}
        return int(parts[1]), headers

    def body(self, length: int, timeout: float = WAIT) -> bytes | None:
        deadline = time.monotonic() + timeout
        while len(self.buffer) < length:
            if not self._fill(deadline):
                return None
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body

    def answer(self, timeout: float = WAIT) -> tuple[int, dict[str, str], bytes] | None:
        """The next whole answer (a body by ``content-length``), or None."""
        head = self.head(timeout)
        if head is None:
            return None
        status, headers = head
        body = self.body(int(headers.get("content-length", "0") or 0), timeout)
        return None if body is None else (status, headers, body)

    def ends(self, timeout: float) -> float | None:
        """Seconds until the server ends the connection (reading and dropping what comes),
        or None when it is still open after ``timeout``."""
        started = time.monotonic()
        deadline = started + timeout
        while not self.closed:
            if not self._fill(deadline) and not self.closed:
                return None
        return time.monotonic() - started


def _status(answer: tuple[int, dict[str, str], bytes] | None) -> str:
    return "nothing" if answer is None else str(answer[0])


# -- framing and smuggling ------------------------------------------------------------------


def smuggling_cl_te(port: int, limits: Limits) -> Outcome:
    """Content-Length and Transfer-Encoding together, a second request hidden in the body:
    the hidden request must not be answered as one (a 400, or one answer and close)."""
    hidden = b"GET /hidden HTTP/1.1\r\nHost: appservice\r\n\r\n"
    body = b"0\r\n\r\n" + hidden
    raw = (
        f"PUT {TXN}smuggle HTTP/1.1\r\nHost: appservice\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + body
    with _connect(port) as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        first = reader.answer()
        second = reader.answer(1.0)
        if first is None:
            return Outcome(reader.closed, "closed without an answer")
        if second is not None:
            return Outcome(False, f"{first[0]}, then the hidden request answered {second[0]}")
        closed = reader.ends(WAIT) is not None
        return Outcome(
            first[0] == 400 or closed, f"{first[0]}{', closed' if closed else ', kept open'}"
        )


def duplicate_content_length(port: int, limits: Limits) -> Outcome:
    """Two different Content-Length headers: 400 (or closed unanswered)."""
    raw = (
        f"PUT {TXN}dup HTTP/1.1\r\nHost: appservice\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Length: 2\r\nContent-Length: 12\r\n\r\n{}"
    ).encode()
    with _connect(port) as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        answer = reader.answer()
        if answer is None:
            return Outcome(reader.closed, "closed without an answer")
        return Outcome(answer[0] == 400, answer[0].__str__())


def bad_chunk_size(port: int, limits: Limits) -> Outcome:
    """A chunk size that is not hex: 400 or closed, never 200."""
    raw = request("PUT", TXN + "badchunk", b"zz\r\n{}\r\n0\r\n\r\n",
                  headers=(("Transfer-Encoding", "chunked"),))  # fmt: skip
    with _connect(port) as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        answer = reader.answer()
        if answer is None:
            return Outcome(reader.closed, "closed without an answer")
        return Outcome(400 <= answer[0] < 500, str(answer[0]))


def http10_transfer_encoding(port: int, limits: Limits) -> Outcome:
    """HTTP/1.0 with Transfer-Encoding (faulty framing): at most one answer, then closed."""
    raw = request("PUT", TXN + "h10", b"2\r\n{}\r\n0\r\n\r\n", version="1.0",
                  headers=(("Transfer-Encoding", "chunked"), ("Connection", "keep-alive")))  # fmt: skip
    with _connect(port) as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        answer = reader.answer()
        closed = reader.ends(WAIT) is not None
        return Outcome(closed, f"{_status(answer)}, {'closed' if closed else 'kept open'}")


def missing_host(port: int, limits: Limits) -> Outcome:
    """An HTTP/1.1 request without Host: 400."""
    with _connect(port) as sock:
        sock.sendall(request("GET", "/unknown", host=False))
        reader = Reader(sock)
        answer = reader.answer()
        return Outcome((answer is not None and answer[0] == 400) or reader.closed, _status(answer))


def duplicate_host(port: int, limits: Limits) -> Outcome:
    """Two Host headers: 400."""
    with _connect(port) as sock:
        sock.sendall(request("GET", "/unknown", headers=(("Host", "other"),)))
        reader = Reader(sock)
        answer = reader.answer()
        return Outcome((answer is not None and answer[0] == 400) or reader.closed, _status(answer))


# -- semantics -------------------------------------------------------------------------------


def pipelining(port: int, limits: Limits) -> Outcome:
    """Three requests in one write: three answers, in order."""
    with _connect(port) as sock:
        sock.sendall(
            request("GET", "/one")
            + request("PUT", TXN + "pipelined", b'{"events":[]}')
            + request("GET", TXN + "x")
        )
        reader = Reader(sock)
        seen = [_status(reader.answer()) for _ in range(3)]
        return Outcome(seen == ["404", "200", "405"], " ".join(seen))


def head_without_body(port: int, limits: Limits) -> Outcome:
    """An answer to HEAD carries no body: the next answer on the connection reads right."""
    with _connect(port) as sock:
        sock.sendall(request("HEAD", "/unknown") + request("GET", "/next"))
        reader = Reader(sock)
        first = reader.head()
        if first is None:
            return Outcome(False, "no answer to HEAD")
        second = reader.head()
        if second is None:
            return Outcome(False, f"{first[0]}, then nothing")
        passed = second[0] == 404
        shown = second[0] if second[0] else repr(second[1].get("status-line", ""))[:30]
        return Outcome(passed, f"{first[0]}, then {shown}")


def connection_close(port: int, limits: Limits) -> Outcome:
    """A request with ``Connection: close``: its answer says ``connection: close``, and the
    server ends the connection."""
    with _connect(port) as sock:
        sock.sendall(request("GET", "/unknown", headers=(("Connection", "close"),)))
        reader = Reader(sock)
        answer = reader.answer()
        if answer is None:
            return Outcome(False, "no answer")
        said = answer[1].get("connection", "").lower() == "close"
        closed = reader.ends(WAIT) is not None
        return Outcome(
            said and closed,
            f"{answer[0]}, header {'says close' if said else 'missing'}, "
            f"{'closed' if closed else 'kept open'}",
        )


def expect_pipelined(port: int, limits: Limits) -> Outcome:
    """``Expect: 100-continue`` on a request sent right behind another: the 100 comes once
    the first is answered, and the body is then taken."""
    body = b'{"events":[]}'
    second = request("PUT", TXN + "expect", None,
                     headers=(("Expect", "100-continue"), ("Content-Length", str(len(body)))))  # fmt: skip
    with _connect(port) as sock:
        sock.sendall(request("GET", "/first") + second)
        reader = Reader(sock)
        first = reader.answer()
        if first is None:
            return Outcome(False, "no first answer")
        interim = reader.head(2.0)
        if interim is None:
            return Outcome(False, f"{first[0]}, then no 100 within 2 s")
        if interim[0] != 100:
            return Outcome(False, f"{first[0]}, then {interim[0]} instead of 100")
        sock.sendall(body)
        final = reader.answer()
        return Outcome(final is not None and final[0] == 200, f"{first[0]}, 100, {_status(final)}")


def endless_trailer(port: int, limits: Limits) -> Outcome:
    """A chunked body whose trailer line never ends: the server stops taking it (an error or
    a close) before 16 MiB."""
    start = request("PUT", TXN + "trailer", None, headers=(("Transfer-Encoding", "chunked"),))
    with _connect(port) as sock:
        sock.sendall(start + b'd\r\n{"events":[]}\r\n0\r\nX-Trailer: ')
        sent = 0
        piece = b"a" * 65536
        try:
            while sent < 16 * 1024 * 1024:
                sock.sendall(piece)
                sent += len(piece)
        except OSError:
            return Outcome(True, f"stopped after {sent // 1024} KiB")
        reader = Reader(sock)
        answer = reader.answer(1.0)
        if answer is not None and answer[0] >= 400:
            return Outcome(True, f"{answer[0]} after 16 MiB were taken")
        closed = reader.ends(1.0) is not None
        return Outcome(False, f"took 16 MiB{', then closed' if closed else ''}")


# -- limits ----------------------------------------------------------------------------------


def header_bytes(port: int, limits: Limits) -> Outcome:
    """A 1 MiB header: refused (4xx, or closed) before it is all taken."""
    with _connect(port) as sock:
        try:
            sock.sendall(b"GET /unknown HTTP/1.1\r\nHost: appservice\r\nX-Big: ")
            for _ in range(16):
                sock.sendall(b"a" * 65536)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            return Outcome(True, "closed while sending")
        reader = Reader(sock)
        answer = reader.answer()
        if answer is None:
            return Outcome(reader.closed, "closed" if reader.closed else "no answer")
        return Outcome(answer[0] in REFUSED, str(answer[0]))


def header_count(port: int, limits: Limits) -> Outcome:
    """2,000 short headers (20 KB): refused with a 4xx."""
    many = tuple((f"X-{i}", "1") for i in range(2000))
    with _connect(port) as sock:
        sock.sendall(request("GET", "/unknown", headers=many))
        reader = Reader(sock)
        answer = reader.answer()
        if answer is None:
            return Outcome(reader.closed, "closed" if reader.closed else "no answer")
        return Outcome(answer[0] in REFUSED, str(answer[0]))


def body_while_streaming(port: int, limits: Limits) -> Outcome:
    """A chunked body past the app's limit: 413 before the peer has sent it all."""
    start = request("PUT", TXN + "big", None, headers=(("Transfer-Encoding", "chunked"),))
    piece = 1024 * 1024
    chunk = b"%x\r\n" % piece + b" " * piece + b"\r\n"
    total = limits.max_body_bytes + 32 * 1024 * 1024  # the peer's buffers take some MiB
    with _connect(port) as sock:
        sock.sendall(start)
        reader = Reader(sock)
        sent = 0
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += piece
                if sent > limits.max_body_bytes and reader.head(0.001) is not None:
                    return Outcome(True, f"413 after {sent >> 20} MiB")
        except OSError:
            pass
        answer = reader.head(WAIT)
        status = "nothing" if answer is None else str(answer[0])
        return Outcome(
            answer is not None and answer[0] == 413 and sent < total,
            f"{status} after {sent >> 20} MiB of {total >> 20}",
        )


def _allowed(limits: Limits) -> tuple[float, float]:
    """How long a timed case allows the server (the header timeout + 5 s), and how long it
    watches."""
    if limits.header_timeout is None:
        return -1.0, HORIZON
    allowed = limits.header_timeout + 5
    return allowed, allowed + 10


def _slow(port: int, limits: Limits, payload: bytes, what: str) -> Outcome:
    """``payload`` sent one byte every half second: dropped within the header timeout."""
    allowed, watch = _allowed(limits)
    started = time.monotonic()
    with _connect(port) as sock:
        sock.settimeout(0.5)
        for byte in payload:
            if time.monotonic() - started > watch:
                return Outcome(
                    False, f"{what}: still open after {time.monotonic() - started:.0f} s"
                )
            try:
                sock.sendall(bytes([byte]))
                data = sock.recv(65536)
                if not data:
                    took = time.monotonic() - started
                    return Outcome(took <= allowed, f"{what}: dropped after {took:.0f} s")
                return Outcome(False, f"{what}: answered {data[:12]!r}")
            except TimeoutError:
                continue
            except OSError:
                took = time.monotonic() - started
                return Outcome(took <= allowed, f"{what}: dropped after {took:.0f} s")
        return Outcome(False, f"{what}: the whole request was taken")


def slow_headers(port: int, limits: Limits) -> Outcome:
    """A request head sent one byte every half second: dropped by the header timeout."""
    head = b"GET /unknown HTTP/1.1\r\nHost: appservice\r\n" + b"X-Slow: " + b"a" * 1000
    return _slow(port, limits, head, "head")


def idle_new_connection(port: int, limits: Limits) -> Outcome:
    """A connection that never sends a byte: dropped by the header timeout (+5 s)."""
    allowed, watch = _allowed(limits)
    with _connect(port) as sock:
        took = Reader(sock).ends(watch)
        if took is None:
            return Outcome(False, f"still open after {watch:.0f} s")
        return Outcome(took <= allowed, f"dropped after {took:.0f} s")


def keepalive(port: int, limits: Limits) -> Outcome:
    """An idle connection between requests is kept past 121 s (Synapse keeps one 120 s),
    and the next request on it is answered."""
    with _connect(port) as sock:
        sock.sendall(request("GET", "/first"))
        reader = Reader(sock)
        if reader.answer() is None:
            return Outcome(False, "no first answer")
        took = reader.ends(121)
        if took is not None:
            return Outcome(False, f"closed after {took:.0f} s idle")
        sock.sendall(request("GET", "/second"))
        answer = reader.answer()
        return Outcome(answer is not None, f"kept 121 s, then {_status(answer)}")


def connection_cap(port: int, limits: Limits) -> Outcome:
    """Past the cap, connections are not served (refused, or left waiting) while the first
    ``max_connections`` stay open: the server holds at most the cap."""
    cap = limits.max_connections
    held: list[socket.socket] = []
    try:
        for _ in range(cap):
            sock = _connect(port)
            sock.sendall(request("GET", "/hold"))
            held.append(sock)
        served = 0
        for sock in held:
            if Reader(sock).answer() is not None:
                served += 1
        extra = _connect(port)
        held.append(extra)
        extra.sendall(request("GET", "/extra"))
        reader = Reader(extra)
        # Less than the header timeout: the connections held go idle, and are dropped then.
        answer = reader.answer(min(2.0, (limits.header_timeout or 4.0) / 2))
        if answer is not None and answer[0] == 503:
            return Outcome(served == cap, f"{served} served, then 503")
        if answer is None:
            return Outcome(served == cap, f"{served} served, the next one waits")
        return Outcome(False, f"{served} served, the one past the cap too ({answer[0]})")
    except OSError as exc:
        return Outcome(False, f"{len(held)} connected, then {exc.__class__.__name__}")
    finally:
        for sock in held:
            sock.close()


def idle_flood(port: int, limits: Limits) -> Outcome:
    """``max_connections`` connections that never send a byte: a request on a new
    connection is answered within the header timeout (+5 s) anyway."""
    cap = limits.max_connections
    held: list[socket.socket] = []
    allowed, watch = _allowed(limits)
    try:
        for _ in range(cap):
            held.append(_connect(port))
        time.sleep(0.5)
        started = time.monotonic()
        with _connect(port) as sock:
            sock.sendall(request("GET", "/legit"))
            answer = Reader(sock).answer(watch)
        took = time.monotonic() - started
        if answer is None:
            return Outcome(False, f"no answer within {watch:.0f} s")
        return Outcome(answer[0] == 404 and took <= allowed, f"{answer[0]} after {took:.1f} s")
    except OSError as exc:
        return Outcome(False, f"{len(held)} connected, then {exc.__class__.__name__}")
    finally:
        for sock in held:
            sock.close()


CASES: dict[str, tuple[str, Case]] = {
    "smuggling: Content-Length + Transfer-Encoding": ("framing", smuggling_cl_te),
    "two different Content-Length": ("framing", duplicate_content_length),
    "chunk size not hex": ("framing", bad_chunk_size),
    "HTTP/1.0 with Transfer-Encoding: closed": ("framing", http10_transfer_encoding),
    "no Host: 400": ("framing", missing_host),
    "two Host: 400": ("framing", duplicate_host),
    "3 pipelined requests answered in order": ("semantics", pipelining),
    "HEAD answer without body": ("semantics", head_without_body),
    "Connection: close honoured": ("semantics", connection_close),
    "pipelined Expect: 100-continue gets its 100": ("semantics", expect_pipelined),
    "endless trailer line stopped": ("limits", endless_trailer),
    "1 MiB header refused": ("limits", header_bytes),
    "2,000 headers refused": ("limits", header_count),
    "chunked body over the limit: 413 while streaming": ("limits", body_while_streaming),
    "connection cap held": ("limits", connection_cap),
    "head sent 1 byte/0.5 s dropped": ("time", slow_headers),
    "connection that sends nothing dropped": ("time", idle_new_connection),
    "idle keep-alive kept > 120 s": ("time", keepalive),
    "cap's worth of silent connections: a new request answered": ("time", idle_flood),
}
"""Name -> (kind, case). The timed cases take up to ``header_timeout`` + 15 s each."""


def run_all(port: int, limits: Limits, names: list[str] | None = None) -> dict[str, Outcome]:
    """Every case against the server on ``port``: the quick ones one after the other, then
    the timed ones (``kind`` "time") at the same time in threads, then the flood alone."""
    chosen = names or list(CASES)
    results: dict[str, Outcome] = {}

    def one(name: str) -> None:
        try:
            results[name] = CASES[name][1](port, limits)
        except Exception as exc:  # a case that breaks says so, it does not stop the others
            results[name] = Outcome(False, f"case failed: {exc!r}"[:80])

    for name in chosen:
        if CASES[name][0] != "time":
            one(name)
    timed = [n for n in chosen if CASES[n][0] == "time" and CASES[n][1] is not idle_flood]
    threads = [threading.Thread(target=one, args=(n,)) for n in timed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in chosen:  # alone: it fills the server up to its cap
        if CASES[name][1] is idle_flood:
            one(name)
    return {name: results[name] for name in chosen}
