"""Progress lines on standard error for a command that can run for a while (``docs``).

A line per step: from the first step when the stream is a terminal, otherwise only once the
run has taken ``after`` seconds, so that quick runs and logs stay quiet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts steps and says each one on ``stream`` as ``command: what (n/total, s)``."""

    def __init__(
        self,
        command: str,
        total: int,
        stream: TextIO | None = None,
        *,
        after: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = command
        self.total = total
        self.stream = stream or sys.stderr
        self.after = after
        self.clock = clock
        self.started = clock()
        self.done = 0
        try:
            self.terminal = self.stream.isatty()
        except (AttributeError, ValueError):
            self.terminal = False

    def step(self, what: str) -> None:
        self.done += 1
        elapsed = self.clock() - self.started
        if self.terminal or elapsed >= self.after:
            self.stream.write(
                f"{self.command}: {what} ({self.done}/{self.total}, {elapsed:.1f} s)\n"
            )
            self.stream.flush()
