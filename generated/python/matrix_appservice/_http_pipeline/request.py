"""What a request carries once routed: its path parameters, its query and its JSON body,
each read within bounds, and :class:`HandlerRequest`, which holds them for the handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from matrix_appservice._validator import Validator, parse_json
from matrix_appservice.errors import (
    BadJsonError,
    InvalidParamError,
    MissingParamError,
    NotJsonError,
)
from matrix_appservice.operations import OPERATIONS

__all__ = ["MAX_QUERY_PAIRS", "HandlerRequest", "decode_segment", "parse_body", "query_pairs"]

MAX_QUERY_PAIRS = 1000
"""The most query parameters read from one request."""

_MAX_INT = 2**53 - 1  # the largest integer Matrix allows in JSON (canonical JSON's range)
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class HandlerRequest:
    """Path parameters (decoded), query parameters and the validated JSON body."""

    path: dict[str, str]
    query: list[tuple[str, str]]
    """Every query parameter in order, without ``access_token``."""
    body: Any = None
    """The parsed body, already checked against the operation's schema; ``None`` if absent."""
    release: str | None = None
    """The release the server speaks (the default: the latest)."""

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter, or ``None``."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def str_param(self, name: str) -> str | None:
        """A text parameter, or ``None``."""
        return self.query_value(name)

    def required_str(self, name: str) -> str:
        """A text parameter; 400 ``M_MISSING_PARAM`` when it is absent."""
        value = self.query_value(name)
        if value is None:
            raise MissingParamError(f"The query parameter {name} is required")
        return value

    def int_param(self, name: str) -> int | None:
        """A whole-number parameter, or ``None``; 400 ``M_INVALID_PARAM`` for anything else."""
        value = self.query_value(name)
        if value is None:
            return None
        digits = value.removeprefix("-")
        if (
            not digits.isascii()
            or not digits.isdigit()
            or len(digits) > 16
            or int(digits) > _MAX_INT
        ):
            raise InvalidParamError(f"The query parameter {name} must be a whole number")
        return int(value)

    def required_int(self, name: str) -> int:
        """A whole-number parameter; 400 ``M_MISSING_PARAM`` when it is absent."""
        self.required_str(name)
        value = self.int_param(name)
        assert value is not None
        return value

    def bool_param(self, name: str) -> bool | None:
        """``true`` or ``false``, or ``None``; 400 ``M_INVALID_PARAM`` for anything else."""
        value = self.query_value(name)
        if value is None:
            return None
        if value not in _BOOLEANS:
            raise InvalidParamError(f"The query parameter {name} must be true or false")
        return _BOOLEANS[value]

    def required_bool(self, name: str) -> bool:
        """``true`` or ``false``; 400 ``M_MISSING_PARAM`` when it is absent."""
        self.required_str(name)
        value = self.bool_param(name)
        assert value is not None
        return value

    def search_fields(self, operation: str) -> dict[str, str]:
        """The third-party search fields of ``operation``: every query parameter it does not
        declare (see :meth:`Operation.fields_from_query`)."""
        return OPERATIONS[operation].fields_from_query(self.query, self.release)


def decode_segment(segment: bytes) -> str:
    """One percent-encoded path segment (or the rest of a path) as text; 400
    ``M_INVALID_PARAM`` if not UTF-8."""
    try:
        if b"%" not in segment:  # Synapse's numeric transaction IDs, for one
            return segment.decode("utf-8")
        return unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParamError("A path segment is not UTF-8") from None


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query parameters in order, without ``access_token``; at most
    :data:`MAX_QUERY_PAIRS` of them; 400 ``M_INVALID_PARAM`` for a query that cannot be read."""
    if not query_string:
        return []
    try:
        pairs = parse_qsl(
            query_string.decode("ascii"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_QUERY_PAIRS,
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidParamError("The query string cannot be read") from None
    return [(k, v) for k, v in pairs if k != "access_token"]


def parse_body(
    raw: bytes,
    validator: Validator | None,
    *,
    required: bool,
    null_means_absent: tuple[str, ...] = (),
) -> Any:
    """The JSON body, parsed with the package's bounded parser and checked against
    ``validator`` (if any).

    No body is an empty object unless ``required``; malformed JSON (or none where one is
    required) is 400 ``M_NOT_JSON``; JSON that breaks the schema is 400 ``M_BAD_JSON`` naming
    the JSON path of the first problem (collecting all is unbounded on hostile bodies).
    """
    if not raw or raw.isspace():
        if required:
            raise NotJsonError("The request needs a JSON body")
        data: Any = {}
    else:
        try:
            data = parse_json(raw)
        except ValueError as exc:
            raise NotJsonError(str(exc)) from None
    if isinstance(data, dict):
        for key in null_means_absent:
            if key in data and data[key] is None:
                del data[key]
    if validator is not None and not validator.is_valid(data):
        raise BadJsonError(str(validator.first_issue(data)))
    return data
