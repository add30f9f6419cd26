"""Exactly-once delivery while the appservice is SIGKILL'd and the pusher restarted."""

from __future__ import annotations

import asyncio
from pathlib import Path

from .soak import run_soak


def test_every_event_handled_exactly_once_and_in_order_across_kills_and_restarts(
    tmp_path: Path,
) -> None:
    figures = asyncio.run(
        run_soak(
            tmp_path,
            events=2000,
            pace=0.015,
            kill_every=(0.3, 1.2),
            pusher_restart_chance=0.02,
            seed=10,
        )
    )
    print("\n".join(figures.lines()))
    assert figures.appservice_restarts >= 3 and figures.pusher_restarts >= 3
    # Enough transactions for the kills and restarts to fall between them (a loaded machine
    # batches more events per transaction: 160 of them at a load of 7).
    assert figures.transactions >= 100
    assert (figures.lost, figures.duplicated, figures.in_order) == (0, 0, True)
