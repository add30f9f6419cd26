"""The parts of a request a generated dispatch function hands on to the handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["HandlerRequest"]


@dataclass(frozen=True)
class HandlerRequest:
    """Path parameters (decoded), query parameters and the validated JSON body."""

    path: dict[str, str]
    query: list[tuple[str, str]]
    """Every query parameter in order, without ``access_token``."""
    body: Any = None
    """The parsed body, already checked against the operation's schema; ``None`` if absent."""

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter, or ``None``."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def query_fields(self, exclude: tuple[str, ...] = ()) -> dict[str, str]:
        """Every query parameter not named in ``exclude`` (the first value of each)."""
        fields: dict[str, str] = {}
        for key, value in self.query:
            if key not in exclude:
                fields.setdefault(key, value)
        return fields
