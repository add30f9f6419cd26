"""Which tokens and URLs the package accepts: the rules, in one place.

Tokens
------
A token travels as ``Authorization: Bearer <token>`` (or as the ``access_token`` query
parameter), so it must be something a header can carry and a peer can compare: at least one
character, printable ASCII only (``!`` to ``~``), no spaces, tabs, line breaks or other control
characters. An empty token is refused everywhere: a server that expected one would accept
the empty ``Bearer`` header of anyone. A token shorter than :data:`SHORT_TOKEN` characters is
accepted with a warning. No message ever quotes a token, not even in part.

URLs
----
The token is the only credential: a URL with user info (``http://user:password@host``) would
send basic authentication to the peer, and print the password wherever the URL is shown.
Such URLs are refused; the message shows the URL with its user info replaced by ``***``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix_appservice.models import Registration

__all__ = [
    "SHORT_TOKEN",
    "hide_userinfo",
    "require_plain_url",
    "require_token",
    "require_usable",
    "token_problem",
    "token_warning",
    "userinfo_problem",
]

SHORT_TOKEN = 16
"""Tokens shorter than this (in characters) are accepted with a warning."""

_NAMES = {" ": "a space", "\t": "a tab", "\n": "a line feed", "\r": "a carriage return"}
# WHATWG URL parsers drop tabs and line breaks anywhere and C0 controls and spaces at both
# ends; look for user info in what such a parser would read.
_IGNORED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_AUTHORITY = re.compile(r"[^/?#]*")


def _kind(char: str) -> str:
    if char in _NAMES:
        return _NAMES[char]
    if char < " " or char == "\x7f":
        return "a control character"
    return "a space character" if char.isspace() else "a non-ASCII character"


def token_problem(token: object) -> str | None:
    """Why ``token`` cannot be used (a phrase such as ``"is empty"``), or ``None``.

    The phrase names the kind and the position of a character that does not belong, never
    the character or any other part of the token.
    """
    if not isinstance(token, str):
        return f"must be a string, not {type(token).__name__}"
    if not token:
        return "is empty"
    if not token.strip():
        return "is only whitespace"
    for index, char in enumerate(token):
        if not "!" <= char <= "~":
            return (
                f"holds {_kind(char)} (character {index + 1} of {len(token)}), which an HTTP "
                "header cannot carry; a token is printable ASCII without spaces"
            )
    return None


def token_warning(token: str) -> str | None:
    """A warning for a usable but short ``token``, or ``None``."""
    if len(token) >= SHORT_TOKEN:
        return None
    return (
        f"is {len(token)} characters long, shorter than {SHORT_TOKEN}: anyone who guesses it "
        "can act as that side; use a long random value (e.g. 32 or more characters)"
    )


def require_token(name: str, token: object) -> str:
    """``token`` if it can be used; otherwise ``ValueError`` naming ``name`` (never the token)."""
    problem = token_problem(token)
    if problem is not None:
        raise ValueError(f"{name} {problem}")
    assert isinstance(token, str)
    return token


def _split_userinfo(url: str) -> tuple[str, str] | None:
    """``(before, after)`` around the user info of ``url`` (the scheme and ``//``, and the
    host and the rest), or ``None`` when the URL has none."""
    text = _IGNORED.sub("", url).strip(_C0_AND_SPACE)
    scheme = _SCHEME.match(text)
    start = scheme.end() if scheme else (2 if text.startswith("//") else 0)
    authority = _AUTHORITY.match(text, start)
    end = authority.end() if authority else start
    at = text.rfind("@", start, end)
    if at < 0:
        return None
    return text[:start], text[at + 1 :]


def hide_userinfo(url: str) -> str:
    """``url`` for messages: user info (``user:password@``) becomes ``***@``."""
    parts = _split_userinfo(url)
    return url if parts is None else f"{parts[0]}***@{parts[1]}"


def userinfo_problem(url: str) -> str | None:
    """Why ``url`` is refused when it holds user info (a phrase that shows the URL with the
    user info hidden), or ``None``."""
    if _split_userinfo(url) is None:
        return None
    return (
        f"{hide_userinfo(url)!r} holds user info (a name or password before '@'); the token "
        "is the only credential: remove it"
    )


def require_plain_url(name: str, url: str) -> str:
    """``url`` if it holds no user info; otherwise ``ValueError`` that hides the user info."""
    problem = userinfo_problem(url) if isinstance(url, str) else None
    if problem is not None:
        raise ValueError(f"{name} {problem}")
    return url


def require_usable(registration: Registration) -> None:
    """``ValueError`` when a registration model's tokens or ``url`` cannot be used; for
    models that did not come through the registration loader, which checks the same."""
    name = f"the registration {registration.id!r}:"
    require_token(f"{name} as_token", registration.as_token)
    require_token(f"{name} hs_token", registration.hs_token)
    if registration.url is not None:
        require_plain_url(f"{name} url", registration.url)
