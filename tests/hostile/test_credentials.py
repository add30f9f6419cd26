"""Unusable tokens and URLs with user info against every entry point that takes them.

Registration files whose ``as_token`` or ``hs_token`` is empty, blank, or holds what a header
cannot carry, and whose ``url`` holds a password, go to the loader and to every command that
reads a registration (``validate``, ``serve``, ``homeserver``, ``probe``, the echo bridge);
URLs with user info go to every command that takes a URL. Each answer is one clear message
naming the file, the line and the field (or the option), with the documented exit status,
no traceback, and neither the token nor the password anywhere in the output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.bounded import (
    Outcome,
    appservice_spec,
    matrix_appservice,
    run_bounded,
    run_python,
)
from tests.python.registration_cases import GOOD

SECONDS = 10.0
PEAK_MB = 300.0
PASSWORD = "pa55-W0rd-c3f1"
NOT_SHOWN = ("hs_secret_4567890123", "as_secret_0123456789", "as secret", PASSWORD)

CASES = {  # name: (the line of GOOD replaced, its replacement, where, what is said)
    "empty_hs_token": ("hs_token: hs_secret_4567890123", 'hs_token: ""', 4, "hs_token is empty"),
    "blank_as_token": ("as_token: as_secret_0123456789", "as_token: '   '", 3,
                       "as_token is only whitespace"),
    "newline_hs_token": ("hs_token: hs_secret_4567890123", 'hs_token: "hs_secret_4567890123\\r\\n"',
                         4, "hs_token holds a carriage return (character 21 of 22), which an HTTP header cannot carry"),
    "tab_hs_token": ("hs_token: hs_secret_4567890123", 'hs_token: "hs_secret\\t4567890123"', 4,
                     "hs_token holds a tab (character 10 of 20)"),
    "space_in_as_token": ("as_token: as_secret_0123456789", "as_token: as secret 0123456789", 3,
                          "as_token holds a space (character 3 of 20)"),
    "control_in_as_token": ("as_token: as_secret_0123456789", 'as_token: "as_secret_0123456789\\x1b"',
                            3, "as_token holds a control character (character 21 of 21)"),
    "non_ascii_hs_token": ("hs_token: hs_secret_4567890123", "hs_token: hs_secret_4567890123é", 4,
                           "hs_token holds a non-ASCII character (character 21 of 21)"),
    "numeric_hs_token": ("hs_token: hs_secret_4567890123", "hs_token: 4567890123", 4,
                         "hs_token must be a string (the value is not shown: it is a secret)"),
    "url_with_password": ("url: http://127.0.0.1:9000", f"url: http://bridge:{PASSWORD}@127.0.0.1:9000",
                          2, "url 'http://***@127.0.0.1:9000' holds user info"),
    "url_with_user": ("url: http://127.0.0.1:9000", f"url: http://{PASSWORD}@127.0.0.1:9000", 2,
                      "url 'http://***@127.0.0.1:9000' holds user info"),
}  # fmt: skip

LOAD = """
import sys
from matrix_appservice import RegistrationError, load_registration
try:
    load_registration({path!r})
except RegistrationError as exc:
    print(exc)
    sys.exit(1)
