"""The package's own HTTP/1.1 server (``HTTPServer``) at the byte level, over real sockets.

What the ASGI tests cannot show: keep-alive and pipelining, chunked bodies, ``Expect``,
refusals before the body is read, the limits on headers, connections and time, lingering
after an error so the peer reads it, and a shutdown that lets answers in progress finish.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from matrix_appservice.errors import NotFoundError
from matrix_appservice.server import AppServiceHandler, HTTPServer, ServerLimits, create_app

from tests.python.server.support import HS_TOKEN, TXN, Recorder, event, registration, run

WAIT = 10.0
"""A ceiling for each read: a server that hangs fails the test instead of stalling it."""


@asynccontextmanager
async def http_server(
    handler: AppServiceHandler | None = None, limits: ServerLimits | None = None, **options: Any
) -> AsyncIterator[HTTPServer]:
    options.setdefault("store", "memory")
    app = create_app(registration(), handler or Recorder(), **options)
    server = HTTPServer(app, limits)
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.close()


async def connect(server: HTTPServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def hang_up(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:  # the server reset it first
        pass


def request(
    method: str,
    target: str,
    body: bytes | None = None,
    *,
    token: str | None = HS_TOKEN,
    headers: dict[str, str] | None = None,
    version: str = "1.1",
) -> bytes:
    lines = [f"{method} {target} HTTP/{version}", "Host: appservice"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None and "Transfer-Encoding" not in (headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def transaction(n: int = 1) -> bytes:
    return json.dumps({"events": [event(n)]}).encode()


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    status_line, *header_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await asyncio.wait_for(reader.readexactly(length), WAIT)
    return Answer(int(status_line.split()[1]), headers, body)


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = WAIT) -> bool:
    """Whether the server ends the connection (EOF, or a reset) within ``timeout``."""
    try:
        rest = await asyncio.wait_for(reader.read(), timeout)
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return rest == b""


async def answered_then_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int
) -> Answer:
    """Reads one answer: ``status``, marked as the last on the connection, which the server
    then ends; hangs up and returns it."""
    answer = await read_answer(reader)
    assert answer.status == status and answer.headers["connection"] == "close"
    assert await closed_by_server(reader)
    await hang_up(writer)
    return answer


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    recorder = Recorder()

    async def go() -> None:
        async with http_server(recorder) as server:
            reader, writer = await connect(server)
            for n in range(3):
                writer.write(request("PUT", f"{TXN}{n}", transaction(n)))
                answer = await read_answer(reader)
                assert answer.status == 200 and answer.json() == {}
                assert answer.headers["content-type"] == "application/json"
                assert answer.headers["date"].endswith(" GMT")
                assert "connection" not in answer.headers
            assert len(server.connections) == 1
            await hang_up(writer)

    run(go())
    assert [t.txn_id for t in recorder.transactions] == ["0", "1", "2"]


class SlowFirst(AppServiceHandler):
    """The first transaction waits for ``release``; user queries answer at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.order: list[str] = []

    async def send_transaction(self, transaction: Any) -> None:
        await self.release.wait()
        self.order.append(f"txn {transaction.txn_id}")

    async def query_user(self, user_id: str) -> None:
        self.order.append(f"user {user_id}")
        raise NotFoundError()


def test_pipelined_requests_are_answered_in_order() -> None:
    handler = SlowFirst()

    async def go() -> None:
        async with http_server(handler) as server:
            reader, writer = await connect(server)
            writer.write(
                request("PUT", f"{TXN}1", transaction())
                + request("GET", "/_matrix/app/v1/users/@_echo_a:example.org")
                + request("GET", "/_matrix/app/v1/users/@_echo_b:example.org")
            )
            await asyncio.sleep(0.2)
            assert handler.order == []  # the queries wait for the transaction's answer
            handler.release.set()
            statuses = [(await read_answer(reader)).status for _ in range(3)]
            assert statuses == [200, 404, 404]
            await hang_up(writer)

    run(go())
    assert handler.order == ["txn 1", "user @_echo_a:example.org", "user @_echo_b:example.org"]


