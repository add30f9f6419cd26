"""The error classes of ``matrix_appservice.errors``: one per errcode the spec documents.

The errcodes come from the ``x-errcodes`` of every response of every operation in every
release (read into the operation metadata); each gets a subclass of ``MatrixError`` named
after it (``M_USER_IN_USE`` -> ``UserInUseError``) whose docstring says where the spec
documents it, and whose default status is the one the spec documents it under most often
(the lowest of those that tie). Clients raise these classes for error answers, and servers
answer them, raised by a handler, with their status and errcode. A few errcodes carry more
in their body than ``errcode`` and ``error``; their classes also take a hand-written helper
of ``_errors_base`` that reads it (``BODY_HELPERS``).
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field

from codegen.errors import GeneratorError
from codegen.ir import IR

__all__ = ["BODY_HELPERS", "RESERVED", "ErrcodeClass", "class_name", "collect_errcodes"]

BODY_HELPERS = {
    "M_LIMIT_EXCEEDED": "RateLimitedBody",  # retry_after_ms
    "M_BAD_STATUS": "UpstreamAnswerBody",  # status and body of the appservice's answer
}
"""Errcode -> the mixin of ``_errors_base`` that reads the rest of its body."""

RESERVED = frozenset(
    {"MatrixError", "RequestFailedError", "QueryTimeoutError", "ResponseValidationError",
     "RequestValidationError", "ERRCODE_CLASSES"}
)  # fmt: skip
"""The other names of ``matrix_appservice.errors``: no errcode class may take them."""


@dataclass
class ErrcodeClass:
    errcode: str
    name: str
    helper: str | None
    notes: list[tuple[str, list[str]]] = field(default_factory=list)
    """``(description, ["operation status", ...])`` for each way the spec describes it."""
    statuses: Counter[int] = field(default_factory=Counter)
    """How many responses (operation and status) document it, by status."""

    @property
    def status(self) -> int:
        """The status it is documented under most often; the lowest of those that tie."""
        return min(self.statuses, key=lambda s: (-self.statuses[s], s))

    def docstring(self, width: int = 88) -> str:
        lines = [f"``{self.errcode}``, documented for:", ""]
        for text, places in self.notes:
            entry = f"{', '.join(places)}: {text}" if text else ", ".join(places)
            lines += textwrap.wrap(entry, width, initial_indent="- ", subsequent_indent="  ")
        return "\n".join(line.replace("\\", "\\\\").replace('"""', "'''") for line in lines)


def class_name(errcode: str) -> str:
    """``M_USER_IN_USE`` -> ``UserInUseError``: the words after ``M_``, capitalised."""
    core = errcode[2:] if errcode.startswith("M_") else errcode
    words = [w for w in re.split(r"[^A-Za-z0-9]+", core) if w]
    name = "".join(w[:1].upper() + w[1:].lower() for w in words) + "Error"
    if not words or not name.isidentifier() or name[0].isdigit():
        raise GeneratorError(f"errcode {errcode!r} gives no class name")
    return name


def _notes(ir: IR) -> list[tuple[str, str, str, str]]:
    """``(operation, errcode, status, description)`` of every errcode entry, once, in
    operation order and, within one, release order."""
    found: list[tuple[str, str, str, str]] = []
    for op in ir.operations:
        for view in op.views:
            for response in view.responses:
                for e in response.errcodes:
                    note = (op.name, e.errcode, response.status, " ".join(e.description.split()))
                    if note not in found:
                        found.append(note)
    return found


def collect_errcodes(ir: IR) -> list[ErrcodeClass]:
    """Every documented errcode with its class, sorted by errcode."""
    found: dict[str, ErrcodeClass] = {}
    for name, errcode, status, text in _notes(ir):
        entry = found.get(errcode)
        if entry is None:
            entry = found[errcode] = ErrcodeClass(
                errcode, class_name(errcode), BODY_HELPERS.get(errcode)
            )
        place = f"{name} {status}"
        if not any(place in places for _, places in entry.notes):
            entry.statuses[int(status)] += 1
        for known, places in entry.notes:
            if known == text:
                if place not in places:
                    places.append(place)
                break
        else:
            entry.notes.append((text, [place]))
    unknown = sorted(set(BODY_HELPERS) - set(found))
    if unknown:
        raise GeneratorError(f"BODY_HELPERS names errcodes the spec no longer documents: {unknown}")
    names: dict[str, str] = {}
    for entry in found.values():
        if entry.name in RESERVED or entry.name in names:
            other = names.get(entry.name, "the clients' own exceptions")
            raise GeneratorError(f"{entry.errcode} and {other} give the same class {entry.name}")
        names[entry.name] = entry.errcode
    return [found[code] for code in sorted(found)]
