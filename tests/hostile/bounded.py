"""Run a public entry point in a child process with a ceiling on time and memory.

Hostile-input tests go through here: the child gets an address-space limit (so a blow-up ends
as a failure instead of swapping the machine), a wall-clock limit, and its peak resident size
and exit status are reported. The limits are generous; the point is to catch the unbounded.
"""

from __future__ import annotations

import os
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
PACKAGE = REPO / "runtime"
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


_LAUNCHER = """
import os, resource, signal, sys
size, report, argv = int(sys.argv[1]) << 20, int(sys.argv[2]), sys.argv[3:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
os.write(report, str(usage.ru_maxrss).encode())
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""
"""Forks the command from a small process and reports its peak resident size: a child
forked straight from the test process would start with the test process's pages resident,
and its peak would count them."""


def run_bounded(
    argv: Sequence[str],
    *,
    stdin: bytes | None = None,
    timeout: float = 60.0,
    address_space_mb: int = 3072,
    cwd: Path | None = None,
) -> Outcome:
    """Run ``argv``; the child may map at most ``address_space_mb`` and run ``timeout`` s."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(PACKAGE)]))
    read_end, write_end = os.pipe()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as inp,
    ):
        inp.write(stdin or b"")
        inp.seek(0)
        start = time.monotonic()
        launcher = [sys.executable, "-c", _LAUNCHER, str(address_space_mb), str(write_end)]
        try:
            proc = subprocess.Popen(
                [*launcher, *argv], stdin=inp, stdout=out, stderr=err, env=env,
                cwd=cwd or REPO, pass_fds=(write_end,), start_new_session=True,
            )  # fmt: skip
        finally:
            os.close(write_end)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the command

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        with os.fdopen(read_end, "rb") as report:
            peak_kb = int(report.read() or 0)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Outcome(
            list(argv), proc.returncode, out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"), seconds, peak_kb / 1024,
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
