"""The app with a PostgreSQL store, in process: duplicates at one worker, an unreachable database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from matrix_appservice.server import (
    AppServiceHandler,
    IncomingTransaction,
    PostgresTransactionStore,
    create_app,
)

from tests.pg import Cluster
from tests.postgres.workers import free_port

pytestmark = pytest.mark.postgres

HS_TOKEN = "hs-token-pg-app"
AUTH = {"Authorization": f"Bearer {HS_TOKEN}"}
REGISTRATION: dict[str, Any] = {
    "id": "pg-app",
    "url": None,
    "as_token": "as-token-pg-app",
    "hs_token": HS_TOKEN,
    "sender_localpart": "pgbot",
    "namespaces": {},
}
BODY = {"events": []}


def _events(*ids: str) -> dict[str, Any]:
    return {"events": [
        {"event_id": f"${i}", "room_id": "!r:pg.test", "sender": "@u:pg.test",
         "type": "m.room.message", "origin_server_ts": 1, "content": {}}
        for i in ids
    ]}  # fmt: skip


class Slow(AppServiceHandler):
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        self.calls.append(transaction.txn_id)
        await asyncio.sleep(0.3)


async def _send(app: Any, txn_id: str, body: dict[str, Any] = BODY) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://appservice") as client:
        return await client.put(f"/_matrix/app/v1/transactions/{txn_id}", json=body, headers=AUTH)


def test_duplicates_at_one_worker_wait_in_memory_and_get_the_answer(
    postgres: Cluster, table: str
) -> None:
    handler = Slow()

    async def scenario() -> list[httpx.Response]:
        store = PostgresTransactionStore(postgres.dsn(), scope="pg-app", table=table)
        app = create_app(REGISTRATION, handler, store=store)
        try:
            answers = await asyncio.gather(*(_send(app, "t1") for _ in range(5)))
            answers.append(await _send(app, "t1"))
            return answers
        finally:
            await app.close()
            await store.close()

    answers = asyncio.run(scenario())
    assert [(r.status_code, r.content) for r in answers] == [(200, b"{}")] * 6
    assert handler.calls == ["t1"]


def test_an_unreachable_database_is_a_500_and_the_handler_is_not_called() -> None:
    handler = Slow()

    async def scenario() -> httpx.Response:
        app = create_app(
            REGISTRATION, handler, store=f"postgresql://nobody@127.0.0.1:{free_port()}/none"
        )
        try:
            return await _send(app, "t1")
        finally:
            await app.close()

    response = asyncio.run(scenario())
    assert response.status_code == 500
    assert response.json()["errcode"] == "M_UNKNOWN"
    assert handler.calls == []


def test_one_id_is_handled_once_whatever_the_bodies(
    postgres: Cluster, table: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A at one worker, then B and A again at another: A's answer for all, B logged."""
    handler = Slow()

    async def scenario() -> list[int]:
        one = PostgresTransactionStore(postgres.dsn(), scope="pg-app", table=table)
        two = PostgresTransactionStore(postgres.dsn(), scope="pg-app", table=table)
        apps = [create_app(REGISTRATION, handler, store=s) for s in (one, two)]
        try:
            answers = [await _send(apps[0], "t1", _events("a"))]
            answers += [await _send(apps[1], "t1", _events(*ids)) for ids in (("b", "c"), ("a",))]
            return [r.status_code for r in answers]
        finally:
            for app in apps:
                await app.close()
            await one.close()
            await two.close()

    with caplog.at_level("WARNING", logger="matrix_appservice.server"):
        assert asyncio.run(scenario()) == [200, 200, 200]
    assert handler.calls == ["t1"]
    faults = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert len(faults) == 1 and "t1" in faults[0].getMessage(), faults
    assert HS_TOKEN not in faults[0].getMessage()


def test_racing_copies_of_two_bodies_at_two_workers_run_the_handler_once(
    postgres: Cluster, table: str
) -> None:
    handler = Slow()

    async def scenario() -> list[int]:
        stores = [
            PostgresTransactionStore(postgres.dsn(), scope="pg-app", table=table) for _ in range(2)
        ]
        apps = [create_app(REGISTRATION, handler, store=s) for s in stores]
        try:
            copies = [
                _send(apps[n % 2], "race", _events("a") if n % 4 < 2 else _events("b"))
                for n in range(20)
            ]
            return [r.status_code for r in await asyncio.gather(*copies)]
        finally:
            for app in apps:
                await app.close()
            for store in stores:
                await store.close()

    assert asyncio.run(scenario()) == [200] * 20
    assert handler.calls == ["race"]
