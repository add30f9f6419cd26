"""The exceptions of the HTTP clients, one hierarchy for both directions.

``MatrixError`` and its subclasses: the peer answered with an error status (the subclass
follows the ``errcode``). ``RequestFailedError``: the peer could not be reached or did not
answer in time, after every try allowed. ``ResponseValidationError``: an answer that does not
match the spec. ``RequestValidationError``: with ``validate=True``, a request that would not
match the spec is refused before it leaves. No token ever appears in their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "BadStatusError",
    "ConnectionFailedError",
    "ConnectionTimeoutError",
    "ExclusiveError",
    "ForbiddenError",
    "LimitExceededError",
    "MatrixError",
    "NotFoundError",
    "QueryTimeoutError",
    "RequestFailedError",
    "RequestValidationError",
    "ResponseValidationError",
    "UnknownTokenError",
    "UnrecognizedError",
    "UrlNotSetError",
    "error_for",
]


class MatrixError(Exception):
    """The peer answered with an error status; ``errcode`` says which error."""

    def __init__(
        self, status: int, errcode: str | None, error: str | None, body: Any, *, message: str
    ) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status code."""
        self.errcode = errcode
        """The ``errcode`` of the JSON body (``M_FORBIDDEN``, ...), if it had one."""
        self.error = error
        """The human-readable ``error`` of the body, if it had one."""
        self.body = body
        """The parsed JSON body, or ``None`` when the body was not JSON."""


class ForbiddenError(MatrixError):
    """``M_FORBIDDEN``: the token is wrong, or the request is not allowed."""


class ExclusiveError(MatrixError):
    """``M_EXCLUSIVE``: the user or alias is in another appservice's exclusive namespace."""


class UnknownTokenError(MatrixError):
    """``M_UNKNOWN_TOKEN``: the homeserver does not know the access token."""


class LimitExceededError(MatrixError):
    """``M_LIMIT_EXCEEDED``: rate-limited (after the retries the client allows)."""

    @property
    def retry_after_ms(self) -> int | None:
        """How long the peer asked to wait, in milliseconds, if it said."""
        value = self.body.get("retry_after_ms") if isinstance(self.body, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class UnrecognizedError(MatrixError):
    """``M_UNRECOGNIZED``: the peer does not implement the endpoint."""


class UrlNotSetError(MatrixError):
    """``M_URL_NOT_SET``: the appservice's registration has no ``url`` to ping."""


class BadStatusError(MatrixError):
    """``M_BAD_STATUS``: the appservice answered the homeserver's ping with an error."""

    @property
    def upstream_status(self) -> int | None:
        """The status code the appservice answered the homeserver with."""
        value = self.body.get("status") if isinstance(self.body, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def upstream_body(self) -> str | None:
        """The body the appservice answered the homeserver with."""
        value = self.body.get("body") if isinstance(self.body, Mapping) else None
        return value if isinstance(value, str) else None


class ConnectionFailedError(MatrixError):
    """``M_CONNECTION_FAILED``: the homeserver could not reach the appservice."""


class ConnectionTimeoutError(MatrixError):
    """``M_CONNECTION_TIMEOUT``: the appservice did not answer the homeserver in time."""


class NotFoundError(MatrixError):
    """``M_NOT_FOUND``: no such user, alias, device or room.

    A 404 whose JSON body has no errcode (``404 {}``, which some appservice libraries answer
    to a query for an unknown user or alias) is a ``NotFoundError`` too, with ``errcode``
    ``None``.
    """


_BY_ERRCODE: Mapping[str, type[MatrixError]] = {
    "M_FORBIDDEN": ForbiddenError,
    "M_EXCLUSIVE": ExclusiveError,
    "M_UNKNOWN_TOKEN": UnknownTokenError,
    "M_LIMIT_EXCEEDED": LimitExceededError,
    "M_UNRECOGNIZED": UnrecognizedError,
    "M_URL_NOT_SET": UrlNotSetError,
    "M_BAD_STATUS": BadStatusError,
    "M_CONNECTION_FAILED": ConnectionFailedError,
    "M_CONNECTION_TIMEOUT": ConnectionTimeoutError,
    "M_NOT_FOUND": NotFoundError,
}


def error_for(status: int, body: Any, what: str) -> MatrixError:
    """The exception for an error answer; ``what`` names the request (no token in it)."""
    errcode = body.get("errcode") if isinstance(body, Mapping) else None
    error = body.get("error") if isinstance(body, Mapping) else None
    errcode = errcode if isinstance(errcode, str) else None
    error = error if isinstance(error, str) else None
    cls = _BY_ERRCODE.get(errcode or "", MatrixError)
    if status == 404 and errcode is None and isinstance(body, Mapping):
        cls = NotFoundError  # a JSON "not found" without an errcode
    detail = f"{errcode}: {error}" if errcode and error else errcode or error or "no errcode"
    return cls(status, errcode, error, body, message=f"{what} answered {status} ({detail})")


class RequestFailedError(Exception):
    """The peer could not be reached or did not answer in time, after every allowed try.

    The last transport error is chained as ``__cause__`` (with any token removed).
    """

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts
        """How many times the request was sent."""


class QueryTimeoutError(RequestFailedError):
    """A query to the appservice ran out of tries; a homeserver answers its client 408."""


class ResponseValidationError(Exception):
    """An answer that does not match the spec; ``path`` is where, as a JSON path."""

    def __init__(self, message: str, *, path: str, status: int, issues: tuple[str, ...]) -> None:
        super().__init__(message)
        self.path = path
        """The JSON path of the first problem (``$.events[0].room_id``)."""
        self.status = status
        self.issues = issues
        """Every problem, as ``path: message``."""


class RequestValidationError(ValueError):
    """With ``validate=True``: the request would not match the spec, so it was not sent."""

    def __init__(self, message: str, *, path: str, issues: tuple[str, ...]) -> None:
        super().__init__(message)
        self.path = path
        self.issues = issues
