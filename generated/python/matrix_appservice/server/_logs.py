"""Structured logs: one JSON object per line, with secrets and access tokens removed.

Every record passes through :class:`JsonFormatter`, which replaces the value of any
``access_token`` query parameter and every secret it was given (the registration's tokens)
with ``<redacted>`` (see :func:`matrix_appservice._client_secrets.scrub`), in the message,
the traceback and every extra field (strings nested in lists and mappings too), before the
line is serialised. Uvicorn's own access log prints the raw path with its query string, so
``serve`` turns it off and the app logs requests itself without the query string.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

import orjson

from matrix_appservice._client_secrets import redact, scrub

__all__ = ["JsonFormatter", "configure_logging", "scrub"]

# Attributes every LogRecord has; anything else was passed in ``extra``.
# uvicorn adds ``color_message``, the message with terminal colour codes.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, extras, traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
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
        line = orjson.dumps(entry, default=lambda v: scrub(repr(v), self.secrets)).decode()
        return line


def configure_logging(
    level: str = "info", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send the server's and uvicorn's logs to ``stream`` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    for name in ("matrix_appservice", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler] if name != "uvicorn.error" else []
        logger.setLevel(level.upper())
        logger.propagate = name == "uvicorn.error"
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
    access.disabled = True
    return handler
