"""The example echo bridge (examples/echo) against a real Synapse.

The registration comes from the example's generator; Synapse loads it; the bridge runs as
its own process with the command the README gives. A normal user (registered through
Synapse's shared-secret admin API) invites the bot into a private room and writes in it; the
answer ``echo: <body>`` comes back from a puppet in the bridge's exclusive namespace, once
per message, and the bridge does not echo its own echoes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from matrix_appservice import load_registration
from matrix_appservice.registration import NamespaceMatcher

from tests.conftest import REPO
from tests.interop import synapse

pytestmark = pytest.mark.synapse

BOT = "@echobot:localhost"
_serial = count()


def _unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 1_000_000}x{next(_serial)}"


@dataclass
class World:
    base_url: str
    registration: Path
    log: Path


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "runtime")}


def _listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the bridge exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the bridge did not listen:\n{log.read_text()}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("synapse-echo")
    port = synapse.free_port()
    reg = workdir / "registration.yaml"
    made = subprocess.run(
        [sys.executable, "-m", "examples.echo.make_registration", "--url",
         f"http://127.0.0.1:{port}", "--server-name", synapse.SERVER_NAME, "-o", str(reg)],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    server = synapse.start(workdir, reg)
    log = workdir / "bridge.log"
    try:
        with log.open("wb") as sink:
            bridge = subprocess.Popen(
                [sys.executable, "-m", "examples.echo", "--registration", str(reg),
                 "--homeserver", server.base_url],
                cwd=REPO, env=_env(), stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _listening(port, bridge, log)
            yield World(server.base_url, reg, log)
        finally:
            bridge.send_signal(signal.SIGINT)
            try:
                bridge.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bridge.kill()
                bridge.wait(timeout=5)
    finally:
        server.stop()


def _eventually(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return found


def _messages(user: httpx.Client, room_id: str) -> list[dict[str, Any]]:
    answer = user.get(
        f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/messages",
        params={"dir": "b", "limit": 100},
    )
    answer.raise_for_status()
    chunk: list[dict[str, Any]] = answer.json()["chunk"]
    return [e for e in reversed(chunk) if e["type"] == "m.room.message"]


def test_a_message_comes_back_echoed_by_a_puppet(world: World) -> None:
    registered = synapse.register_user(world.base_url, _unique("dana"))
    alice_id = registered["user_id"]
    matcher = NamespaceMatcher(load_registration(world.registration).model)
    with httpx.Client(
        base_url=world.base_url,
        headers={"Authorization": f"Bearer {registered['access_token']}"},
        timeout=30,
    ) as alice:
        created = alice.post(
            "/_matrix/client/v3/createRoom", json={"preset": "private_chat", "invite": [BOT]}
        )
        created.raise_for_status()
        room_id = created.json()["room_id"]
        members = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/joined_members"
        _eventually(lambda: BOT in alice.get(members).json()["joined"], "the bot to join")

        def send(body: str) -> str:
            sent = alice.put(
                f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
                f"{_unique('t')}",
                json={"msgtype": "m.text", "body": body},
            )
            sent.raise_for_status()
            event_id: str = sent.json()["event_id"]
            return event_id

        def echoes_of(body: str) -> list[dict[str, Any]]:
            return [
                e for e in _messages(alice, room_id) if e["content"].get("body") == f"echo: {body}"
            ]

        send("hello bridge")
        echo = _eventually(lambda: echoes_of("hello bridge"), "the echo")[0]
        puppet = echo["sender"]
        assert puppet not in (alice_id, BOT)
        assert matcher.user_is_exclusive(puppet)  # a namespaced user of the bridge
        assert echo["content"] == {"msgtype": "m.notice", "body": "echo: hello bridge"}

        # Synapse pushes in order: when the second echo is there, the bridge has seen the
        # first echo come back, and left it alone.
        send("second message")
        second = _eventually(lambda: echoes_of("second message"), "the second echo")
        assert [e["sender"] for e in second] == [puppet]
        bodies = [e["content"]["body"] for e in _messages(alice, room_id)]
        assert bodies == [
            "hello bridge",
            "echo: hello bridge",
            "second message",
            "echo: second message",
        ]
    tokens = load_registration(world.registration).model
    written = world.log.read_text()
    assert "echoed" in written
    assert tokens.as_token not in written and tokens.hs_token not in written
