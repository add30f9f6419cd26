"""The hand-written part of :mod:`matrix_appservice.errors`: the base of the error tree and
the other exceptions of the clients.

``MatrixError`` is an error answer of either API: an HTTP status and a JSON body with an
``errcode``. The clients raise it (a subclass per documented errcode, generated into
``errors``) when a peer answers with an error; the servers answer it, raised by a handler
(whatever raised it: a client error that escapes a handler becomes the same status and
errcode). ``RequestFailedError``: the peer could not be reached or did not answer in time,
after every try allowed. ``ResponseValidationError``: an answer that does not match the
spec. ``RequestValidationError``: with ``validate=True``, a request that would not match the
spec is refused before it leaves. No token ever appears in their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

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
    """An error answer: an HTTP ``status`` and a JSON body whose ``errcode`` says which error.

    Each errcode the spec documents has a subclass named after it (``M_USER_IN_USE`` ->
    :class:`~matrix_appservice.errors.UserInUseError`) that knows its errcode and the status
    the spec gives it, so ``NotFoundError()`` or ``ForbiddenError("not yours")`` is a whole
    error; any other errcode is ``MatrixError("...", status=418, errcode="M_TEAPOT")``.

    A client raises the class of the errcode an answer carries (``MatrixError`` itself for
    one the spec does not document); a 404 whose JSON body has no errcode (``404 {}``, which
    some appservice libraries and Synapse answer) is a ``NotFoundError`` with ``errcode``
    None. A server answers a ``MatrixError`` that its handler raises with its status and a
    body with its errcode, its message and the other keys of ``body``.
    """

    ERRCODE: ClassVar[str | None] = None
    """The errcode of the class (``None`` on ``MatrixError`` itself)."""
    STATUS: ClassVar[int | None] = None
    """The status the spec documents the errcode under (``None`` on ``MatrixError``)."""

    def __init__(
        self,
        error: str | None = None,
        *,
        status: int | None = None,
        errcode: str | None = None,
        body: Any = None,
        message: str | None = None,
    ) -> None:
        status = self.STATUS if status is None else status
        errcode = self.ERRCODE if errcode is None else errcode
        if status is None or errcode is None:
            raise TypeError(
                f"{type(self).__name__} needs a status and an errcode "
                "(or use the class of a documented errcode, such as NotFoundError)"
            )
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
            raise ValueError(f"an HTTP status is a number from 100 to 999, not {status!r}")
        if message is None:
            message = f"{status} {errcode}: {error}" if error else f"{status} {errcode}"
        super().__init__(message)
        self.status = status
        """The HTTP status code."""
        self.errcode: str | None = errcode
        """The ``errcode`` of the body (``M_FORBIDDEN``, ...); ``None`` for an answer that
        had none."""
        self.error = error
        """The human-readable ``error`` of the body, if there is one."""
        self.body = body
        """The JSON body: for a client, the parsed answer (``None`` when it was not JSON);
        for an error raised to be answered, the keys to send besides ``errcode`` and
        ``error`` (or ``None``)."""
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
