"""The echo bridge's pieces without a homeserver: its registration generator and puppet names.

The bridge against a real Synapse is in tests/interop/test_echo_bridge.py.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from matrix_appservice import load_registration
from matrix_appservice.registration import NamespaceMatcher

from examples.echo.__main__ import main as run_bridge
from examples.echo.bridge import puppet_localpart
from examples.echo.make_registration import main as make_registration


def test_the_generated_registration_passes_the_checks_with_fresh_tokens(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for path in (first, second):
        assert make_registration(["--url", "http://127.0.0.1:9010", "--server-name",
                                  "chat.example.org", "-o", str(path)]) == 0  # fmt: skip
    a, b = load_registration(first).model, load_registration(second).model
    assert a.url == "http://127.0.0.1:9010" and a.sender_localpart == "echobot"
    assert len({a.as_token, a.hs_token, b.as_token, b.hs_token}) == 4
    assert len(a.as_token) >= 40
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    matcher = NamespaceMatcher(a)
    assert matcher.user_is_exclusive("@echo_alice:chat.example.org")
    assert not matcher.user_is_exclusive("@echo_alice:chatXexample.org")  # the dot is escaped
    assert not matcher.user_is_exclusive("@alice:chat.example.org")


def test_an_existing_registration_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registration.yaml"
    args = ["--url", "http://127.0.0.1:9010", "--server-name", "example.org", "-o", str(path)]
    assert make_registration(args) == 0
    before = path.read_text()
    assert make_registration(args) == 1
    assert "exists; give --force" in capsys.readouterr().err
    assert path.read_text() == before
    assert make_registration([*args, "--force"]) == 0
    assert path.read_text() != before


def test_a_registration_the_checks_refuse_is_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registration.yaml"
    code = make_registration(["--url", "http://127.0.0.1:9010", "--server-name", "example.org",
                              "--bot", "Not A Localpart", "-o", str(path)])  # fmt: skip
    assert code == 1
    assert "sender_localpart" in capsys.readouterr().err
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("sender", "puppet"),
    [
        ("@alice:example.org", "echo_alice"),
        ("@Bob.Smith:other.example", "echo_bob.smith"),
        ("@weird name!:example.org", "echo_weird_name_"),
    ],
)
def test_puppet_names_are_valid_localparts(sender: str, puppet: str) -> None:
    assert puppet_localpart("echo_", sender) == puppet


def test_the_bridge_names_a_bad_registration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registration.yaml"
    path.write_text("id: x\nurl: [\n", encoding="utf-8")
    code = run_bridge(["--registration", str(path), "--homeserver", "http://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("echo bridge: ") and "registration.yaml" in err


def test_the_bridge_says_when_the_homeserver_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registration.yaml"
    assert make_registration(["--url", "http://127.0.0.1:9010", "--server-name", "example.org",
                              "-o", str(path)]) == 0  # fmt: skip
    # Port 9 (discard) on loopback: nothing listens there.
    code = run_bridge(["--registration", str(path), "--homeserver", "http://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "the homeserver at http://127.0.0.1:9 did not accept us" in err
    token = load_registration(path).model.as_token
    assert token not in err
