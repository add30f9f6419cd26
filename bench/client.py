"""Sending a message as an appservice user, side by side in one run.

A minimal HTTP/1.1 keep-alive server (a child process on 127.0.0.1, pinned to one core)
answers ``PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`` with an event id,
after checking the bearer token and the ``user_id`` of identity assertion (and answers the
register, join and power-level requests mautrix makes once before its first send). On the other core,
each client sends the same message to it, as the appservice's bot:

- ``AsyncHomeserverClient.as_user(bot).send_message`` (this package) as it comes (its
  default backend, aiohttp) and with ``backend="httpx"``;
- aiohttp with the request built by hand, body and answer through orjson (the floor: the
  default backend's transport with no work of its own);
- mautrix-python's ``IntentAPI.send_message_event`` over its aiohttp session;
- ``httpx.AsyncClient`` with the request built by hand through orjson, and with httpx's own
  ``json=`` and ``.json()`` (what hand-written code usually looks like).

Prints calls per second, one call in flight and many, and the ratio to the floor: the best
of many short rounds, the clients taking turns in each, so that a busy moment of a shared
machine hits them all alike and the figures compare within one run. Then the goals: the
default client at least as fast as mautrix's ``IntentAPI``, and at least 0.95 of aiohttp by
hand. Last, how much the figures behind the second goal move: the default client's rate
over the floor's round by round (median, least and most), and the client process's CPU time
per call of both (least and median), which the load of a shared machine moves less.

    .venv/bin/python bench/client.py [--calls 500] [--repeat 20] [--concurrency 1,16] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, unquote

import aiohttp
import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated" / "python")]

from matrix_appservice.client import AsyncHomeserverClient  # noqa: E402 - after the path set-up
from mautrix.appservice import AppServiceAPI  # noqa: E402
from mautrix.types import EventType, RoomID, UserID  # noqa: E402
from yarl import URL  # noqa: E402

from tests.interop.mautrix_peer import MemoryASStateStore  # noqa: E402

AS_TOKEN = "as_token_bench_0123456789"
BOT = "@benchbot:localhost"
ROOM = "!bench:localhost"
CONTENT = {"msgtype": "m.text", "body": "hello from the bridge"}
SEND_PATH = f"/_matrix/client/v3/rooms/{quote(ROOM, safe='')}/send/m.room.message/"
SENT_TO = unquote(SEND_PATH)

# --- the server ---------------------------------------------------------------------------

_POWER_LEVELS = orjson.dumps(
    {"users": {BOT: 100}, "users_default": 0, "events": {}, "events_default": 0,
     "state_default": 50}
)  # fmt: skip
_CREATE = orjson.dumps(
    {"type": "m.room.create", "state_key": "", "sender": BOT, "room_id": ROOM,
     "event_id": "$create", "origin_server_ts": 1, "content": {"room_version": "10", "creator": BOT}}
)  # fmt: skip


def _response(status: int, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class _Homeserver(asyncio.Protocol):
    """Just enough HTTP/1.1: keep-alive, bodies with Content-Length, one answer per request."""

    sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" not in headers and "transfer-encoding" in headers:
                self.transport.write(_response(501, b'{"error": "chunked bodies not served"}'))
                self.transport.close()
                return
            total = end + 4 + int(headers.get("content-length", 0))
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            method, target, _ = lines[0].split(" ", 2)
            self.transport.write(self.answer(method, target, headers))

    def answer(self, method: str, target: str, headers: dict[str, str]) -> bytes:
        raw_path, _, query = target.partition("?")
        path = unquote(raw_path)  # clients differ in which characters they percent-encode
        if headers.get("authorization") != f"Bearer {AS_TOKEN}" or "user_id=" not in query:
            return _response(401, b'{"errcode": "M_UNKNOWN_TOKEN", "error": "no identity"}')
        if method == "PUT" and path.startswith(SENT_TO):
            _Homeserver.sent += 1
            return _response(200, b'{"event_id": "$e%d"}' % _Homeserver.sent)
        if method == "GET" and "/state/m.room.power_levels" in path:
            return _response(200, _POWER_LEVELS)
        if method == "GET" and "/state/m.room.create" in path:
            return _response(200, _CREATE)
        # mautrix registers its bot and joins the room once before its first send.
        if method == "POST" and path.endswith("/register"):
            return _response(200, orjson.dumps({"user_id": BOT}))
        if method == "POST" and "/join/" in path:
            return _response(200, orjson.dumps({"room_id": ROOM}))
        return _response(404, b'{"errcode": "M_UNRECOGNIZED", "error": "not served here"}')


def serve(port: int, core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Homeserver, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(core: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, __file__, "--serve", str(port)]
    if core is not None:
        args += ["--core", str(core)]
    process = subprocess.Popen(args)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the bench server exited during start-up") from None
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the bench server did not listen within 10 s")


# --- the clients --------------------------------------------------------------------------

Send = Callable[[str], Awaitable[str]]


async def ours(base_url: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    client = AsyncHomeserverClient(base_url, AS_TOKEN)  # the default backend: aiohttp
    bot = client.as_user(BOT)

    async def send(txn_id: str) -> str:
        answer = await bot.send_message(ROOM, "m.room.message", txn_id, CONTENT)
        return answer.event_id

    return send, client.aclose


async def ours_httpx(base_url: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    client = AsyncHomeserverClient(base_url, AS_TOKEN, backend="httpx")
    bot = client.as_user(BOT)

    async def send(txn_id: str) -> str:
        answer = await bot.send_message(ROOM, "m.room.message", txn_id, CONTENT)
        return answer.event_id

    return send, client.aclose


async def httpx_orjson(base_url: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    client = httpx.AsyncClient(base_url=base_url)
    headers = {"Authorization": f"Bearer {AS_TOKEN}", "Content-Type": "application/json"}
    params = {"user_id": BOT}

    async def send(txn_id: str) -> str:
        response = await client.put(
            SEND_PATH + quote(txn_id, safe=""),
            params=params,
            content=orjson.dumps(CONTENT),
            headers=headers,
        )
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text}")
        return str(orjson.loads(response.content)["event_id"])

    return send, client.aclose


async def httpx_json(base_url: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    client = httpx.AsyncClient(base_url=base_url)
    headers = {"Authorization": f"Bearer {AS_TOKEN}"}
    params = {"user_id": BOT}

    async def send(txn_id: str) -> str:
        response = await client.put(
            SEND_PATH + quote(txn_id, safe=""), params=params, json=CONTENT, headers=headers
        )
        response.raise_for_status()
        return str(response.json()["event_id"])

    return send, client.aclose


async def aiohttp_orjson(base_url: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    session = aiohttp.ClientSession(base_url=base_url)
    headers = {"Authorization": f"Bearer {AS_TOKEN}", "Content-Type": "application/json"}
    params = {"user_id": BOT}

    async def send(txn_id: str) -> str:
        async with session.put(
            SEND_PATH + quote(txn_id, safe=""),
            params=params,
            data=orjson.dumps(CONTENT),
            headers=headers,
        ) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {body!r}")
            return str(orjson.loads(body)["event_id"])

    return send, session.close


async def mautrix(base_url: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    session = aiohttp.ClientSession()
    api = AppServiceAPI(
        base_url=URL(base_url),
        bot_mxid=UserID(BOT),
        token=AS_TOKEN,
        log=logging.getLogger("bench.mautrix"),
        state_store=MemoryASStateStore(),
        client_session=session,
    )
    intent = api.bot_intent()
    room = RoomID(ROOM)

    async def send(txn_id: str) -> str:
        return str(
            await intent.send_message_event(room, EventType.ROOM_MESSAGE, CONTENT, txn_id=txn_id)
        )

    return send, session.close


OURS = "matrix_appservice AsyncHomeserverClient (default: aiohttp)"
FLOOR = "aiohttp by hand, orjson (the floor)"
MAUTRIX = "mautrix IntentAPI.send_message_event"
CLIENTS: dict[str, Callable[[str], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]] = {
    FLOOR: aiohttp_orjson,
    OURS: ours,
    MAUTRIX: mautrix,
    'matrix_appservice AsyncHomeserverClient (backend="httpx")': ours_httpx,
    "httpx by hand, orjson": httpx_orjson,
    "httpx by hand, json= / .json()": httpx_json,
}


async def calls_per_second(
    send: Send, calls: int, concurrency: int, tag: str
) -> tuple[float, float]:
    """Calls per second, and the CPU time of this process per call in µs (the server is
    another process: this is the client's own cost, which the machine's load moves less)."""
    per_worker = calls // concurrency

    async def worker(w: int) -> None:
        for i in range(per_worker):
            await send(f"{tag}.{w}.{i}")

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    done = per_worker * concurrency
    cpu_us = (time.process_time() - cpu) / done * 1e6
    return done / (time.perf_counter() - start), cpu_us


Rounds = dict[str, dict[int, list[tuple[float, float]]]]
"""Per client and calls in flight, each round's calls per second and CPU µs per call."""


