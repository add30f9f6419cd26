"""The package's command, ``matrix-appservice``, called in-process through its console-script
entry point (what the installed command runs), not through a private module."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

__all__ = ["main"]


def _entry_point() -> Callable[..., Any]:
    found = entry_points(group="console_scripts", name="matrix-appservice")
    if not found:
        raise RuntimeError("the matrix-appservice command is not installed (run make setup)")
    main: Callable[..., Any] = next(iter(found)).load()
    return main


main = _entry_point()
"""``main(argv, prog=...)``: the exit status; it may raise ``SystemExit`` (``--help``)."""
