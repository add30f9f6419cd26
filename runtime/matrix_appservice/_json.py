"""JSON text to Python values, within the limits the validator documents.

orjson does the parsing. It refuses text nested deeper than :data:`MAX_DEPTH` levels, and
that limit is the package's: the standard library parser, used only for numbers orjson cannot
hold, gets the same limit checked before it runs. A failure is a ``ValueError`` whose message
says what is wrong and where: the line and column of a syntax error, the byte offset of
invalid UTF-8, the character offset of a lone surrogate.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import accumulate
from types import FrameType
from typing import Any

import orjson

__all__ = ["MAX_DEPTH", "parse_json"]

MAX_DEPTH = 1024
"""The deepest nesting of arrays and objects accepted in JSON text (orjson's own limit)."""

_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _nesting(data: bytes) -> int:
    """The deepest nesting of ``data`` (brackets inside strings do not count); linear time."""
    # Drop escaped backslashes, then escaped quotes, so the quotes left delimit strings.
    plain = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(plain.split(b'"')[0::2]).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, outside)), default=0)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _as_bytes(payload: bytes | bytearray | memoryview | str) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


def _encoding_problem(payload: bytes | bytearray | memoryview | str) -> str | None:
    """Why the text is not UTF-8 (bytes) or not encodable as UTF-8 (text), with the offset."""
    if isinstance(payload, str):
        try:
            payload.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = ord(exc.object[exc.start])
            return f"not valid Unicode: lone surrogate U+{char:04X} at character offset {exc.start}"
        return None
    try:
        bytes(payload).decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    return None


def _starts_number(data: bytes, pos: int) -> bool:
    """Whether the byte at ``pos`` starts a number (orjson stops at one too large for it)."""
    return data[pos : pos + 1] == b"-" or data[pos : pos + 1].isdigit()


def _stdlib_loads(data: bytes) -> Any:
    """The stdlib parser recurses once per level: make room for ``MAX_DEPTH`` levels."""
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    needed = depth + MAX_DEPTH + 50
    previous = sys.getrecursionlimit()
    if previous < needed:
        sys.setrecursionlimit(needed)
    try:
        return json.loads(data, parse_constant=_no_constants)
    finally:
        if previous < needed:
            sys.setrecursionlimit(previous)


def parse_json(payload: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; raise ``ValueError`` saying what is wrong and where."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        failure = exc
    problem = _encoding_problem(payload)
    if problem is not None:
        raise ValueError(problem)
    data = _as_bytes(payload)
    # orjson counts characters; the checks below look at bytes.
    pos = len(data.decode("utf-8")[: failure.pos].encode("utf-8")) if failure.pos else 0
    if _nesting(data[: pos + 1]) > MAX_DEPTH:
        raise ValueError(
            f"not valid JSON: nested deeper than {MAX_DEPTH} levels at {_where(failure)}"
        )
    if _starts_number(data, pos) and _nesting(data) <= MAX_DEPTH:
        # Beyond 64-bit integers (older orjson) or beyond the range of a double: the stdlib
        # parser takes any number JSON allows.
        try:
            return _stdlib_loads(data)
        except (ValueError, RecursionError):
            pass
        digits = _digits_at(data, pos)
        if digits > sys.get_int_max_str_digits() > 0:
            # Valid JSON text, but Python reads integers of at most that many digits (a bound
            # against quadratic-time conversion); no Matrix number comes near it.
            raise ValueError(
                f"a number of {digits:,} digits at {_where(failure)}: more than the "
                f"{sys.get_int_max_str_digits():,} this parser reads"
            )
    raise ValueError(f"not valid JSON: {failure}")


_DIGITS = re.compile(rb"[0-9]*")
"""A run of digits, possibly empty: it matches wherever it starts, in time linear in the run."""


def _digits_at(data: bytes, pos: int) -> int:
    """How many digits the integer part of the number at ``pos`` has."""
    start = pos + 1 if data[pos : pos + 1] == b"-" else pos
    run = _DIGITS.match(data, start)
    assert run is not None  # an empty run matches too
    return run.end() - start


def _where(exc: orjson.JSONDecodeError) -> str:
    return f"line {exc.lineno} column {exc.colno} (char {exc.pos})"
