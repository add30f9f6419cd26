"""``serve --check-content`` and ``homeserver --check-content``, as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from matrix_appservice.client import HomeserverClient
from matrix_appservice.errors import MatrixError
from matrix_appservice.homeserver.testing import free_port

from tests.conftest import REPO
from tests.python.homeserver import support as hs_support
from tests.python.server.support import AUTH, TXN, event, registration

IMAGE = {"msgtype": "m.image", "body": "cat.png", "info": {"size": "big"}}


@contextmanager
def _running(args: list[str], port: int, ready: str, cwd: Path) -> Iterator[None]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    log = cwd / "process.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "matrix_appservice", *args],
            cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the process did not start"
                    time.sleep(0.1)
            yield
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0


def test_serve_checks_contents_with_the_flag(tmp_path: Path) -> None:
    (tmp_path / "quiet.py").write_text(
        "from matrix_appservice.server import AppServiceHandler\n\n\n"
        "class Bridge(AppServiceHandler):\n"
        "    async def send_transaction(self, transaction):\n"
        "        pass\n",
        encoding="utf-8",
    )
    for flag in ([], ["--check-content"]):
        port = free_port()
        reg = tmp_path / "registration.yaml"
        reg.write_text(yaml.safe_dump(registration(url=f"http://127.0.0.1:{port}")))
        args = ["serve", "quiet:Bridge", "--registration", str(reg), "--store", "memory", *flag]
        with _running(args, port, "/", tmp_path):
            body = {"events": [event(1, content=IMAGE)]}
            answer = httpx.put(f"http://127.0.0.1:{port}{TXN}1", json=body, headers=AUTH)
        if flag:
            assert answer.status_code == 400 and answer.json()["errcode"] == "M_BAD_JSON"
            assert "$.events[0].content.info.size" in answer.json()["error"]
        else:
            assert answer.status_code == 200


def test_the_homeserver_checks_contents_with_the_flag(tmp_path: Path) -> None:
    reg = tmp_path / "registration.yaml"
    reg.write_text(yaml.safe_dump(hs_support.registration()), encoding="utf-8")
    reg.chmod(0o600)
    port = free_port()
    args = ["homeserver", "--registration", str(reg), "--port", str(port), "--check-content"]
    with _running(args, port, "/_matrix/client/versions", tmp_path):
        with HomeserverClient(f"http://127.0.0.1:{port}", hs_support.AS_TOKEN) as client:
            client.register(username="_irc_alice", inhibit_login=True)
            alice = client.as_user("@_irc_alice:localhost")
            room = alice.request("POST", "/_matrix/client/v3/createRoom", json={})["room_id"]
            with pytest.raises(MatrixError) as refused:
                alice.send_message(room, "m.room.message", "t1", IMAGE)
            assert (refused.value.status, refused.value.errcode) == (400, "M_BAD_JSON")
            alice.send_message(room, "m.room.message", "t2", {**IMAGE, "info": {"size": 3}})
