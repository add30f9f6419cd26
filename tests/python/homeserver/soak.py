"""The exactly-once soak: our pusher and our appservice server, both restarted at random.

The appservice is a real ``matrix-appservice serve`` process on a loopback port with an
SQLite transaction store and :mod:`.soak_handler`; it is SIGKILL'd and started again at
random moments. The pusher is stopped mid-work (its workers cancelled, as in a crash) and a
new one opened on the same file at random moments too. At the end every pushed event must
have been handled exactly once, in the order pushed. Used by ``test_soak.py`` (a few hundred
transactions) and ``bench/soak.py`` (10,000 events).
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from matrix_appservice.client import AsyncAppServiceClient, RetryPolicy
from matrix_appservice.homeserver.pusher import Pusher

from .soak_handler import open_record

ROOT = Path(__file__).resolve().parents[3]
HANDLER = "tests.python.homeserver.soak_handler:SoakHandler"


@dataclass
class Figures:
    events: int
    transactions: int
    appservice_restarts: int
    pusher_restarts: int
    lost: int
    duplicated: int
    in_order: bool
    redeliveries: int
    """Calls of the handler for a transaction it had already committed (a kill between its
    commit and the server's record of the ID)."""
    wall: float

    def lines(self) -> list[str]:
        return [
            f"events:               {self.events}",
            f"transactions:         {self.transactions}",
            f"appservice restarts:  {self.appservice_restarts} (SIGKILL)",
            f"pusher restarts:      {self.pusher_restarts}",
            f"lost:                 {self.lost}",
            f"duplicated:           {self.duplicated}",
            f"in order:             {'yes' if self.in_order else 'NO'}",
            f"handler re-deliveries after a kill: {self.redeliveries}",
            f"wall time:            {self.wall:.1f} s",
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Appservice:
    """The ``matrix-appservice serve`` process, started, killed and started again."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.port = port
        self.registration = workdir / "registration.yaml"
        self.record = workdir / "handled.sqlite3"
        self.store = workdir / "transactions.sqlite3"
        self.log = workdir / "appservice.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        path = os.pathsep.join([str(ROOT / "runtime"), str(ROOT)])
        env = {**os.environ, "SOAK_RECORD": str(self.record), "PYTHONPATH": path}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "matrix_appservice", "serve", HANDLER,
                    "--registration", str(self.registration), "--store", f"sqlite:{self.store}",
                    "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                ],
                cwd=ROOT, env=env, stdout=log, stderr=log,
            )  # fmt: skip

    async def ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"the appservice exited; see {self.log}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.02)
        raise TimeoutError(f"the appservice did not listen within {timeout} s; see {self.log}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def write_registration(path: Path, port: int) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "id": "soak",
                "url": f"http://127.0.0.1:{port}",
                "as_token": "soak-as-token",
                "hs_token": "soak-hs-token",
                "sender_localpart": "soakbot",
                "namespaces": {"users": [{"regex": "@soak_.*:soak\\.test", "exclusive": True}]},
            }
        )
    )


def soak_event(n: int) -> dict[str, object]:
    return {
        "event_id": f"$soak{n}",
        "room_id": "!soak:soak.test",
        "sender": "@soak_user:soak.test",
        "type": "m.room.message",
        "origin_server_ts": 1_700_000_000_000 + n,
        "content": {"msgtype": "m.text", "body": f"soak {n}"},
    }


async def run_soak(
    workdir: Path,
    *,
    events: int,
    pace: float,
    kill_every: tuple[float, float],
    pusher_restart_chance: float,
    seed: int = 0,
) -> Figures:
    """Push ``events`` events in small groups (a random wait of up to ``2 * pace`` seconds
    between groups), kill the appservice after a random time in ``kill_every`` seconds from
    its start, and restart the pusher with probability ``pusher_restart_chance`` per group."""
    rng = random.Random(seed)
    port = free_port()
    appservice = Appservice(workdir, port)
    write_registration(appservice.registration, port)
    store_path = workdir / "pusher.sqlite3"
    factory = functools.partial(AsyncAppServiceClient, timeout=10.0)
    retry = RetryPolicy(initial=0.02, factor=2.0, cap=0.25)

    def new_pusher() -> Pusher:
        return Pusher(
            [appservice.registration], store_path=store_path, client_factory=factory, retry=retry
        )

    started = time.monotonic()
    appservice.start()
    producing = True

    async def chaos() -> None:
        while producing:
            await appservice.ready()
            await asyncio.sleep(rng.uniform(*kill_every))
            if not producing:
                return
            appservice.kill()
            await asyncio.sleep(rng.uniform(0, 0.05))
            appservice.start()

    pusher = new_pusher()
    await pusher.start()
    pusher_restarts = 0
    chaos_task = asyncio.create_task(chaos())
    try:
        n = 0
        while n < events:
            for _ in range(rng.randint(1, 5)):
                if n < events:
                    pusher.push(soak_event(n))
                    n += 1
            await asyncio.sleep(rng.uniform(0, 2 * pace))
            if rng.random() < pusher_restart_chance:
                await pusher.stop()
                pusher = new_pusher()
                await pusher.start()
                pusher_restarts += 1
        producing = False
        await chaos_task
        if appservice.proc is None or appservice.proc.poll() is not None:
            appservice.start()
        await appservice.ready()
        await pusher.drain(120)
        transactions = pusher.last_txn_id("soak")
    finally:
        producing = False
        chaos_task.cancel()
        await asyncio.gather(chaos_task, return_exceptions=True)
        await pusher.stop()
        appservice.stop()
    wall = time.monotonic() - started

    record = open_record(str(appservice.record))
    try:
        handled = [row[0] for row in record.execute("SELECT event_id FROM handled ORDER BY seq")]
        calls = record.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        done = record.execute("SELECT COUNT(*) FROM done").fetchone()[0]
    finally:
        record.close()
    expected = [f"$soak{i}" for i in range(events)]
    distinct = set(handled)
    return Figures(
        events=events,
        transactions=transactions,
        appservice_restarts=appservice.kills,
        pusher_restarts=pusher_restarts,
        lost=len(set(expected) - distinct),
        duplicated=len(handled) - len(distinct),
        in_order=handled == expected,
        redeliveries=int(calls) - int(done),
        wall=wall,
    )
