"""The transaction endpoint under load: appservice servers side by side in one run.

Each variant is a server process on a loopback port, pinned to one core; ``wrk`` (Debian's
package, ``make wrk``) runs on the other core with ``bench/transactions.lua``, which PUTs a
10-event transaction shaped like Synapse's to ``/_matrix/app/v1/transactions/{txnId}`` with
a new ID for every request and a bearer token. The variants:

- this package's server (``matrix-appservice serve``: granian on uvloop), validating every
  body against the spec's schema and typing it, with the memory store and with the SQLite
  store (``sync=normal``, the default, and ``sync=full``); and the same app under uvicorn (httptools, uvloop; ``bench/http_stack.py``);
- a plain aiohttp + pydantic server (``bench/peers.py aiohttp``);
- mautrix-python's ``AppService`` (``bench/peers.py mautrix``).

All servers run at once (idle while another is measured); each repeat measures every variant
at every connection count in turn, in an order that changes from repeat to repeat. The table
shows, for each, the median run (req/s with wrk's p50/p99 latency), the median of the ratios
to the plain aiohttp server's rate in the same repeat, and the server's CPU time per request
(user + system, from /proc): on a machine other work also uses, the rates move with that
work, the CPU time per request much less. Every answer must be 200: a socket error or
another status stops the bench.

    .venv/bin/python bench/server.py [--seconds 3] [--repeats 5] [--connections 1,32] [--only NAMES] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(BENCH), str(ROOT / "generated" / "python")]

from validate import transaction  # noqa: E402 - after the path set-up above

HS_TOKEN = "bench-hs-token-5f0c2a"
LUA = BENCH / "transactions.lua"
OURS = "matrix_appservice.server, memory store"
REFERENCE = "aiohttp + pydantic"
MAUTRIX = "mautrix-python AppService"
UVICORN = "matrix_appservice.server under uvicorn, memory store"
SQLITE = "matrix_appservice.server, SQLite store"
SQLITE_FULL = "matrix_appservice.server, SQLite store sync=full"


@dataclass(frozen=True)
class Variant:
    name: str
    detail: str
    command: Callable[[int, Path], list[str]]
    """The command line that serves on ``port``, given a scratch folder."""
    needs: tuple[str, ...] = ()
    """Modules the variant imports; it is skipped, with a message, when one is missing."""


def _registration(port: int) -> dict[str, object]:
    return {
        "id": "bench", "url": f"http://127.0.0.1:{port}", "as_token": "bench-as-token",
        "hs_token": HS_TOKEN, "sender_localpart": "bench",
        "namespaces": {"users": [{"regex": "@bench_.*:example\\.org", "exclusive": True}]},
    }  # fmt: skip


def _ours(store: str, http: str = "granian") -> Callable[[int, Path], list[str]]:
    def command(port: int, folder: Path) -> list[str]:
        reg = folder / f"registration-{port}.yaml"
        reg.write_text(yaml.safe_dump(_registration(port)), encoding="utf-8")
        where = (
            "memory"
            if store == "memory"
            else f"sqlite:{folder / f'txns-{port}.sqlite3'}{store.removeprefix('sqlite')}"
        )
        if http == "uvicorn":
            return [sys.executable, str(BENCH / "http_stack.py"), "uvicorn", "--registration",
                    str(reg), "--port", str(port), "--store", where]  # fmt: skip
        return [sys.executable, "-m", "matrix_appservice", "serve", "peers:Bridge",
                "--registration", str(reg), "--store", where, "--log-level", "warning"]  # fmt: skip

    return command


def _peer(kind: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, folder: Path) -> list[str]:
        return [sys.executable, str(BENCH / "peers.py"), kind, "--port", str(port),
                "--hs-token", HS_TOKEN]  # fmt: skip

    return command


VARIANTS = [
    Variant(OURS, "matrix-appservice serve: granian on uvloop; schema check + typed models",
            _ours("memory"), ("granian", "uvloop")),
    Variant(SQLITE, "the same, IDs kept on disk: commits reach the OS before the answer",
            _ours("sqlite"), ("granian", "uvloop")),
    Variant(SQLITE_FULL, "the same, every commit flushed to the disk before the answer",
            _ours("sqlite?sync=full"), ("granian", "uvloop")),
    Variant(UVICORN, "the same app under uvicorn 0.54, httptools on uvloop",
            _ours("memory", "uvicorn"), ("uvicorn", "uvloop", "httptools")),
    Variant(REFERENCE, "aiohttp web app, asyncio; Transaction.model_validate_json",
            _peer("aiohttp"), ("aiohttp",)),
    Variant(MAUTRIX, "its aiohttp app, asyncio; mautrix event types", _peer("mautrix"),
            ("mautrix", "aiohttp")),
]  # fmt: skip


@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    """The server's CPU time (user + system) per request: other load on the machine moves it
    much less than the rate."""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def synapse_shaped(n: int) -> bytes:
    """``n`` events as Synapse pushes them: with the legacy top-level ``age`` and ``user_id``."""
    data = orjson.loads(transaction(n))
    for event in data["events"]:
        event["age"] = event["unsigned"]["age"]
        event["user_id"] = event["sender"]
    return orjson.dumps(data)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cores() -> tuple[int | None, int | None]:
    """The server's core and the load generator's core (``None``: not pinned)."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        print("note: fewer than 2 cores: the server and wrk are not pinned", file=sys.stderr)
        return None, None
    return available[0], available[1]


