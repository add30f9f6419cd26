"""What the pusher keeps on disk: queued events, transactions not yet acknowledged, txn ids.

One SQLite file holds, per appservice:

``pusher_queue``
    events routed to the appservice and not yet put in a transaction, in arrival order, each
    as the JSON bytes that will be sent;
``pusher_pending``
    transactions built and not yet acknowledged, with their ID and the exact body bytes: a
    retry, in this process or after a restart, sends those bytes under that ID;
``pusher_counter``
    the last transaction ID given out. IDs are integers, increasing by one per transaction,
    and the counter never goes back, so a restart never reuses an ID that an appservice may
    already have handled (an appservice that remembers handled IDs would otherwise drop the
    new batch as a repeat).

Building a transaction (take events off the queue, give out the next ID, store the body) is
one SQLite transaction, so a crash leaves either the events queued or the transaction
pending, never both or neither. Writes are committed before :meth:`PusherStore.enqueue`
returns; the file uses WAL with ``synchronous=NORMAL`` (a crash of the process loses
nothing; a power loss may lose the last writes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["PendingTransaction", "PusherStore"]

Kind = Literal["event", "ephemeral"]
MakeBody = Callable[[Sequence[tuple[Kind, bytes]]], bytes]
"""Builds a transaction body from queued items (kind, JSON bytes) in order."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pusher_counter (
    appservice TEXT PRIMARY KEY,
    last_txn INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pusher_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    appservice TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS pusher_queue_by_appservice ON pusher_queue (appservice, seq);
CREATE TABLE IF NOT EXISTS pusher_pending (
    appservice TEXT NOT NULL,
    txn_id INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (appservice, txn_id)
);
"""


@dataclass(frozen=True)
class PendingTransaction:
    """A transaction built and not yet acknowledged: its ID and the bytes to send."""

    appservice: str
    txn_id: str
    body: bytes
    events: int
    """How many events and ephemeral items it carries."""


class PusherStore:
    """The pusher's SQLite file. Used from one thread (the event loop's)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise OSError(f"cannot open the pusher store {self.path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def enqueue(self, appservices: Iterable[str], kind: Kind, body: bytes) -> None:
        """Queue ``body`` for each of ``appservices``, committed before returning."""
        rows = [(appservice, kind, body) for appservice in appservices]
        if not rows:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO pusher_queue (appservice, kind, body) VALUES (?, ?, ?)", rows
            )

    def pending(self, appservice: str) -> PendingTransaction | None:
        """The oldest transaction built and not acknowledged, if any."""
        row = self._db.execute(
            "SELECT txn_id, body FROM pusher_pending WHERE appservice = ? ORDER BY txn_id LIMIT 1",
            (appservice,),
        ).fetchone()
        if row is None:
            return None
        return PendingTransaction(appservice, str(row[0]), bytes(row[1]), -1)

    def build(self, appservice: str, limit: int, make_body: MakeBody) -> PendingTransaction | None:
        """Take up to ``limit`` queued items, give them the next ID, keep the body; or None
        when nothing is queued. One SQLite transaction."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            rows = self._db.execute(
                "SELECT seq, kind, body FROM pusher_queue WHERE appservice = ? ORDER BY seq LIMIT ?",
                (appservice, limit),
            ).fetchall()
            if not rows:
                return None
            row = self._db.execute(
                "SELECT last_txn FROM pusher_counter WHERE appservice = ?", (appservice,)
            ).fetchone()
            txn_id = (row[0] if row else 0) + 1
            body = make_body([(kind, bytes(item)) for _, kind, item in rows])
            self._db.execute(
                "INSERT INTO pusher_counter (appservice, last_txn) VALUES (?, ?)"
                " ON CONFLICT (appservice) DO UPDATE SET last_txn = excluded.last_txn",
                (appservice, txn_id),
            )
            self._db.execute(
                "INSERT INTO pusher_pending (appservice, txn_id, body) VALUES (?, ?, ?)",
                (appservice, txn_id, body),
            )
            self._db.execute(
                "DELETE FROM pusher_queue WHERE appservice = ? AND seq <= ?",
                (appservice, rows[-1][0]),
            )
        return PendingTransaction(appservice, str(txn_id), body, len(rows))

    def acknowledge(self, appservice: str, txn_id: str) -> None:
        """The appservice accepted ``txn_id``: forget it (the counter stays)."""
        with self._db:
            self._db.execute(
                "DELETE FROM pusher_pending WHERE appservice = ? AND txn_id = ?",
                (appservice, int(txn_id)),
            )

    def last_txn_id(self, appservice: str) -> int:
        """The last ID given out to ``appservice`` (0 before the first)."""
        row = self._db.execute(
            "SELECT last_txn FROM pusher_counter WHERE appservice = ?", (appservice,)
        ).fetchone()
        return int(row[0]) if row else 0

    def backlog(self, appservice: str) -> int:
        """Queued items plus pending transactions of ``appservice``."""
        queued = self._db.execute(
            "SELECT COUNT(*) FROM pusher_queue WHERE appservice = ?", (appservice,)
        ).fetchone()[0]
        pending = self._db.execute(
            "SELECT COUNT(*) FROM pusher_pending WHERE appservice = ?", (appservice,)
        ).fetchone()[0]
        return int(queued) + int(pending)
