"""The example echo bridge (examples/echo) against our in-memory homeserver, in milliseconds.

The same scenario as against Synapse (``test_echo_bridge.py``): the registration comes from
the example's generator; the in-memory homeserver loads it and delivers events through its
SQLite transaction pusher; the bridge runs as its own process. A plain user (made with
``InMemoryHomeserver.create_user``) invites the bot into a private room and writes in it;
``echo: <body>`` comes back from a puppet in the bridge's exclusive namespace, once per
message, delivered to the bridge as transactions and stored by the homeserver.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from itertools import count
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from matrix_appservice import load_registration
from matrix_appservice.homeserver.testing import free_port, running_homeserver
from matrix_appservice.registration import NamespaceMatcher
from matrix_appservice.server import AppServiceApp

from examples.echo.__main__ import main as run_bridge
from tests.conftest import REPO
from tests.interop.test_echo_bridge import _env, _eventually, _listening, _messages

BOT = "@echobot:localhost"
_txn = count()


def make_registration(reg: Path, port: int) -> None:
    """The echo bridge's own registration maker, for a bridge on ``port``."""
    made = subprocess.run(
        [sys.executable, "-m", "examples.echo.make_registration", "--url",
         f"http://127.0.0.1:{port}", "--server-name", "localhost", "-o", str(reg)],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


def test_the_echo_bridge_answers_through_the_in_memory_homeserver(tmp_path: Path) -> None:
    port = free_port()
    reg = tmp_path / "registration.yaml"
    make_registration(reg, port)
    matcher = NamespaceMatcher(load_registration(reg).model)
    log = tmp_path / "bridge.log"
    with running_homeserver([reg], pusher_store=tmp_path / "pusher.sqlite3") as hs:
        token = hs.homeserver.create_user("dana")  # before any traffic: no other thread busy
        with log.open("wb") as sink:
            bridge = subprocess.Popen(
                [sys.executable, "-m", "examples.echo", "--registration", str(reg),
                 "--homeserver", hs.url],
                cwd=REPO, env=_env(), stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _listening(port, bridge, log)
            with httpx.Client(
                base_url=hs.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as dana:
                created = dana.post(
                    "/_matrix/client/v3/createRoom",
                    json={"preset": "private_chat", "invite": [BOT]},
                )
                created.raise_for_status()
                room_id = created.json()["room_id"]
                room = quote(room_id, safe="")
                members = f"/_matrix/client/v3/rooms/{room}/joined_members"
                _eventually(lambda: BOT in dana.get(members).json()["joined"], "the bot to join")

                def send(body: str) -> None:
                    sent = dana.put(
                        f"/_matrix/client/v3/rooms/{room}/send/m.room.message/t{next(_txn)}",
                        json={"msgtype": "m.text", "body": body},
                    )
                    sent.raise_for_status()

                def bodies() -> list[str]:
                    return [e["content"]["body"] for e in _messages(dana, room_id)]

                send("hello bridge")
                _eventually(lambda: "echo: hello bridge" in bodies(), "the echo", timeout=30)
                echo = _messages(dana, room_id)[-1]
                puppet = echo["sender"]
                assert puppet not in ("@dana:localhost", BOT)
                assert matcher.user_is_exclusive(puppet)
                assert echo["content"] == {"msgtype": "m.notice", "body": "echo: hello bridge"}

                # The pusher delivers in order: when the second echo is there, the bridge
                # has had the first echo back, and left it alone.
                send("second message")
                _eventually(lambda: "echo: second message" in bodies(), "the second echo")
                assert bodies() == [
                    "hello bridge",
                    "echo: hello bridge",
                    "second message",
                    "echo: second message",
                ]
                senders = [e["sender"] for e in _messages(dana, room_id)]
                assert senders == ["@dana:localhost", puppet, "@dana:localhost", puppet]
        finally:
            bridge.send_signal(signal.SIGINT)
            try:
                stopped = bridge.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bridge.kill()
                bridge.wait(timeout=5)
                stopped = None
    written = log.read_text()
    assert "echoed" in written
    assert "the homeserver reached us" in written  # our homeserver's ping reached the bridge
    # Ctrl-C stops the server cleanly: exit status 0, no traceback.
    assert stopped == 0, written
    assert "Traceback" not in written


def test_the_bridge_says_when_its_address_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = tmp_path / "registration.yaml"
    closed: list[AppServiceApp] = []
    close = AppServiceApp.close

    async def closing(app: AppServiceApp) -> None:
        closed.append(app)
        await close(app)

    monkeypatch.setattr(AppServiceApp, "close", closing)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        make_registration(reg, port)
        with running_homeserver([reg]) as hs:
            code = run_bridge(["--registration", str(reg), "--homeserver", hs.url])
    err = capsys.readouterr().err
    assert code == 2, err
    first = err.splitlines()[0]
    assert first.startswith(f"echo bridge: cannot listen on 127.0.0.1:{port}: "), err
    assert "address already in use" in first
    assert len(closed) == 1  # the app (and its SQLite store) was closed before giving up
    tokens = load_registration(reg).model
    assert tokens.as_token not in err and tokens.hs_token not in err
