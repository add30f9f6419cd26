"""The appservice of the exactly-once soak: records what it handles in an SQLite file.

Run by ``matrix-appservice serve tests.python.homeserver.soak_handler:SoakHandler`` with
``SOAK_RECORD`` naming the file. Each transaction's events are written in one SQLite
transaction together with its ID, and an ID already written is skipped: that closes the gap
between the handler's commit and the server's own record of the ID, where a SIGKILL would
otherwise make the server hand the transaction over a second time. Every call is also logged
in ``deliveries``, so the soak can say how often that gap was hit.
"""

from __future__ import annotations

import os
import sqlite3

from matrix_appservice.server import AppServiceHandler, IncomingTransaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS handled (seq INTEGER PRIMARY KEY AUTOINCREMENT, txn_id TEXT, event_id TEXT);
CREATE TABLE IF NOT EXISTS done (txn_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS deliveries (txn_id TEXT);
"""


def open_record(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    return db


class SoakHandler(AppServiceHandler):
    def __init__(self) -> None:
        self.db = open_record(os.environ["SOAK_RECORD"])

    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        txn_id = transaction.txn_id
        self.db.execute("INSERT INTO deliveries (txn_id) VALUES (?)", (txn_id,))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if self.db.execute("SELECT 1 FROM done WHERE txn_id = ?", (txn_id,)).fetchone():
                return
            self.db.executemany(
                "INSERT INTO handled (txn_id, event_id) VALUES (?, ?)",
                [(txn_id, e.event_id) for e in transaction.events],
            )
            self.db.execute("INSERT INTO done (txn_id) VALUES (?)", (txn_id,))
