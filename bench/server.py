"""The transaction endpoint under load, variants side by side in one run (skeleton).

Each variant is a server process on a loopback port; the load is
``PUT /_matrix/app/v1/transactions/{n}`` with a 10-event body (a new txn ID per request),
a bearer token, and a reply ``{}``. The load comes from ``wrk`` when it is on the PATH (a
Lua script numbers the IDs), otherwise from a small asyncio client in this file, which is
slower than the servers it measures: its figures compare variants, not absolute capacity.

    .venv/bin/python bench/server.py [--seconds 5] [--connections 1,32] [--json]

Variants live in ``VARIANTS``: a name and the command that serves on a given port. Add the
plain aiohttp + pydantic server and mautrix-python here to get the ratios the issue asks
for; the first variant is the reference of the ratio column.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "generated" / "python")]

from validate import transaction  # noqa: E402 - after the path set-up above

HS_TOKEN = "bench-hs-token"
HANDLER = "matrix_appservice.server:AppServiceHandler"


@dataclass(frozen=True)
class Variant:
    name: str
    command: Callable[[int, Path], list[str]]
    """The command line that serves on ``port``, given a scratch folder."""


def _registration(port: int, folder: Path) -> Path:
    path = folder / "registration.yaml"
    path.write_text(
        yaml.safe_dump({
            "id": "bench", "url": f"http://127.0.0.1:{port}", "as_token": "bench-as-token",
            "hs_token": HS_TOKEN, "sender_localpart": "bench",
            "namespaces": {"users": [{"regex": "@bench_.*:example\\.org", "exclusive": True}]},
        }),
        encoding="utf-8",
    )  # fmt: skip
    return path


def _generated(store: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, folder: Path) -> list[str]:
        reg = _registration(port, folder)
        if store == "sqlite":
            store_arg = f"sqlite:{folder / 'txns.sqlite3'}"
        else:
            store_arg = "memory"
        return [sys.executable, "-m", "matrix_appservice", "serve", HANDLER,
                "--registration", str(reg), "--store", store_arg, "--log-level", "warning"]  # fmt: skip

    return command


VARIANTS = [
    Variant(
        "matrix_appservice.server, memory store (uvicorn, uvloop+httptools)", _generated("memory")
    ),
    Variant(
        "matrix_appservice.server, SQLite store (uvicorn, uvloop+httptools)", _generated("sqlite")
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def _connection(port: int, body: bytes, until: float, counter: list[int], start: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = start
    try:
        while time.monotonic() < until:
            head = (
                f"PUT /_matrix/app/v1/transactions/{n} HTTP/1.1\r\nHost: bench\r\n"
                f"Authorization: Bearer {HS_TOKEN}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            writer.write(head + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if b" 200 " not in status:
                raise RuntimeError(f"unexpected answer: {status!r}")
            counter[0] += 1
            n += 1
    finally:
        writer.close()


async def _python_load(port: int, connections: int, seconds: float, body: bytes) -> float:
    counter = [0]
    until = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(
        _connection(port, body, until, counter, i * 10_000_000) for i in range(connections)
    ))  # fmt: skip
    return counter[0] / (time.monotonic() - started)


def measure(
    variant: Variant, connections: list[int], seconds: float, body: bytes
) -> dict[int, float]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "generated" / "python")}
        server = subprocess.Popen(variant.command(port, Path(scratch)), env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            _wait_listening(port)
            asyncio.run(_python_load(port, 1, 1.0, body))  # warm-up
            return {c: asyncio.run(_python_load(port, c, seconds, body)) for c in connections}
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", default="1,32")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    body = transaction(10)
    assert orjson.loads(body)["events"]
    if shutil.which("wrk"):
        print(
            "note: wrk is installed; this skeleton still uses its own asyncio client",
            file=sys.stderr,
        )
    results = {v.name: measure(v, connections, args.seconds, body) for v in VARIANTS}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    reference = results[VARIANTS[0].name]
    print("| variant | " + " | ".join(f"c={c} req/s" for c in connections) + " |")
    print("|---|" + "---|" * len(connections))
    for name, figures in results.items():
        cells = [f"{figures[c]:,.0f} x{figures[c] / reference[c]:.2f}" for c in connections]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
