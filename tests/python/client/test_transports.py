"""The clients over real transports: an ASGI / WSGI app in process, and a loopback server
for connection reuse and real timeouts."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import logging
import socket
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from matrix_appservice import models
from matrix_appservice.client import (
    AppServiceClient,
    AsyncAppServiceClient,
    AsyncHomeserverClient,
    HomeserverClient,
)
from matrix_appservice.errors import (
    MatrixError,
    QueryTimeoutError,
    RequestFailedError,
    ResponseValidationError,
)

TOKEN = "hs-token-for-apps"


def _answer(method: str, path: str, auth: str) -> tuple[int, dict[str, Any]]:
    if auth != f"Bearer {TOKEN}":
        return 403, {"errcode": "M_FORBIDDEN"}
    if method == "PUT" and path.startswith("/_matrix/app/v1/transactions/"):
        return 200, {}
    if path == "/_matrix/app/v1/users/@u:e":
        return 200, {}
    return 404, {"errcode": "M_UNRECOGNIZED"}


async def asgi_app(
    scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
) -> None:
    assert scope["type"] == "http"
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    while (await receive()).get("more_body"):
        pass
    status, body = _answer(scope["method"], scope["path"], headers.get("authorization", ""))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status, body = _answer(environ["REQUEST_METHOD"], environ["PATH_INFO"],
                           environ.get("HTTP_AUTHORIZATION", ""))  # fmt: skip
    start_response(f"{status} X", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def test_async_client_over_an_asgi_app() -> None:
    async def main() -> None:
        async with AsyncAppServiceClient("http://as.test", TOKEN,
                                         transport=httpx.ASGITransport(app=asgi_app)) as client:  # fmt: skip
            assert isinstance(await client.send_transaction("t", {"events": []}),
                              models.TransactionResponse)  # fmt: skip
            assert isinstance(await client.query_user("@u:e"), models.QueryUserResponse)

    asyncio.run(main())


def test_sync_client_over_a_wsgi_app() -> None:
    with AppServiceClient("http://as.test", TOKEN,
                          transport=httpx.WSGITransport(app=wsgi_app)) as client:  # fmt: skip
        assert isinstance(client.send_transaction("t", {"events": []}), models.TransactionResponse)
        assert isinstance(client.query_user("@u:e"), models.QueryUserResponse)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so that a client can reuse its connection
    ports: list[int]
    delay: float

    def do_GET(self) -> None:
        self.ports.append(self.client_address[1])
        if self.path.startswith("/slow"):
            time.sleep(self.delay)
        if self.path.startswith("/redirect"):
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[int]]]:
    ports: list[int] = []
    handler = type("Handler", (_Handler,), {"ports": ports, "delay": 0.6})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", ports
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_sync_clients_reuse_connections_and_time_out(loopback: tuple[str, list[int]]) -> None:
    url, ports = loopback
    with AppServiceClient(url, TOKEN) as client:
        for n in range(3):
            client.query_user(f"@u{n}:e")
        assert len(ports) == 3 and len(set(ports)) == 1
    with AppServiceClient(url + "/slow", TOKEN, timeout=0.2) as slow:
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError) as caught:
            slow.query_user("@u:e")
        assert caught.value.attempts == 2 and time.monotonic() - started < 5
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    with HomeserverClient(url, TOKEN) as homeserver:
        homeserver.get_protocols()
        homeserver.as_user("@u:e").get_protocols()
        assert len(set(ports[-2:])) == 1  # the as_user view shares the pool


def test_httpx_backend_reuses_connections_and_times_out(loopback: tuple[str, list[int]]) -> None:
    url, ports = loopback

    async def main() -> None:
        async with AsyncAppServiceClient(url, TOKEN, backend="httpx") as client:
            for n in range(3):
                await client.query_user(f"@u{n}:e")
        async with AsyncAppServiceClient(url + "/slow", TOKEN, timeout=0.2,
                                         backend="httpx") as slow:  # fmt: skip
            with pytest.raises(QueryTimeoutError) as caught:
                await slow.query_user("@u:e")
            assert caught.value.attempts == 2
        async with AsyncHomeserverClient(url, TOKEN, backend="httpx") as homeserver:
            await homeserver.get_protocols()
            await homeserver.as_user("@u:e").get_protocols()

    asyncio.run(main())
    assert len(set(ports[:3])) == 1 and len(set(ports[-2:])) == 1


def test_aiohttp_backend_reuses_connections_and_times_out(loopback: tuple[str, list[int]]) -> None:
    url, ports = loopback

    async def main() -> None:  # aiohttp is the default backend
        async with AsyncAppServiceClient(url, TOKEN) as client:
            for n in range(3):
                assert isinstance(await client.query_user(f"@u{n}:e"), models.QueryUserResponse)
        async with AsyncAppServiceClient(url + "/slow", TOKEN, timeout=0.2) as slow:
            started = time.monotonic()
            with pytest.raises(QueryTimeoutError) as caught:
                await slow.query_user("@u:e")
            assert caught.value.attempts == 2 and time.monotonic() - started < 5
            assert isinstance(caught.value.__cause__, TimeoutError)
        async with AsyncHomeserverClient(url, TOKEN, backend="aiohttp") as homeserver:
            await homeserver.get_protocols()
            await homeserver.as_user("@u:e").get_protocols()

    asyncio.run(main())
    assert len(set(ports[:3])) == 1 and len(set(ports[-2:])) == 1


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_the_client_deadline_is_told_apart_from_the_callers(
    loopback: tuple[str, list[int]], backend: str
) -> None:
    """The client's own deadline becomes its timeout error; a cancellation or a deadline of
    the caller's stays the caller's, whichever comes first."""
    url, _ = loopback

    async def main() -> None:
        async with AsyncAppServiceClient(url + "/slow", TOKEN, timeout=5,
                                         backend=backend) as slow:  # fmt: skip
            task = asyncio.create_task(slow.query_user("@u:e"))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()
            with pytest.raises(TimeoutError):  # the caller's, not a failed query
                async with asyncio.timeout(0.1):
                    await slow.query_user("@u:e")
            assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
        async with AsyncAppServiceClient(url + "/slow", TOKEN, timeout=0.2,
                                         backend=backend) as late:  # fmt: skip
            async with asyncio.timeout(30):  # further away: the client's deadline comes first
                with pytest.raises(QueryTimeoutError) as caught:
                    await late.query_user("@u:e")
            assert caught.value.attempts == 2
            await asyncio.sleep(0.05)  # no cancellation is left pending on this task
            assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]

    asyncio.run(main())


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_each_exchange_keeps_its_own_deadline(
    loopback: tuple[str, list[int]], backend: str
) -> None:
    """The deadlines of a client's exchanges wait in one queue: a slow exchange started
    after others, finished or not, still ends at its own deadline, and quick ones between
    them are answered."""
    url, _ = loopback

    async def slow(client: AsyncHomeserverClient, after: float) -> BaseException | None:
        await asyncio.sleep(after)
        try:
            await client.request("GET", "/slow/x")  # answered after 0.6 s
        except RequestFailedError as failed:
            return failed.__cause__
        return None

    async def quick(client: AsyncHomeserverClient) -> int:
        answered = 0
        for _ in range(10):
            await asyncio.sleep(0.02)
            answered += await client.request("GET", "/x") == {}
        return answered

    async def main() -> None:
        async with AsyncHomeserverClient(url, TOKEN, timeout=0.3, backend=backend) as client:
            for _ in range(2):  # once more after the queue has emptied
                first, quick_ones, second = await asyncio.gather(
                    slow(client, 0), quick(client), slow(client, 0.15)
                )
                assert quick_ones == 10
                for late in (first, second):
                    assert isinstance(late, TimeoutError), late
                    assert "no complete answer within 0.3 s" in str(late)
                assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]

    asyncio.run(main())


class TimerCountingLoop(asyncio.SelectorEventLoop):
    """An event loop that keeps each timer set on it, with the callback it was set for."""

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[tuple[Any, asyncio.TimerHandle]] = []

    def call_at(self, when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        handle = super().call_at(when, callback, *args, **kwargs)
        self.timers.append((callback, handle))
        return handle

    def pending_package_timers(self) -> list[asyncio.TimerHandle]:
        """The timers the package set (not aiohttp's or httpx's) that are still to run."""
        now = self.time()
        return [
            handle
            for callback, handle in self.timers
            if type(getattr(callback, "__self__", None)).__module__.startswith("matrix_appservice")
            and not handle.cancelled()
            and handle.when() > now
        ]


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_views_share_the_clients_deadlines(loopback: tuple[str, list[int]], backend: str) -> None:
    """A view per call (``as_user()`` for each message, as bridges do) leaves no timer of
    its own behind: the views' deadlines wait in their client's queue."""
    url, _ = loopback

    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, TimerCountingLoop)
        async with AsyncHomeserverClient(url, TOKEN, backend=backend) as client:
            for n in range(50):
                await client.as_user(f"@u{n}:e").request("GET", "/x")
            await client.with_answer_limit(1000).request("GET", "/x")
            assert len(loop.pending_package_timers()) <= 1, loop.pending_package_timers()

    with asyncio.Runner(loop_factory=TimerCountingLoop) as runner:
        runner.run(main())


def test_finished_deadlines_behind_a_pending_one_are_let_go() -> None:
    """A long exchange started first does not keep the quick ones after it alive: once they
    are answered, their tasks are freed although the long one's deadline is still ahead."""

    async def main() -> None:
        stalled, release = asyncio.Event(), asyncio.Event()

        async def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/stall":
                stalled.set()
                await release.wait()
            return httpx.Response(200, json={})

        transport = httpx.MockTransport(answer)
        async with AsyncHomeserverClient(
            "http://hs.test", TOKEN, backend="httpx", transport=transport
        ) as client:
            long = asyncio.create_task(client.request("GET", "/stall"))
            await stalled.wait()
            freed: list[weakref.ref[asyncio.Task[Any]]] = []
            for _ in range(1000):
                task = asyncio.create_task(client.request("GET", "/quick"))
                assert await task == {}
                freed.append(weakref.ref(task))
                del task
            gc.collect()
            kept = sum(ref() is not None for ref in freed)
            assert kept <= 200, f"{kept} of 1000 answered exchanges still held"
            release.set()
            assert await long == {}

    asyncio.run(main())


