"""One suite for the sync and the async clients.

The ``kit`` fixture runs every test twice, once with the sync classes and once with the async
ones; ``kit.run(client, "method", ...)`` calls a method either way. The peer is an in-process
``Peer``: it records every request and answers from a script, over ``httpx.MockTransport``
(which serves ``httpx.Client`` and ``httpx.AsyncClient`` alike).
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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Kit:
    """Makes clients of one flavour (sync or async) and runs their methods."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.is_async = flavour == "async"
        self.loop = asyncio.new_event_loop() if self.is_async else None
        self.sleeps: list[float] = []
        self.clock = Clock()
        self._clients: list[Any] = []

    def _sleep(self) -> Callable[[float], Any]:
        if self.is_async:

            async def sleep(seconds: float) -> None:
                self.sleeps.append(seconds)

            return sleep
        return self.sleeps.append

    def appservice(self, peer: Peer, **options: Any) -> Any:
        cls = AsyncAppServiceClient if self.is_async else AppServiceClient
        options.setdefault("clock", self.clock)
        client = cls("http://as.test", HS_TOKEN, transport=httpx.MockTransport(peer),
                     sleep=self._sleep(), **options)  # fmt: skip
        self._clients.append(client)
        return client

    def homeserver(self, peer: Peer, **options: Any) -> Any:
        cls = AsyncHomeserverClient if self.is_async else HomeserverClient
        client = cls("http://hs.test", AS_TOKEN, transport=httpx.MockTransport(peer),
                     sleep=self._sleep(), **options)  # fmt: skip
        self._clients.append(client)
        return client

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
        if self.loop is not None:
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    made = Kit(request.param)
    yield made
    made.close()
