"""Random and mangled bytes against the app served by granian (``AppServer``).

Each example opens a connection, sends bytes made from a valid request (bytes flipped, cut,
repeated, inserted; sent in random pieces) or plain noise, and reads until the server closes
or stays silent for a moment (the connection is not half-closed: hyper, under granian, ends a
connection whose peer ends its side, and drops the request in progress). Whatever comes back must be well-formed HTTP answers only, the server must not
log an error of its own, and afterwards it must still serve a valid request.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matrix_appservice.server import HTTPLimits, create_app

from tests.interop.asgi import serving
from tests.python.server.support import HS_TOKEN, TXN, Recorder, registration

VALID = (
    f"PUT {TXN}1 HTTP/1.1\r\nHost: appservice\r\nAuthorization: Bearer {HS_TOKEN}\r\n"
    'Content-Type: application/json\r\nContent-Length: 14\r\n\r\n{"events": []}'
).encode()
CHUNKED = (
    f"PUT {TXN}2 HTTP/1.1\r\nAuthorization: Bearer {HS_TOKEN}\r\n"
    'Transfer-Encoding: chunked\r\n\r\n5\r\n{"eve\r\n9\r\nnts": []}\r\n0\r\n\r\n'
).encode()
STATUS = {b"200", b"400", b"401", b"403", b"404", b"405", b"413", b"414", b"431", b"500"}


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    app = create_app(registration(), Recorder(), store="memory", max_body_bytes=4096)
    limits = HTTPLimits(header_timeout=2, linger_timeout=1)
    with serving(app, 0, limits=limits) as http:
        yield http.port


SILENCE = 0.3
"""Seconds without a byte after which an exchange is over (a request left incomplete)."""


def exchange(port: int, pieces: list[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            for piece in pieces:
                sock.sendall(piece)
        except OSError:  # the server answered and closed while this was still sending
            pass
        received = b""
        sock.settimeout(SILENCE)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return received


def answers_are_well_formed(received: bytes) -> None:
    rest = received
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"an answer without the end of its head: {head[:200]!r}"
        status_line, *lines = head.split(b"\r\n")
        version, status, _ = status_line.split(b" ", 2)
        if status == b"100":
            continue
        assert version == b"HTTP/1.1" and status in STATUS, status_line
        length = [
            int(v) for n, _, v in (h.partition(b": ") for h in lines) if n == b"content-length"
        ]
        assert len(length) == 1
        assert len(rest) >= length[0], "an answer cut short"
        rest = rest[length[0] :]


@st.composite
def mangled(draw: st.DrawFn) -> list[bytes]:
    data = bytearray(draw(st.sampled_from([VALID, CHUNKED, VALID + CHUNKED])))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 200))] * draw(st.integers(2, 50))
    noise = draw(st.binary(max_size=300))
    raw = bytes(data) if draw(st.booleans()) else noise
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=4)))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=mangled())
def test_mangled_requests_get_well_formed_answers(server: int, pieces: list[bytes]) -> None:
    errors = Errors()
    logger = logging.getLogger("matrix_appservice.server")
    logger.addHandler(errors)
    try:
        answers_are_well_formed(exchange(server, pieces))
    finally:
        logger.removeHandler(errors)
    assert errors.seen == []


def test_still_serving_after_the_noise(server: int) -> None:
    received = exchange(server, [VALID.replace(b"/1 ", b"/after-noise ")])
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"{}")
