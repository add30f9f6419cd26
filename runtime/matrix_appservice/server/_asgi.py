"""Low-level ASGI pieces shared by the appservice server and the homeserver app.

Raw paths and their parameters, the query string, the body read under a size limit, and the
JSON body checked against an operation's schema; each problem is a :class:`MatrixError`
answer, never an exception that escapes the app.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote_to_bytes

from matrix_appservice._validator import Validator, parse_json
from matrix_appservice.server._errors import MatrixError

__all__ = [
    "Disconnected",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "compile_path",
    "decode_segment",
    "find_path",
    "request_headers",
    "parse_body",
    "query_pairs",
    "raw_path",
    "read_body",
    "send_json",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


_JSON = (b"content-type", b"application/json")


class Disconnected(Exception):
    """The client went away while the body was being read."""


def compile_path(
    template: str, may_be_empty: tuple[str, ...] = (), rest: str | None = None
) -> tuple[re.Pattern[bytes], tuple[str, ...]]:
    """A path template (``/rooms/{roomId}/send``) as a regex on raw paths, and its names.

    A parameter matches one non-empty segment; those in ``may_be_empty`` (a state key) may
    also be empty. ``rest`` names the parameter that ends the template and is the rest of
    the path, raw ``/`` included (an operation's ``rest_param``).
    """
    parts = re.split(r"\{([^}]+)\}", template)
    names = tuple(parts[1::2])

    def group(name: str) -> str:
        if name == rest:
            return "(.+)"
        return "([^/]*)" if name in may_be_empty else "([^/]+)"

    regex = "".join(re.escape(p) if i % 2 == 0 else group(p) for i, p in enumerate(parts))
    return re.compile(f"{regex}$".encode()), names


class _Routed(Protocol):
    @property
    def pattern(self) -> re.Pattern[bytes]: ...


_P = TypeVar("_P", bound=_Routed)


def find_path(paths: Iterable[_P], requested: bytes) -> tuple[_P, re.Match[bytes]] | None:
    """The first path whose pattern matches the raw request path, with the match."""
    for path in paths:
        match = path.pattern.match(requested)
        if match is not None:
            return path, match
    return None


def request_headers(scope: Scope) -> tuple[bytes | None, bytes | None]:
    """The ``Authorization`` and ``Content-Length`` headers of a request (raw, or None)."""
    authorization = length = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"content-length":
            length = value
    return authorization, length


def raw_path(scope: Scope) -> bytes:
    """The request's path as sent (still percent-encoded), without the query string."""
    raw = scope.get("raw_path")
    if raw is None:
        return str(scope["path"]).encode("utf-8")
    path: bytes = raw
    return path.partition(b"?")[0]


def decode_segment(segment: bytes) -> str:
    """One percent-encoded path segment (or the rest of a path) as text; 400
    ``M_INVALID_PARAM`` if not UTF-8."""
    try:
        if b"%" not in segment:  # Synapse's numeric transaction IDs, for one
            return segment.decode("utf-8")
        return unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        raise MatrixError(400, "M_INVALID_PARAM", "A path segment is not UTF-8") from None


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query parameters in order, without ``access_token``; at most 1,000 of them."""
    if not query_string:
        return []
    try:
        pairs = parse_qsl(
            query_string.decode("ascii"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=1000,
        )
    except (UnicodeDecodeError, ValueError):
        raise MatrixError(400, "M_INVALID_PARAM", "The query string cannot be read") from None
    return [(k, v) for k, v in pairs if k != "access_token"]


def _too_large(limit: int) -> MatrixError:
    return MatrixError(413, "M_TOO_LARGE", f"The body is larger than {limit} bytes")


async def read_body(receive: Receive, declared: bytes | None, limit: int) -> bytes:
    """The whole body; 413 ``M_TOO_LARGE`` past ``limit`` bytes (declared or read)."""
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


def parse_body(
    raw: bytes,
    validator: Validator | None,
    *,
    required: bool,
    null_means_absent: tuple[str, ...] = (),
) -> Any:
    """The JSON body, checked against ``validator`` (if any).

    No body is an empty object unless ``required``; malformed JSON (or none where one is
    required) is 400 ``M_NOT_JSON``; JSON that breaks the schema is 400 ``M_BAD_JSON`` naming
    the JSON path of the first problem (collecting all is unbounded on hostile bodies).
    """
    if not raw or raw.isspace():
        if required:
            raise MatrixError(400, "M_NOT_JSON", "The request needs a JSON body")
        data: Any = {}
    else:
        try:
            data = parse_json(raw)
        except ValueError as exc:
            raise MatrixError(400, "M_NOT_JSON", str(exc)) from None
    if isinstance(data, dict):
        for key in null_means_absent:
            if key in data and data[key] is None:
                del data[key]
    if validator is not None and not validator.is_valid(data):
        raise MatrixError(400, "M_BAD_JSON", str(validator.first_issue(data)))
    return data


async def send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with ``body`` as ``application/json``."""
    out = [*headers, _JSON] if headers else [_JSON]
    out.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})
