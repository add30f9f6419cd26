"""Request targets of the clients: paths with their parameters percent-encoded, and queries.

One contract for every transport (httpx sync and async, aiohttp): the clients build the
target here, encoded once, and the transports send it as it is. A path is a template whose
``{name}`` placeholders take values that are encoded as one segment each; the text around
them may hold only the characters a path may carry unencoded, so that nothing in it can end
the path (``?``, ``#``), break the request line (spaces, control characters) or climb out of
it (``.`` and ``..`` segments). The query is given on its own and encoded here too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import quote

__all__ = [
    "component",
    "encode_segment",
    "fill_template",
    "method_name",
    "query_string",
    "raw_path",
    "target",
]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PATH_CHAR = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}")
"""One character a path carries as it is (RFC 3986 ``pchar`` and ``/``), or one escape."""
_PATH_TEXT = re.compile(rf"(?:{_PATH_CHAR.pattern})*")
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]*")
"""Text that percent-encoding leaves as it is."""
_DOTS = (".", "..")
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
    if _PATH_TEXT.fullmatch(text) is None:
        at = 0
        while (match := _PATH_CHAR.match(text, at)) is not None:
            at = match.end()
        raise ValueError(f"{who}: {text!r} at offset {at}: {_explain(text[at])}")
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
    return component(value)


@functools.lru_cache(maxsize=1024)
def _quoted(value: str) -> str:
    return quote(value, safe="")


def component(value: str) -> str:
    """``value`` percent-encoded as a path segment or a query name or value: everything but
    the unreserved characters. Values seen often (room IDs, event types, user IDs) are
    encoded once."""
    if _UNRESERVED.fullmatch(value) is not None:
        return value
    return _quoted(value) if len(value) <= 256 else quote(value, safe="")


@functools.lru_cache(maxsize=512)
def _parts(template: str, who: str) -> tuple[str, tuple[tuple[str, str], ...], int]:
    """The literal text of ``template`` before its first placeholder, each placeholder name
    with the literal text after it, and how many names differ, checked once per template."""
    if not template.startswith("/") or template.startswith("//"):
        # An absolute URL would send the token to whatever host it names.
        raise ValueError(f"{who} takes a path on the homeserver such as /_matrix/...: {template!r}")
    pieces: list[str] = []
    names: list[str] = []
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if _NAME.fullmatch(name) is None:
            raise ValueError(f"{who}: {template!r} has a placeholder {{{name}}} that is not a name")
        raw_path(template[at : match.start()], who=who)
        pieces.append(template[at : match.start()])
        names.append(name)
        at = match.end()
    raw_path(template[at:], who=who)
    pieces.append(template[at:])
    return pieces[0], tuple(zip(names, pieces[1:], strict=True)), len(set(names))


def fill_template(template: str, params: Mapping[str, object], *, who: str) -> str:
    """``template`` with each ``{name}`` replaced by its value from ``params``, encoded.

    Every placeholder needs a value and every value a placeholder (``ValueError``); the text
    around the placeholders is checked by :func:`raw_path`.
    """
    head, placeholders, distinct = _parts(template, who)
    if len(params) == distinct:  # the names, unless one is missing (KeyError)
        out = [head]
        try:
            for name, piece in placeholders:
                value = params[name]
                if type(value) is not str or value in _DOTS:
                    value = encode_segment(name, value, who=who)
                else:
                    value = component(value)
                out += (value, piece)
        except (KeyError, TypeError) as exc:
            # A missing name is told first, as below; a value that is no string after it.
            if isinstance(exc, TypeError) and all(name in params for name, _ in placeholders):
                raise
        else:
            return "".join(out)
    for name, _ in placeholders:
        if name not in params:
            raise ValueError(f"{who}: {template!r} needs path_params[{name!r}]")
    # Every name is in params: the others have no placeholder.
    unused = sorted(set(params) - {name for name, _ in placeholders})
    raise ValueError(f"{who}: {template!r} has no placeholder for {', '.join(unused)}")


def method_name(method: str, *, who: str) -> str:
    """The method in upper case; ``ValueError`` unless it is letters only."""
    upper = method.upper() if isinstance(method, str) else ""
    if _METHOD.fullmatch(upper) is None:
        raise ValueError(f"{who}: the method is a word such as GET or PUT, not {method!r}")
    return upper


@functools.lru_cache(maxsize=256)
def query_string(query: tuple[tuple[str, str], ...]) -> str:
    """The query, percent-encoded (without the ``?``). Most queries repeat (the identity
    parameters a client adds to every request): each is encoded once."""
    return "&".join([f"{component(name)}={component(value)}" for name, value in query])


def target(path: str, query: tuple[tuple[str, str], ...]) -> str:
    """The request target: the (encoded) path and the query, percent-encoded."""
    encoded = query_string(query)
    return f"{path}?{encoded}" if encoded else path
