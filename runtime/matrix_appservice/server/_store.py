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
import contextlib
import functools
import logging
import re
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

__all__ = [
    "IN_PROGRESS",
    "NEW",
    "Claim",
    "MemoryStore",
    "Retention",
    "SQLiteStore",
    "SQLiteSync",
    "TransactionStore",
    "describe_store",
    "open_store",
]


_LOG = logging.getLogger("matrix_appservice.server")
_T = TypeVar("_T")


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

    def complete_nowait(self, txn_id: str, fingerprint: str, answer: bytes) -> bool:
        """:meth:`complete` without a coroutine (always done: True)."""
        self._done.setdefault(txn_id, (fingerprint, answer, time.time()))  # the first stays
        while len(self._done) > self.retention.max_entries:
            self._done.popitem(last=False)
        self._flight.drop(txn_id)
        return True

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
    seq INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    answer BLOB NOT NULL,
    handled_at REAL NOT NULL
);
"""
"""One b-tree in the order of writing, without an index: a commit appends to its last page
(an index on the IDs would change a page of its own for every ID, wherever it sorts), and
the store keeps each ID's ``seq`` in memory to find its row. (Files made by earlier versions
also have a unique index on the IDs and an index on ``handled_at``: the same statements
serve them.)"""


SQLiteSync = Literal["normal", "full"]
"""How far an SQLite store's commit goes before the answer is sent: see :class:`SQLiteStore`."""

_CHECKPOINT_EVERY = 1000
"""Commits between two copies of the write-ahead log into the file (``sync="normal"``)."""
_PRUNE_CHUNK = 500
"""Rows deleted per statement when pruning, so that no statement holds the file for long."""


