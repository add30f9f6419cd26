"""Transactions: exactly once per ID, failures retried, stores, retention, opt-ins, echoes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from matrix_appservice.errors import MatrixError
from matrix_appservice.models import ClientEvent, EphemeralEvent, ToDeviceEvent, Transaction
from matrix_appservice.server import (
    IncomingTransaction,
    MemoryStore,
    Retention,
    SQLiteStore,
    TransactionStore,
    create_app,
    default_store_path,
)

from tests.python.server.support import (
    AS_TOKEN,
    AUTH,
    HS_TOKEN,
    TXN,
    Recorder,
    event,
    registration,
    run,
    run_fake_time,
    serving,
)


def _body(*ns: int, **extra: Any) -> dict[str, Any]:
    return {"events": [event(n) for n in ns], **extra}


def test_each_transaction_is_handled_once_and_typed() -> None:
    recorder = Recorder()

    async def go() -> None:
        async with serving(recorder) as (client, _):
            for _ in range(3):
                response = await client.put(TXN + "7", json=_body(1, 2), headers=AUTH)
                assert response.status_code == 200 and response.json() == {}
            assert (await client.put(TXN + "8", json=_body(3), headers=AUTH)).status_code == 200

    run(go())
    assert recorder.calls == 2
    first = recorder.transactions[0]
    assert isinstance(first, IncomingTransaction) and first.txn_id == "7"
    assert isinstance(first.body, Transaction)
    assert all(isinstance(e, ClientEvent) for e in first.events)
    assert [e.event_id for e in first.events] == ["$event1", "$event2"]
    assert first.events[0].unsigned is not None and first.events[0].unsigned.age == 12


async def _copies(client: Any, recorder: Recorder, bodies: list[Any], txn: str = "1") -> Any:
    """Send ``bodies`` under one ID at once while the handler holds the first; let the copies
    run until they wait (the loop's clock is fake: the second passes at once), then let the
    handler go. The answers, in order."""
    sending = [asyncio.ensure_future(client.put(TXN + txn, json=b, headers=AUTH)) for b in bodies]
    await recorder.started.wait()
    await asyncio.sleep(1)
    assert not any(task.done() for task in sending)  # the copies wait for the first
    recorder.go.set()
    return await asyncio.gather(*sending)


def test_concurrent_duplicates_wait_for_the_first() -> None:
    recorder = Recorder(hold=True)

    async def go() -> None:
        async with serving(recorder) as (client, _):
            for response in await _copies(client, recorder, [_body(1)] * 3):
                assert response.status_code == 200 and response.content == b"{}"

    run_fake_time(go())
    assert recorder.calls == 1 and len(recorder.transactions) == 1


def test_a_duplicate_waits_no_longer_than_the_timeout() -> None:
    recorder = Recorder(hold=True)

    async def go() -> None:
        async with serving(recorder, wait_timeout=30) as (client, _):
            first = asyncio.ensure_future(client.put(TXN + "1", json=_body(1), headers=AUTH))
            await recorder.started.wait()
            started = asyncio.get_running_loop().time()
            second = await client.put(TXN + "1", json=_body(1), headers=AUTH)
            assert asyncio.get_running_loop().time() - started == pytest.approx(30)
            assert second.status_code == 500 and second.json()["errcode"] == "M_UNKNOWN"
            recorder.go.set()
            assert (await first).status_code == 200

    run_fake_time(go())
    assert recorder.calls == 1


def test_failure_is_500_then_the_retry_is_handled_once(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(fail_times=1)

    async def go() -> None:
        async with serving(recorder) as (client, _):
            failed = await client.put(TXN + "1", json=_body(1), headers=AUTH)
            assert failed.status_code == 500 and failed.json()["errcode"] == "M_UNKNOWN"
            for _ in range(2):
                retry = await client.put(TXN + "1", json=_body(1), headers=AUTH)
                assert retry.status_code == 200

    with caplog.at_level("ERROR", logger="matrix_appservice.server"):
        run(go())
    assert recorder.calls == 2 and len(recorder.transactions) == 1
    assert any("will retry" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_matrix_error_from_the_handler_is_its_answer_and_not_done() -> None:
    class Busy(Recorder):
        async def send_transaction(self, transaction: Any) -> None:
            self.calls += 1
            if self.calls == 1:
                raise MatrixError("try later", status=503, errcode="M_UNKNOWN")

    handler = Busy()

    async def go() -> None:
        async with serving(handler) as (client, _):
            busy = await client.put(TXN + "1", json=_body(1), headers=AUTH)
            assert busy.status_code == 503 and busy.json()["error"] == "try later"
            assert (await client.put(TXN + "1", json=_body(1), headers=AUTH)).status_code == 200
            assert (await client.put(TXN + "1", json=_body(1), headers=AUTH)).status_code == 200

    run(go())
    assert handler.calls == 2


def test_concurrent_duplicate_of_a_failing_first_is_handled_by_the_retry() -> None:
    recorder = Recorder(hold=True, fail_times=1)

    async def go() -> None:
        async with serving(recorder) as (client, _):
            first, second = await _copies(client, recorder, [_body(1)] * 2)
            assert (first.status_code, second.status_code) == (500, 200)

    run_fake_time(go())
    assert recorder.calls == 2 and len(recorder.transactions) == 1


def test_a_retry_may_differ_in_what_is_not_persisted(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()

    async def go() -> None:
        async with serving(recorder) as (client, _):
            assert (await client.put(TXN + "1", json=_body(1), headers=AUTH)).status_code == 200
            # A retry may differ in what is not persisted (ages, ephemeral data): same events.
            retry = _body(1, ephemeral=[])
            retry["events"][0]["unsigned"]["age"] = 9999
            assert (await client.put(TXN + "1", json=retry, headers=AUTH)).status_code == 200

    with caplog.at_level("WARNING", logger="matrix_appservice.server"):
        run(go())
    assert recorder.calls == 1
    assert not caplog.records


def _store(kind: str, tmp_path: Path) -> TransactionStore:
    if kind == "memory":
        return MemoryStore()
    return SQLiteStore(tmp_path / "txns.sqlite3", scope="echo-bridge")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_one_id_is_handled_once_whatever_the_bodies(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A, then B, then A under one ID: A is handled, B and the second A get A's answer, and
    B (another body under a used ID: a homeserver fault) is logged with the ID."""
    recorder = Recorder()
    store = _store(kind, tmp_path)

    async def go() -> list[tuple[int, bytes]]:
        async with serving(recorder, store=store) as (client, _):
            answers = []
            for body in (_body(1), _body(2, 3), _body(1)):
                response = await client.put(TXN + "t-42", json=body, headers=AUTH)
                answers.append((response.status_code, response.content))
        await store.close()
        return answers

    with caplog.at_level("WARNING", logger="matrix_appservice.server"):
        assert run(go()) == [(200, b"{}")] * 3
    assert recorder.calls == 1
    assert [e.event_id for e in recorder.transactions[0].events] == ["$event1"]
    faults = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert len(faults) == 1, [r.getMessage() for r in faults]
    message = faults[0].getMessage()
    assert "t-42" in message and "homeserver" in message
    assert getattr(faults[0], "txn_id", None) == "t-42"
    assert HS_TOKEN not in message and AS_TOKEN not in message


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_racing_copies_of_two_bodies_under_one_id_run_the_handler_once(
    kind: str, tmp_path: Path
) -> None:
    recorder = Recorder(hold=True)
    store = _store(kind, tmp_path)

    async def go() -> list[int]:
        async with serving(recorder, store=store) as (client, _):
            answers = await _copies(client, recorder, [_body(1), _body(2)] * 10, txn="race")
        await store.close()
        return [a.status_code for a in answers]

    assert run_fake_time(go()) == [200] * 20
    assert recorder.calls == 1 and len(recorder.transactions) == 1


def test_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "txns.sqlite3"

    async def deliver(recorder: Recorder, txn: str, *ns: int) -> int:
        async with serving(recorder, store=f"sqlite:{db}") as (client, _):
            response = await client.put(TXN + txn, json=_body(*ns), headers=AUTH)
            return response.status_code

    before, after = Recorder(), Recorder()
    assert run(deliver(before, "1", 1)) == 200
    assert run(deliver(after, "1", 1)) == 200  # a new app on the same file
    assert run(deliver(after, "2", 2)) == 200
    assert before.calls == 1 and after.calls == 1
    assert [e.event_id for e in after.transactions[0].events] == ["$event2"]


def test_default_store_is_sqlite_beside_the_registration_file(tmp_path: Path) -> None:
    import yaml

    reg_file = tmp_path / "registration.yaml"
    reg_file.write_text(yaml.safe_dump(registration()), encoding="utf-8")

    async def go() -> None:
        app = create_app(str(reg_file), Recorder())
        try:
            assert isinstance(app.store, SQLiteStore)
            assert app.store.path == default_store_path(reg_file)
        finally:
            await app.close()
        app = create_app(registration(), Recorder())
        assert isinstance(app.store, MemoryStore)
        await app.close()

    run(go())
    assert default_store_path(reg_file) == tmp_path / "registration.transactions.sqlite3"
    assert default_store_path(reg_file).exists()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_retention_prunes_by_age_and_by_count(kind: str, tmp_path: Path) -> None:
    retention = Retention(max_age=100.0, max_entries=3)

    async def go() -> None:
        store: TransactionStore = (
            MemoryStore(retention)
            if kind == "memory"
            else SQLiteStore(tmp_path / "t.sqlite3", scope="a", retention=retention)
        )
        try:
            for n in range(5):
                assert (await store.claim(str(n), "fp")).state == "new"
                await store.complete(str(n), "fp", b"{}")
            # Count: only the newest three are kept (the memory store trims as it goes).
            await store.prune()
            assert [(await store.claim(str(n), "fp")).state for n in (2, 3, 4)] == ["done"] * 3
            assert (await store.claim("0", "fp")).state == "new"
            await store.release("0")
            # Age: everything handled more than max_age ago goes.
            assert await store.prune(now=time.time() + 101) == 3
            assert (await store.claim("4", "fp")).state == "new"
            await store.release("4")
        finally:
            await store.close()

    run(go())


def test_the_app_prunes_periodically() -> None:
    class CountingStore(MemoryStore):
        prunes = 0

        async def prune(self, now: float | None = None) -> int:
            CountingStore.prunes += 1
            return await super().prune(now)

    store = CountingStore(Retention(prune_every=3600))

    async def go() -> None:
        async with serving(Recorder(), store=store) as (client, _):
            for n in range(5):
                await client.put(TXN + str(n), json=_body(n), headers=AUTH)

    run(go())
    assert CountingStore.prunes == 1  # once at the first completion, then hourly


def test_sqlite_scopes_keep_appservices_apart(tmp_path: Path) -> None:
    async def go() -> None:
        one = SQLiteStore(tmp_path / "t.sqlite3", scope="one")
        two = SQLiteStore(tmp_path / "t.sqlite3", scope="two")
        try:
            await one.claim("1", "fp")
            await one.complete("1", "fp", b"{}")
            assert (await two.claim("1", "fp")).state == "new"
            assert one.count() == 1 and two.count() == 0
            await two.release("1")
        finally:
            await one.close()
            await two.close()

    run(go())


def test_sqlite_store_names_an_unusable_path(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"cannot open the transaction store .*missing"):
        SQLiteStore(tmp_path / "missing" / "dir" / "t.sqlite3")


EPHEMERAL = [{"type": "m.typing", "room_id": "!room:example.org", "content": {"user_ids": []}}]
TO_DEVICE = [{
    "type": "m.room.encrypted", "sender": "@alice:example.org", "content": {},
    "to_user_id": "@_echo_bob:example.org", "to_device_id": "DEV",
}]  # fmt: skip
MSC3202 = {
    "org.matrix.msc3202.device_lists": {"changed": ["@alice:example.org"], "left": []},
    "org.matrix.msc3202.device_one_time_keys_count": {"@_echo_bob:example.org": {"DEV": {"signed_curve25519": 50}}},
    "org.matrix.msc3202.device_unused_fallback_key_types": {"@_echo_bob:example.org": {"DEV": ["signed_curve25519"]}},
}  # fmt: skip
FULL = {"ephemeral": EPHEMERAL, "de.sorunome.msc2409.to_device": TO_DEVICE, **MSC3202}


def _deliver(reg: dict[str, Any], body: dict[str, Any]) -> IncomingTransaction:
    recorder = Recorder()

    async def go() -> None:
        async with serving(recorder, reg) as (client, _):
            response = await client.put(TXN + "1", json=body, headers=AUTH)
            assert response.status_code == 200, response.text

    run(go())
    return recorder.transactions[0]  # type: ignore[no-any-return]


def test_extras_withheld_without_opt_in() -> None:
    txn = _deliver(registration(), _body(1, **FULL))
    assert txn.ephemeral == [] and txn.to_device == []
    assert txn.device_lists is None and txn.one_time_keys_count is None
    assert txn.unused_fallback_key_types is None
    assert txn.body.model_extra == {}


def test_ephemeral_and_to_device_with_receive_ephemeral() -> None:
    for opt_in in ({"receive_ephemeral": True}, {"de.sorunome.msc2409.push_ephemeral": True}):
        txn = _deliver(registration(**opt_in), _body(1, **FULL))
        assert [e.type for e in txn.ephemeral] == ["m.typing"]
        assert isinstance(txn.ephemeral[0], EphemeralEvent)
        assert (
            isinstance(txn.to_device[0], ToDeviceEvent) and txn.to_device[0].to_device_id == "DEV"
        )
        assert txn.device_lists is None


def test_unstable_ephemeral_name_is_read_when_the_stable_one_is_absent() -> None:
    body = _body(1, **{"de.sorunome.msc2409.ephemeral": EPHEMERAL})
    txn = _deliver(registration(**{"de.sorunome.msc2409.push_ephemeral": True}), body)
    assert [e.type for e in txn.ephemeral] == ["m.typing"]


def test_msc3202_fields_with_the_opt_in() -> None:
    txn = _deliver(registration(**{"org.matrix.msc3202": True}), _body(1, **FULL))
    assert txn.device_lists is not None and txn.device_lists.changed == ["@alice:example.org"]
    assert txn.one_time_keys_count == {"@_echo_bob:example.org": {"DEV": {"signed_curve25519": 50}}}
    assert txn.unused_fallback_key_types == {
        "@_echo_bob:example.org": {"DEV": ["signed_curve25519"]}
    }
    assert txn.ephemeral == [] and txn.to_device == []
    old = _body(1, **{"org.matrix.msc3202.device_one_time_key_counts": {"@u:x": {"D": {"a": 1}}}})
    txn = _deliver(registration(**{"org.matrix.msc3202": True}), old)
    assert txn.one_time_keys_count == {"@u:x": {"D": {"a": 1}}}


def test_own_echoes_are_recognised() -> None:
    body = {"events": [
        event(1, sender="@alice:example.org"),
        event(2, sender="@_echo_alice:example.org"),
        event(3, sender="@echobot:example.org"),
        event(4, sender="@watched_carol:example.org"),
        event(5, sender="@_echo_alice:example.org.evil"),
    ]}  # fmt: skip
    txn = _deliver(registration(), body)
    assert [txn.is_own_echo(e) for e in txn.events] == [False, True, True, False, False]
    assert [e.event_id for e in txn.foreign_events()] == ["$event1", "$event4", "$event5"]
    assert txn.is_own_echo({"sender": "@echobot:other.org"})  # no server name: localpart only

    recorder = Recorder()

    async def go() -> None:
        async with serving(recorder, server_name="example.org") as (client, _):
            await client.put(TXN + "1", json=body, headers=AUTH)

    run(go())
    exact = recorder.transactions[0]
    assert exact.is_own_echo({"sender": "@echobot:example.org"})
    assert not exact.is_own_echo({"sender": "@echobot:other.org"})
