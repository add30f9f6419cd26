"""PostgresTransactionStore against a real PostgreSQL server.

Each store has its own connection, as each worker process would have.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import psycopg
import pytest
from matrix_appservice.server import Claim, PostgresTransactionStore, Retention

from tests.conftest import REPO
from tests.pg import Cluster

pytestmark = pytest.mark.postgres

T = TypeVar("T")
FP = "fingerprint-1"
NEW = Claim("new")
IN_PROGRESS = Claim("in_progress")


def done(answer: bytes) -> Claim:
    return Claim("done", answer)


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await make()

    return asyncio.run(main())


async def stores(
    stack: AsyncExitStack, dsn: str, table: str, n: int, **options: Any
) -> list[PostgresTransactionStore]:
    return [
        await stack.enter_async_context(PostgresTransactionStore(dsn, table=table, **options))
        for _ in range(n)
    ]


def _sql(dsn: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(query.encode(), args)
        return cur.fetchall() if cur.description else []


def _age(dsn: str, table: str, txn_id: str, seconds: float) -> None:
    """Move a row's completion and lease ``seconds`` into the past."""
    _sql(
        dsn,
        f"UPDATE {table} SET done_at = done_at - make_interval(secs => %s),"
        " lease_until = lease_until - make_interval(secs => %s) WHERE txn_id = %s",
        seconds, seconds, txn_id,
    )  # fmt: skip