def test_aiohttp_backend_leaves_a_given_session_open(loopback: tuple[str, list[int]]) -> None:
    url, ports = loopback

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            client = AsyncHomeserverClient(url, TOKEN, backend="aiohttp", session=session)
            await client.as_user("@u:e").get_protocols()
            await client.aclose()
            assert not session.closed
            async with session.get(url + "/x") as response:  # still usable by its owner
                assert response.status == 200

    asyncio.run(main())
    assert len(ports) == 2


def test_aiohttp_backend_follows_no_redirect(loopback: tuple[str, list[int]]) -> None:
    url, ports = loopback

    async def main() -> None:
        async with AsyncHomeserverClient(url + "/redirect", TOKEN, backend="aiohttp") as client:
            with pytest.raises(MatrixError) as caught:
                await client.get_protocols()
            assert caught.value.status == 307

    asyncio.run(main())
    assert len(ports) == 1  # the token did not travel to where the redirect pointed


def test_aiohttp_backend_keeps_the_token_out_of_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:  # a port on which nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> None:
        async with AsyncHomeserverClient(f"http://127.0.0.1:{port}", TOKEN, version="v1.10",
                                         auth="query", backend="aiohttp") as client:  # fmt: skip
            with pytest.raises(RequestFailedError) as caught:
                await client.as_user("@u:e").get_protocols()
        error = caught.value
        assert isinstance(error.__cause__, aiohttp.ClientConnectionError)
        seen = "".join(traceback.format_exception(error)) + repr(error.__cause__) + caplog.text
        assert f"127.0.0.1:{port}" in seen and TOKEN not in seen

    asyncio.run(main())