class SQLiteStore(TransactionStore):
    """Handled IDs in an SQLite file: kept across restarts, for one process.

    The file is in WAL mode. ``scope`` (the registration's ``id``) lets several appservices
    share one file. ``sync`` says how far a commit goes before the answer is sent:

    ``"normal"`` (the default)
        The commit is written to the log (SQLite's ``synchronous=NORMAL``): it is in the
        operating system's hands, not yet on the disk. It survives the process being killed
        (``kill -9``, a crash, an out-of-memory kill); an operating-system crash or a power
        loss may lose the last commits, and the homeserver's retry of those transactions is
        then handled a second time. The commit is quick enough to run on the event loop, as
        the transaction completes (no thread hop, no wake-up after it): a row appended to
        the last page. Every thousand commits, the log is copied into the file (and flushed
        to the disk) on a background thread.
    ``"full"``
        The log is flushed to the disk at every commit (``synchronous=FULL``): an answered
        transaction also survives an operating-system crash or a power loss (on a disk that
        honours flushes). Commits run on a background thread, concurrent ones in one flush;
        each transaction waits for its flush.

    The IDs the file holds for ``scope`` are also kept in memory (read when the store
    opens), so that a new ID is known to be new without a query. Claims in progress live in
    memory too: two processes on the same file would each handle a transaction. Use one
    process per file (a shared database store is for several workers).
    """

    def __init__(
        self, path: str | Path, *, scope: str = "", retention: Retention | None = None,
        sync: SQLiteSync = "normal",
    ) -> None:  # fmt: skip
        if sync not in ("normal", "full"):
            raise ValueError(f"sync must be 'normal' or 'full', not {sync!r}")
        self.path = Path(path)
        self.scope = scope
        self.sync: SQLiteSync = sync
        self.retention = retention or Retention()
        self._flight = _InFlight()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="appservice-store")
        self._commits = 0
        self._copying: asyncio.Task[None] | None = None
        self._paused: asyncio.Future[None] | None = None
        self._pending: list[tuple[tuple[object, ...], asyncio.Future[int | None]]] = []
        self._flushing = False
        self._lock = threading.Lock()
        try:
            # ``_db`` serves the event loop (every read; every write with sync="normal"),
            # ``_background`` the store's thread (checkpoints, pruning's reads; every write
            # with sync="full").
            self._db = self._connect(autocheckpoint=sync == "full")
            self._db.executescript(_SCHEMA)
            self._background = self._connect(autocheckpoint=True)
            rows = self._db.execute(
                "SELECT txn_id, seq FROM handled_transactions WHERE scope = ?", (scope,)
            )
            # Each handled ID and its row (None: look it up by the ID).
            self._handled: dict[str, int | None] = dict(rows.fetchall())
        except sqlite3.Error as exc:
            self._thread.shutdown(wait=False)
            raise OSError(f"cannot open the transaction store {self.path}: {exc}") from None

    def _connect(self, *, autocheckpoint: bool) -> sqlite3.Connection:
        # Each connection is used from one thread at a time: the event loop's or the store's.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.sync.upper()}")
        if not autocheckpoint:  # the store's thread checkpoints instead
            conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def claim_nowait(self, txn_id: str, fingerprint: str) -> Claim:
        """:meth:`claim` without a coroutine: a claim reads at most one row, on the loop."""
        if self._flight.busy(txn_id):
            return IN_PROGRESS
        if txn_id in self._handled:
            seq = self._handled[txn_id]
            row = (
                self._db.execute(_BY_SEQ, (seq, self.scope, txn_id))
                if seq is not None
                else self._db.execute(_BY_ID, (self.scope, txn_id))
            ).fetchone()
            if row is not None:
                return Claim("done", bytes(row[1]), row[0])
        self._flight.take(txn_id)
        return NEW

    async def claim(self, txn_id: str, fingerprint: str) -> Claim:
        return self.claim_nowait(txn_id, fingerprint)

    def complete_nowait(self, txn_id: str, fingerprint: str, answer: bytes) -> bool:
        """:meth:`complete` without a coroutine when it needs no wait (``sync="normal"``,
        the log not being copied): True once done; False (nothing done) when the caller must
        await :meth:`complete` instead."""
        if self.sync == "full" or self._is_paused():
            return False
        try:
            self._handled[txn_id] = self._commit(
                (self.scope, txn_id, fingerprint, answer, time.time())
            )
        finally:
            self._flight.drop(txn_id)
        return True

    async def complete(self, txn_id: str, fingerprint: str, answer: bytes) -> None:
        row = (self.scope, txn_id, fingerprint, answer, time.time())
        try:
            if self.sync == "full":
                seq = await self._flushed(row)
            else:
                # At once, on the event loop, before the answer: a commit that stops at the
                # operating system costs less than a thread hop or a wake-up after a batch.
                while self._is_paused():  # the log is being copied: after that
                    assert self._paused is not None
                    await asyncio.wait([self._paused])
                seq = self._commit(row)
            self._handled[txn_id] = seq
        finally:
            self._flight.drop(txn_id)

    def _commit(self, row: tuple[object, ...]) -> int | None:
        """Append ``row`` and commit it, on the event loop; its row number."""
        seq = _insert(self._db, [row])[0]
        self._committed(1)
        return seq

    def _is_paused(self) -> bool:
        return self._paused is not None and not self._paused.done()

    def _committed(self, commits: int) -> None:
        self._commits += commits
        if self._commits >= _CHECKPOINT_EVERY and self._copying is None:
            self._commits = 0
            self._copying = asyncio.get_running_loop().create_task(self._copy_log())

    def _in_thread(self, work: Callable[[], _T]) -> asyncio.Future[_T]:
        return asyncio.get_running_loop().run_in_executor(self._thread, work)

    def _checkpoint_now(self) -> None:
        self._background.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def _copy_log(self) -> None:
        """Copy the log into the file (``sync="normal"``), on the store's thread: the bulk
        while commits go on, then what they added while commits wait, so that the copy
        catches up with the log and the next commit starts the log afresh (it would
        otherwise grow for as long as commits keep coming)."""
        try:
            await self._in_thread(self._checkpoint_now)
            self._paused = self._in_thread(self._checkpoint_now)
            await self._paused
        except sqlite3.Error as exc:
            _LOG.warning("copying the log of the transaction store %s failed: %s", self.path, exc)
        finally:
            self._paused = self._copying = None

    async def _flushed(self, row: tuple[object, ...]) -> int | None:
        """Insert ``row`` on the store's thread, with every row that comes meanwhile, in one
        transaction and one flush; its ``seq`` once it is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int | None] = loop.create_future()
        with self._lock:
            self._pending.append((row, done))
            start = not self._flushing
            self._flushing = True
        if start:
            loop.run_in_executor(self._thread, self._flush, loop)
        return await done

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._flushing = False
                    return
            seqs: list[int | None] = []
            error: BaseException | None = None
            try:
                seqs = _insert(self._background, [row for row, _ in batch])
            except Exception as exc:
                error = exc
            loop.call_soon_threadsafe(_settle, [done for _, done in batch], seqs, error)

    async def release(self, txn_id: str) -> None:
        self._flight.drop(txn_id)

    async def wait(self, txn_id: str, timeout: float) -> None:
        await self._flight.wait(txn_id, timeout)

    def _doomed(self, cutoff: float) -> list[tuple[int, str]]:
        """The rows (``seq`` and ID) the retention no longer covers, read on the store's
        thread: older than ``cutoff``, or beyond the newest ``max_entries``."""
        rows = self._background.execute(
            "SELECT seq, txn_id FROM handled_transactions WHERE scope = ? AND (handled_at < ?"
            " OR seq NOT IN (SELECT seq FROM handled_transactions WHERE scope = ?"
            " ORDER BY seq DESC LIMIT ?))",
            (self.scope, cutoff, self.scope, self.retention.max_entries),
        )
        return [(int(seq), txn_id) for seq, txn_id in rows]

    async def prune(self, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - self.retention.max_age
        doomed = await self._in_thread(functools.partial(self._doomed, cutoff))
        gone = 0
        for start in range(0, len(doomed), _PRUNE_CHUNK):
            # In chunks: the event loop (or the commits) wait for one chunk at most.
            chunk = doomed[start : start + _PRUNE_CHUNK]
            keys = [(seq,) for seq, _ in chunk]
            if self.sync == "normal":
                while self._is_paused():
                    assert self._paused is not None
                    await asyncio.wait([self._paused])
                gone += _delete(self._db, keys)
            else:
                gone += await self._in_thread(functools.partial(_delete, self._background, keys))
            for seq, txn_id in chunk:
                if self._handled.get(txn_id, seq) in (seq, None):  # not handled again since
                    self._handled.pop(txn_id, None)
            await asyncio.sleep(0)
        return gone

    @property
    def synchronous(self) -> str:
        """The ``synchronous`` level SQLite applies to this store's commits, as SQLite
        reports it on the connection that commits: ``"NORMAL"`` or ``"FULL"``."""
        committer = self._background if self.sync == "full" else self._db
        level = int(committer.execute("PRAGMA synchronous").fetchone()[0])
        return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(level, str(level))

    def count(self) -> int:
        """How many handled IDs of this scope the file holds."""
        row = self._db.execute(
            "SELECT count(*) FROM handled_transactions WHERE scope = ?", (self.scope,)
        ).fetchone()
        return int(row[0])

    async def close(self) -> None:
        if self._copying is not None:
            await asyncio.wait([self._copying])

        def shut() -> None:  # the last connection to close copies the log into the file
            self._db.close()
            self._background.close()

        await self._in_thread(shut)
        self._thread.shutdown(wait=True)


_INSERT = (
    "INSERT OR IGNORE INTO handled_transactions (scope, txn_id, fingerprint, answer, handled_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
_BY_SEQ = (
    "SELECT fingerprint, answer FROM handled_transactions"
    " WHERE seq = ? AND scope = ? AND txn_id = ?"
)
_BY_ID = "SELECT fingerprint, answer FROM handled_transactions WHERE scope = ? AND txn_id = ?"
_DELETE = "DELETE FROM handled_transactions WHERE seq = ?"


def _insert(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> list[int | None]:
    """Insert ``rows`` in one transaction; the ``seq`` of each (None for a row a unique index
    of an older file kept out: the ID is there already)."""

    def one(row: tuple[object, ...]) -> int | None:
        cursor = conn.execute(_INSERT, row)
        return cursor.lastrowid if cursor.rowcount == 1 else None

    if len(rows) == 1:  # a statement alone is a transaction of its own
        return [one(rows[0])]
    conn.execute("BEGIN IMMEDIATE")
    try:
        seqs = [one(row) for row in rows]
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return seqs


def _delete(conn: sqlite3.Connection, keys: Sequence[tuple[int]]) -> int:
    """Delete the rows of ``keys`` (``seq``) in one transaction; how many there were."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        gone = conn.executemany(_DELETE, keys).rowcount
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return gone


