"""Two server processes share one PostgreSQL store behind "a load balancer".

Each worker is a real process listening on its own loopback port; the test plays the load
balancer and the homeserver, sending a transaction to one worker and its duplicate to the
other. The handler counts its calls in the shared database.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
import yaml

from tests.pg import Cluster
from tests.postgres import workers
from tests.postgres.workers import Worker

pytestmark = pytest.mark.postgres

HS_TOKEN = "hs-token-pg-workers"
AUTH = {"Authorization": f"Bearer {HS_TOKEN}"}
DELAY = 0.5
CALLS = "handler_calls"
T = TypeVar("T")


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(scenario())


def _registration(path: Path) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "id": "pg-workers",
                "url": "http://127.0.0.1:9",
                "as_token": "as-token-pg-workers",
                "hs_token": HS_TOKEN,
                "sender_localpart": "pgbot",
                "namespaces": {"users": [{"regex": "@_pg_.*:example\\.org", "exclusive": True}]},
            }
        )
    )
    return path


def _body(n: int) -> dict[str, Any]:
    return {
        "events": [
            {
                "event_id": f"$e{n}",
                "room_id": "!room:example.org",
                "sender": "@alice:example.org",
                "type": "m.room.message",
                "origin_server_ts": 1_700_000_000_000 + n,
                "content": {"msgtype": "m.text", "body": f"hello {n}"},
            }
        ]
    }


@pytest.fixture(scope="module")
def deployment(postgres: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("pg-workers")
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {CALLS} (n serial, txn_id text NOT NULL, pid int NOT NULL)")
    env = {
        workers.ENV_DSN: postgres.dsn(),
        workers.ENV_CALLS: CALLS,
        workers.ENV_DELAY: str(DELAY),
        workers.ENV_REGISTRATION: str(_registration(folder / "registration.yaml")),
    }
    return {
        "folder": folder,
        "env": env,
        "uri": f"postgresql://postgres@127.0.0.1:{postgres.port}/appservice_test",
    }


@pytest.fixture(scope="module")
def pair(deployment: dict[str, Any]) -> Iterator[tuple[Worker, Worker]]:
    """Two ``matrix-appservice serve`` workers with ``--store postgresql://...``."""
    started: list[Worker] = []
    try:
        for name in ("a", "b"):
            port = workers.free_port()
            command = workers.serve_command(
                Path(deployment["env"][workers.ENV_REGISTRATION]), port, deployment["uri"]
            )
            started.append(
                workers.start_worker(
                    command, deployment["env"], deployment["folder"] / f"{name}.log", port
                )
            )
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.stop()


