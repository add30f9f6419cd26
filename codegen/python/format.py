"""Formatting of emitted Python modules with the pinned ruff, isolated from any local config."""

from __future__ import annotations

import subprocess

__all__ = ["format_python"]


def _ruff() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]  # ships no types

    return str(find_ruff_bin())


def format_python(text: str, name: str) -> str:
    """Sort imports, drop unused ones and format, as ``ruff check --fix`` and ``ruff format``."""
    common = [
        "--isolated", "--line-length", "100", "--target-version", "py311",
        "--config", "lint.isort.known-first-party = ['matrix_appservice']",
    ]  # fmt: skip
    sorted_imports = subprocess.run(
        [_ruff(), "check", *common, "--select", "I,UP,F401", "--fix-only", "--exit-zero",
         "--stdin-filename", name, "-"],
        input=text, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return subprocess.run(
        [_ruff(), "format", *common, "--stdin-filename", name, "-"],
        input=sorted_imports, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
