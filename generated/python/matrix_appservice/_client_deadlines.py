"""The deadlines of the async clients' exchanges: each one bounds a whole exchange.

An exchange that is late gets its task cancelled, and the cancellation is told apart from
one that comes from outside (the caller's own deadline, a cancelled task): what
``asyncio.timeout`` does, with less work per exchange. Every exchange of a client lasts at
most the client's timeout, so the deadlines come in the order the exchanges start: they
wait in a queue, with one event-loop timer for the earliest that is still pending, where a
timer for each exchange would cost about a fifth of a call's own work.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

__all__ = ["ClientDeadlines", "Deadline", "Deadlines"]

_TIDY_AFTER = 64
"""Finished exchanges held behind a pending one before the queue is tidied."""


class Deadline:
    """The deadline of one exchange, on the task that waits for it."""

    __slots__ = ("at", "cancelling", "done", "expired", "task")

    def __init__(self, task: asyncio.Task[Any], at: float) -> None:
        self.task = task
        self.at = at
        self.cancelling = task.cancelling()  # cancellations already asked for
        self.expired = False
        self.done = False

    def is_ours(self) -> bool:
        """Whether the cancellation the task got is this deadline's alone; it is then
        withdrawn (``uncancel``), as the exchange ends with a timeout instead."""
        return self.expired and self.task.uncancel() <= self.cancelling


class Deadlines:
    """The pending deadlines of one client on one event loop, earliest first."""

    __slots__ = ("armed", "finished", "loop", "queue", "timeout", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.queue: deque[Deadline] = deque()
        self.finished = 0
        """Finished exchanges still in the queue."""
        self.timer: asyncio.TimerHandle | None = None
        self.armed = 0.0
        """The time the timer is set for."""

    def start(self, task: asyncio.Task[Any]) -> Deadline:
        """The deadline of an exchange that starts now on ``task``."""
        deadline = Deadline(task, self.loop.time() + self.timeout)
        self.queue.append(deadline)
        if self.timer is None:
            self._arm(deadline.at)
        return deadline

    def _arm(self, at: float) -> None:
        self.armed = at
        self.timer = self.loop.call_at(at, self._due)

    def finish(self, deadline: Deadline) -> None:
        """The exchange has ended (with an answer, a failure or a cancellation)."""
        if deadline.expired:  # it left the queue then
            return
        deadline.done = True
        self.finished += 1
        queue = self.queue
        while queue and queue[0].done:
            queue.popleft()
            self.finished -= 1
        if self.finished > _TIDY_AFTER and self.finished * 2 > len(queue):
            # A long exchange at the head holds finished ones behind it: keep the rest.
            self.queue = deque(d for d in queue if not d.done)
            self.finished = 0

    def _due(self) -> None:
        """The timer: expire what is late, and wait for the next pending deadline."""
        self.timer = None
        # The loop runs a timer a clock tick early at most: what it was set for is due.
        now, queue = max(self.loop.time(), self.armed), self.queue
        while queue and (queue[0].done or queue[0].at <= now):
            deadline = queue.popleft()
            if deadline.done:
                self.finished -= 1
            else:
                deadline.done = deadline.expired = True
                deadline.task.cancel()
        if queue:
            self._arm(queue[0].at)


class ClientDeadlines:
    """The deadlines of a client and of its views (``as_user()``, ``with_answer_limit()``),
    which share its connections and its timeout: one queue, on the event loop that runs
    them (a client that moves to another loop starts a new one there)."""

    __slots__ = ("current", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.current: Deadlines | None = None

    def on(self, loop: asyncio.AbstractEventLoop) -> Deadlines:
        current = self.current
        if current is None or current.loop is not loop:
            current = self.current = Deadlines(loop, self.timeout)
        return current