def _pin(core: int | None) -> Callable[[], None] | None:
    if core is None:
        return None
    return lambda: os.sched_setaffinity(0, {core})


@contextmanager
def _this_process_on(core: int | None) -> Iterator[None]:
    """Run this process on ``core`` (``None``: wherever) until the block ends."""
    before = os.sched_getaffinity(0)
    if core is not None:
        os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}:\n{log.read_text()}")


@contextmanager
def _serving(variant: Variant, folder: Path, core: int | None) -> Iterator[tuple[int, int]]:
    port = _free_port()
    log = folder / f"{port}.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT / "generated" / "python")])}  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            variant.command(port, folder), env=env, cwd=folder, stdout=sink,
            stderr=subprocess.STDOUT, preexec_fn=_pin(core),
        )  # fmt: skip
    try:
        _wait_listening(port, process, log)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(
    server: tuple[int, int],
    connections: int,
    seconds: float,
    body: Path,
    prefix: str,
    core: int | None,
) -> Run:
    """One wrk run; raises when any request failed or was not answered 200."""
    port, pid = server
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(LUA),
               f"http://127.0.0.1:{port}", "--", prefix, HS_TOKEN, str(body)]  # fmt: skip
    cpu = _cpu_seconds(pid)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=_pin(core)
    )
    cpu = _cpu_seconds(pid) - cpu
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(lines[-1])
    if figures["socket_errors"] or figures["bad_status"] or not figures["requests"]:
        raise RuntimeError(f"wrk saw errors against port {port}: {figures}\n{done.stdout}")
    return Run(
        rps=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        cpu_us=cpu / figures["requests"] * 1e6,
    )


def _available(variant: Variant) -> bool:
    missing = [m for m in variant.needs if importlib.util.find_spec(m) is None]
    if missing:
        print(f"skipped {variant.name}: {', '.join(missing)} not installed", file=sys.stderr)
    return not missing


Runs = dict[str, dict[int, list[Run]]]
"""Every run, by variant and connection count, in the order of the repeats."""


