"""How long to wait between the tries of a transaction: exponential backoff up to a cap."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["DEFAULT_CLIENT_RETRY", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``initial``, then times ``factor`` per try, never above ``cap``.

    ``max_attempts`` bounds the number of sends (``None``: keep trying, as a homeserver does
    with transactions). ``jitter`` spreads each delay by up to that fraction either way.
    Replace it with any object that has a ``delays()`` method yielding seconds.
    """

    initial: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    max_attempts: int | None = None
    jitter: float = 0.0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.initial < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("RetryPolicy needs initial >= 0, cap >= 0 and factor >= 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (or None)")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter is a fraction between 0 and 1")

    def delays(self) -> Iterator[float]:
        """The waits before the second, third, ... send; ends when no try is left."""
        delay = min(self.initial, self.cap)
        sent = 1
        while self.max_attempts is None or sent < self.max_attempts:
            spread = delay * self.jitter
            yield max(0.0, delay + self.rng.uniform(-spread, spread)) if spread else delay
            delay = min(delay * self.factor, self.cap)
            sent += 1


DEFAULT_CLIENT_RETRY = RetryPolicy(max_attempts=8)
"""The policy of an ``AppServiceClient`` given no ``retry``: at most 8 sends, 1, 2, 4, 8,
16, 32 and 60 s apart (about two minutes), then ``RequestFailedError``. A homeserver keeps
trying a transaction for ever; give ``RetryPolicy()`` (no ``max_attempts``) for that."""
