"""Tokens out of text: log records, exception messages, reports and reprs never show a token.

:func:`scrub` replaces every place in a text where a secret stands, as written or in the
forms it takes on the way (percent-encoded in a query string, escaped inside JSON or a repr),
and the values of ``access_token`` parameters and ``Bearer`` credentials, by ``<redacted>``.
Places that overlap or touch become one ``<redacted>``, so no piece of a secret is left over,
whatever its length or characters. It changes nothing else.

Redact values, then serialise: :func:`redact` walks a JSON-like value (mappings, lists and
strings) and scrubs each string, so the JSON or log line built from it afterwards is whole.
Scrubbing a serialised text instead could cut into its syntax when a secret is short.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

__all__ = ["REDACTED", "RedactTokens", "redact", "scrub", "scrub_cut"]

_QUERY_TOKEN = re.compile(r"(?:access_token|as_token|hs_token)(?:=|%3D)([^&\s'\"#<>]+)", re.I)
_BEARER = re.compile(r"Bearer\s+([^\s'\",<>]+)", re.I)
REDACTED = "<redacted>"
_MAX_DEPTH = 32


def _forms(secret: str) -> set[str]:
    """``secret`` as written, percent-encoded, and escaped in JSON text and in a repr."""
    forms = {secret, quote(secret, safe="", errors="surrogatepass"), json.dumps(secret)[1:-1]}
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    forms.add(repr(secret)[1:-1])
    return {form for form in forms if form}


def _spans(text: str, secrets: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        if not isinstance(secret, str) or not secret:
            continue
        for form in _forms(secret):
            start = text.find(form)
            while start >= 0:  # overlapping places too: "aa" in "aaa" at 0 and at 1
                end = start + len(form)
                if spans and spans[-1][0] <= start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(spans[-1][1], end))
                else:
                    spans.append((start, end))
                start = text.find(form, start + 1)
    for pattern in (_QUERY_TOKEN, _BEARER):
        spans += (match.span(1) for match in pattern.finditer(text))
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans in order, those that overlap or touch joined into one."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _replaced(text: str, spans: list[tuple[int, int]], limit: int) -> str:
    """``text`` up to ``limit`` with each span that starts before it replaced whole."""
    out: list[str] = []
    done = 0
    for start, end in spans:
        if start >= limit:
            break
        out += (text[done:start], REDACTED)
        done = end
    if done < limit:
        out.append(text[done:limit])
    return "".join(out)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret (in any of its forms) and every token value replaced."""
    spans = _spans(text, secrets)
    return _replaced(text, _merged(spans), len(text)) if spans else text


def scrub_cut(text: str, secrets: Iterable[str], limit: int) -> str:
    """The first ``limit`` characters of ``text``, scrubbed; a secret that starts within them
    is replaced whole, never cut in two. Only a little more than ``limit`` is read."""
    secrets = tuple(s for s in secrets if isinstance(s, str) and s)
    longest = max((len(form) for s in secrets for form in _forms(s)), default=0)
    window = text[: limit + longest]
    return _replaced(window, _merged(_spans(window, secrets)), limit)


def redact(value: Any, secrets: Iterable[str] = (), *, depth: int = 0) -> Any:
    """A copy of a JSON-like ``value`` with every string (keys too) scrubbed; other values
    are kept as they are. What is nested deeper than 32 levels becomes ``<redacted>``."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, (Mapping, list, tuple)) and depth >= _MAX_DEPTH:
        return REDACTED
    if isinstance(value, Mapping):
        return {redact(k, secrets): redact(v, secrets, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets, depth=depth + 1) for v in value]
    return value


class RedactTokens(logging.Filter):
    """A logging filter that removes tokens from records (httpx logs full request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
