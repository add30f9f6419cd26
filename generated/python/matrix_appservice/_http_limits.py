"""The limits of one HTTP exchange when the package is the client: its size and its time.

Every HTTP client of the package (the sync and async clients, the probe) reads an answer
through :func:`read_bounded` (or :func:`aread_bounded`), which stops at a size bound, and
sends under a deadline that bounds the whole exchange: connecting, sending the request and
reading the answer to its last byte. httpx's own timeouts bound each network operation
only, so a peer that sends one byte a second would hold a call for as long as it likes.

The sync side gets its deadline from :class:`DeadlineTransport`, httpx's transport whose
sockets never wait past the deadline set with :func:`deadline` for the call in progress
(httpcore reads and writes through a network backend, and this module wraps it). The async
clients bound the whole exchange with a deadline on the calling task instead
(``_client_deadlines``).
"""

from __future__ import annotations

import contextvars
import functools
import time
import typing
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpcore
import httpx

__all__ = [
    "DeadlineTransport",
    "aread_bounded",
    "deadline",
    "over_deadline",
    "read_bounded",
]

_DEADLINE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "matrix_appservice_deadline", default=None
)
"""``(monotonic time at which the exchange in progress must end, its length in seconds)``."""

_WRITE_PIECE = 64 * 1024
"""A write is split into pieces of this size, each under what is left of the deadline."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of :class:`DeadlineTransport` in this block (in this thread or
    task) ends ``seconds`` from now at the latest."""
    token = _DEADLINE.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def over_deadline() -> str | None:
    """What to say when the deadline of the exchange in progress has passed, else None."""
    current = _DEADLINE.get()
    if current is None or time.monotonic() < current[0]:
        return None
    return f"no complete answer within {current[1]:g} s"


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout``, shortened to what is left of the deadline; ``error`` when nothing is."""
    current = _DEADLINE.get()
    if current is None:
        return timeout
    left = current[0] - time.monotonic()
    if left <= 0:
        raise error(f"no complete answer within {current[1]:g} s")
    return left if timeout is None else min(timeout, left)


_T = typing.TypeVar("_T")


def _bounded(
    operation: typing.Callable[[float | None], _T], timeout: float | None,
    error: type[httpcore.TimeoutException],
) -> _T:  # fmt: skip
    """``operation(timeout)`` under what is left of the deadline; when it times out because
    the deadline passed, ``error`` says so (not the socket's bare "timed out")."""
    try:
        return operation(_left(timeout, error))
    except httpcore.TimeoutException:
        late = over_deadline()
        if late is None:
            raise
        raise error(late) from None


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(
            lambda left: self._inner.read(max_bytes, left), timeout, httpcore.ReadTimeout
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), _WRITE_PIECE):
            piece = buffer[start : start + _WRITE_PIECE]
            _bounded(functools.partial(self._inner.write, piece), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: typing.Any, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        def handshake(left: float | None) -> httpcore.NetworkStream:
            return self._inner.start_tls(ssl_context, server_hostname, left)

        return _DeadlineStream(_bounded(handshake, timeout, httpcore.ConnectTimeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        def connect(left: float | None) -> httpcore.NetworkStream:
            return self._inner.connect_tcp(host, port, left, local_address, socket_options)

        return _DeadlineStream(_bounded(connect, timeout, httpcore.ConnectTimeout))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        def connect(left: float | None) -> httpcore.NetworkStream:
            return self._inner.connect_unix_socket(path, left, socket_options)

        return _DeadlineStream(_bounded(connect, timeout, httpcore.ConnectTimeout))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport (HTTP/1.1, certificates verified, httpx's pool limits) whose network
    operations end by the :func:`deadline` of the exchange in progress.

    httpx takes no network backend of its own, its connection pool does: the pool is made
    again with the wrapped backend. Proxies from the environment are not used.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )


def read_bounded(chunks: Iterator[bytes], limit: int) -> tuple[bytes, bool]:
    """The body from ``chunks``, read until it ends or passes ``limit`` bytes, and whether
    it ended within the limit. Raises ``httpx.ReadTimeout`` when the deadline passes
    between chunks (a transport that is not a :class:`DeadlineTransport`)."""
    content = bytearray()
    for chunk in chunks:
        content += chunk
        if len(content) > limit:
            del content[limit + 1 :]
            return bytes(content), False
        late = over_deadline()
        if late is not None:
            raise httpx.ReadTimeout(late)
    return bytes(content), True


async def aread_bounded(chunks: AsyncIterator[bytes], limit: int) -> tuple[bytes, bool]:
    """:func:`read_bounded` for an async stream (the caller bounds its time)."""
    content = bytearray()
    async for chunk in chunks:
        content += chunk
        if len(content) > limit:
            del content[limit + 1 :]
            return bytes(content), False
    return bytes(content), True
