"""Parsing a transaction of 100 real Synapse events into typed events, side by side in one run.

The events are the first 100 room events that Synapse pushed in the capture of
``tests/interop/events_capture.py`` (messages of every msgtype, edits, replies, threads,
reactions, redactions, stickers, calls, verification and state events), as one transaction
body. From the same bytes, per transaction:

- ``TypedTransaction.model_validate_json``: every event as the class of its type, its content
  as the model of its type and msgtype (this package);
- ``Transaction.model_validate_json``: the same envelopes with ``content`` left a ``dict``
  (pydantic alone, what the content typing costs on top);
- mautrix-python: ``json.loads`` and ``Event.deserialize`` per event, as its
  ``AppService`` does with a transaction (``mautrix.types``);
- ``orjson.loads``: parsing alone, the floor.

The methods take turns, round after round, each timed over the same number of calls; a
figure is the best of its rounds and a ratio is the median of the ratios within each round,
so that the load of a shared machine, which changes from second to second, weighs on both
sides of a ratio alike. The time is the CPU time of this process (``time.process_time``):
the time it waits while other processes hold the cores does not count. Like ``timeit``, the
timing keeps Python's cyclic garbage collector off unless ``--gc`` is given; with it on, as
in a running appservice, the collections that the parse's new objects set off count too, and
a typed parse makes more objects (a model, its field dict and its set of fields per content
and per nested object) than a parse that leaves contents as dicts.

    .venv/bin/python bench/events.py [--rounds 15] [--gc] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated" / "python")]

from matrix_appservice.models import (  # noqa: E402 - after the path set-up above
    ClientEvent,
    RoomMessageContent,
    Transaction,
    TypedTransaction,
)

FIXTURE = ROOT / "tests" / "interop" / "fixtures" / "synapse_transactions.json"
EVENTS = 100


def transaction(n: int = EVENTS) -> bytes:
    """The first ``n`` room events of the Synapse capture, as one transaction body."""
    capture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    events = [e for body in capture["transactions"] for e in body.get("events", [])]
    if len(events) < n:
        raise SystemExit(f"{FIXTURE} holds {len(events)} room events, fewer than {n}")
    return orjson.dumps({"events": events[:n]})


def measure(
    methods: dict[str, Callable[[bytes], object]], raw: bytes, rounds: int, collect: bool = False
) -> list[dict[str, float]]:
    """µs per call of each method, for each round (the methods take turns in a round); with
    ``collect``, the garbage collector stays on while timing (``timeit`` turns it off)."""
    setup: Callable[[], object] = gc.enable if collect else (lambda: None)
    timers = {
        name: timeit.Timer(lambda fn=fn: fn(raw), setup=setup, timer=time.process_time)
        for name, fn in methods.items()
    }
    loops = {name: max(1, timer.autorange()[0] // 4) for name, timer in timers.items()}
    return [
        {name: timer.timeit(loops[name]) / loops[name] * 1e6 for name, timer in timers.items()}
        for _ in range(rounds)
    ]


def median_ratio(per_round: list[dict[str, float]], top: str, bottom: str) -> float:
    return statistics.median(r[top] / r[bottom] for r in per_round)


def _mautrix() -> Callable[[bytes], object] | None:
    try:
        from mautrix.types import Event
    except ImportError:
        return None

    def parse(raw: bytes) -> list[Any]:
        return [Event.deserialize(event) for event in json.loads(raw)["events"]]

    return parse


def check(raw: bytes) -> None:
    """Every event parses into its typed class, no fallback used."""
    typed = TypedTransaction.model_validate_json(raw)
    for event in typed.events:
        if type(event) is ClientEvent or type(event.content) is RoomMessageContent:
            raise SystemExit(f"{event.type} {event.event_id} fell back to an untyped model")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    raw = transaction()
    check(raw)
    methods: dict[str, Callable[[bytes], object]] = {
        "TypedTransaction.model_validate_json (typed content)": TypedTransaction.model_validate_json,
        "Transaction.model_validate_json (content as dict)": Transaction.model_validate_json,
        "orjson.loads (the floor)": orjson.loads,
    }
    mautrix = _mautrix()
    if mautrix is not None:
        methods["mautrix: json.loads + Event.deserialize"] = mautrix
    per_round = measure(methods, raw, args.rounds, collect=args.gc)
    typed = "TypedTransaction.model_validate_json (typed content)"
    figures = {name: min(r[name] for r in per_round) for name in methods}
    ratios = {name: median_ratio(per_round, name, typed) for name in methods}
    summary: dict[str, Any] = {
        "events": EVENTS,
        "bytes": len(raw),
        "rounds": args.rounds,
        "gc": args.gc,
        "us": {name: round(us, 1) for name, us in figures.items()},
        "ratio_to_typed": {name: round(ratio, 2) for name, ratio in ratios.items()},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{EVENTS} real Synapse room events, {len(raw):,} bytes; µs per transaction (best of "
          f"{args.rounds} rounds, garbage collector {'on' if args.gc else 'off'}) and the median "
          "ratio to the typed parse")  # fmt: skip
    for name, us in figures.items():
        print(f"  {name:55s} {us:9.1f} µs  x{ratios[name]:.2f}")
    plain = ratios["Transaction.model_validate_json (content as dict)"]
    print(f"typed content: x{1 / plain:.2f} the time of the dict-content parse")
    if mautrix is not None:
        print(f"mautrix: x{ratios['mautrix: json.loads + Event.deserialize']:.2f} the time of "
              "the typed parse")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