def _settle(
    waiting: list[asyncio.Future[int | None]], seqs: list[int | None], error: BaseException | None
) -> None:
    for done, seq in zip(waiting, seqs or [None] * len(waiting), strict=True):
        if done.done():  # its caller was cancelled
            continue
        if error is None:
            done.set_result(seq)
        else:
            done.set_exception(error)


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


def _sqlite(spec: str, scope: str, retention: Retention | None) -> SQLiteStore:
    """``sqlite:PATH`` or ``sqlite:PATH?sync=normal|full``."""
    path, mark, options = spec[len("sqlite:") :].rpartition("?")
    if not mark:
        path, options = options, ""
    sync: SQLiteSync = "normal"
    for option in filter(None, options.split("&")):
        name, equals, value = option.partition("=")
        if name != "sync" or not equals or value not in ("normal", "full"):
            raise ValueError(
                f"unknown option {option!r} of the store {spec!r}: the one option is "
                "sync=normal (the default) or sync=full"
            )
        sync = "full" if value == "full" else "normal"
    if not path:
        raise ValueError(f"the store {spec!r} names no file: use sqlite:PATH")
    return SQLiteStore(path, scope=scope, retention=retention, sync=sync)


def open_store(
    spec: str, *, scope: str = "", retention: Retention | None = None
) -> TransactionStore:
    """A store from a short description: ``memory``, ``sqlite:PATH`` (with ``?sync=full``
    to flush every commit to the disk, see :class:`SQLiteStore`) or a PostgreSQL URI.

    ``postgresql://USER@HOST:PORT/DATABASE`` (or ``postgres://``) opens a
    :class:`~matrix_appservice.server._postgres.PostgresTransactionStore` with its defaults;
    it needs the ``[postgres]`` extra. libpq reads a password from ``PGPASSWORD`` or
    ``~/.pgpass`` as well as from the URI.
    """
    if spec == "memory":
        return MemoryStore(retention)
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        return _sqlite(spec, scope, retention)
    if spec.startswith(_POSTGRES_SCHEMES):
        from matrix_appservice.server._postgres import PostgresTransactionStore

        return PostgresTransactionStore(spec, scope=scope, retention=retention)
    raise ValueError(
        f"unknown store {describe_store(spec)!r}: use 'memory', 'sqlite:PATH' or "
        "'postgresql://USER@HOST:PORT/DATABASE'"
    )
