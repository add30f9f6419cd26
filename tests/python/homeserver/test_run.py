"""The homeserver as a process (``matrix-appservice homeserver``) and as a pytest fixture."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from matrix_appservice.client import HomeserverClient
from matrix_appservice.homeserver.testing import (
    RunningHomeserver,
    free_port,
    in_memory_homeserver,
    running_homeserver,
)
from matrix_appservice.server import AppServiceHandler, create_app

from tests.conftest import REPO
from tests.python.homeserver.support import AS_TOKEN, loaded, registration

__all__ = ["in_memory_homeserver"]  # the fixture under test, taken from the package


def test_cli_starts_and_answers_versions(tmp_path: Path) -> None:
    port = free_port()
    reg = tmp_path / "registration.yaml"
    reg.write_text(yaml.safe_dump(registration()), encoding="utf-8")
    reg.chmod(0o600)
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    log = tmp_path / "hs.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "matrix_appservice", "homeserver", "--registration",
             str(reg), "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/_matrix/client/versions")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the homeserver did not start"
                    time.sleep(0.1)
            assert "v1.19" in answer.json()["versions"]
            with HomeserverClient(f"http://127.0.0.1:{port}", AS_TOKEN) as client:
                assert client.register(username="_irc_alice", inhibit_login=True).user_id == (
                    "@_irc_alice:localhost"
                )
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
    assert AS_TOKEN not in log.read_text()


def test_cli_refuses_a_bad_registration(tmp_path: Path) -> None:
    reg = tmp_path / "registration.yaml"
    reg.write_text("id: x\nurl: [\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    done = subprocess.run(
        [sys.executable, "-m", "matrix_appservice", "homeserver", "--registration", str(reg)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "registration.yaml:3: YAML error" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def homeserver_registrations() -> list[Any]:
    return loaded(registration())


def test_fixture_serves_on_loopback(in_memory_homeserver: RunningHomeserver) -> None:
    assert in_memory_homeserver.url.startswith("http://127.0.0.1:")
    with HomeserverClient(in_memory_homeserver.url, AS_TOKEN) as client:
        client.register(username="_irc_alice", inhibit_login=True)
        alice = client.as_user("@_irc_alice:localhost")
        room = alice.request("POST", "/_matrix/client/v3/createRoom", json={})["room_id"]
        alice.send_message(room, "m.room.message", "t1", {"body": "hi"}, ts=42)
    events = in_memory_homeserver.homeserver.state.rooms[room].timeline
    assert events[-1]["origin_server_ts"] == 42


class _Bridge(AppServiceHandler):
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def send_transaction(self, transaction: Any) -> None:
        self.events += transaction.events


def test_events_reach_the_appservice_through_the_pusher() -> None:
    """A bridge's user sends; our pusher delivers it to our appservice server."""
    from matrix_appservice.server import AppServer

    bridge = _Bridge()
    as_port = free_port()
    reg = registration(url=f"http://127.0.0.1:{as_port}")
    app = create_app(reg, bridge, store="memory")
    server = AppServer(app)

    async def scenario(running: RunningHomeserver) -> None:
        await server.start("127.0.0.1", as_port)
        try:
            from matrix_appservice.client import AsyncHomeserverClient

            async with AsyncHomeserverClient(running.url, AS_TOKEN) as client:
                await client.register(username="_irc_alice", inhibit_login=True)
                alice = client.as_user("@_irc_alice:localhost")
                made = await alice.request("POST", "/_matrix/client/v3/createRoom", json={})
                sent = await alice.send_message(
                    made["room_id"], "m.room.message", "t1", {"body": "to the bridge"}
                )
            deadline = time.monotonic() + 10
            while sent.event_id not in [e.event_id for e in bridge.events]:
                assert time.monotonic() < deadline, "the event never reached the appservice"
                await asyncio.sleep(0.05)
        finally:
            await server.close()

    with running_homeserver(loaded(reg)) as running:
        asyncio.run(scenario(running))