def test_pipelining_past_the_limit_stops_reading_until_answers_are_sent() -> None:
    handler = SlowFirst()

    async def go() -> None:
        async with http_server(handler, ServerLimits(max_pipelined=2)) as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", f"{TXN}1", transaction()))
            await asyncio.sleep(0.1)
            for n in range(8):
                writer.write(request("GET", f"/_matrix/app/v1/users/@_echo_{n}:example.org"))
                await writer.drain()
                await asyncio.sleep(0.05)  # one request per read
            (connection,) = server.connections
            assert connection.paused and len(connection.queue) == 2  # the rest waits unread
            handler.release.set()
            statuses = [(await read_answer(reader)).status for _ in range(9)]
            assert statuses == [200] + [404] * 8
            await hang_up(writer)

    run(go())
    assert handler.order[1:] == [f"user @_echo_{n}:example.org" for n in range(8)]


def test_too_many_requests_ahead_in_one_read_are_refused() -> None:
    handler = SlowFirst()

    async def go() -> None:
        async with http_server(handler, ServerLimits(max_pipelined=2)) as server:
            reader, writer = await connect(server)
            queries = b"".join(
                request("GET", f"/_matrix/app/v1/users/@_echo_{n}:example.org") for n in range(20)
            )
            writer.write(request("PUT", f"{TXN}1", transaction()) + queries)  # one read
            await asyncio.sleep(0.1)
            handler.release.set()
            assert (await read_answer(reader)).status == 200
            answer = await answered_then_closed(reader, writer, 400)
            assert "ahead" in answer.json()["error"]

    run(go())
    assert handler.order == ["txn 1"]  # the queries that were waiting are dropped


def test_answers_wait_while_the_peer_does_not_read_them() -> None:
    handler = SlowFirst()

    async def go() -> None:
        async with http_server(handler) as server:
            reader, writer = await connect(server)
            writer.write(
                request("PUT", f"{TXN}1", transaction())
                + request("GET", "/_matrix/app/v1/users/@_echo_a:example.org")
                + request("GET", "/_matrix/app/v1/users/@_echo_b:example.org")
            )
            await asyncio.sleep(0.1)
            (connection,) = server.connections
            connection.pause_writing()  # what the transport says when its buffer is full
            handler.release.set()
            assert (await read_answer(reader)).status == 200
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 0.3)
            assert handler.order == ["txn 1"]  # the next request waits too
            connection.resume_writing()
            assert [(await read_answer(reader)).status for _ in range(2)] == [404, 404]
            await hang_up(writer)

    run(go())
    assert handler.order[1:] == ["user @_echo_a:example.org", "user @_echo_b:example.org"]


def test_chunked_body_is_read() -> None:
    recorder = Recorder()

    async def go() -> None:
        body = transaction(7)
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
        async with http_server(recorder) as server:
            reader, writer = await connect(server)
            head = request("PUT", f"{TXN}7", headers={"Transfer-Encoding": "chunked"})
            writer.write(head + chunked)
            await asyncio.sleep(0.05)
            writer.write(b"0\r\n\r\n")
            assert (await read_answer(reader)).status == 200
            await hang_up(writer)

    run(go())
    assert [e.event_id for e in recorder.transactions[0].events] == ["$event7"]


def test_declared_length_over_the_limit_is_refused_before_the_body() -> None:
    async def go() -> None:
        async with http_server(max_body_bytes=1000) as server:
            reader, writer = await connect(server)
            head = request("PUT", f"{TXN}1", b"x" * 5000)[:-5000]  # headers only
            writer.write(head)
            answer = await answered_then_closed(reader, writer, 413)
            assert answer.json()["errcode"] == "M_TOO_LARGE"

    run(go())


def test_chunked_body_over_the_limit_is_answered_before_it_ends() -> None:
    recorder = Recorder()

    async def go() -> None:
        async with http_server(recorder, max_body_bytes=10_000) as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", f"{TXN}1", headers={"Transfer-Encoding": "chunked"}))
            writer.write(b'c\r\n{"events": [\r\n')
            for _ in range(11):
                writer.write(b"3e8\r\n" + b" " * 1000 + b"\r\n")
            # No last chunk: the answer cannot wait for the end of the body.
            answer = await read_answer(reader)
            assert answer.status == 413 and answer.json()["errcode"] == "M_TOO_LARGE"
            # Lingering: what the peer still sends is read and dropped, then the server ends.
            writer.write(b"3e8\r\n" + b" " * 1000 + b"\r\n")
            writer.write_eof()
            assert await closed_by_server(reader)
            await hang_up(writer)

    run(go())
    assert recorder.calls == 0


