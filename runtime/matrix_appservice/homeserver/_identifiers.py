"""User IDs and room aliases as the in-memory homeserver checks them (the spec's grammar).

- A server name is a DNS name (letters, digits, ``-`` and ``.``), an IPv4 address or an
  IPv6 address in brackets, with an optional port of at most five digits.
- A user ID is ``@localpart:server_name``. A new user's localpart uses ``a-z``, ``0-9`` and
  ``._=-/+`` only; a user ID received from elsewhere may also be a historical one, whose
  localpart is any printable ASCII character but ``:``.
- A room alias is ``#localpart:server_name``; its localpart is any text without ``:``,
  NUL or lone surrogates.
- None is empty, and none is longer than 255 bytes in UTF-8.

Each ``check_*`` returns the value, or raises :class:`MatrixError` 400 with the errcode the
caller names, saying which field is wrong (the value itself is shortened).
"""

from __future__ import annotations

import re

from matrix_appservice._plain_yaml import short
from matrix_appservice.errors import MatrixError

__all__ = [
    "MAX_ID_BYTES",
    "check_alias",
    "check_localpart",
    "check_user_id",
    "is_alias",
    "is_user_id",
]

MAX_ID_BYTES = 255
_SERVER = re.compile(r"(?:[0-9A-Za-z.\-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")
_LOCALPART = re.compile(r"[a-z0-9._=\-/+]+")
_HISTORICAL = re.compile(r"[\x21-\x39\x3b-\x7e]+")
_ALIAS_LOCALPART = re.compile(r"[^:\x00\ud800-\udfff]+")


def _fits(text: str) -> bool:
    return len(text) <= MAX_ID_BYTES and len(text.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES


def _split(text: object, sigil: str) -> tuple[str, str] | None:
    if not isinstance(text, str) or not text.startswith(sigil) or not _fits(text):
        return None
    local, colon, server = text[1:].partition(":")
    if not colon or not _SERVER.fullmatch(server):
        return None
    return local, server


def is_user_id(text: object, *, historical: bool = True) -> bool:
    """Whether ``text`` is a user ID (``historical=False``: one a new user may have)."""
    parts = _split(text, "@")
    grammar = _HISTORICAL if historical else _LOCALPART
    return parts is not None and grammar.fullmatch(parts[0]) is not None


def is_alias(text: object) -> bool:
    """Whether ``text`` is a room alias."""
    parts = _split(text, "#")
    return parts is not None and _ALIAS_LOCALPART.fullmatch(parts[0]) is not None


def _invalid(text: str, errcode: str) -> MatrixError:
    return MatrixError(text, status=400, errcode=errcode)


def check_user_id(value: object, where: str, errcode: str = "M_INVALID_PARAM") -> str:
    """``value`` if it is a user ID (historical ones included); 400 ``errcode`` otherwise."""
    if not is_user_id(value):
        raise _invalid(f"{where}: {_shown(value)} is not a valid user ID", errcode)
    assert isinstance(value, str)
    return value


def check_alias(value: object, where: str, errcode: str = "M_INVALID_PARAM") -> str:
    """``value`` if it is a room alias; 400 ``errcode`` otherwise."""
    if not is_alias(value):
        raise _invalid(f"{where}: {_shown(value)} is not a valid room alias", errcode)
    assert isinstance(value, str)
    return value


def check_localpart(localpart: str, server_name: str, errcode: str = "M_INVALID_USERNAME") -> str:
    """The user ID a new user with ``localpart`` gets; 400 ``errcode`` if the localpart is
    not one a new user may have (or the user ID would be too long)."""
    user_id = f"@{localpart}:{server_name}"
    if not _LOCALPART.fullmatch(localpart) or not _fits(user_id):
        raise _invalid(
            f"{_shown(localpart)} is not a valid localpart: use a-z, 0-9 and ._=-/+ only, "
            f"at most {MAX_ID_BYTES} bytes with the server name",
            errcode,
        )
    return user_id


def _shown(value: object) -> str:
    return repr(short(value)) if isinstance(value, str) else f"a {type(value).__name__}"
