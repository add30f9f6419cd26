"""Errors a handler raises to answer the homeserver with a Matrix error body."""

from __future__ import annotations

import orjson
from pydantic import ValidationError

__all__ = ["InvalidAnswer", "MatrixError", "NotFound", "bad_json", "error_body", "json_path"]


def error_body(errcode: str, error: str) -> bytes:
    """The standard error object, ``{"errcode": ..., "error": ...}``, as JSON bytes."""
    return orjson.dumps({"errcode": errcode, "error": error})


class MatrixError(Exception):
    """Answer with ``status`` and a Matrix error body.

    Raised from a transaction handler, any status marks the transaction as not handled:
    the homeserver retries it later. Statuses below 400 are refused.
    """

    def __init__(self, status: int, errcode: str, error: str = "") -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"a Matrix error needs a 4xx or 5xx status, not {status}")
        super().__init__(f"{status} {errcode}: {error}" if error else f"{status} {errcode}")
        self.status = status
        self.errcode = errcode
        self.error = error

    def body(self) -> bytes:
        return error_body(self.errcode, self.error)


class NotFound(MatrixError):
    """404 ``M_NOT_FOUND``: the user, alias, protocol or location does not exist."""

    def __init__(self, error: str = "Not found") -> None:
        super().__init__(404, "M_NOT_FOUND", error)


class InvalidAnswer(Exception):
    """A handler returned an answer that does not fit the operation's response schema."""


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("events", 0, "room_id")`` -> ``$.events[0].room_id``."""
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += "[" + orjson.dumps(part).decode() + "]"
    return out


def bad_json(exc: ValidationError) -> MatrixError:
    """400 ``M_BAD_JSON`` naming where the body broke a pydantic model, path first."""
    problems = [f"{json_path(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()[:10]]
    return MatrixError(400, "M_BAD_JSON", "; ".join(problems))