def measure(variants: list[Variant], connections: list[int], seconds: float, repeats: int) -> Runs:
    server_core, load_core = _cores()
    runs: Runs = {v.name: {c: [] for c in connections} for v in variants}
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        folder = Path(scratch)
        body = folder / "body.json"
        body.write_bytes(synapse_shaped(10))
        servers = {v.name: stack.enter_context(_serving(v, folder, server_core)) for v in variants}
        for v in variants:  # warm-up: imports, caches, the first connections
            wrk(servers[v.name], 4, 2, body, f"warm{servers[v.name][0]}", load_core)
        for repeat in range(repeats):
            for c in connections:
                # A different order in each repeat, so that no variant always goes first.
                shift = repeat % len(variants)
                for v in variants[shift:] + variants[:shift]:
                    prefix = f"r{repeat}c{c}p{servers[v.name][0]}"
                    run = wrk(servers[v.name], c, seconds, body, prefix, load_core)
                    runs[v.name][c].append(run)
    return runs


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.rps)
    return ordered[(len(ordered) - 1) // 2]  # the lower median: a run that happened


def ratio(runs: Runs, mine: str, theirs: str, c: int) -> float:
    """The median over the repeats of the rate of ``mine`` over that of ``theirs`` in the same
    repeat: steadier than a ratio of medians on a busy machine, since those runs are close
    together in time."""
    pairs = zip(runs[mine][c], runs[theirs][c], strict=True)
    return statistics.median(m.rps / t.rps for m, t in pairs)


def cpu(runs: Runs, name: str, c: int) -> float:
    return statistics.median(r.cpu_us for r in runs[name][c])


def table(runs: Runs, connections: list[int]) -> str:
    head = "| variant | " + " | ".join(
        f"c={c} req/s | c={c} p50/p99 ms | c={c} CPU µs/req" for c in connections
    )
    lines = [head + " |", "|---|" + "---|---|---|" * len(connections)]
    for v in VARIANTS:
        if v.name not in runs:
            continue
        cells = []
        for c in connections:
            run = median_run(runs[v.name][c])
            x = f" x{ratio(runs, v.name, REFERENCE, c):.2f}" if REFERENCE in runs else ""
            cells += [
                f"{run.rps:,.0f}{x}",
                f"{run.p50_ms:.2f}/{run.p99_ms:.2f}",
                f"{cpu(runs, v.name, c):,.0f}",
            ]
        lines.append(f"| {v.name} ({v.detail}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def p50_ratio(runs: Runs, mine: str, theirs: str, c: int) -> float:
    """The median over the repeats of the p50 latency of ``mine`` over that of ``theirs``."""
    pairs = zip(runs[mine][c], runs[theirs][c], strict=True)
    return statistics.median(m.p50_ms / t.p50_ms for m, t in pairs)


def goals(runs: Runs, connections: list[int]) -> list[str]:
    """The server's goals against mautrix and aiohttp, each a ratio within one run."""
    lines = []
    for name in (OURS, UVICORN):
        if name not in runs:
            continue
        if MAUTRIX in runs and 1 in connections:
            latency = p50_ratio(runs, name, MAUTRIX, 1)
            cost = cpu(runs, name, 1) / cpu(runs, MAUTRIX, 1)
            lines.append(
                f"{name}: c=1 p50 latency {latency:.2f} of mautrix's (goal <= 0.33: "
                f"{'met' if latency <= 1 / 3 else 'NOT met'}); c=1 CPU per request "
                f"{cost:.2f} of mautrix's (goal <= 0.20: {'met' if cost <= 0.2 else 'NOT met'})"
            )
        if REFERENCE in runs and 32 in connections:
            rate = ratio(runs, name, REFERENCE, 32)
            lines.append(
                f"{name}: c=32 rate {rate:.2f}x the aiohttp server's (goal >= 1.00: "
                f"{'met' if rate >= 1 else 'NOT met'})"
            )
    for store in (SQLITE, SQLITE_FULL):
        if OURS not in runs or store not in runs:
            continue
        for c in connections:
            rate = ratio(runs, store, OURS, c)
            goal = (
                f" (goal >= 0.90: {'met' if rate >= 0.9 else 'NOT met'})"
                if store == SQLITE and c in (1, 32)
                else ""
            )
            lines.append(f"{store}: c={c} rate {rate:.2f}x the memory store's{goal}")
    return lines


def summary(runs: Runs, connections: list[int]) -> str:
    """Ours against the others: rates (median of per-repeat ratios) and CPU per request;
    then the goals."""
    lines = []
    for other in (REFERENCE, MAUTRIX):
        if OURS in runs and other in runs:
            rates = ", ".join(f"c={c} {ratio(runs, OURS, other, c):.2f}x" for c in connections)
            costs = ", ".join(
                f"c={c} {cpu(runs, other, c) / cpu(runs, OURS, c):.2f}x" for c in connections
            )
            lines.append(
                f"{OURS} / {other}: req/s {rates}; CPU per request, theirs / ours: {costs}"
            )
    return "\n".join(lines + goals(runs, connections))


def app_alone(core: int | None, count: int = 5000, repeats: int = 3) -> float:
    """µs per request of ``AppServiceApp.answer`` called in-process (no HTTP, no event loop
    wake-ups), with the memory store and the bench's handler: the app's own share of the
    server's CPU time per request. Best of ``repeats``, on the server's core."""
    import asyncio

    from matrix_appservice.server import create_app
    from peers import Bridge

    app = create_app(_registration(1), Bridge(), store="memory")
    body = synapse_shaped(10)
    auth = f"Bearer {HS_TOKEN}".encode()

    async def rounds() -> float:
        best = float("inf")
        for r in range(repeats + 1):  # the first round warms up
            started = time.perf_counter()
            for n in range(count):
                path = b"/_matrix/app/v1/transactions/alone-%d-%d" % (r, n)
                status, _, _ = await app.answer("PUT", path, b"", auth, body)
                assert status == 200
            if r:
                best = min(best, (time.perf_counter() - started) / count * 1e6)
        await app.close()
        return best

    with _this_process_on(core):
        return asyncio.run(rounds())


def app_steps(core: int | None, count: int = 5000, repeats: int = 3) -> dict[str, float]:
    """µs per request of the steps every transaction takes in the app, each timed alone on the
    bench's body (best of ``repeats``, on the server's core): what no HTTP stack can save.
    Next to them, the plain aiohttp server's one model step."""
    import timeit

    from matrix_appservice import validator_for
    from matrix_appservice.models import Transaction, TypedTransaction

    body = synapse_shaped(10)
    data = orjson.loads(body)
    schema = validator_for(request="sendTransaction")
    steps = {
        "JSON parse (orjson)": lambda: orjson.loads(body),
        "schema check (the release's JSON Schema)": lambda: schema.is_valid(data),
        "typed models (TypedTransaction)": lambda: TypedTransaction.model_validate(data),
        f"{REFERENCE} server: Transaction.model_validate_json": lambda: (
            Transaction.model_validate_json(body)
        ),
    }
    for step in steps.values():  # the models build their validators on first use
        step()
    with _this_process_on(core):
        return {
            name: min(timeit.repeat(step, number=count, repeat=repeats)) / count * 1e6
            for name, step in steps.items()
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per variant; median shown")
    parser.add_argument("--connections", default="1,32", help="comma-separated connection counts")
    parser.add_argument("--only", help="comma-separated substrings of the variants to run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped bench/server.py: wrk is not installed (make wrk installs Debian's wrk)")
        return 0
    connections = [int(c) for c in args.connections.split(",")]
    variants = [v for v in VARIANTS if _available(v)]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        variants = [v for v in variants if any(w in v.name for w in wanted)]
    if not variants:
        print("bench/server.py: no variant to run", file=sys.stderr)
        return 2
    results = measure(variants, connections, args.seconds, args.repeats)
    if args.json:
        print(json.dumps({name: {c: [vars(r) for r in rs] for c, rs in by_c.items()}
                          for name, by_c in results.items()}, indent=2))  # fmt: skip
        return 0
    print(f"10-event transactions ({len(synapse_shaped(10)):,} bytes), wrk {args.seconds:g} s "
          f"per run, median of {args.repeats}; x = ratio to the {REFERENCE} server")  # fmt: skip
    print(table(results, connections))
    print(summary(results, connections))
    if any(v.name == OURS for v in variants):
        alone = app_alone(_cores()[0])
        print(
            f"{OURS}: the app alone (AppServiceApp.answer in-process): {alone:.0f} µs per request"
        )
        steps = app_steps(_cores()[0])
        print("  of which, each step timed alone: " + "; ".join(
            f"{name} {us:.0f} µs" for name, us in steps.items() if REFERENCE not in name
        ))  # fmt: skip
        for name, us in steps.items():
            if REFERENCE in name:
                print(f"  the {name}: {us:.0f} µs per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