@pytest.mark.parametrize(
    ("target", "token", "status", "errcode"),
    [
        (f"{TXN}1", None, 401, "M_MISSING_TOKEN"),
        (f"{TXN}1", "wrong", 403, "M_FORBIDDEN"),
        ("/_matrix/app/v1/nowhere", HS_TOKEN, 404, "M_UNRECOGNIZED"),
    ],
)
def test_refused_requests_are_answered_before_their_body(
    target: str, token: str | None, status: int, errcode: str
) -> None:
    async def go() -> None:
        async with http_server() as server:
            for headers in ({"Transfer-Encoding": "chunked"}, {"Content-Length": "20000000"}):
                reader, writer = await connect(server)
                writer.write(request("PUT", target, token=token, headers=headers))  # no body
                answer = await read_answer(reader)
                assert (answer.status, answer.json()["errcode"]) == (status, errcode)
                await hang_up(writer)

    run(go())


def test_expect_continue_is_answered_before_the_body() -> None:
    recorder = Recorder()

    async def go() -> None:
        body = transaction(3)
        async with http_server(recorder) as server:
            reader, writer = await connect(server)
            writer.write(
                request("PUT", f"{TXN}3", body, headers={"Expect": "100-continue"})[: -len(body)]
            )
            interim = await read_answer(reader)
            assert interim.status == 100
            writer.write(body)
            assert (await read_answer(reader)).status == 200
            await hang_up(writer)

    run(go())
    assert recorder.calls == 1


@pytest.mark.parametrize(
    ("headers", "target", "status"),
    [
        ({"X-Big": "a" * 70_000}, f"{TXN}1", 431),
        ({f"X-Many-{i}": "1" for i in range(101)}, f"{TXN}1", 431),
        ({}, f"{TXN}{'1' * 70_000}", 414),
    ],
    ids=["large-header", "many-headers", "long-target"],
)
def test_oversized_heads_are_refused(headers: dict[str, str], target: str, status: int) -> None:
    async def go() -> None:
        async with http_server() as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", target, transaction(), headers=headers))
            await answered_then_closed(reader, writer, status)

    run(go())


def test_an_endless_header_line_is_refused_while_it_arrives() -> None:
    async def go() -> None:
        async with http_server() as server:
            reader, writer = await connect(server)
            writer.write(f"PUT {TXN}1 HTTP/1.1\r\nX-Endless: ".encode())
            reading = asyncio.ensure_future(read_answer(reader))
            sent = 0
            while sent < 64 * 1024 * 1024 and not reading.done():  # a ceiling: a server that
                try:  # keeps it all in memory fails the test
                    writer.write(b"a" * 65536)
                    await writer.drain()
                except OSError:
                    break
                sent += 65536
                await asyncio.sleep(0)
            answer = await reading
            assert answer.status == 431 and sent < 4 * 1024 * 1024
            await hang_up(writer)

    run(go())


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"PUT /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
        f"PUT {TXN}1 HTTP/1.1\r\nAuthorization: Bearer {HS_TOKEN}\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n".encode(),
        b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
    ids=["not-http", "two-lengths", "length-and-chunked", "bad-chunk", "bad-header"],
)
def test_malformed_requests_are_400_and_closed(raw: bytes) -> None:
    recorder = Recorder()

    async def go() -> None:
        async with http_server(recorder) as server:
            reader, writer = await connect(server)
            writer.write(raw)
            await answered_then_closed(reader, writer, 400)

    run(go())
    assert recorder.calls == 0


@pytest.mark.parametrize(
    ("version", "headers"),
    [("1.0", {}), ("1.1", {"Connection": "close"})],
    ids=["http-1.0", "connection-close"],
)
def test_connection_is_closed_after_the_answer_when_asked(
    version: str, headers: dict[str, str]
) -> None:
    async def go() -> None:
        async with http_server() as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", f"{TXN}1", transaction(), version=version, headers=headers))
            await answered_then_closed(reader, writer, 200)

    run(go())