async def measure(
    base_url: str, calls: int, repeat: int, levels: list[int], only: list[str]
) -> tuple[dict[str, dict[int, float]], Rounds]:
    chosen = {n: m for n, m in CLIENTS.items() if n == FLOOR or any(w in n for w in only)}
    clients = {name: await make(base_url) for name, make in chosen.items()}
    try:
        for name, (send, _) in clients.items():  # warm up, and check every client's answer
            assert (await send(f"warm.{name}")).startswith("$e"), name
            await calls_per_second(send, min(calls, 300), max(levels), f"warm.{name}")
        best: dict[str, dict[int, float]] = {name: dict.fromkeys(levels, 0.0) for name in clients}
        rounds: Rounds = {name: {level: [] for level in levels} for name in clients}
        names = list(clients)
        for r in range(repeat):
            turn = names[r % len(names) :] + names[: r % len(names)]  # no one always goes first
            for level in levels:
                for name in turn:
                    gc.collect()  # nobody pays for the garbage of the one before
                    send = clients[name][0]
                    rate, cpu = await calls_per_second(send, calls, level, f"{r}.{level}.{name}")
                    best[name][level] = max(best[name][level], rate)
                    rounds[name][level].append((rate, cpu))
        return best, rounds
    finally:
        for _, close in clients.values():
            await close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per client per repeat")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--concurrency", default="1,16", help="calls in flight, comma-separated")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--only", default="", help="comma-separated words: only the clients whose name has one"
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.core)
        return 0

    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = (cores[0], cores[1]) if len(cores) >= 2 else (None, None)
    levels = [int(n) for n in args.concurrency.split(",")]
    process, base_url = start_server(server_core)
    try:
        if client_core is not None:
            os.sched_setaffinity(0, {client_core})
        only = [w for w in args.only.split(",") if w] or [""]
        best, rounds = asyncio.run(measure(base_url, args.calls, args.repeat, levels, only))
    finally:
        process.terminate()
        process.wait(timeout=10)

    if args.json:
        figures = {"calls_per_second": best, "rounds": rounds, "cores": [server_core, client_core]}
        print(json.dumps(figures, indent=2))
        return 0
    floor = best[FLOOR]
    print(f"| client | {' | '.join(f'{n} in flight' for n in levels)} |")
    print("|---|" + "---|" * len(levels))
    for name, row in best.items():
        cells = " | ".join(f"{row[n]:,.0f} calls/s x{row[n] / floor[n]:.2f}" for n in levels)
        print(f"| {name} | {cells} |")
    for line in goals(best, levels):
        print(line)
    for line in spread(rounds, levels):
        print(line)
    if server_core is None:
        print("(one core only: server and clients were not pinned apart)")
    return 0


