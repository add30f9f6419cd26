"""Where the server remembers which transactions it has handled, so each is handled once.

A store answers three questions about a transaction ID: is it new (the caller now owns it),
is someone handling it right now, or was it handled already (and with what answer). The
protocol is the same for every backend:

``claim(txn_id, fingerprint)``
    :data:`NEW` (the caller must handle it, then call ``complete`` or ``release``),
    :data:`IN_PROGRESS` (another request is handling it: ``wait``, then claim again) or a
    :class:`Claim` in state ``done`` carrying the stored answer and the fingerprint it was
    stored under.
``complete(txn_id, fingerprint, answer)``
    the transaction was handled; remember the answer.
``release(txn_id)``
    handling failed; forget the claim so that the homeserver's retry handles it afresh.
``wait(txn_id, timeout)``
    return when a claim on ``txn_id`` may have changed (or after ``timeout`` seconds).
``prune(now)``
    forget answers older than the retention, and the oldest beyond its size.

Exactly once, by transaction ID
-------------------------------
The key is the transaction ID alone. The homeserver picks the ID to make the call
idempotent, and re-sends the same events under it until it gets an answer; so the first
body handled under an ID wins, and every later copy gets the recorded answer whatever its
body, including copies that arrive while the first is still being handled. A handler
therefore never runs twice for one ID, even when two different bodies race each other.

The ``fingerprint`` (the server uses a digest of the event IDs, which a genuine retry keeps)
is stored with the answer only to recognise a copy with other events. Such a copy is a
homeserver fault (it reused an ID for another batch): the server logs it, with the ID, and
answers with the recorded answer, so the homeserver moves on; its events are not handled.
Handling it instead would mean running the handler twice for one ID, and would let two
racing bodies both run.

Two backends live here: :class:`MemoryStore` (one process, lost on restart) and
:class:`SQLiteStore` (one process, kept on disk). The third,
:class:`~matrix_appservice.server._postgres.PostgresTransactionStore` (several workers sharing
one PostgreSQL database, extra ``[postgres]``), keeps the claims in progress in the database
too, with a lease after which a crashed worker's claim is taken over.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "IN_PROGRESS",
    "NEW",
    "Claim",
    "MemoryStore",
    "Retention",
    "SQLiteStore",
    "TransactionStore",
    "describe_store",
    "open_store",
]


@dataclass(frozen=True)
class Retention:
    """How long handled transaction IDs are remembered.

    The defaults keep an ID for 7 days and at most 100,000 IDs. A homeserver re-sends a
    transaction only until it gets an answer (Synapse retries with a backoff capped at about
    8.5 minutes), so a week covers a long outage on either side with room to spare.
    """

    max_age: float = 7 * 24 * 3600.0
    """Seconds after which a handled ID is forgotten."""
    max_entries: int = 100_000
    """The most IDs kept; the oldest go first."""
    prune_every: float = 3600.0
    """How often (seconds) the server prunes the store."""

    def __post_init__(self) -> None:
        if self.max_age <= 0 or self.max_entries <= 0 or self.prune_every <= 0:
            raise ValueError("retention values must be positive")


@dataclass(frozen=True)
class Claim:
    """The answer of :meth:`TransactionStore.claim`."""

    state: Literal["new", "in_progress", "done"]
    answer: bytes | None = None
    """For ``done``: the body that was sent when the transaction was handled."""
    fingerprint: str | None = field(default=None, compare=False)
    """For ``done``: the fingerprint of the body that was handled (``None`` when unknown)."""


NEW = Claim("new")
IN_PROGRESS = Claim("in_progress")


class TransactionStore(ABC):
    """The exactly-once bookkeeping of one appservice (see the module docstring)."""

    retention: Retention

    @abstractmethod
    async def claim(self, txn_id: str, fingerprint: str) -> Claim: ...

    @abstractmethod
    async def complete(self, txn_id: str, fingerprint: str, answer: bytes) -> None: ...

    @abstractmethod
    async def release(self, txn_id: str) -> None: ...

    @abstractmethod
    async def wait(self, txn_id: str, timeout: float) -> None: ...

    @abstractmethod
    async def prune(self, now: float | None = None) -> int:
        """Forget what the retention no longer covers; return how many IDs went."""

    @abstractmethod
    async def close(self) -> None:
        """Release files and connections (the store is unusable afterwards)."""


class _InFlight:
    """Claims in progress in this process; an event is made only when someone waits."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event | None] = {}

    def busy(self, txn_id: str) -> bool:
        return txn_id in self._events

    def take(self, txn_id: str) -> None:
        self._events[txn_id] = None

    def drop(self, txn_id: str) -> None:
        event = self._events.pop(txn_id, None)
        if event is not None:
            event.set()

    async def wait(self, txn_id: str, timeout: float) -> None:
        if txn_id not in self._events:
            return
        event = self._events[txn_id]
        if event is None:
            event = self._events[txn_id] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass


