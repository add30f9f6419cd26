"""The exit status of every ``matrix-appservice`` command, in one place.

=====  ==============  ===============================================================
 0     ``OK``          done: everything valid, no probe check failed, or a server that
                       stopped on SIGINT or SIGTERM after closing cleanly
 1     ``INVALID``     the input is wrong: a payload or a registration file's content
                       (size, encoding, YAML, schema, the rules beyond it), or a probe
                       check failed (an unreachable appservice included)
 2     ``USAGE``       the command was called wrongly: unknown or malformed arguments, a
                       port outside 0-65535, a handler that cannot be imported or built,
                       a file that cannot be read (missing, a folder, a pipe or device,
                       no permission)
 3     ``NO_START``    the arguments are right but the server cannot start here: the
                       address is in use or cannot be bound, the store cannot be opened
                       or reached, an extra is not installed, or the handler's factory
                       or start-up hook failed
=====  ==============  ===============================================================

Why this split: 1 and 2 keep the meaning they have always had for ``validate`` (and that
``appservice-spec`` has too), so scripts that check payloads see no change; 3 separates
"fix the environment and run it again" from "fix the command line" and "fix the file".
A command that fails says why in one line on standard error, never with a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from matrix_appservice.registration import LoadedRegistration, RegistrationError

__all__ = [
    "EXIT_CODES",
    "INVALID",
    "NO_START",
    "OK",
    "USAGE",
    "CommandFailed",
    "fail",
    "load_checked_registration",
    "one_line",
    "os_reason",
    "registration_failure",
    "report",
]

OK = 0
INVALID = 1
USAGE = 2
NO_START = 3

EXIT_CODES: dict[int, str] = {
    OK: "done: all valid, no probe check failed, or a server stopped by SIGINT/SIGTERM",
    INVALID: "invalid input: a payload or registration file's content, or a failed probe check",
    USAGE: "usage error: bad arguments, a handler that cannot be built, a file that cannot be read",
    NO_START: "cannot start: address in use, store unreachable, extra missing, start-up hook failed",
}
"""One line per exit status, for ``--help`` and the READMEs."""


class CommandFailed(Exception):
    """A command cannot go on: ``message`` is the one line to print, ``code`` the status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int) -> NoReturn:
    """Raise :class:`CommandFailed`."""
    raise CommandFailed(message, code)


def report(command: str, failure: CommandFailed) -> int:
    """Print ``command: message`` on standard error (each line of a message that lists
    several problems) and return the exit status."""
    for line in failure.message.splitlines() or [""]:
        print(f"{command}: {line}", file=sys.stderr)
    return failure.code


def one_line(exc: BaseException) -> str:
    """``exc`` for a one-line message: its first line, after its type when that says more."""
    text = str(exc).strip().splitlines()
    first = text[0].strip() if text else ""
    if isinstance(exc, OSError) and exc.strerror:
        first = (
            exc.strerror.lower() if not exc.filename else f"{exc.filename}: {exc.strerror.lower()}"
        )
    if not first:
        return type(exc).__name__
    if type(exc).__module__ == "builtins" and not isinstance(exc, (OSError, ImportError)):
        return f"{type(exc).__name__}: {first}"
    return first


def os_reason(exc: OSError) -> str:
    """What went wrong, as the C library says it (``Address already in use``)."""
    return os.strerror(exc.errno) if exc.errno else one_line(exc)


def registration_failure(exc: RegistrationError) -> CommandFailed:
    """A registration that cannot be read is a usage error; its content, invalid input."""
    from matrix_appservice.registration import RegistrationReadError

    code = USAGE if isinstance(exc, RegistrationReadError) else INVALID
    return CommandFailed("\n".join(str(p) for p in exc.problems) or str(exc), code)


def load_checked_registration(
    path: str | Path, version: str | None, *, strict: bool = False
) -> LoadedRegistration:
    """:func:`~matrix_appservice.registration.load_registration`, failing as a command does."""
    from matrix_appservice.registration import RegistrationError, load_registration

    try:
        return load_registration(path, version, strict=strict)
    except RegistrationError as exc:
        raise registration_failure(exc) from None
