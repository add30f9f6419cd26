"""Answers: a :class:`MatrixError` as a status and body, and a handler's answer checked first
against its model and then against the release's schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from matrix_appservice._walk import json_path
from matrix_appservice.errors import BadJsonError, MatrixError

__all__ = [
    "InvalidAnswer",
    "answer_json",
    "bad_json",
    "error_answer",
    "error_body",
    "typed_body",
]

_M = TypeVar("_M", bound=BaseModel)


class InvalidAnswer(Exception):
    """A handler returned an answer that does not fit the operation's response schema."""


def error_body(errcode: str, error: str) -> bytes:
    """The standard error object, ``{"errcode": ..., "error": ...}``, as JSON bytes."""
    return orjson.dumps({"errcode": errcode, "error": error})


def _words(errcode: str) -> str:
    """``M_NOT_FOUND`` -> ``Not found``: the message of an error raised without one."""
    words = errcode.removeprefix("M_").replace("_", " ").lower()
    return words[:1].upper() + words[1:]


def error_answer(exc: MatrixError) -> tuple[int, bytes]:
    """The status and body that answer ``exc``, whoever raised it: a client's error that
    escapes a handler is answered with the status and errcode the peer sent.

    The body holds the errcode (the class's when the peer sent none: ``404 {}`` is answered
    ``M_NOT_FOUND``), the message (the errcode in words when there is none) and the other
    keys of ``exc.body``. A status outside 400-599 (a client's answer to a redirect, say) is
    answered 500."""
    errcode = exc.errcode or type(exc).ERRCODE or "M_UNKNOWN"
    error = exc.error if exc.error is not None else _words(errcode)
    extra = exc.body if isinstance(exc.body, Mapping) else {}
    body = {**extra, "errcode": errcode, "error": error}
    status = exc.status if 400 <= exc.status <= 599 else 500
    try:
        return status, orjson.dumps(body)
    except TypeError:  # other keys that are not JSON: the standard object only
        return status, error_body(errcode, error)


def bad_json(exc: ValidationError) -> BadJsonError:
    """400 ``M_BAD_JSON`` naming where the body broke a pydantic model, path first."""
    problems = [f"{json_path(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()[:10]]
    return BadJsonError("; ".join(problems))


def typed_body(model: type[_M], body: Any) -> _M:
    """The request body (already checked against the schema) as its model; 400
    ``M_BAD_JSON`` for what the schema lets through and the model does not."""
    try:
        return model.model_validate({} if body is None else body)
    except ValidationError as exc:
        raise bad_json(exc) from None


def answer_json(adapter: TypeAdapter[Any], value: object) -> bytes:
    """A handler's answer (a model or plain data) as JSON bytes, with the wire names;
    :class:`InvalidAnswer` when it does not fit the model."""
    try:
        typed = adapter.validate_python(value)
    except ValidationError as exc:
        raise InvalidAnswer(str(exc)) from None
    return adapter.dump_json(typed, by_alias=True, exclude_unset=True)
