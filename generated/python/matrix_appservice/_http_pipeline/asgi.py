"""The ASGI end of the pipeline: the raw path and headers of a request, its body read under a
size limit while it streams in, and a JSON answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from matrix_appservice.errors import TooLargeError

__all__ = [
    "Disconnected",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "host_problem",
    "raw_path",
    "read_body",
    "request_headers",
    "send_json",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = (b"content-type", b"application/json")


class Disconnected(Exception):
    """The client went away while the body was being read."""


def request_headers(scope: Scope) -> tuple[bytes | None, bytes | None, list[bytes]]:
    """The ``Authorization`` and ``Content-Length`` headers of a request (raw, or None) and
    the values of its ``Host`` headers."""
    authorization = length = None
    hosts = []
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"content-length":
            length = value
        elif name == b"host":
            hosts.append(value)
    return authorization, length, hosts


def host_problem(scope: Scope, hosts: list[bytes]) -> str | None:
    """What is wrong with a request's ``Host`` headers, or ``None``: an HTTP/1.1 request needs
    exactly one (RFC 9112, section 3.2) and an HTTP/1.0 one at most. An empty one counts as
    missing: a request that reaches a server over HTTP has an address to name, and granian
    gives a request that has none an empty one."""
    if len(hosts) > 1:
        return "The request has more than one Host header"
    if (not hosts or not hosts[0].strip()) and scope.get("http_version") != "1.0":
        return "The request has no Host header"
    return None


def raw_path(scope: Scope) -> bytes:
    """The request's path as sent (still percent-encoded), without the query string."""
    raw = scope.get("raw_path")
    if raw is None:
        return str(scope["path"]).encode("utf-8")
    path: bytes = raw
    return path.partition(b"?")[0]


def _too_large(limit: int) -> TooLargeError:
    return TooLargeError(f"The body is larger than {limit} bytes")


async def read_body(receive: Receive, declared: bytes | None, limit: int) -> bytes:
    """The whole body; 413 ``M_TOO_LARGE`` past ``limit`` bytes, from ``Content-Length``
    before anything is read, or as soon as the chunks read pass it (nothing more is read)."""
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    message = await receive()
    if message["type"] == "http.disconnect":
        raise Disconnected
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        if len(body) > limit:
            raise _too_large(limit)
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with ``body`` as ``application/json``."""
    out = [*headers, _JSON] if headers else [_JSON]
    out.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})
