"""Routing on the raw path: path templates compiled once, 404 and 405 ``M_UNRECOGNIZED``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from matrix_appservice._http_pipeline.request import decode_segment
from matrix_appservice.errors import UnrecognizedError

__all__ = ["Found", "MethodNotAllowed", "Router", "compile_path"]

R = TypeVar("R")


class MethodNotAllowed(UnrecognizedError):
    """405 ``M_UNRECOGNIZED``: the path is known, the method is not; ``allow`` lists those
    that are (the ``Allow`` header of the answer)."""

    def __init__(self, allow: bytes) -> None:
        super().__init__("Unsupported method", status=405)
        self.allow = allow


def compile_path(
    template: str, may_be_empty: tuple[str, ...] = (), rest: str | None = None
) -> tuple[re.Pattern[bytes], tuple[str, ...]]:
    """A path template (``/rooms/{roomId}/send``) as a regex on raw paths, and its names.

    A parameter matches one non-empty segment; those in ``may_be_empty`` (a state key) may
    also be empty. ``rest`` names the parameter that ends the template and is the rest of
    the path, raw ``/`` included (an operation's ``rest_param``: homeservers such as Synapse
    send the ``/`` of a user ID or an alias unencoded).
    """
    parts = re.split(r"\{([^}]+)\}", template)
    names = tuple(parts[1::2])

    def group(name: str) -> str:
        if name == rest:
            return "(.+)"
        return "([^/]*)" if name in may_be_empty else "([^/]+)"

    regex = "".join(re.escape(p) if i % 2 == 0 else group(p) for i, p in enumerate(parts))
    return re.compile(f"{regex}$".encode()), names


@dataclass(frozen=True, slots=True)
class Found(Generic[R]):
    """The route a request path found, and its path parameters, still encoded."""

    route: R
    names: tuple[str, ...]
    match: re.Match[bytes]

    def params(self) -> dict[str, str]:
        """The path parameters, decoded; 400 ``M_INVALID_PARAM`` for one that is not UTF-8
        (so a pipeline decodes them once the request is authenticated)."""
        names = self.names
        if len(names) == 1:  # the usual case: a transaction ID
            return {names[0]: decode_segment(self.match.group(1))}
        return dict(zip(names, map(decode_segment, self.match.groups()), strict=True))


@dataclass(frozen=True)
class _Path(Generic[R]):
    pattern: re.Pattern[bytes]
    params: tuple[str, ...]
    methods: dict[str, R]
    allow: bytes


class Router(Generic[R]):
    """The routes of an app: ``(template, method, route, rest)`` entries, tried in the order
    their templates first appear (put the busiest first)."""

    def __init__(
        self, entries: Iterable[tuple[str, str, R, str | None]], may_be_empty: tuple[str, ...] = ()
    ) -> None:
        by_template: dict[str, dict[str, R]] = {}
        rest: dict[str, str | None] = {}
        for template, method, route, rest_param in entries:
            by_template.setdefault(template, {})[method] = route
            rest[template] = rest_param
        self._paths: list[_Path[R]] = []
        for template, methods in by_template.items():
            pattern, names = compile_path(template, may_be_empty, rest[template])
            allow = ", ".join(sorted(methods)).encode()
            self._paths.append(_Path(pattern, names, methods, allow))

    def find(self, method: str, path: bytes) -> Found[R]:
        """The route of a raw request path; 404 ``M_UNRECOGNIZED`` for an unknown path,
        :class:`MethodNotAllowed` for a known path and another method."""
        for known in self._paths:
            match = known.pattern.match(path)
            if match is None:
                continue
            route = known.methods.get(method)
            if route is None:
                raise MethodNotAllowed(known.allow)
            return Found(route, known.params, match)
        raise UnrecognizedError("Unrecognized request")
