"""The exactly-once soak at scale: 10,000 events through our pusher to our appservice server.

The appservice (``matrix-appservice serve`` on a loopback port, SQLite store) is SIGKILL'd
and started again at random moments, and the pusher is restarted at random moments too; the
figures say how many events were lost or handled twice (both must be 0) and how long it took.

    .venv/bin/python bench/soak.py [--events 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated" / "python")]

from tests.python.homeserver.soak import run_soak  # noqa: E402 - after the path set-up above


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--pace", type=float, default=0.004, help="mean wait between pushes (s)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir:
        figures = asyncio.run(
            run_soak(
                Path(workdir),
                events=args.events,
                pace=args.pace,
                kill_every=(0.3, 1.5),
                pusher_restart_chance=0.005,
                seed=args.seed,
            )
        )
    print("\n".join(figures.lines()))
    return 0 if (figures.lost, figures.duplicated, figures.in_order) == (0, 0, True) else 1


if __name__ == "__main__":
    sys.exit(main())
