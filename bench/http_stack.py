"""The HTTP server under the appservice app: granian and uvicorn side by side in one run.

Two candidates serve the same app (``create_app`` with the bench's handler, memory store),
each with its limits set explicitly:

- granian 2.8 (Rust, hyper), as ``matrix-appservice serve`` runs it: the package's
  ``AppServer`` with the default ``HTTPLimits`` (one 130 s timer for a request head and an
  idle connection, 1,024 connections, a 64 KiB head buffer);
- uvicorn 0.54 with httptools on uvloop, run by this file (``uvicorn`` below): keep-alive
  130 s, ``limit_concurrency`` 1,024 (503 past it), backlog 2,048; uvicorn has no time limit
  on a request head and no bound on header bytes with httptools.

It prints, for both: the speed figures of ``bench/server.py`` (10-event transactions under
wrk: c=1 p50/p99 latency and CPU per request, c=32 requests per second, with mautrix-python
and a plain aiohttp server in the same run), then the raw-socket cases of
``bench/attacks.py`` as a pass/fail table, each case with what the server did. The timed
cases wait out the configured limits (130 s and more), so the whole run takes about 8
minutes.

    .venv/bin/python bench/http_stack.py [--seconds 3] [--repeats 5] [--skip-speed] [--skip-attacks]
    .venv/bin/python bench/http_stack.py uvicorn --registration FILE --port P [--store S]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "runtime")]

import attacks  # noqa: E402 - after the path set-up above
import server as speed  # noqa: E402

CANDIDATES = {
    "granian": attacks.Limits(header_timeout=130, keepalive=130, max_connections=1024),
    "uvicorn": attacks.Limits(header_timeout=None, keepalive=130, max_connections=1024),
}
"""What each candidate is configured to do, as the attack cases need to know it."""


def serve_uvicorn(registration: str, port: int, store: str) -> None:
    """The app under uvicorn (httptools, uvloop) with explicit limits, until SIGTERM."""
    import uvicorn
    from matrix_appservice._serving import listen, new_event_loop
    from matrix_appservice.server import create_app
    from peers import Bridge

    async def main() -> None:
        app = create_app(registration, Bridge(), store=store)
        sockets = listen("127.0.0.1", port, 2048)
        await app.startup()
        config = uvicorn.Config(
            app, loop="none", http="httptools", lifespan="off", access_log=False,
            log_config=None, log_level="warning", server_header=False,
            timeout_keep_alive=130, limit_concurrency=1024, backlog=2048,
        )  # fmt: skip
        try:
            await uvicorn.Server(config).serve(sockets=sockets)
        finally:
            await app.close()

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(main())


def _command(kind: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, folder: Path) -> list[str]:
        reg = folder / f"registration-{port}.yaml"
        reg.write_text(yaml.safe_dump(speed._registration(port)), encoding="utf-8")
        if kind == "granian":
            return [sys.executable, "-m", "matrix_appservice", "serve", "peers:Bridge",
                    "--registration", str(reg), "--store", "memory", "--log-level", "warning"]  # fmt: skip
        return [sys.executable, str(BENCH / "http_stack.py"), "uvicorn", "--registration",
                str(reg), "--port", str(port), "--store", "memory"]  # fmt: skip

    return command


def attack_table() -> str:
    """Every case of ``bench/attacks.py`` against both candidates at once."""
    variants = [speed.Variant(kind, kind, _command(kind)) for kind in CANDIDATES]
    results: dict[str, dict[str, attacks.Outcome]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        with speed.ExitStack() as stack:
            ports = {v.name: stack.enter_context(speed._serving(v, folder, None))[0]
                     for v in variants}  # fmt: skip

            def one(kind: str) -> None:
                results[kind] = attacks.run_all(ports[kind], CANDIDATES[kind])

            threads = [threading.Thread(target=one, args=(kind,)) for kind in CANDIDATES]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    kinds = list(CANDIDATES)
    lines = [
        "| case | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for name in attacks.CASES:
        cells = []
        for kind in kinds:
            outcome = results[kind][name]
            cells.append(f"{'pass' if outcome.passed else 'FAIL'}: {outcome.saw}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    passed = {k: sum(o.passed for o in results[k].values()) for k in kinds}
    lines.append(
        "| **passed** | " + " | ".join(f"**{passed[k]} of {len(attacks.CASES)}**" for k in kinds)
        + " |"
    )  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "uvicorn":
        parser = argparse.ArgumentParser(prog="http_stack.py uvicorn")
        parser.add_argument("--registration", required=True)
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--store", default="memory")
        args = parser.parse_args(sys.argv[2:])
        serve_uvicorn(args.registration, args.port, args.store)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per variant; median shown")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-attacks", action="store_true")
    args = parser.parse_args()
    if not args.skip_speed:
        if shutil.which("wrk") is None:
            print("skipped the speed figures: wrk is not installed (make wrk)")
        else:
            names = [speed.OURS, speed.UVICORN, speed.REFERENCE, speed.MAUTRIX]
            variants = [v for v in speed.VARIANTS if v.name in names and speed._available(v)]
            runs = speed.measure(variants, [1, 32], args.seconds, args.repeats)
            print(f"10-event transactions, wrk {args.seconds:g} s per run, median of "
                  f"{args.repeats}; x = ratio to the {speed.REFERENCE} server")  # fmt: skip
            print(speed.table(runs, [1, 32]))
            print(speed.summary(runs, [1, 32]))
            print()
    if not args.skip_attacks:
        print("Raw-socket cases (bench/attacks.py), limits as configured:")
        print(attack_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
