"""What the SQLite store keeps when the serving process dies, and its two ``sync`` levels.

A transaction whose answer was sent is in the store: after ``kill -9`` of ``matrix-appservice
serve`` and a restart on the same file, the homeserver's retry of it is answered from the store
and the handler does not run again. This holds with ``sync=normal`` (the default: the commit
reaches the operating system before the answer) and ``sync=full`` (it reaches the disk).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from matrix_appservice.server import AppServiceHandler, Retention, SQLiteStore, create_app

from tests.conftest import REPO
from tests.python.server.support import AUTH, TXN, event, registration, run

HANDLER = """
import os
from matrix_appservice.server import AppServiceHandler


class Bridge(AppServiceHandler):
    async def send_transaction(self, transaction):
        with open(os.environ["HANDLED_LOG"], "a", encoding="utf-8") as log:
            log.write(transaction.txn_id + "\\n")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(folder: Path, store: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime"),
           "HANDLED_LOG": str(folder / "handled.txt")}  # fmt: skip
    with (folder / "serve.log").open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "matrix_appservice", "serve", "durable_handler:Bridge",
             "--registration", str(folder / "registration.yaml"), "--store", store],
            cwd=folder, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError("serve did not start listening")


@pytest.mark.parametrize("options", ["", "?sync=normal", "?sync=full"])
def test_an_answered_transaction_survives_kill_9(tmp_path: Path, options: str) -> None:
    port = _free_port()
    (tmp_path / "durable_handler.py").write_text(HANDLER, encoding="utf-8")
    reg = registration(url=f"http://127.0.0.1:{port}")
    (tmp_path / "registration.yaml").write_text(yaml.safe_dump(reg), encoding="utf-8")
    store = f"sqlite:{tmp_path / 'txns.sqlite3'}{options}"
    base = f"http://127.0.0.1:{port}"
    body = {"events": [event(1)]}

    first = _serve(tmp_path, store, port)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.put(TXN + "t1", json=body, headers=AUTH).status_code == 200
    finally:
        first.send_signal(signal.SIGKILL)  # at once, after the answer: no clean shutdown
        first.wait(timeout=20)
    assert first.returncode == -signal.SIGKILL
    assert (tmp_path / "txns.sqlite3-wal").exists()  # the file was not closed cleanly

    second = _serve(tmp_path, store, port)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            again = client.put(TXN + "t1", json=body, headers=AUTH)
            assert (again.status_code, again.content) == (200, b"{}")
            assert client.put(TXN + "t2", json=body, headers=AUTH).status_code == 200
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=20)
    # t1 was handled once, before the kill; its retry came from the store.
    assert (tmp_path / "handled.txt").read_text(encoding="utf-8").split() == ["t1", "t2"]