def test_absolute_form_target_is_served() -> None:
    async def go() -> None:
        async with http_server() as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", f"http://appservice{TXN}1?x=1", transaction()))
            assert (await read_answer(reader)).status == 200
            await hang_up(writer)

    run(go())


def test_upgrade_request_is_answered_then_closed() -> None:
    async def go() -> None:
        async with http_server() as server:
            reader, writer = await connect(server)
            writer.write(
                request(
                    "GET",
                    "/_matrix/app/v1/users/@_echo_a:example.org",
                    headers={"Connection": "Upgrade", "Upgrade": "websocket"},
                )
                + b"\x81\x05hello"
            )
            answer = await answered_then_closed(reader, writer, 404)
            assert answer.json()["errcode"] == "M_NOT_FOUND"

    run(go())


def test_a_request_sent_too_slowly_is_408_and_closed() -> None:
    async def go() -> None:
        limits = ServerLimits(request_timeout=0.5)
        async with http_server(limits=limits) as server:
            reader, writer = await connect(server)
            writer.write(b"PUT /_matrix/app/v1/transactions/1 HTTP/1.1\r\nHost: a")  # and no more
            await answered_then_closed(reader, writer, 408)

    run(go())


def test_an_idle_connection_is_closed() -> None:
    async def go() -> None:
        async with http_server(limits=ServerLimits(keepalive_timeout=0.5)) as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", f"{TXN}1", transaction()))
            assert (await read_answer(reader)).status == 200
            assert await closed_by_server(reader, timeout=5)
            silent_reader, silent_writer = await connect(server)  # never sends a byte
            assert await closed_by_server(silent_reader, timeout=5)
            assert not server.connections
            await hang_up(writer)
            await hang_up(silent_writer)

    run(go())


def test_connections_past_the_limit_get_503() -> None:
    async def go() -> None:
        async with http_server(limits=ServerLimits(max_connections=2)) as server:
            kept = [await connect(server) for _ in range(2)]
            await asyncio.sleep(0.05)
            reader, writer = await connect(server)
            answer = await read_answer(reader)
            assert answer.status == 503 and answer.headers["connection"] == "close"
            assert await closed_by_server(reader, timeout=1)
            with pytest.raises(OSError):  # the server's socket is gone, not lingering on
                for _ in range(40):
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.05)
            assert len(server.connections) == 2
            await hang_up(writer)
            first_reader, first_writer = kept[0]
            first_writer.write(request("PUT", f"{TXN}1", transaction()))
            assert (await read_answer(first_reader)).status == 200
            for _, w in kept:
                await hang_up(w)

    run(go())


def test_a_handler_finishes_when_the_homeserver_goes_away() -> None:
    recorder = Recorder(delay=0.3)

    async def go() -> None:
        async with http_server(recorder) as server:
            reader, writer = await connect(server)
            writer.write(request("PUT", f"{TXN}9", transaction(9)))
            await asyncio.sleep(0.05)
            writer.close()  # gone before the answer
            await asyncio.sleep(0.5)
            assert [t.txn_id for t in recorder.transactions] == ["9"]
            reader, writer = await connect(server)  # the homeserver's retry
            writer.write(request("PUT", f"{TXN}9", transaction(9)))
            assert (await read_answer(reader)).status == 200
            await hang_up(writer)

    run(go())
    assert recorder.calls == 1


def test_close_lets_answers_in_progress_finish() -> None:
    recorder = Recorder(delay=0.3)

    async def go() -> None:
        app = create_app(registration(), recorder, store="memory")
        server = HTTPServer(app)
        await server.start("127.0.0.1", 0)
        reader, writer = await connect(server)
        idle_reader, idle_writer = await connect(server)
        writer.write(request("PUT", f"{TXN}1", transaction()))
        await asyncio.sleep(0.05)
        closing = asyncio.ensure_future(server.close())
        answer = await read_answer(reader)
        assert answer.status == 200 and answer.headers["connection"] == "close"
        await asyncio.wait_for(closing, WAIT)
        assert await closed_by_server(idle_reader, timeout=1)
        with pytest.raises(OSError):
            await connect(server)
        await hang_up(writer)
        await hang_up(idle_writer)

    run(go())
    assert recorder.calls == 1


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        ServerLimits(max_connections=0)
    with pytest.raises(ValueError, match="request_timeout"):
        ServerLimits(request_timeout=-1)
