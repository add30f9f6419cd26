"""A bridge's own start-up and shut-down: ``serve MODULE:FACTORY`` builds the handler from the
registration, runs its ``startup()`` before the first request and its ``shutdown()`` after the
last answer; the app's ASGI lifespan and :class:`AppServer` run the same hooks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from matrix_appservice.server import AppServer, AppServiceHandler, create_app

from tests.conftest import REPO
from tests.python.server.support import AS_TOKEN, AUTH, TXN, event, registration

HOOKS = f"""
import asyncio

from matrix_appservice.server import AppServiceHandler


def note(text):
    with open("events.log", "a", encoding="utf-8") as log:
        log.write(text + "\\n")


class Bridge(AppServiceHandler):
    def __init__(self, registration):
        self.registration = registration

    async def startup(self):
        note("startup begins")
        await asyncio.sleep(1.0)  # requests sent meanwhile wait for it
        note("startup ends")

    async def shutdown(self):
        note("shutdown")

    async def send_transaction(self, transaction):
        note(f"transaction {{transaction.txn_id}} begins")
        await asyncio.sleep(1.0 if transaction.txn_id == "slow" else 0)
        note(f"transaction {{transaction.txn_id}} ends")


def make_bridge(registration):
    note(f"factory {{registration.id}} {{registration.as_token == {AS_TOKEN!r}}}")
    return Bridge(registration)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _events(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _until(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.02)


def _put(port: int, txn_id: str) -> int:
    """PUT a transaction, trying again while nothing answers yet."""
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = httpx.put(
                f"http://127.0.0.1:{port}{TXN}{txn_id}", json={"events": [event(1)]},
                headers=AUTH, timeout=10,
            )  # fmt: skip
            return answer.status_code
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.02)


def test_a_factory_and_its_hooks_around_every_request(tmp_path: Path) -> None:
    (tmp_path / "hooks.py").write_text(HOOKS, encoding="utf-8")
    port = _free_port()
    reg = tmp_path / "registration.yaml"
    reg.write_text(yaml.safe_dump(registration(url=f"http://127.0.0.1:{port}")), encoding="utf-8")
    reg.chmod(0o600)
    log = tmp_path / "events.log"
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    process = subprocess.Popen(
        [sys.executable, "-m", "matrix_appservice", "serve", "hooks:make_bridge",
         "--registration", str(reg), "--store", "memory"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Sent at once, while startup() still sleeps: answered only after it.
        assert _put(port, "early") == 200
        answers: list[int] = []
        slow = threading.Thread(target=lambda: answers.append(_put(port, "slow")))
        slow.start()
        _until(lambda: "transaction slow begins" in _events(log), "the slow transaction")
        process.send_signal(signal.SIGTERM)  # while the slow transaction is in progress
        slow.join(timeout=30)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert answers == [200]
    assert _events(log) == [
        "factory echo-bridge True",  # the factory got the registration
        "startup begins",
        "startup ends",
        "transaction early begins",
        "transaction early ends",
        "transaction slow begins",
        "transaction slow ends",
        "shutdown",
    ]


class _Hooked(AppServiceHandler):
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def startup(self) -> None:
        self.calls.append("startup")

    async def shutdown(self) -> None:
        self.calls.append("shutdown")


def test_the_asgi_lifespan_runs_the_hooks() -> None:
    handler = _Hooked()
    app = create_app(registration(), handler, store="memory")
    sent: list[dict[str, Any]] = []

    async def lifespan() -> None:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)

    asyncio.run(lifespan())
    assert handler.calls == ["startup", "shutdown"]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_failing_startup_fails_the_lifespan_and_skips_shutdown() -> None:
    class Failing(_Hooked):
        async def startup(self) -> None:
            raise ConnectionError("no backend")

    handler = Failing()
    app = create_app(registration(), handler, store="memory")
    sent: list[dict[str, Any]] = []

    async def lifespan() -> None:
        # A server that sees startup fail sends nothing more; shutdown here is only a bound.
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)
        await app.close()

    asyncio.run(lifespan())
    assert sent == [{"type": "lifespan.startup.failed", "message": "no backend"}]
    assert handler.calls == []  # no shutdown() for a start-up that did not finish


def test_app_server_start_and_close_run_the_hooks() -> None:
    handler = _Hooked()

    async def lifetime() -> None:
        server = AppServer(create_app(registration(), handler, store="memory"))
        await server.start("127.0.0.1", 0)
        assert handler.calls == ["startup"]
        await server.close()

    asyncio.run(lifetime())
    assert handler.calls == ["startup", "shutdown"]
