"""``matrix-appservice serve`` as a real process: it answers, and its logs carry no token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from matrix_appservice.server import JsonFormatter

from tests.conftest import REPO
from tests.python.server.support import AS_TOKEN, AUTH, HS_TOKEN, TXN, event, registration

HANDLER = f'''
import logging
from matrix_appservice.server import AppServiceHandler

log = logging.getLogger("matrix_appservice.bridge")


class Bridge(AppServiceHandler):
    failed = False

    async def send_transaction(self, transaction):
        if not Bridge.failed:
            Bridge.failed = True
            raise RuntimeError("backend refused access_token={HS_TOKEN}")
        log.info("handled %s with %d events (careless: {HS_TOKEN})", transaction.txn_id,
                 len(transaction.events), extra={{"token": "{AS_TOKEN}"}})
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve did not start listening")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    port = _free_port()
    (tmp_path / "bridge_handler.py").write_text(HANDLER, encoding="utf-8")
    reg = tmp_path / "registration.yaml"
    reg.write_text(yaml.safe_dump(registration(url=f"http://127.0.0.1:{port}")), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "matrix_appservice", "serve", "bridge_handler:Bridge",
             "--registration", str(reg), "--access-log"],
            cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_for(port, process)
            yield port, process, log
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_answers_and_logs_no_token(
    served: tuple[int, subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    port, process, log = served
    base = f"http://127.0.0.1:{port}"
    body = {"events": [event(1)]}
    with httpx.Client(base_url=base, timeout=10) as client:
        url = f"{TXN}42?access_token={HS_TOKEN}"
        assert client.put(url, json=body, headers=AUTH).status_code == 500  # first try fails
        assert client.put(url, json=body, headers=AUTH).status_code == 200
        assert client.put(url, json=body, headers=AUTH).status_code == 200  # already handled
        wrong = client.put(f"{TXN}43?access_token={AS_TOKEN}", json=body)
        assert wrong.status_code == 401
        assert client.post("/_matrix/app/v1/ping", json={}, headers=AUTH).json() == {}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    text = log.read_text(encoding="utf-8")
    assert HS_TOKEN not in text and AS_TOKEN not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert [e.get("event") for e in lines if e.get("event") in ("start", "stop")] == [
        "start",
        "stop",
    ]
    handled = [e for e in lines if e.get("logger") == "matrix_appservice.bridge"]
    assert len(handled) == 1 and "handled 42 with 1 events" in handled[0]["message"]
    assert handled[0]["token"] == "<redacted>"
    failed = [e for e in lines if e.get("event") == "transaction_failed"]
    assert len(failed) == 1 and "RuntimeError" in failed[0]["exception"]
    assert "access_token=<redacted>" in failed[0]["exception"]
    requests = [e for e in lines if e.get("event") == "request"]
    assert [e["status"] for e in requests] == [500, 200, 200, 401, 200]
    assert all("?" not in e["path"] for e in requests)
    assert (tmp_path / "registration.transactions.sqlite3").exists()


def test_serve_reports_bad_arguments(tmp_path: Path) -> None:
    reg = tmp_path / "registration.yaml"
    reg.write_text(yaml.safe_dump(registration(url=None)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}

    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "matrix_appservice", "serve", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    no_port = serve("matrix_appservice.server:AppServiceHandler", "--registration", str(reg))
    assert no_port.returncode == 2 and "give --port" in no_port.stderr
    missing = serve("nowhere:Handler", "--registration", str(reg), "--port", "1")
    assert missing.returncode == 2 and "cannot import 'nowhere'" in missing.stderr
    not_handler = serve("json:JSONDecoder", "--registration", str(reg), "--port", "1")
    assert not_handler.returncode == 2 and "not an AppServiceHandler" in not_handler.stderr
    reg.write_text("id: x\n", encoding="utf-8")
    broken = serve("json:dumps", "--registration", str(reg), "--port", "1")
    assert broken.returncode == 1 and "registration.yaml" in broken.stderr
    for output in (no_port, missing, not_handler, broken):
        assert "Traceback" not in output.stderr


def test_serve_reports_an_address_in_use(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        reg = tmp_path / "registration.yaml"
        reg.write_text(
            yaml.safe_dump(registration(url=f"http://127.0.0.1:{port}")), encoding="utf-8"
        )
        done = subprocess.run(
            [sys.executable, "-m", "matrix_appservice", "serve",
             "matrix_appservice.server:AppServiceHandler", "--registration", str(reg)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert f"serve: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    # The store the app opened is closed again: the SQLite file beside the registration exists.
    assert (tmp_path / "registration.transactions.sqlite3").exists()


def test_the_log_lines_hold_no_token() -> None:
    import logging

    def logged(message: str, *args: object, **extra: object) -> dict[str, object]:
        record = logging.makeLogRecord({"msg": message, "args": args, "levelname": "INFO", **extra})
        return dict(json.loads(JsonFormatter(["s3cret"]).format(record)))

    assert logged("PUT /t/1?access_token=abc&x=1")["message"] == (
        "PUT /t/1?access_token=<redacted>&x=1"
    )
    assert logged("Authorization: Bearer abc.def")["message"] == "Authorization: Bearer <redacted>"
    line = logged("got %s", "s3cret", path="/x?access_token=q")
    assert line["message"] == "got <redacted>" and line["path"] == "/x?access_token=<redacted>"