"""


def _file(tmp_path: Path, name: str) -> Path:
    old, new, _, _ = CASES[name]
    assert old in GOOD
    path = tmp_path / f"{name}.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    path.chmod(0o600)
    return path


def _echo(*args: str) -> Outcome:
    return run_bounded([sys.executable, "-m", "examples.echo", *args], timeout=30)


# Each entry point: how to call it with a registration file, and its exit status for one
# with errors.
ENTRY_POINTS: dict[str, tuple[Callable[[Path], Outcome], int]] = {
    "load_registration": (lambda p: run_python(LOAD.format(path=str(p)), timeout=30), 1),
    "validate": (lambda p: matrix_appservice("validate", "--registration", str(p), timeout=30), 1),
    "appservice-spec": (lambda p: appservice_spec("validate", "--registration", str(p), timeout=30), 1),
    # A registration whose content is wrong is exit status 1 in every command (the README's
    # table of exit statuses).
    "serve": (lambda p: matrix_appservice("serve", "matrix_appservice.server:AppServiceHandler",
                                          "--registration", str(p), timeout=30), 1),
    "homeserver": (lambda p: matrix_appservice("homeserver", "--registration", str(p),
                                               "--port", "1", timeout=30), 1),
    "probe": (lambda p: matrix_appservice("probe", "http://127.0.0.1:9", "--registration", str(p),
                                          timeout=30), 1),
    "echo-bridge": (lambda p: _echo("--registration", str(p), "--homeserver", "http://127.0.0.1:9"), 2),
}  # fmt: skip


def _clean(outcome: Outcome, code: int) -> str:
    outcome.check_clean(codes=[code], seconds=SECONDS, peak_mb=PEAK_MB)
    shown = outcome.stdout + outcome.stderr
    for secret in NOT_SHOWN:
        assert secret not in shown, shown
    return shown


@pytest.mark.parametrize("entry", ["load_registration", "validate"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_registration_with_an_unusable_token_or_url_is_refused(
    tmp_path: Path, name: str, entry: str
) -> None:
    path = _file(tmp_path, name)
    call, code = ENTRY_POINTS[entry]
    _, _, line, message = CASES[name]
    assert f"{path}:{line}: {message}" in _clean(call(path), code)


@pytest.mark.parametrize(
    "entry", [e for e in ENTRY_POINTS if e not in ("load_registration", "validate")]
)
@pytest.mark.parametrize("name", ["empty_hs_token", "url_with_password"])
def test_every_command_that_reads_a_registration_refuses_it(
    tmp_path: Path, name: str, entry: str
) -> None:
    path = _file(tmp_path, name)
    call, code = ENTRY_POINTS[entry]
    _, _, line, message = CASES[name]
    assert f"{path}:{line}: {message}" in _clean(call(path), code)


def test_a_short_token_is_a_warning_that_names_the_threshold(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(GOOD.replace("hs_secret_4567890123", "hs_4567"), encoding="utf-8")
    path.chmod(0o600)
    outcome = matrix_appservice("validate", "--registration", str(path), timeout=30)
    shown = _clean(outcome, 0)
    assert f"{path}:4: warning: hs_token is 7 characters long, shorter than 16" in shown, shown
    assert "hs_4567" not in shown


URL = f"http://bridge:{PASSWORD}@127.0.0.1:9"
HIDDEN = "'http://***@127.0.0.1:9' holds user info"


def test_the_probe_refuses_a_url_with_user_info() -> None:
    outcome = matrix_appservice("probe", URL, "--hs-token", "hs_secret_4567890123", timeout=30)
    assert f"probe: URL {HIDDEN}" in _clean(outcome, 2)
    as_json = matrix_appservice(
        "probe", URL, "--hs-token", "hs_secret_4567890123", "--json", timeout=30
    )
    assert HIDDEN in _clean(as_json, 2) and as_json.stdout == ""


@pytest.mark.parametrize(
    ("token", "message"),
    [("", "the hs_token is empty"), (" ", "the hs_token is only whitespace"),
     ("hs_secret_4567890123\n", "the hs_token holds a line feed (character 21 of 21)")],
)  # fmt: skip
def test_the_probe_refuses_an_unusable_hs_token(token: str, message: str) -> None:
    outcome = matrix_appservice("probe", "http://127.0.0.1:9", "--hs-token", token, timeout=30)
    assert f"probe: {message}" in _clean(outcome, 2)


def test_the_echo_bridge_refuses_a_homeserver_url_with_user_info(tmp_path: Path) -> None:
    path = tmp_path / "registration.yaml"
    path.write_text(GOOD, encoding="utf-8")
    path.chmod(0o600)
    outcome = _echo("--registration", str(path), "--homeserver", URL)
    assert f"echo bridge: --homeserver: base_url {HIDDEN}" in _clean(outcome, 2)


def test_the_echo_bridge_makes_no_registration_with_a_password_in_its_url(tmp_path: Path) -> None:
    out = tmp_path / "registration.yaml"
    outcome = run_bounded(
        [sys.executable, "-m", "examples.echo.make_registration", "--url", URL,
         "--server-name", "example.org", "-o", str(out)], timeout=30,
    )  # fmt: skip
    assert f"url {HIDDEN}" in _clean(outcome, 1)
    assert not out.exists() and list(tmp_path.iterdir()) == []
