"""Run a public entry point in a child process with a ceiling on time and memory.

Hostile-input tests go through here: the child gets an address-space limit (so a blow-up ends
as a failure instead of swapping the machine), a wall-clock limit, and its peak resident size
and exit status are reported. The limits are generous; the point is to catch the unbounded.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "generated" / "python"
BIN = Path(sys.executable).parent


@dataclass
class Outcome:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    timed_out: bool

    def check_clean(
        self, *, codes: Sequence[int], seconds: float = 10.0, peak_mb: float = 400
    ) -> None:
        """The documented exit status, no traceback, and within the time and memory ceilings."""
        shown = f"{self.argv[-3:]}: rc={self.returncode}\nstdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}"
        assert not self.timed_out, f"still running after the time limit: {shown}"
        assert "Traceback" not in self.stderr + self.stdout, shown
        assert self.returncode in codes, shown
        assert self.seconds < seconds, f"took {self.seconds:.2f} s: {shown}"
        assert self.peak_mb < peak_mb, f"peak {self.peak_mb:.0f} MB: {shown}"


def run_bounded(
    argv: Sequence[str],
    *,
    stdin: bytes | None = None,
    timeout: float = 60.0,
    address_space_mb: int = 3072,
    cwd: Path | None = None,
) -> Outcome:
    """Run ``argv``; the child may map at most ``address_space_mb`` and run ``timeout`` s."""

    def limit() -> None:
        size = address_space_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(PACKAGE)]))
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as inp,
    ):
        inp.write(stdin or b"")
        inp.seek(0)
        start = time.monotonic()
        proc = subprocess.Popen(
            list(argv), stdin=inp, stdout=out, stderr=err, preexec_fn=limit, env=env,
            cwd=cwd or REPO,
        )  # fmt: skip
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Outcome(
            list(argv), proc.returncode, out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss / 1024,
            killed.is_set(),
        )  # fmt: skip


def run_python(code: str, **kwargs: object) -> Outcome:
    """Run a Python snippet that imports the generated package."""
    return run_bounded([sys.executable, "-c", code], **kwargs)  # type: ignore[arg-type]


def appservice_spec(*args: str, **kwargs: object) -> Outcome:
    """The repository's CLI, ``appservice-spec``."""
    return run_bounded([sys.executable, "-m", "codegen.cli", *args], **kwargs)  # type: ignore[arg-type]


def matrix_appservice(*args: str, **kwargs: object) -> Outcome:
    """The generated package's CLI, ``matrix-appservice``."""
    return run_bounded([sys.executable, "-m", "matrix_appservice", *args], **kwargs)  # type: ignore[arg-type]