def test_aiohttp_backend_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="backend must be"):
        AsyncHomeserverClient("http://hs.test", TOKEN, backend="curl")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="transport= is an httpx transport"):
        AsyncHomeserverClient("http://hs.test", TOKEN, backend="aiohttp",
                              transport=httpx.ASGITransport(app=asgi_app))  # fmt: skip
    with pytest.raises(ValueError, match=r"session= is an aiohttp\.ClientSession"):
        AsyncAppServiceClient("http://as.test", TOKEN, backend="httpx",
                              session=object())  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(ValueError, match=r"session= is an aiohttp\.ClientSession"):
        AsyncAppServiceClient("http://as.test", TOKEN, session=object(),  # type: ignore[arg-type]
                              transport=httpx.ASGITransport(app=asgi_app))  # fmt: skip
    with pytest.raises(TypeError, match=r"session must be an aiohttp\.ClientSession"):
        AsyncAppServiceClient("http://as.test", TOKEN, session=object())  # type: ignore[arg-type]


class _AgentHandler(_Handler):
    agents: list[str]

    def do_GET(self) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        super().do_GET()


def test_the_async_clients_send_over_aiohttp_unless_told_otherwise() -> None:
    """No backend: aiohttp; ``backend="httpx"``: httpx; an httpx ``transport`` without a
    backend: httpx through that transport. The request's User-Agent says who sent it."""
    agents: list[str] = []
    handler = type("Handler", (_AgentHandler,), {"ports": [], "delay": 0.0, "agents": agents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    async def main() -> None:
        for options in ({}, {"backend": "httpx"}, {"transport": httpx.AsyncHTTPTransport()}):
            async with AsyncHomeserverClient(url, TOKEN, **options) as client:  # type: ignore[arg-type]
                await client.get_protocols()

    try:
        asyncio.run(main())
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert [agent.split("/")[0] for agent in agents] == ["Python", "python-httpx", "python-httpx"]
    assert "aiohttp" in agents[0]


def test_aiohttp_backend_bounds_a_compressed_or_announced_answer() -> None:
    """The size bound holds for what aiohttp hands over: a small gzip body that inflates past
    the bound, and a body whose Content-Length is past it, are both cut off there."""
    inflated = b" " * 3_000_000
    bodies = {
        "/gzip": (gzip.compress(inflated), {"Content-Encoding": "gzip"}),
        "/long": (inflated, {}),
        "/small": (b"{}", {}),  # within a bound of 3 bytes
    }

    async def answer(request: web.Request) -> web.Response:
        body, headers = bodies[request.path.split("/_matrix")[0]]
        return web.Response(body=body, headers={"Content-Type": "application/json", **headers})

    async def main() -> None:
        server = web.Server(answer)
        listening = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
        try:
            for path in ("/gzip", "/long"):
                async with AsyncHomeserverClient(url + path, TOKEN,
                                                 max_answer_bytes=1_000_000) as client:  # fmt: skip
                    with pytest.raises(ResponseValidationError, match="larger than the client"):
                        await client.get_protocols()
            async with AsyncHomeserverClient(url + "/small", TOKEN, max_answer_bytes=3) as client:
                assert await client.get_protocols() == {}
        finally:
            listening.close()
            await listening.wait_closed()
            await server.shutdown()

    asyncio.run(main())
