"""Shared fixtures: the real spec, and broken copies of it."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codegen.spec import DEFAULT_SPEC_ROOT, Spec, load_spec

REPO = DEFAULT_SPEC_ROOT.parent

# The in-memory homeserver's fixtures, as a bridge's own tests opt into them.
pytest_plugins = ["matrix_appservice.homeserver.testing"]


@pytest.fixture(scope="session")
def spec() -> Spec:
    loaded = load_spec()
    assert not loaded.problems, loaded.problems.render()
    return loaded


Breaker = Callable[[str, str, str], tuple[Path, int]]


@pytest.fixture
def broken_spec(tmp_path: Path) -> Breaker:
    """Copy spec/ and replace one piece of text in one file.

    Returns the copy's root and the 1-based line where the replaced text started.
    """
    root = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_ROOT, root)

    def breaker(rel: str, old: str, new: str) -> tuple[Path, int]:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"{old!r} not in {rel}"
        line = text[: text.index(old)].count("\n") + 1
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root, line

    return breaker


_LOGGERS = ("matrix_appservice", "granian", "_granian", "examples")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands run in-process (the echo bridge's start-up, ``serve``) point the package's and
    granian's loggers at the standard error of the moment; put them back after each test, so
    a later test never logs into a stream that pytest has closed."""
    saved = [
        (lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled)
        for lg in map(logging.getLogger, _LOGGERS)
    ]
    yield
    for logger, handlers, level, propagate, disabled in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled
