"""The methods are typed for callers: mypy --strict sees the models and wrong arguments."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

USE = """
from matrix_appservice.client import AppServiceClient, HomeserverClient


def use(homeserver: HomeserverClient, appservice: AppServiceClient) -> None:
    sent = homeserver.as_user("@a:e").send_message("!r:e", "m.room.message", "t", {}, ts=1)
    reveal_type(sent)
    reveal_type(appservice.query_location_by_alias(alias="#a:e"))
    reveal_type(homeserver.update_device("DEV"))
    homeserver.ping_appservice("irc", transaction_id=3)
    appservice.send_transaction("t1")
"""


def test_mypy_sees_the_models_and_refuses_wrong_arguments(tmp_path: Path) -> None:
    source = tmp_path / "use_client.py"
    source.write_text(USE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(REPO / ".mypy_cache"),
         "--config-file", str(REPO / "generated" / "python" / "pyproject.toml"), str(source)],
        capture_output=True, text=True, cwd=REPO / "runtime", timeout=600,
    )  # fmt: skip
    out = done.stdout
    revealed = re.findall(r'Revealed type is "([^"]+)"', out)
    assert revealed == [
        "matrix_appservice.models.client.SendEventResponse",
        "list[matrix_appservice.models.thirdparty.Location]",
        "matrix_appservice.models.client.UpdateDeviceResponse"
        " | matrix_appservice.models.client.CreateDeviceResponse",
    ], out
    assert 'Argument "transaction_id" to "ping_appservice"' in out
    assert 'Missing positional argument "transaction" in call to "send_transaction"' in out
    assert "Found 2 errors" in out
