"""A transaction store in PostgreSQL, shared by several workers behind one load balancer.

Needs the ``[postgres]`` extra (psycopg 3). Nothing imports this module until a
:class:`PostgresTransactionStore` is asked for, so the package and its ``[server]`` extra do
not need the driver.

How each transaction is handled once across workers
---------------------------------------------------
One row per (scope, transaction ID), keyed by the SHA-256 of the ID so that any ID fits:

- **claim** is one upsert. The worker whose insert wins owns the transaction under a random
  claim token (NEW); every other worker finds the row and learns that the transaction is in
  progress, or done with the stored answer, whatever the fingerprint of its own copy: one
  transaction ID is handled once (see :mod:`matrix_appservice.server._store`), and the row
  keeps the fingerprint of the body handled so that the server can report a copy with
  other events.
- **wait**: a duplicate that arrives at the worker holding the claim waits for it in memory;
  at any other worker it polls the row, from 10 ms doubling up to 200 ms, until the row is
  done, released or past its lease, or until the timeout.
- **complete** stores the answer and clears the token; **release** (the handler failed)
  deletes the row, so that the homeserver's retry claims it again.
- **lease**: a claim carries ``lease_until``. A worker renews the leases of the claims it
  holds every third of the lease, so a slow handler keeps its claim however long it runs.
  When a worker dies its leases run out, and the next claim of such an ID takes the
  transaction over: with the default lease of 30 s, a crashed worker delays its
  transactions by at most that long. Lease times are the database server's clock, so the
  workers' clocks need not agree.
- **retention**: :meth:`PostgresTransactionStore.prune` deletes the rows completed more than
  ``retention.max_age`` seconds before ``now`` (default: the database's clock) and the claims
  whose lease ran out that long ago by the database's clock, then the oldest completed rows
  beyond ``retention.max_entries`` of the scope. A duplicate arriving after that is handled
  again.

Each store uses one connection in autocommit mode; every statement is a transaction of its
own. After a connection error the failing call raises (the server answers 5xx and the
homeserver retries) and the next call reconnects. A claim whose ``complete`` or ``release``
failed that way is no longer renewed, so its lease runs out and a retry can take it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import uuid
from typing import Any

try:
    import psycopg
    from psycopg import sql
except ImportError as error:  # pragma: no cover - tested in a child process without psycopg
    raise ImportError(
        "PostgresTransactionStore needs psycopg 3: pip install 'matrix-appservice[postgres]'"
    ) from error

from matrix_appservice.server._store import (
    IN_PROGRESS,
    NEW,
    Claim,
    Retention,
    TransactionStore,
    _InFlight,
    describe_store,
)

__all__ = ["PostgresTransactionStore"]

log = logging.getLogger("matrix_appservice.server.postgres")

_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,47}")
_FIRST_POLL = 0.01
_MAX_POLL = 0.2
_LABEL = 200
_CLAIM_TRIES = 3

_CREATE = """
CREATE TABLE IF NOT EXISTS {t} (
    scope text NOT NULL,
    txn_key bytea NOT NULL,
    txn_id text NOT NULL,
    fingerprint text NOT NULL,
    owner uuid,
    lease_until timestamptz,
    answer bytea,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz,
    PRIMARY KEY (scope, txn_key)
)
"""
_STATEMENTS = {
    "claim": """
        INSERT INTO {t} AS t (scope, txn_key, txn_id, fingerprint, owner, lease_until)
        VALUES (%(scope)s, %(key)s, %(label)s, %(fingerprint)s, %(owner)s,
                now() + make_interval(secs => %(lease)s))
        ON CONFLICT (scope, txn_key) DO UPDATE
        SET txn_id = excluded.txn_id, fingerprint = excluded.fingerprint,
            owner = excluded.owner, lease_until = excluded.lease_until,
            answer = NULL, done_at = NULL, claimed_at = now()
        WHERE t.done_at IS NULL AND t.lease_until < now()
        RETURNING 1""",
    "look": """
        SELECT done_at IS NOT NULL, fingerprint, answer FROM {t}
        WHERE scope = %s AND txn_key = %s""",
    "settled": """
        SELECT done_at IS NOT NULL OR lease_until < now() FROM {t}
        WHERE scope = %s AND txn_key = %s""",
    "complete": """
        UPDATE {t} SET fingerprint = %s, answer = %s, done_at = now(),
                       owner = NULL, lease_until = NULL
        WHERE scope = %s AND txn_key = %s AND owner = %s AND done_at IS NULL""",
    "release": """
        DELETE FROM {t}
        WHERE scope = %s AND txn_key = %s AND owner = %s AND done_at IS NULL""",
    "renew": """
        UPDATE {t} SET lease_until = now() + make_interval(secs => %s)
        WHERE owner = ANY(%s) AND done_at IS NULL""",
    # A caller's ``now`` dates answers only: leases always follow the database's clock.
    "prune_age": """
        DELETE FROM {t}
        WHERE scope = %(scope)s
          AND (done_at < coalesce(to_timestamp(%(now)s::float8), now())
                         - make_interval(secs => %(max_age)s)
               OR (done_at IS NULL
                   AND lease_until < now() - make_interval(secs => %(max_age)s)))""",
    "prune_count": """
        DELETE FROM {t} WHERE scope = %(scope)s AND txn_key IN (
            SELECT txn_key FROM {t} WHERE scope = %(scope)s AND done_at IS NOT NULL
            ORDER BY done_at DESC OFFSET %(keep)s)""",
}


def _key(txn_id: str) -> bytes:
    return hashlib.sha256(txn_id.encode("utf-8", "surrogatepass")).digest()


def _label(txn_id: str) -> str:
    """The ID as text for the ``txn_id`` column and logs: no NUL, at most 200 characters."""
    text = txn_id.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")[:_LABEL]


class PostgresTransactionStore(TransactionStore):
    """Exactly-once bookkeeping in a PostgreSQL table that several workers share.

    ``dsn`` is a libpq connection string or URI. ``scope`` (the registration's ``id``) lets
    several appservices share one table. ``table`` is created when missing. ``lease`` is the
    seconds after which a claim that its worker stopped renewing may be taken over.
    The connection opens on first use, or with :meth:`open`.
    """

    def __init__(
        self,
        dsn: str,
        *,
        scope: str = "",
        retention: Retention | None = None,
        table: str = "matrix_appservice_transactions",
        lease: float = 30.0,
    ) -> None:
        if not _TABLE.fullmatch(table):
            raise ValueError(
                f"table name {table!r}: expected lower-case letters, digits and _ "
                "(at most 48, not starting with a digit)"
            )
        if not lease > 0:
            raise ValueError(f"lease must be a positive number of seconds, got {lease!r}")
        self.dsn = dsn
        self.scope = scope
        self.retention = retention or Retention()
        self.table = table
        self.lease = float(lease)
        self._sql = {
            name: sql.SQL(text).format(t=sql.Identifier(table))
            for name, text in _STATEMENTS.items()
        }
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._connecting: asyncio.Lock | None = None
        self._held: dict[bytes, uuid.UUID] = {}
        self._flight = _InFlight()
        self._renewer: asyncio.Task[None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        # A password in the DSN never shows: the store appears in logs and tracebacks.
        shown = describe_store(self.dsn)
        return f"PostgresTransactionStore({shown!r}, scope={self.scope!r}, table={self.table!r})"

    # -- connection ---------------------------------------------------------------------

    async def open(self) -> PostgresTransactionStore:
        """Connect and create the table when missing (safe when workers start together)."""
        await self._connection()
        return self

    async def close(self) -> None:
        """Stop renewing leases and disconnect; claims still held expire after the lease."""
        self._closed = True
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> PostgresTransactionStore:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _usable(self) -> psycopg.AsyncConnection[Any] | None:
        conn = self._conn
        return conn if conn is not None and not conn.closed and not conn.broken else None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._closed:
            raise RuntimeError("the transaction store is closed")
        conn = self._usable()
        if conn is not None:
            return conn
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            conn = self._usable()
            if conn is None:
                if self._conn is not None:
                    await self._conn.close()
                    self._conn = None
                conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
                try:
                    await self._create_table(conn)
                except BaseException:
                    await conn.close()
                    raise
                self._conn = conn
            return conn

    async def _create_table(self, conn: psycopg.AsyncConnection[Any]) -> None:
        t = sql.Identifier(self.table)
        async with conn.transaction():
            # CREATE ... IF NOT EXISTS can still collide with itself when run concurrently.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table,))
            await conn.execute(sql.SQL(_CREATE).format(t=t))
            await conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (scope, done_at)").format(
                    i=sql.Identifier(f"{self.table}_age"), t=t
                )
            )

    # -- the store ----------------------------------------------------------------------

    async def claim(self, txn_id: str, fingerprint: str) -> Claim:
        key = _key(txn_id)
        if key in self._held:  # this worker is handling it
            return IN_PROGRESS
        owner = uuid.uuid4()
        params = {
            "scope": self.scope,
            "key": key,
            "label": _label(txn_id),
            "fingerprint": fingerprint,
            "owner": owner,
            "lease": self.lease,
        }
        conn = await self._connection()
        for _ in range(_CLAIM_TRIES):
            if await (await conn.execute(self._sql["claim"], params)).fetchone() is not None:
                self._held[key] = owner
                self._flight.take(txn_id)
                self._ensure_renewer()
                return NEW
            cur = await conn.execute(self._sql["look"], (self.scope, key))
            row = await cur.fetchone()
            if row is None:
                continue  # released between the two statements: claim again
            done, stored_fingerprint, answer = row
            if not done:
                return IN_PROGRESS
            return Claim("done", bytes(answer), stored_fingerprint)
        return IN_PROGRESS

    async def complete(self, txn_id: str, fingerprint: str, answer: bytes) -> None:
        key = _key(txn_id)
        owner = self._held.pop(key, None)
        try:
            if owner is None:
                raise RuntimeError(
                    f"transaction {_label(txn_id)!r} was not claimed through this store"
                )
            conn = await self._connection()
            cur = await conn.execute(
                self._sql["complete"], (fingerprint, answer, self.scope, key, owner)
            )
            if cur.rowcount != 1:
                log.warning(
                    "transaction %r: the claim was lost (its lease ran out) before it completed;"
                    " the answer of the worker that took it over stands",
                    _label(txn_id),
                )
        finally:
            self._flight.drop(txn_id)

    async def release(self, txn_id: str) -> None:
        key = _key(txn_id)
        owner = self._held.pop(key, None)
        try:
            if owner is not None:
                conn = await self._connection()
                await conn.execute(self._sql["release"], (self.scope, key, owner))
        finally:
            self._flight.drop(txn_id)

    async def wait(self, txn_id: str, timeout: float) -> None:
        key = _key(txn_id)
        if key in self._held:
            await self._flight.wait(txn_id, timeout)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = _FIRST_POLL
        conn = await self._connection()
        while True:
            row = await (await conn.execute(self._sql["settled"], (self.scope, key))).fetchone()
            remaining = deadline - loop.time()
            if row is None or row[0] or remaining <= 0:
                return
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_POLL)

    async def prune(self, now: float | None = None) -> int:
        params = {
            "scope": self.scope,
            "now": now,
            "max_age": self.retention.max_age,
            "keep": self.retention.max_entries,
        }
        conn = await self._connection()
        old = await conn.execute(self._sql["prune_age"], params)
        gone = max(old.rowcount, 0)
        extra = await conn.execute(self._sql["prune_count"], params)
        return gone + max(extra.rowcount, 0)

    # -- leases -------------------------------------------------------------------------

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_leases())

    async def _renew_leases(self) -> None:
        while self._held:
            await asyncio.sleep(self.lease / 3)
            owners = list(self._held.values())
            if not owners:
                return
            try:
                conn = await self._connection()
                await conn.execute(self._sql["renew"], (self.lease, owners))
            except (psycopg.Error, OSError) as exc:
                log.warning("could not renew the leases of %d claim(s): %s", len(owners), exc)