def goals(best: dict[str, dict[int, float]], levels: list[int]) -> list[str]:
    """The default client against mautrix's ``IntentAPI`` and against aiohttp by hand."""
    lines = []
    for other, goal in ((MAUTRIX, 1.0), (FLOOR, 0.95)):
        if OURS in best and other in best:
            for n in levels:
                rate = best[OURS][n] / best[other][n]
                met = "met" if rate >= goal else "NOT met"
                lines.append(
                    f"{OURS}: {n} in flight {rate:.2f}x {other} (goal >= {goal:.2f}: {met})"
                )
    return lines


def spread(rounds: Rounds, levels: list[int]) -> list[str]:
    """How much the figures behind the goals move: the default client's rate over the
    floor's, round by round (the two ran one after the other in each round), and the CPU
    time per call of each."""
    if OURS not in rounds or FLOOR not in rounds:
        return []
    lines = []
    for n in levels:
        ours, floor = rounds[OURS][n], rounds[FLOOR][n]
        ratios = sorted(o[0] / f[0] for o, f in zip(ours, floor, strict=True))
        cpu_ours = sorted(c for _, c in ours)
        cpu_floor = sorted(c for _, c in floor)
        lines.append(
            f"{n} in flight, {len(ratios)} rounds: rate over the floor's in the same round "
            f"median {statistics.median(ratios):.2f}x (min {ratios[0]:.2f}, max {ratios[-1]:.2f}); "
            f"CPU per call {cpu_ours[0]:.0f} µs against {cpu_floor[0]:.0f} by hand (least, "
            f"{cpu_floor[0] / cpu_ours[0]:.2f}x), median {statistics.median(cpu_ours):.0f} "
            f"against {statistics.median(cpu_floor):.0f} "
            f"({statistics.median(cpu_floor) / statistics.median(cpu_ours):.2f}x)"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