class MemoryStore(TransactionStore):
    """Handled IDs in a dict: fast, for one process, forgotten on restart."""

    def __init__(self, retention: Retention | None = None) -> None:
        self.retention = retention or Retention()
        self._done: OrderedDict[str, tuple[str, bytes, float]] = OrderedDict()
        self._flight = _InFlight()

    def claim_nowait(self, txn_id: str, fingerprint: str) -> Claim:
        """:meth:`claim` without a coroutine: the memory store never waits to answer."""
        if self._flight.busy(txn_id):
            return IN_PROGRESS
        done = self._done.get(txn_id)
        if done is not None:
            return Claim("done", done[1], done[0])
        self._flight.take(txn_id)
        return NEW

    def complete_nowait(self, txn_id: str, fingerprint: str, answer: bytes) -> None:
        """:meth:`complete` without a coroutine."""
        self._done.setdefault(txn_id, (fingerprint, answer, time.time()))  # the first stays
        while len(self._done) > self.retention.max_entries:
            self._done.popitem(last=False)
        self._flight.drop(txn_id)

    async def claim(self, txn_id: str, fingerprint: str) -> Claim:
        return self.claim_nowait(txn_id, fingerprint)

    async def complete(self, txn_id: str, fingerprint: str, answer: bytes) -> None:
        self.complete_nowait(txn_id, fingerprint, answer)

    async def release(self, txn_id: str) -> None:
        self._flight.drop(txn_id)

    async def wait(self, txn_id: str, timeout: float) -> None:
        await self._flight.wait(txn_id, timeout)

    async def close(self) -> None:
        self._done.clear()

    async def prune(self, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - self.retention.max_age
        gone = 0
        while self._done:
            oldest = next(iter(self._done.values()))
            if oldest[2] >= cutoff and len(self._done) <= self.retention.max_entries:
                break
            self._done.popitem(last=False)
            gone += 1
        return gone

    def __len__(self) -> int:
        return len(self._done)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS handled_transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    answer BLOB NOT NULL,
    handled_at REAL NOT NULL,
    UNIQUE (scope, txn_id)
);
CREATE INDEX IF NOT EXISTS handled_transactions_age ON handled_transactions (handled_at);
"""


class SQLiteStore(TransactionStore):
    """Handled IDs in an SQLite file: kept across restarts, for one process.

    Writes run on one background thread, so the event loop never waits for the disk; reads
    (one indexed lookup per new transaction) run inline on a second connection, which the
    write-ahead log keeps from blocking on writes. ``scope`` (the registration's ``id``)
    lets several appservices share one file. The file is written in WAL mode with
    ``synchronous=NORMAL``: an answer survives a crash of the process; a power loss may lose
    the last few, and then the homeserver's retry of those is handled a second time.

    Claims in progress live in memory: two processes on the same file would each handle a
    transaction. Use one process per file (a shared database store is for several workers).
    """

    def __init__(
        self, path: str | Path, *, scope: str = "", retention: Retention | None = None
    ) -> None:
        self.path = Path(path)
        self.scope = scope
        self.retention = retention or Retention()
        self._flight = _InFlight()
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="appservice-store")
        try:
            self._write = self._connect()
            self._write.executescript(_SCHEMA)
            self._read = self._connect()
        except sqlite3.Error as exc:
            self._writer_thread.shutdown(wait=False)
            raise OSError(f"cannot open the transaction store {self.path}: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        # Each connection is used from one thread only: the writer's, or the event loop's.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    async def _in_thread(self, sql: str, args: tuple[object, ...]) -> int:
        def run() -> int:
            return self._write.execute(sql, args).rowcount

        return await asyncio.get_running_loop().run_in_executor(self._writer_thread, run)

    async def claim(self, txn_id: str, fingerprint: str) -> Claim:
        if self._flight.busy(txn_id):
            return IN_PROGRESS
        row = self._read.execute(
            "SELECT fingerprint, answer FROM handled_transactions WHERE scope = ? AND txn_id = ?",
            (self.scope, txn_id),
        ).fetchone()
        if row is not None:
            return Claim("done", bytes(row[1]), row[0])
        self._flight.take(txn_id)
        return NEW

    async def complete(self, txn_id: str, fingerprint: str, answer: bytes) -> None:
        try:
            await self._in_thread(
                "INSERT INTO handled_transactions (scope, txn_id, fingerprint, answer, handled_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, txn_id) DO NOTHING",
                (self.scope, txn_id, fingerprint, answer, time.time()),
            )
        finally:
            self._flight.drop(txn_id)

    async def release(self, txn_id: str) -> None:
        self._flight.drop(txn_id)

    async def wait(self, txn_id: str, timeout: float) -> None:
        await self._flight.wait(txn_id, timeout)

    async def prune(self, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - self.retention.max_age
        old = await self._in_thread(
            "DELETE FROM handled_transactions WHERE scope = ? AND handled_at < ?",
            (self.scope, cutoff),
        )
        extra = await self._in_thread(
            "DELETE FROM handled_transactions WHERE scope = ? AND seq NOT IN (SELECT seq FROM"
            " handled_transactions WHERE scope = ? ORDER BY seq DESC LIMIT ?)",
            (self.scope, self.scope, self.retention.max_entries),
        )
        return old + extra

    def count(self) -> int:
        """How many handled IDs of this scope the file holds."""
        row = self._read.execute(
            "SELECT count(*) FROM handled_transactions WHERE scope = ?", (self.scope,)
        ).fetchone()
        return int(row[0])

    async def close(self) -> None:
        def shut() -> None:
            self._write.close()

        await asyncio.get_running_loop().run_in_executor(self._writer_thread, shut)
        self._writer_thread.shutdown(wait=True)
        self._read.close()


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def describe_store(spec: str) -> str:
    """``spec`` fit for logs and messages: a password in a URI becomes ``***``."""
    if "://" not in spec:
        return spec
    scheme, _, rest = spec.partition("://")
    authority, sep, tail = rest.partition("/")
    if "@" in authority:
        user, _, hosts = authority.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        authority = f"{user}@{hosts}"
    tail = re.sub(r"(?i)(^|[?&])(password=)[^&#]*", r"\1\2***", tail)
    return f"{scheme}://{authority}{sep}{tail}"


def open_store(
    spec: str, *, scope: str = "", retention: Retention | None = None
) -> TransactionStore:
    """A store from a short description: ``memory``, ``sqlite:PATH`` or a PostgreSQL URI.

    ``postgresql://USER@HOST:PORT/DATABASE`` (or ``postgres://``) opens a
    :class:`~matrix_appservice.server._postgres.PostgresTransactionStore` with its defaults;
    it needs the ``[postgres]`` extra. libpq reads a password from ``PGPASSWORD`` or
    ``~/.pgpass`` as well as from the URI.
    """
    if spec == "memory":
        return MemoryStore(retention)
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        return SQLiteStore(spec[len("sqlite:") :], scope=scope, retention=retention)
    if spec.startswith(_POSTGRES_SCHEMES):
        from matrix_appservice.server._postgres import PostgresTransactionStore

        return PostgresTransactionStore(spec, scope=scope, retention=retention)
    raise ValueError(
        f"unknown store {describe_store(spec)!r}: use 'memory', 'sqlite:PATH' or "
        "'postgresql://USER@HOST:PORT/DATABASE'"
    )
