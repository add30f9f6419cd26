"""The exceptions of the HTTP clients, one hierarchy for both directions.

``MatrixError`` and its subclasses: the peer answered with an error status (the subclass
follows the ``errcode``; one per errcode the spec documents, generated into
``_client_errcodes``). ``RequestFailedError``: the peer could not be reached or did not
answer in time, after every try allowed. ``ResponseValidationError``: an answer that does not
match the spec. ``RequestValidationError``: with ``validate=True``, a request that would not
match the spec is refused before it leaves. No token ever appears in their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "MatrixError",
    "QueryTimeoutError",
    "RateLimitedBody",
    "RequestFailedError",
    "RequestValidationError",
    "ResponseValidationError",
    "UpstreamAnswerBody",
]


class MatrixError(Exception):
    """The peer answered with an error status; ``errcode`` says which error.

    Each errcode the spec documents has a subclass named after it (``M_USER_IN_USE`` ->
    ``UserInUseError``, generated into ``_client_errcodes``); any other errcode raises
    ``MatrixError`` itself. A 404 whose JSON body has no errcode (``404 {}``, which some
    appservice libraries and Synapse answer) is a ``NotFoundError`` with ``errcode`` None.
    """

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
        self.validation: ResponseValidationError | None = None
        """With ``validate=True``: how the body breaks the spec's schema for this answer
        (an error body without ``errcode``, say), or ``None`` when it does not."""


class RateLimitedBody:
    """What the body of a rate-limit answer says besides its errcode."""

    body: Any

    @property
    def retry_after_ms(self) -> int | None:
        """How long the peer asked to wait, in milliseconds, if it said."""
        value = self.body.get("retry_after_ms") if isinstance(self.body, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class UpstreamAnswerBody:
    """What the body of a failed ping says of the appservice's own answer."""

    body: Any

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
