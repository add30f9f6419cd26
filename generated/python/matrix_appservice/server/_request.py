"""The parts of a request a generated dispatch function hands on to the handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matrix_appservice.operations import OPERATIONS

__all__ = ["HandlerRequest"]


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

    def search_fields(self, operation: str) -> dict[str, str]:
        """The third-party search fields of ``operation``: every query parameter it does not
        declare (see :meth:`Operation.fields_from_query`)."""
        return OPERATIONS[operation].fields_from_query(self.query, self.release)
