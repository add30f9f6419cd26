"""The parts of a request a generated dispatch function hands on to the handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matrix_appservice.operations import OPERATIONS
from matrix_appservice.server._errors import MatrixError

__all__ = ["HandlerRequest"]

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
            raise MatrixError(400, "M_MISSING_PARAM", f"The query parameter {name} is required")
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
            raise MatrixError(
                400, "M_INVALID_PARAM", f"The query parameter {name} must be a whole number"
            )
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
            raise MatrixError(
                400, "M_INVALID_PARAM", f"The query parameter {name} must be true or false"
            )
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