def _calls(dsn: str, txn_id: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        return [
            r[0]
            for r in conn.execute(
                f"SELECT pid FROM {CALLS} WHERE txn_id = %s ORDER BY n", (txn_id,)
            )
        ]


@dataclass
class Answer:
    status: int
    body: bytes
    sent: float
    answered: float


async def _put(
    client: httpx.AsyncClient, worker: Worker, txn_id: str, n: int, after: float = 0
) -> Answer:
    await asyncio.sleep(after)
    sent = time.monotonic()
    response = await client.put(
        f"{worker.url}/_matrix/app/v1/transactions/{txn_id}", json=_body(n), headers=AUTH
    )
    return Answer(response.status_code, response.content, sent, time.monotonic())


def test_duplicates_at_two_workers_are_handled_once(
    pair: tuple[Worker, Worker], postgres: Cluster
) -> None:
    a, b = pair

    async def scenario() -> list[tuple[Answer, Answer]]:
        async with httpx.AsyncClient(timeout=30) as client:
            sends = []
            for n in range(8):
                first, second = (a, b) if n % 2 == 0 else (b, a)
                sends.append(
                    asyncio.gather(
                        _put(client, first, f"dup-{n}", n),
                        _put(client, second, f"dup-{n}", n, after=0.1),
                    )
                )
            return list(await asyncio.gather(*sends))

    pids = set()
    for n, (first, duplicate) in enumerate(run(scenario)):
        assert (first.status, first.body) == (duplicate.status, duplicate.body) == (200, b"{}")
        # The duplicate was answered after the handler's sleep: it waited, it did not skip.
        assert duplicate.answered >= first.sent + DELAY
        calls = _calls(postgres.dsn(), f"dup-{n}")
        assert len(calls) == 1, f"dup-{n} was handled {len(calls)} times"
        pids.update(calls)
    assert pids == {a.process.pid, b.process.pid}  # both workers handled some


def test_a_failed_first_delivery_is_taken_over_by_the_waiting_duplicate(
    pair: tuple[Worker, Worker], postgres: Cluster
) -> None:
    a, b = pair

    async def scenario() -> tuple[Answer, Answer, Answer]:
        async with httpx.AsyncClient(timeout=30) as client:
            first, duplicate = await asyncio.gather(
                _put(client, a, "fail-1", 100), _put(client, b, "fail-1", 100, after=0.1)
            )
            return first, duplicate, await _put(client, a, "fail-1", 100)

    first, duplicate, retry = run(scenario)
    assert first.status == 500 and b"M_UNKNOWN" in first.body
    assert (duplicate.status, duplicate.body) == (200, b"{}")
    assert (retry.status, retry.body) == (200, b"{}")
    assert retry.answered - retry.sent < DELAY  # answered from the store
    assert _calls(postgres.dsn(), "fail-1") == [a.process.pid, b.process.pid]


def test_a_worker_killed_mid_transaction_is_taken_over_after_its_lease(
    pair: tuple[Worker, Worker], deployment: dict[str, Any], postgres: Cluster
) -> None:
    _, b = pair
    lease = 1.5
    port = workers.free_port()
    dying = workers.start_worker(
        workers.factory_command(port), {**deployment["env"], workers.ENV_LEASE: str(lease)},
        deployment["folder"] / "dying.log", port,
    )  # fmt: skip
    try:

        async def first_delivery() -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                sending = asyncio.create_task(_put(client, dying, "slow-1", 200))
                deadline = time.monotonic() + 20
                while not _calls(postgres.dsn(), "slow-1"):
                    assert time.monotonic() < deadline, dying.log_tail()
                    await asyncio.sleep(0.05)
                dying.stop(signal.SIGKILL)  # in the middle of the handler
                with pytest.raises(httpx.TransportError):
                    await sending

        run(first_delivery)
    finally:
        dying.stop(signal.SIGKILL)

    async def retry() -> Answer:
        async with httpx.AsyncClient(timeout=30) as client:
            return await _put(client, b, "slow-1", 200)

    answer = run(retry)
    assert (answer.status, answer.body) == (200, b"{}")
    # It waited out the rest of the dead worker's lease (killed within moments of its claim),
    # then ran the handler, and no longer than that.
    assert lease * 0.5 + DELAY <= answer.answered - answer.sent <= lease + DELAY + 2
    assert _calls(postgres.dsn(), "slow-1") == [dying.process.pid, b.process.pid]


def test_the_logs_show_the_store_without_its_password(
    deployment: dict[str, Any], postgres: Cluster
) -> None:
    port = workers.free_port()
    uri = f"postgresql://postgres:pw-7f3a9c@127.0.0.1:{postgres.port}/appservice_test"
    log = deployment["folder"] / "password.log"
    command = workers.serve_command(Path(deployment["env"][workers.ENV_REGISTRATION]), port, uri)
    worker = workers.start_worker(command, deployment["env"], log, port)
    try:

        async def deliver() -> Answer:
            async with httpx.AsyncClient(timeout=30) as client:
                return await _put(client, worker, "pw-1", 300)

        assert run(deliver).status == 200  # trust authentication ignores the password
    finally:
        worker.stop()
    text = log.read_text()
    assert "pw-7f3a9c" not in text
    assert f"postgresql://postgres:***@127.0.0.1:{postgres.port}/appservice_test" in text
