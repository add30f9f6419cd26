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


class Slow(AppServiceHandler):
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        self.calls.append(transaction.txn_id)
        await asyncio.sleep(0.3)


async def _send(app: Any, txn_id: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://appservice") as client:
        return await client.put(f"/_matrix/app/v1/transactions/{txn_id}", json=BODY, headers=AUTH)


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
