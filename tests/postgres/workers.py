"""Server workers for the tests: a handler that counts its calls in PostgreSQL, and launchers.

The handler records each call in a table of the shared database before it does anything
else, so the count covers every worker process. Transaction IDs steer it: ``fail-...`` fails
its first call, ``slow-...`` takes a minute on its first call; every call takes
``APPSERVICE_TEST_DELAY`` seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from matrix_appservice.registration import load_registration
from matrix_appservice.server import (
    AppServiceApp,
    AppServiceHandler,
    IncomingTransaction,
    PostgresTransactionStore,
    create_app,
)
from psycopg import sql

REPO = Path(__file__).resolve().parents[2]

ENV_DSN = "APPSERVICE_TEST_DSN"
ENV_CALLS = "APPSERVICE_TEST_CALLS"
ENV_DELAY = "APPSERVICE_TEST_DELAY"
ENV_REGISTRATION = "APPSERVICE_TEST_REGISTRATION"
ENV_LEASE = "APPSERVICE_TEST_LEASE"


class CountingHandler(AppServiceHandler):
    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        table = sql.Identifier(os.environ[ENV_CALLS])
        async with await psycopg.AsyncConnection.connect(
            os.environ[ENV_DSN], autocommit=True
        ) as conn:
            cur = await conn.execute(
                sql.SQL(
                    "INSERT INTO {t} (txn_id, pid) VALUES (%s, %s)"
                    " RETURNING (SELECT count(*) FROM {t} WHERE txn_id = %s)"
                ).format(t=table),
                (transaction.txn_id, os.getpid(), transaction.txn_id),
            )
            row = await cur.fetchone()
        first = row is not None and row[0] == 0
        await asyncio.sleep(float(os.environ.get(ENV_DELAY, "0")))
        if first and transaction.txn_id.startswith("slow-"):
            await asyncio.sleep(60)
        if first and transaction.txn_id.startswith("fail-"):
            raise RuntimeError("the first delivery fails")


def short_lease_app() -> AppServiceApp:
    """The app with a PostgreSQL store whose lease is short (``factory_command`` serves it)."""
    registration = load_registration(os.environ[ENV_REGISTRATION])
    store = PostgresTransactionStore(
        os.environ[ENV_DSN], scope=registration.model.id, lease=float(os.environ[ENV_LEASE])
    )
    return create_app(registration, CountingHandler(), store=store)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_worker(command: list[str], env: dict[str, str], log: Path, port: int) -> Worker:
    """Start a worker process on 127.0.0.1:``port`` and wait until it accepts connections."""
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join([str(REPO / "runtime"), str(REPO)]),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *command], cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    worker = Worker(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited during start-up:\n{worker.log_tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return worker
        except OSError:
            time.sleep(0.1)
    worker.stop()
    raise RuntimeError(f"worker did not listen within 60 s:\n{worker.log_tail()}")


def serve_command(registration: Path, port: int, dsn_uri: str) -> list[str]:
    """``matrix-appservice serve`` with the PostgreSQL store given as a URI."""
    return [
        "-m", "matrix_appservice", "serve", "tests.postgres.workers:CountingHandler",
        "--registration", str(registration), "--host", "127.0.0.1", "--port", str(port),
        "--store", dsn_uri,
    ]  # fmt: skip


def factory_command(port: int) -> list[str]:
    """:func:`short_lease_app` served from code with ``run_app`` (granian), as a program
    that builds its own app would serve it."""
    return ["-m", "tests.postgres.workers", str(port)]


if __name__ == "__main__":
    from matrix_appservice.server import run_app

    run_app(short_lease_app(), "127.0.0.1", int(sys.argv[1]))
