"""Tokens out of text: log records, exception messages and reprs never show a token."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "RedactTokens", "scrub"]

_QUERY_TOKEN = re.compile(r"((?:access_token|as_token|hs_token)(?:=|%3D))[^&\s'\"#<>]+", re.I)
_BEARER = re.compile(r"(Bearer\s+)[^\s'\",<>]+", re.I)
REDACTED = "<redacted>"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without tokens: query parameters, bearer values and the known secrets."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
            encoded = quote(secret, safe="")
            if encoded != secret:
                text = text.replace(encoded, REDACTED)
    text = _QUERY_TOKEN.sub(r"\1" + REDACTED, text)
    return _BEARER.sub(r"\1" + REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter that removes tokens from records (httpx logs full request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
