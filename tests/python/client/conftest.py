"""One suite for the sync and the async clients.

The ``kit`` fixture runs every test three times: with the sync classes, with the async ones,
and with the async ones over aiohttp (``backend="aiohttp"``); ``kit.run(client, "method",
...)`` calls a method either way. The peer is an in-process ``Peer``: it records every request
and answers from a script, over ``httpx.MockTransport`` (which serves ``httpx.Client`` and
``httpx.AsyncClient`` alike) or, for aiohttp, over a real aiohttp server on 127.0.0.1 that
hands each request to the same ``Peer``. A scripted transport error becomes a dropped
connection there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from aiohttp import web
from matrix_appservice.client import (
    AppServiceClient,
    AsyncAppServiceClient,
    AsyncHomeserverClient,
    HomeserverClient,
)

HS_TOKEN = "hs-secret-1f3a9c"
AS_TOKEN = "as-secret-7b2e4d"

Script = Any  # (status, json body) | (status, bytes, headers) | callable(request) | exception


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: httpx.Headers
    content: bytes

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def json(self) -> Any:
        return json.loads(self.content) if self.content else None


class Peer:
    """Answers from a script, in order; the last entry repeats."""

    def __init__(self, *script: Script) -> None:
        self.script = list(script) or [(200, {})]
        self.requests: list[Seen] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(
            Seen(
                request.method,
                request.url.raw_path.decode().split("?")[0],
                parse_qsl(request.url.query.decode(), keep_blank_values=True),
                request.headers,
                request.read(),
            )
        )
        entry = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(entry, type) and issubclass(entry, httpx.TransportError):
            raise entry(f"no answer from {request.url}", request=request)
        if callable(entry):
            return entry(request)
        status, body, *rest = entry
        headers = rest[0] if rest else {}
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    @property
    def last(self) -> Seen:
        return self.requests[-1]


async def _serve(peer: Peer) -> tuple[asyncio.Server, web.Server, str]:
    """A loopback aiohttp server that answers every request with ``peer``."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        asked = httpx.Request(request.method, f"http://peer.test{request.raw_path}",
                              headers=list(request.headers.items()), content=await request.read())  # fmt: skip
        try:
            answer = peer(asked)
        except httpx.TransportError:
            # No answer that the client can use: a broken status line, then the connection
            # closes (a plain close would make aiohttp resend the request once by itself).
            assert request.transport is not None
            request.transport.write(b"not HTTP at all\r\n\r\n")
            request.transport.close()
            return web.Response(status=500)
        headers = {k: v for k, v in answer.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")}  # fmt: skip
        try:
            body = answer.content
        except httpx.ResponseNotRead:  # a streamed answer: streamed on, until the client leaves
            streamed = web.StreamResponse(status=answer.status_code, headers=headers)
            await streamed.prepare(request)
            try:
                async for chunk in answer.aiter_raw():
                    await streamed.write(chunk)
            except ConnectionError:
                pass
            return streamed
        return web.Response(status=answer.status_code, body=body, headers=headers)

    handler = web.Server(handle, access_log=None)  # its log line would hold query tokens
    server = await asyncio.get_running_loop().create_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, handler, f"http://127.0.0.1:{port}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Kit:
    """Makes clients of one flavour (sync or async) and runs their methods."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.is_async = flavour in ("async", "aiohttp")
        self.servers: list[tuple[asyncio.Server, web.Server]] = []
        self.loop = asyncio.new_event_loop() if self.is_async else None
        self.sleeps: list[float] = []
        self.clock = Clock()
        self._clients: list[Any] = []

    @property
    def over_httpx(self) -> bool:
        """httpx sends (its exception types and log lines are what the client passes on)."""
        return self.flavour != "aiohttp"

    def _sleep(self) -> Callable[[float], Any]:
        if self.is_async:

            async def sleep(seconds: float) -> None:
                self.sleeps.append(seconds)

            return sleep
        return self.sleeps.append

    def _client(self, cls: Any, url: str, token: str, peer: Peer, options: dict[str, Any]) -> Any:
        if self.flavour == "aiohttp":
            assert self.loop is not None
            server, handler, url = self.loop.run_until_complete(_serve(peer))
            self.servers.append((server, handler))
            options = {"backend": "aiohttp", **options}
        else:
            options = {"transport": httpx.MockTransport(peer), **options}
        client = cls(url, token, sleep=self._sleep(), **options)
        self._clients.append(client)
        return client

    def appservice(self, peer: Peer, **options: Any) -> Any:
        cls = AsyncAppServiceClient if self.is_async else AppServiceClient
        options.setdefault("clock", self.clock)
        return self._client(cls, "http://as.test", HS_TOKEN, peer, options)

    def homeserver(self, peer: Peer, **options: Any) -> Any:
        cls = AsyncHomeserverClient if self.is_async else HomeserverClient
        return self._client(cls, "http://hs.test", AS_TOKEN, peer, options)

    def run(self, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(client, method)(*args, **kwargs)
        if self.is_async:
            assert self.loop is not None
            return self.loop.run_until_complete(result)
        return result

    def close(self) -> None:
        for client in self._clients:
            if self.is_async:
                assert self.loop is not None
                self.loop.run_until_complete(client.aclose())
            else:
                client.close()
        for server, handler in self.servers:
            assert self.loop is not None
            server.close()
            self.loop.run_until_complete(server.wait_closed())
            self.loop.run_until_complete(handler.shutdown())
        if self.loop is not None:
            self.loop.close()


@pytest.fixture(params=["sync", "async", "aiohttp"])
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    made = Kit(request.param)
    yield made
    made.close()