def test_one_claim_then_duplicates_see_progress_then_the_answer(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            assert await a.claim("t1", FP) == NEW
            assert await b.claim("t1", FP) == IN_PROGRESS
            assert await a.claim("t1", FP) == IN_PROGRESS  # a duplicate at the same worker
            assert await b.claim("t2", FP) == NEW  # other IDs are independent
            await a.complete("t1", FP, b'{"answer": 1}')
            assert await b.claim("t1", FP) == done(b'{"answer": 1}')
            assert await a.claim("t1", FP) == done(b'{"answer": 1}')

    run(scenario)


def test_an_id_is_done_once_whatever_the_fingerprint(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            assert await a.claim("t1", "events-A") == NEW
            assert await b.claim("t1", "events-B") == IN_PROGRESS
            await a.complete("t1", "events-A", b"A")
            for store, fingerprint in ((b, "events-B"), (a, "events-A"), (a, "events-B")):
                claim = await store.claim("t1", fingerprint)
                assert claim == done(b"A") and claim.fingerprint == "events-A"

    run(scenario)


def test_release_lets_the_retry_claim_again(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            assert await a.claim("t1", FP) == NEW
            await b.release("t1")  # not b's claim: nothing happens
            assert await b.claim("t1", FP) == IN_PROGRESS
            await a.release("t1")
            assert await b.claim("t1", FP) == NEW
            with pytest.raises(RuntimeError, match="'t1' was not claimed through this store"):
                await a.complete("t1", FP, b"{}")
            await b.complete("t1", FP, b"{}")
            assert await a.claim("t1", FP) == done(b"{}")

    run(scenario)


def test_concurrent_claims_have_exactly_one_winner(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            workers = await stores(stack, dsn, table, 8)
            for n in range(25):
                claims = await asyncio.gather(*(w.claim(f"race{n}", FP) for w in workers))
                assert sorted(c.state for c in claims) == ["in_progress"] * 7 + ["new"]

    run(scenario)


def test_the_table_is_created_once_when_workers_start_together(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            workers = [PostgresTransactionStore(dsn, table=table) for _ in range(6)]
            for w in workers:
                stack.push_async_callback(w.close)
            await asyncio.gather(*(w.open() for w in workers))
            assert await workers[0].claim("t", FP) == NEW

    run(scenario)


def test_wait_at_another_worker_ends_when_the_answer_is_stored(dsn: str, table: str) -> None:
    async def scenario() -> tuple[Claim, float]:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            assert await a.claim("t1", FP) == NEW
            waiting = asyncio.create_task(b.wait("t1", timeout=30))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await a.complete("t1", FP, b'{"n": 1}')
            completed = time.monotonic()
            await waiting
            lag = time.monotonic() - completed
            return await b.claim("t1", FP), lag

    claim, lag = run(scenario)
    assert claim == done(b'{"n": 1}')
    assert lag < 5  # polls stop growing at 0.2 s; this only catches a wait that hangs


def test_wait_at_the_same_worker_ends_on_release(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            (a,) = await stores(stack, dsn, table, 1)
            assert await a.claim("t1", FP) == NEW
            waiting = asyncio.create_task(a.wait("t1", timeout=30))
            await asyncio.sleep(0.1)
            assert not waiting.done()
            await a.release("t1")
            await asyncio.wait_for(waiting, 5)
            assert await a.claim("t1", FP) == NEW

    run(scenario)


def test_wait_gives_up_at_its_timeout_and_ends_on_release(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            assert await a.claim("t1", FP) == NEW
            started = time.monotonic()
            await b.wait("t1", timeout=0.5)
            assert time.monotonic() - started >= 0.5
            assert await b.claim("t1", FP) == IN_PROGRESS
            waiting = asyncio.create_task(b.wait("t1", timeout=30))
            await asyncio.sleep(0.1)
            await a.release("t1")
            await asyncio.wait_for(waiting, 5)
            assert await b.claim("t1", FP) == NEW

    run(scenario)


def test_prune_by_age_keeps_recent_answers_and_live_claims(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            (a,) = await stores(stack, dsn, table, 1, retention=Retention(max_age=3600))
            for txn in ("old", "recent", "abandoned", "inflight"):
                assert await a.claim(txn, FP) == NEW
            await a.complete("old", FP, b"1")
            await a.complete("recent", FP, b"2")
            _age(dsn, table, "old", 7200)
            _age(dsn, table, "abandoned", 7200)  # a claim whose lease ran out two hours ago
            assert await a.prune() == 2
            assert await a.claim("recent", FP) == done(b"2")
            assert await a.claim("old", FP) == NEW  # forgotten: handled again
            other = await stack.enter_async_context(PostgresTransactionStore(dsn, table=table))
            assert await other.claim("inflight", FP) == IN_PROGRESS
            # ``now`` from the caller: two hours on, the recent answer is old too.
            assert await a.prune(now=time.time() + 7200) == 1
            assert await a.claim("recent", FP) == NEW
            assert await other.claim("inflight", FP) == IN_PROGRESS  # leases: the db's clock

    run(scenario)


def test_prune_by_count_keeps_the_newest_answers_of_its_scope(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            keep3 = Retention(max_entries=3)
            a = await stack.enter_async_context(
                PostgresTransactionStore(dsn, table=table, scope="as-a", retention=keep3)
            )
            b = await stack.enter_async_context(
                PostgresTransactionStore(dsn, table=table, scope="as-b", retention=keep3)
            )
            for n in range(6):
                for store in (a, b):
                    assert await store.claim(f"t{n}", FP) == NEW
                    await store.complete(f"t{n}", FP, str(n).encode())
            assert await a.claim("inflight", FP) == NEW
            assert await a.prune() == 3
            assert [(await a.claim(f"t{n}", FP)).state for n in range(3, 6)] == ["done"] * 3
            assert await b.claim("t0", FP) == done(b"0")  # the other scope is untouched
            assert await a.claim("t0", FP) == NEW
            assert await b.claim("inflight", FP) == NEW  # scopes do not share IDs

    run(scenario)


_DYING_WORKER = """
import asyncio, sys
from matrix_appservice.server import PostgresTransactionStore

async def main():
    store = PostgresTransactionStore(sys.argv[1], table=sys.argv[2], lease=float(sys.argv[3]))
    await store.open()
    print((await store.claim("t1", "fp")).state, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_a_dead_workers_claim_expires_after_the_lease(dsn: str, table: str) -> None:
    lease = 1.5
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    worker = subprocess.Popen(
        [sys.executable, "-c", _DYING_WORKER, dsn, table, str(lease)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "new"
        time.sleep(lease * 1.6)  # alive, the worker renews its lease: the claim stands

        async def while_alive() -> Claim:
            async with PostgresTransactionStore(dsn, table=table) as b:
                return await b.claim("t1", "fp")

        assert run(while_alive) == IN_PROGRESS
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        if worker.stdout is not None:
            worker.stdout.close()
    killed = time.monotonic()

    async def after_death() -> list[tuple[float, Claim]]:
        seen = []
        async with PostgresTransactionStore(dsn, table=table) as b:
            while True:
                claim = await b.claim("t1", "fp")
                seen.append((time.monotonic() - killed, claim))
                if claim != IN_PROGRESS or seen[-1][0] > 10:
                    return seen
                await asyncio.sleep(0.05)

    seen = run(after_death)
    assert seen[0][1] == IN_PROGRESS  # not taken over at once
    taken_at, claim = seen[-1]
    assert claim == NEW
    assert taken_at <= lease + 1  # within the lease, with room for polling and scheduling


def test_a_live_claim_outlasts_its_lease(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2, lease=0.8)
            assert await a.claim("slow", FP) == NEW
            for _ in range(8):  # 2.4 s, three leases: a keeps renewing
                await asyncio.sleep(0.3)
                assert await b.claim("slow", FP) == IN_PROGRESS
            await a.complete("slow", FP, b"done")
            assert await b.claim("slow", FP) == done(b"done")

    run(scenario)


def test_a_claim_lost_to_another_worker_keeps_the_other_answer(
    dsn: str, table: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            assert await a.claim("t1", FP) == NEW
            _age(dsn, table, "t1", 60)  # as if a had stalled for a minute
            assert await b.claim("t1", FP) == NEW
            await a.complete("t1", FP, b"from a")
            await b.complete("t1", FP, b"from b")
            assert await a.claim("t1", FP) == done(b"from b")

    with caplog.at_level(logging.WARNING, "matrix_appservice.server.postgres"):
        run(scenario)
    assert "'t1': the claim was lost" in caplog.text


def _cut_connections(dsn: str) -> None:
    _sql(
        dsn,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )


def test_a_broken_connection_fails_one_call_and_the_next_reconnects(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            (a,) = await stores(stack, dsn, table, 1, lease=0.5)
            assert await a.claim("t1", FP) == NEW
            assert await a.claim("t2", FP) == NEW
            _cut_connections(dsn)
            with pytest.raises(psycopg.OperationalError):
                await a.claim("t3", FP)
            await a.complete("t1", FP, b"x")  # reconnected; t1's claim survived the cut
            assert await a.claim("t1", FP) == done(b"x")
            _cut_connections(dsn)
            with pytest.raises(psycopg.OperationalError):
                await a.complete("t2", FP, b"y")
            # That claim is no longer renewed: after its lease a retry takes it.
            b = await stack.enter_async_context(PostgresTransactionStore(dsn, table=table))
            assert await b.claim("t2", FP) == IN_PROGRESS
            await asyncio.sleep(0.7)
            assert await b.claim("t2", FP) == NEW

    run(scenario)


def test_any_transaction_id_is_stored(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            a, b = await stores(stack, dsn, table, 2)
            for txn in ("x" * 1_000_000, "nul\x00id", "lone\ud800surrogate", "é/%2F?"):
                assert await a.claim(txn, FP) == NEW
                assert await b.claim(txn, FP) == IN_PROGRESS
                await a.complete(txn, FP, b"ok")
                assert await b.claim(txn, FP) == done(b"ok")
        labels = [row[0] for row in _sql(dsn, f"SELECT txn_id FROM {table}")]
        assert max(map(len, labels)) == 200
        assert "nul\\x00id" in labels

    run(scenario)


def test_the_table_holds_no_secrets_and_no_bodies(dsn: str, table: str) -> None:
    async def scenario() -> None:
        async with PostgresTransactionStore(dsn, table=table) as a:
            assert await a.claim("t1", FP) == NEW
            await a.complete("t1", FP, b"{}")

    run(scenario)
    columns = _sql(
        dsn,
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
        " ORDER BY ordinal_position",
        table,
    )
    assert [c[0] for c in columns] == [
        "scope", "txn_key", "txn_id", "fingerprint", "owner", "lease_until", "answer",
        "claimed_at", "done_at",
    ]  # fmt: skip


def test_a_closed_store_refuses_calls(postgres: Cluster, table: str) -> None:
    async def scenario() -> None:
        store = await PostgresTransactionStore(postgres.dsn(), table=table).open()
        await store.close()
        with pytest.raises(RuntimeError, match="the transaction store is closed"):
            await store.claim("t1", FP)

    run(scenario)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"table": "t; DROP TABLE x"}, "table name 't; DROP TABLE x': expected lower-case"),
        ({"table": "Upper"}, "table name 'Upper': expected lower-case"),
        ({"table": "x" * 49}, "at most 48"),
        ({"lease": 0}, "lease must be a positive number of seconds, got 0"),
        ({"lease": float("nan")}, "lease must be a positive number of seconds, got nan"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        PostgresTransactionStore("dbname=x", **options)
    assert message in str(raised.value)
