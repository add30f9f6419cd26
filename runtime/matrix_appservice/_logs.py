"""Logs of ``serve`` and ``homeserver``: JSON lines or text, with secrets and tokens removed.

Every record passes through :class:`JsonFormatter` (one JSON object per line, for log
collectors) or :class:`TextFormatter` (one line a person reads: time, level, logger,
message, then the extra fields as ``key=value``). Both replace the value of any
``access_token`` query parameter, bearer credentials and every secret they were given (the
registration's tokens) with ``<redacted>``, in the message, the traceback and every extra
field. :func:`configure_logging` picks text when ``format`` is ``"auto"`` and the stream is a
terminal, JSON otherwise. Uvicorn's own access log prints the raw path with its query
string, so it is turned off and the app logs requests itself without the query string.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

import orjson

from matrix_appservice._client_secrets import redact, scrub

__all__ = ["LOG_FORMATS", "JsonFormatter", "TextFormatter", "configure_logging", "scrub"]

LOG_FORMATS = ("auto", "text", "json")
"""``--log-format``: ``auto`` is text on a terminal and JSON lines otherwise."""

# Attributes every LogRecord has; anything else was passed in ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

_SERVER_LOGGERS = ("granian", "_granian")
"""granian's loggers (its Python side, and its Rust side's records): warnings and errors."""


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, extras, traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def entry(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as a mapping, scrubbed: time, level, logger, message, extras, exception."""
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage(), self.secrets),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value, self.secrets)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info), self.secrets)
        return entry

    def format(self, record: logging.LogRecord) -> str:
        entry = self.entry(record)

        def shown(value: object) -> str:
            return scrub(repr(value), self.secrets)

        try:
            return orjson.dumps(entry, default=shown).decode()
        except TypeError:  # what orjson will not write (a lone surrogate, a huge integer)
            return json.dumps(entry, default=shown)


class TextFormatter(JsonFormatter):
    """Formats a record as one line for people: ``time LEVEL logger: message key=value ...``
    (a traceback follows on its own lines), scrubbed as :class:`JsonFormatter` does."""

    def format(self, record: logging.LogRecord) -> str:
        entry = self.entry(record)
        line = f"{entry.pop('time')} {entry.pop('level').upper():<7} {entry.pop('logger')}: "
        line += entry.pop("message")
        exception = entry.pop("exception", None)
        for key, value in entry.items():
            shown = value if isinstance(value, str) else scrub(_compact(value), self.secrets)
            line += f" {key}={shown}"
        return f"{line}\n{exception}" if exception else line


def _compact(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def configure_logging(
    level: str = "info",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    format: str = "json",
) -> logging.Handler:
    """Send the package's and granian's logs to ``stream`` (stderr): ``format`` is ``"json"``
    (JSON lines), ``"text"`` or ``"auto"`` (text when ``stream`` is a terminal)."""
    if format not in LOG_FORMATS:
        raise ValueError(f"format must be one of {', '.join(LOG_FORMATS)}, not {format!r}")
    stream = stream or sys.stderr
    if format == "auto":
        format = "text" if _is_terminal(stream) else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter(secrets) if format == "text" else JsonFormatter(secrets))
    for name in ("matrix_appservice", *_SERVER_LOGGERS):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper() if name == "matrix_appservice" else "WARNING")
        logger.propagate = False
    return handler


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
