"""Sending the async clients' requests over aiohttp (their default backend).

Only the I/O differs from the httpx sender (``backend="httpx"``): the request comes built
from ``_client_core`` and the answer goes back to the plan as an ``Answer`` or a
``Failure``. The same rules hold: the caller bounds the whole exchange (connecting, sending,
every read) with its timeout, the body is read up to the size bound, redirects are not
followed (they could carry the token to another host) and no exception that reaches the
caller holds the token. aiohttp comes with the ``client`` extra.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from matrix_appservice._client_core import Answer, Failure, Outcome, Outgoing, Settings
from matrix_appservice._client_paths import query_string
from matrix_appservice._client_secrets import RedactTokens
from matrix_appservice._http_limits import aread_bounded

try:
    import aiohttp
    from yarl import URL
except ImportError as exc:
    raise ImportError(
        "the async clients send over aiohttp (their default backend): "
        "pip install 'matrix-appservice[client]', or pass backend='httpx'",
        name=exc.name,
    ) from exc

__all__ = ["AiohttpSender"]

logging.getLogger("aiohttp.client").addFilter(RedactTokens())

_Kind = Literal["timeout", "connect", "other"]


def _kind(exc: BaseException) -> _Kind:
    if isinstance(exc, TimeoutError):  # aiohttp's timeouts are TimeoutError subclasses
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connect"
    return "other"


def _failure(exc: BaseException, settings: Settings) -> Failure:
    """A failure whose error is a copy of ``exc`` without anything that may hold the token
    (aiohttp's exceptions keep the request URL)."""
    kind = _kind(exc)
    message = settings.clean(str(exc) or type(exc).__name__)
    error: BaseException
    try:
        error = type(exc)(message)
    except Exception:  # an exception class with another signature: keep the text only
        error = (
            aiohttp.ClientConnectionError(message)
            if kind == "connect"
            else aiohttp.ClientError(message)
        )
    if str(error) != message:  # some classes build their text from other arguments
        error = TimeoutError(message) if kind == "timeout" else aiohttp.ClientError(message)
    return Failure(kind, error)


_NO_TIMERS = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None, sock_read=None)


class AiohttpSender:
    """Sends requests over one ``aiohttp.ClientSession``: the one given, or one of its own,
    made on the first request (a session belongs to the event loop that runs it)."""

    def __init__(self, base_url: str, session: Any = None) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError(
                f"session must be an aiohttp.ClientSession, not {type(session).__name__}"
            )
        root = URL(base_url.rstrip("/"))
        self._scheme, self._authority, self._prefix = root.scheme, root.raw_authority, root.raw_path
        if self._prefix == "/":
            self._prefix = ""
        self._session: aiohttp.ClientSession | None = session
        self._owns_session = session is None
        # The caller bounds the whole exchange (a deadline on its task), connecting and every
        # read included: aiohttp's own timers would only add work to every read.
        self._timeout = _NO_TIMERS

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def _url(self, step: Outgoing) -> URL:
        # Encoded already: yarl must send it as it is (and need not parse it again).
        return URL.build(
            scheme=self._scheme, authority=self._authority, path=self._prefix + step.path,
            query_string=query_string(step.query), encoded=True,
        )  # fmt: skip

    async def send(self, step: Outgoing, settings: Settings) -> Outcome:
        session = self._open()
        try:
            async with session.request(
                step.method, self._url(step), headers=step.headers, data=step.content,
                timeout=self._timeout, allow_redirects=False,
            ) as response:  # fmt: skip
                status, headers = response.status, response.headers
                # The body up to the size bound. One of a known length within the bound,
                # not compressed (its length is the size of what is read), is read at once;
                # any other piece by piece up to the bound.
                limit, length = settings.max_answer_bytes, response.content_length
                if length is not None and length <= limit and "Content-Encoding" not in headers:
                    body, complete = await response.read(), True
                else:
                    body, complete = await aread_bounded(response.content.iter_any(), limit)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _failure(exc, settings)
        # The headers stay aiohttp's case-insensitive mapping, as the plans look names up.
        return Answer(status, headers, body, complete)

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
