"""Hostile and malformed registration files against every public entry point.

Each input goes to ``load_registration`` and to both command lines in a child process with
a ceiling on time and memory: the answer must be one clear message naming the file (and the
line where there is one), the documented exit status (2: the file cannot be read, 1: its
content is invalid), no traceback, in well under the ceilings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.bounded import Outcome, appservice_spec, matrix_appservice, run_python
from tests.python.registration_cases import CASES, GOOD, HUGE, Case, located, materialize

SECONDS = 5.0
PEAK_MB = 300.0

LOAD = """
import sys
from matrix_appservice import RegistrationError, RegistrationReadError, load_registration
try:
    load_registration({path!r})
except RegistrationReadError as exc:
    print(exc)
    sys.exit(2)
except RegistrationError as exc:
    print(exc)
    sys.exit(1)
"""


def _api(path: Path) -> Outcome:
    return run_python(LOAD.format(path=str(path)), timeout=30)


def _matrix_appservice(path: Path) -> Outcome:
    return matrix_appservice("validate", "--registration", str(path), timeout=30)


def _appservice_spec(path: Path) -> Outcome:
    return appservice_spec("validate", "--registration", str(path), timeout=30)


ENTRY_POINTS: dict[str, Callable[[Path], Outcome]] = {
    "load_registration": _api,
    "matrix-appservice": _matrix_appservice,
    "appservice-spec": _appservice_spec,
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", [*CASES, HUGE], ids=lambda c: c.name)
def test_bad_registration_is_refused_cleanly(tmp_path: Path, case: Case, entry: str) -> None:
    path = materialize(tmp_path, case)
    outcome = ENTRY_POINTS[entry](path)
    outcome.check_clean(codes=[2 if case.usage else 1], seconds=SECONDS, peak_mb=PEAK_MB)
    shown = outcome.stdout + outcome.stderr
    assert f"{located(path, case)}{case.expected}" in shown, shown


def _registration(tmp_path: Path, regex: str) -> Path:
    path = tmp_path / "reg.yaml"
    path.write_text(GOOD.replace("'@_irc_.*:example\\.org'", json.dumps(regex)))
    path.chmod(0o600)
    return path


MATCH = """
from matrix_appservice import NamespaceMatcher, NamespaceTimeoutError, load_registration
matcher = NamespaceMatcher(load_registration({path!r}))
try:
    print(matcher.user_is_exclusive({identifier}))
except NamespaceTimeoutError as exc:
    print("timeout:", exc)
"""


@pytest.mark.parametrize(
    ("regex", "identifier", "answer"),
    [
        ("(a+)+$", "'a' * 40 + '!'", "False"),  # exponential on Python's re
        ("(a|aa)+$", "'a' * 60 + '!'", "timeout: namespaces.users regex '(a|aa)+$' took longer"),
        ("@_irc_.*:example\\.org", "'@_irc_' + 'a' * 10_000_000 + ':example.org'", "False"),
    ],
    ids=["nested-quantifier", "overlapping-alternatives", "ten-megabyte-identifier"],
)
def test_matching_a_hostile_identifier_is_bounded(
    tmp_path: Path, regex: str, identifier: str, answer: str
) -> None:
    path = _registration(tmp_path, regex)
    outcome = run_python(MATCH.format(path=str(path), identifier=identifier), timeout=30)
    outcome.check_clean(codes=[0], seconds=SECONDS, peak_mb=PEAK_MB)
    assert outcome.stdout.startswith(answer), outcome.stdout


@pytest.mark.parametrize(
    "cli", [matrix_appservice, appservice_spec], ids=["matrix-appservice", "appservice-spec"]
)
def test_catastrophic_regex_warns_and_strict_refuses(
    tmp_path: Path, cli: Callable[..., Outcome]
) -> None:
    path = _registration(tmp_path, "@_irc_(a+)+:example\\.org")
    line = GOOD[: GOOD.index("regex: '@")].count("\n") + 1
    expected = f"{path}:{line}: warning: namespaces.users[0].regex '@_irc_(a+)+:example\\.org' can take exponential time"
    relaxed = cli("validate", "--registration", str(path), timeout=30)
    relaxed.check_clean(codes=[0], seconds=SECONDS, peak_mb=PEAK_MB)
    assert expected in relaxed.stdout, relaxed.stdout
    strict = cli("validate", "--registration", "--strict", str(path), timeout=30)
    strict.check_clean(codes=[1], seconds=SECONDS, peak_mb=PEAK_MB)
    assert expected.replace("warning: ", "") in strict.stdout, strict.stdout


@pytest.mark.parametrize(
    ("name", "regex", "expected"),
    [
        ("deep", "(" * 5000 + ")" * 5000, "is nested too deeply to compile"),
        ("wide", "a|" * 100_000 + "b", ""),  # 200 KB of alternatives: slow to compile, but bounded
    ],
)
def test_huge_regexes_are_bounded(tmp_path: Path, name: str, regex: str, expected: str) -> None:
    path = _registration(tmp_path, regex)
    outcome = matrix_appservice("validate", "--registration", str(path), timeout=30)
    outcome.check_clean(codes=[1] if expected else [0], seconds=SECONDS, peak_mb=PEAK_MB)
    assert expected in outcome.stdout, outcome.stdout


def test_endless_inputs_are_refused_or_read_only_up_to_the_limit() -> None:
    from_zero = matrix_appservice("validate", "--registration", "/dev/zero", timeout=30)
    from_zero.check_clean(codes=[2], seconds=SECONDS, peak_mb=PEAK_MB)
    assert from_zero.stderr == (
        "validate: /dev/zero: is not a regular file (a device, pipe or socket); a registration "
        "must be a file\n"
    )
    piped = matrix_appservice(
        "validate", "--registration", "-", stdin=b"a" * (64 << 20), timeout=30
    )
    piped.check_clean(codes=[1], seconds=SECONDS, peak_mb=PEAK_MB)
    assert "  -: the file is larger than 262144 bytes" in piped.stdout