@pytest.mark.parametrize(
    ("spec", "level"),
    [("sqlite:a.db", "NORMAL"), ("sqlite:a.db?sync=full", "FULL"),
     ("sqlite:a.db?sync=normal", "NORMAL")],
)  # fmt: skip
def test_the_store_spec_sets_the_level_sqlite_applies(
    spec: str, level: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app(registration(), AppServiceHandler(), store=spec)
    store = app.store
    assert isinstance(store, SQLiteStore) and store.path == Path("a.db")
    assert store.synchronous == level  # read back from SQLite, not from our own setting
    run(store.close())


@pytest.mark.parametrize("spec", ["sqlite:a.db?sync=off", "sqlite:a.db?mode=ro"])
def test_a_bad_store_option_is_one_clear_error(spec: str) -> None:
    with pytest.raises(ValueError, match=r"sync=normal \(the default\) or sync=full"):
        create_app(registration(), AppServiceHandler(), store=spec)
    with pytest.raises(ValueError, match="sync must be 'normal' or 'full'"):
        SQLiteStore("a.db", sync="off")  # type: ignore[arg-type]


def test_a_store_spec_without_a_file_is_refused() -> None:
    with pytest.raises(ValueError, match="names no file"):
        create_app(registration(), AppServiceHandler(), store="sqlite:?sync=full")


def _rows_in_main_file(path: Path) -> int:
    """Rows that reached the database file itself (the write-ahead log is not read)."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as db:
        try:
            return int(db.execute("SELECT count(*) FROM handled_transactions").fetchone()[0])
        except sqlite3.OperationalError:  # not even the table has been copied yet
            return 0


def test_the_log_is_copied_into_the_file_as_commits_go_on(tmp_path: Path) -> None:
    """With ``sync=normal`` the event loop only appends to the log; a background thread
    copies it into the database file every thousand commits, catching up with it, so the
    log starts afresh instead of growing with every commit, and the file holds the rows
    while the store is still open."""
    path = tmp_path / "t.sqlite3"
    wal = tmp_path / "t.sqlite3-wal"

    async def go() -> tuple[int, int]:
        store = SQLiteStore(path)
        try:
            for n in range(6000):
                assert (await store.claim(str(n), "fp")).state == "new"
                await store.complete(str(n), "fp", b"{}")
                await asyncio.sleep(0)  # as between requests
            deadline = time.monotonic() + 10
            while (copied := _rows_in_main_file(path)) < 5000 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return copied, wal.stat().st_size
        finally:
            await store.close()

    copied, log_size = run(go())
    assert copied >= 5000
    assert log_size < 6000 * 4096 / 2  # the log was started afresh: not a page per commit
    assert _rows_in_main_file(path) == 6000  # closing copies the rest


def test_full_sync_commits_concurrent_transactions_together(tmp_path: Path) -> None:
    """Many transactions completing at once with ``sync=full`` are all stored (in shared
    flushes) before their ``complete`` returns."""
    path = tmp_path / "t.sqlite3"

    async def go() -> None:
        store = SQLiteStore(path, sync="full")
        try:
            for n in range(64):
                assert (await store.claim(str(n), "fp")).state == "new"
            await asyncio.gather(*(store.complete(str(n), "fp", b"{}") for n in range(64)))
            assert store.count() == 64
            assert all([(await store.claim(str(n), "fp")).state == "done" for n in range(64)])
        finally:
            await store.close()

    run(go())


EARLIER_SCHEMA = """
CREATE TABLE handled_transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    answer BLOB NOT NULL,
    handled_at REAL NOT NULL,
    UNIQUE (scope, txn_id)
);
CREATE INDEX handled_transactions_age ON handled_transactions (handled_at);
"""
"""The table as earlier versions of the store made it (with a unique index on the IDs)."""


def test_a_file_of_an_earlier_version_is_read_and_written(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(EARLIER_SCHEMA)
        db.execute(
            "INSERT INTO handled_transactions (scope, txn_id, fingerprint, answer, handled_at)"
            " VALUES ('a', 'old', 'fp-old', x'7b7d', ?)",
            (time.time(),),
        )

    async def go() -> None:
        store = SQLiteStore(path, scope="a", retention=Retention(max_entries=2))
        try:
            old = await store.claim("old", "fp-old")
            assert (old.state, old.answer, old.fingerprint) == ("done", b"{}", "fp-old")
            assert (await store.claim("new", "fp")).state == "new"
            # Meanwhile another writer (two processes on one file: not supported) stores the
            # same ID; the unique index of the old file keeps our row out, and the store
            # answers a retry with the row that is there.
            with sqlite3.connect(path) as other:
                other.execute(
                    "INSERT INTO handled_transactions (scope, txn_id, fingerprint, answer,"
                    " handled_at) VALUES ('a', 'new', 'fp-other', x'5b5d', ?)",
                    (time.time(),),
                )
            await store.complete("new", "fp", b"{}")
            again = await store.claim("new", "fp")
            assert (again.state, again.answer, again.fingerprint) == ("done", b"[]", "fp-other")
            for n in range(3):
                assert (await store.claim(f"t{n}", "fp")).state == "new"
                await store.complete(f"t{n}", "fp", b"{}")
            assert await store.prune() == 3  # the newest two are kept
            assert store.count() == 2
            assert (await store.claim("old", "fp-old")).state == "new"
            await store.release("old")
            assert (await store.claim("t2", "fp")).state == "done"
        finally:
            await store.close()

    run(go())


def test_ids_handled_before_a_restart_are_found_after_it(tmp_path: Path) -> None:
    """The store finds a handled ID's row through what it read when it opened (an ID it
    wrote itself, a pruned one and one of another scope in the same file included)."""
    path = tmp_path / "t.sqlite3"

    async def first() -> None:
        a, b = SQLiteStore(path, scope="a"), SQLiteStore(path, scope="b")
        try:
            for store, answer in ((a, b'{"a":1}'), (b, b'{"b":2}')):
                for txn_id in ("1", "2"):
                    assert (await store.claim(txn_id, "fp")).state == "new"
                    await store.complete(txn_id, "fp", answer)
        finally:
            await a.close()
            await b.close()

    async def second() -> None:
        store = SQLiteStore(path, scope="b", retention=Retention(max_entries=1))
        try:
            found = await store.claim("1", "fp")
            assert (found.state, found.answer) == ("done", b'{"b":2}')
            assert await store.prune() == 1  # "1" of scope b; scope a is left alone
            assert (await store.claim("1", "fp")).state == "new"
            await store.release("1")
            assert (await store.claim("2", "fp")).answer == b'{"b":2}'
        finally:
            await store.close()

    run(first())
    run(second())
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT scope, txn_id FROM handled_transactions ORDER BY seq").fetchall()
    assert rows == [("a", "1"), ("a", "2"), ("b", "2")]


def test_a_commit_on_the_event_loop_is_in_the_file_before_it_returns(tmp_path: Path) -> None:
    """The app completes a transaction on the SQLite store without a coroutine
    (``complete_nowait``) when nothing needs waiting for: the row is committed (another
    connection reads it) when the call returns. With ``sync=full`` the call does nothing and
    says so, and the app awaits ``complete`` (a flush on the store's thread) instead."""
    path = tmp_path / "t.sqlite3"

    async def go() -> None:
        normal = SQLiteStore(path, scope="n")
        full = SQLiteStore(tmp_path / "full.sqlite3", sync="full")
        try:
            assert normal.claim_nowait("1", "fp").state == "new"
            assert normal.complete_nowait("1", "fp", b"{}") is True
            with sqlite3.connect(path) as other:
                row = other.execute(
                    "SELECT fingerprint, answer FROM handled_transactions WHERE txn_id = '1'"
                ).fetchone()
            assert row == ("fp", b"{}")
            done = normal.claim_nowait("1", "other")
            assert (done.state, done.answer, done.fingerprint) == ("done", b"{}", "fp")
            assert full.claim_nowait("1", "fp").state == "new"
            assert full.complete_nowait("1", "fp", b"{}") is False
            assert full.count() == 0 and full.claim_nowait("1", "fp").state == "in_progress"
            await full.complete("1", "fp", b"{}")
            assert full.count() == 1
        finally:
            await normal.close()
            await full.close()

    run(go())
