"""Validating a transaction body from raw bytes, side by side in one run.

Prints µs per payload and the ratio to ``orjson.loads`` of the same bytes (parsing alone, the
floor) for N = 1, 100 and 1000 events: our validator, the typed model parse, plain
jsonschema (Draft 2020-12, compiled once) and ``json.loads``. Best of several repeats, so
the figures are comparable within one run on a noisy machine.

    .venv/bin/python bench/validate.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated" / "python")]

from matrix_appservice import models, validator_for  # noqa: E402

from codegen.lint import schema_validator  # noqa: E402 - after the path set-up above
from codegen.spec import load_spec  # noqa: E402


def transaction(n: int, seed: int = 7) -> bytes:
    """A transaction of ``n`` client events: 80 % messages, 20 % membership state events."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for i in range(n):
        sender = f"@user{rng.randrange(1000)}:example.org"
        event: dict[str, Any] = {
            "event_id": f"$event{i}_{rng.getrandbits(64):016x}",
            "room_id": "!bridged:example.org",
            "sender": sender,
            "origin_server_ts": 1_700_000_000_000 + i,
            "unsigned": {"age": rng.randrange(10_000)},
        }
        if i % 5 == 4:
            event |= {"type": "m.room.member", "state_key": sender,
                      "content": {"membership": "join", "displayname": f"User {i}"}}  # fmt: skip
        else:
            event |= {"type": "m.room.message",
                      "content": {"msgtype": "m.text", "body": "hello " * rng.randrange(1, 20)}}  # fmt: skip
        events.append(event)
    return orjson.dumps({"events": events})


def best_us(fn: Callable[[], object], repeat: int) -> float:
    timer = timeit.Timer(fn)
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=loops)) / loops * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    spec = load_spec()
    doc = spec.bundle(spec.releases.latest)
    reference = schema_validator(doc, ("components", "schemas", "Transaction"))
    ours = validator_for(request="sendTransaction")
    model = models.Transaction

    methods: dict[str, Callable[[bytes], object]] = {
        "orjson.loads (the floor)": orjson.loads,
        "matrix_appservice.validate": ours.validate,
        "pydantic Transaction.model_validate_json": model.model_validate_json,
        "json.loads": json.loads,
        "orjson + jsonschema (Draft 2020-12)": lambda raw: reference.is_valid(orjson.loads(raw)),
    }
    sizes = (1, 100, 1000)
    results: dict[str, dict[int, float]] = {name: {} for name in methods}
    payload_sizes = {}
    for n in sizes:
        raw = transaction(n)
        payload_sizes[n] = len(raw)
        assert ours.validate(raw).valid and reference.is_valid(orjson.loads(raw))
        for name, fn in methods.items():
            results[name][n] = best_us(lambda fn=fn, raw=raw: fn(raw), args.repeat)

    if args.json:
        print(json.dumps({"sizes": payload_sizes, "us": results}, indent=2))
        return 0
    header = " | ".join(f"N={n} ({payload_sizes[n] / 1000:.1f} KB)" for n in sizes)
    print(f"| method | {header} |")
    print("|---|" + "---|" * len(sizes))
    for name, row in results.items():
        cells = " | ".join(
            f"{row[n]:,.1f} µs x{row[n] / results['orjson.loads (the floor)'][n]:.1f}"
            for n in sizes
        )
        print(f"| {name} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
