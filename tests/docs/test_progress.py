"""``appservice-spec docs`` says how far it is on standard error when the build takes a while."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys

from codegen.docs.html import build_all
from codegen.docs.progress import Progress
from tests.hostile.bounded import PACKAGE, REPO


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_per_step_on_a_terminal_from_the_start() -> None:
    stream = _Terminal()
    ticks = iter([0.0, 0.1, 0.3])
    progress = Progress("docs", 2, stream, clock=lambda: next(ticks))
    progress.step("built v1.1")
    progress.step("built v1.2")
    assert stream.getvalue().splitlines() == [
        "docs: built v1.1 (1/2, 0.1 s)",
        "docs: built v1.2 (2/2, 0.3 s)",
    ]


def test_elsewhere_only_once_the_run_is_long() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 1.0, 2.5, 3.0])
    progress = Progress("docs", 3, stream, after=2.0, clock=lambda: next(ticks))
    for name in ("v1.1", "v1.2", "v1.3"):
        progress.step(f"built {name}")
    assert stream.getvalue().splitlines() == [
        "docs: built v1.2 (2/3, 2.5 s)",
        "docs: built v1.3 (3/3, 3.0 s)",
    ]


def test_build_all_reports_each_release_in_order(documents: dict[str, str]) -> None:
    few = {name: documents[name] for name in ("v1.1", "v1.2")}
    seen: list[str] = []
    pages = build_all(few, jobs=2, progress=seen.append)
    assert seen == ["v1.1", "v1.2"] and list(pages) == ["v1.1", "v1.2"]


def test_the_command_on_a_terminal_names_what_it_built() -> None:
    """Standard error is a terminal (a pseudo-terminal here): a line per release built."""
    main, child = pty.openpty()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(PACKAGE)]))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "codegen.cli", "docs", "--version", "v1.4"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=child, timeout=300,
        )  # fmt: skip
        os.close(child)
        child = -1
        shown = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal's other end is closed: all is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if child >= 0:
            os.close(child)
        os.close(main)
    assert done.returncode == 0
    lines = shown.decode().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"docs: built v1\.4 \(1/1, \d+\.\d s\)", lines[0]), (
        lines
    )
    assert done.stdout.decode().startswith("docs: 1 document(s) built without warnings")
