"""Request targets of the clients: paths with their parameters percent-encoded, and queries.

One contract for every transport (httpx sync and async, aiohttp): the clients build the
target here, encoded once, and the transports send it as it is. A path is a template whose
``{name}`` placeholders take values that are encoded as one segment each; the text around
them may hold only the characters a path may carry unencoded, so that nothing in it can end
the path (``?``, ``#``), break the request line (spaces, control characters) or climb out of
it (``.`` and ``..`` segments). The query is given on its own and encoded here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode

__all__ = ["encode_segment", "fill_template", "method_name", "raw_path", "target"]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PATH_CHAR = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}")
"""One character a path carries as it is (RFC 3986 ``pchar`` and ``/``), or one escape."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_METHOD = re.compile(r"[A-Z]+")


def _explain(char: str) -> str:
    if char == "?":
        return "'?' would start a query: give the query as query={...}"
    if char == "#":
        return "'#' would end the path: give the value through path_params"
    if char == "%":
        return "'%' is not followed by two hex digits"
    if char.isspace() or not char.isprintable():
        return f"{char!r} cannot go into a request line: give the value through path_params"
    return f"{char!r} is not a path character: give the value through path_params"


def raw_path(text: str, *, who: str) -> None:
    """Check the literal text of a path (between placeholders); ``ValueError`` naming the
    first character that a path cannot carry as it is, and where."""
    at = 0
    while at < len(text):
        match = _PATH_CHAR.match(text, at)
        if match is None:
            raise ValueError(f"{who}: {text!r} at offset {at}: {_explain(text[at])}")
        at = match.end()
    if any(segment in (".", "..") for segment in text.split("/")):
        raise ValueError(f"{who}: {text!r} has a '.' or '..' segment, which would leave the path")


def encode_segment(name: str, value: object, *, who: str) -> str:
    """``value`` percent-encoded as one path segment (``/``, ``#``, ``?`` and ``%``
    included); ``.`` and ``..`` are encoded too, so they stay values. An empty value stays
    empty (an empty state key is one)."""
    if not isinstance(value, str):
        raise TypeError(f"{who}: the path parameter {name} is a string, not {type(value).__name__}")
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


def fill_template(template: str, params: Mapping[str, object], *, who: str) -> str:
    """``template`` with each ``{name}`` replaced by its value from ``params``, encoded.

    Every placeholder needs a value and every value a placeholder (``ValueError``); the text
    around the placeholders is checked by :func:`raw_path`.
    """
    if not template.startswith("/") or template.startswith("//"):
        # An absolute URL would send the token to whatever host it names.
        raise ValueError(f"{who} takes a path on the homeserver such as /_matrix/...: {template!r}")
    parts: list[str] = []
    used: set[str] = set()
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if _NAME.fullmatch(name) is None:
            raise ValueError(f"{who}: {template!r} has a placeholder {{{name}}} that is not a name")
        if name not in params:
            raise ValueError(f"{who}: {template!r} needs path_params[{name!r}]")
        raw_path(template[at : match.start()], who=who)
        parts += [template[at : match.start()], encode_segment(name, params[name], who=who)]
        used.add(name)
        at = match.end()
    raw_path(template[at:], who=who)
    parts.append(template[at:])
    unused = sorted(set(params) - used)
    if unused:
        raise ValueError(f"{who}: {template!r} has no placeholder for {', '.join(unused)}")
    return "".join(parts)


def method_name(method: str, *, who: str) -> str:
    """The method in upper case; ``ValueError`` unless it is letters only."""
    upper = method.upper() if isinstance(method, str) else ""
    if _METHOD.fullmatch(upper) is None:
        raise ValueError(f"{who}: the method is a word such as GET or PUT, not {method!r}")
    return upper


def target(path: str, query: Iterable[tuple[str, str]]) -> str:
    """The request target: the (encoded) path and the query, percent-encoded."""
    pairs = list(query)
    return path + "?" + urlencode(pairs, quote_via=quote) if pairs else path
