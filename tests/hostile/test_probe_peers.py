"""``matrix-appservice probe`` against hostile appservices, in a child process with ceilings.

An appservice that answers without end (a huge Content-Length, an endless chunked body), one
byte at a time, or with JSON nested a million levels deep gets failed checks in the report, within bounded memory and time, and the
probe exits 1 without a traceback. Bad ``--timeout`` values are usage errors.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.bounded import matrix_appservice
from tests.hostile.peers import (
    Head,
    Responder,
    answer,
    endless_chunked,
    huge_body,
    routed,
    serving,
    trickle,
)

MAX_ANSWER_BYTES = 32 * 1024 * 1024  # the bound on answers the READMEs document
TOKEN = "probe-hostile-token"
UNRECOGNIZED = b'{"errcode": "M_UNRECOGNIZED", "error": "no"}'


def _checks(stdout: str) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["outcome"], c["reason"]) for c in json.loads(stdout)["checks"]}


@pytest.mark.parametrize(
    "respond", [huge_body(200 * 1024 * 1024), endless_chunked()], ids=["content-length", "chunked"]
)
def test_an_endless_answer_fails_its_check_in_bounded_memory(respond: Responder) -> None:
    with serving(respond) as url:
        outcome = matrix_appservice(
            "probe", url, "--hs-token", TOKEN, "--json", "--timeout", "20",
            timeout=120, address_space_mb=1536,
        )  # fmt: skip
    outcome.check_clean(codes=[1], seconds=120, peak_mb=300)
    checks = _checks(outcome.stdout)
    assert checks["transaction"][0] == "fail"
    too_long = f"answered 200 with a body of more than {MAX_ANSWER_BYTES} bytes"
    assert too_long in checks["transaction"][1]
    sent = [name for name, (result, _) in checks.items() if result != "n/a"]
    assert all(too_long in checks[name][1] for name in sent), checks


def test_an_answer_nested_a_million_deep_fails_its_check() -> None:
    with serving(answer(200, b"[" * 1_000_000 + b"]" * 1_000_000)) as url:
        outcome = matrix_appservice("probe", url, "--hs-token", TOKEN, "--json", timeout=60)
    outcome.check_clean(codes=[1], seconds=60)
    result, reason = _checks(outcome.stdout)["transaction"]
    assert result == "fail" and "answered 200 with a body that is not JSON" in reason
    assert "nested deeper than 1024 levels" in reason


def test_an_answer_one_byte_at_a_time_fails_its_check_within_the_timeout() -> None:
    def choose(head: Head) -> Responder:
        if head.method == "PUT" and "/transactions/" in head.target:
            return trickle(0.25)  # well inside the timeout between two bytes
        return answer(404, UNRECOGNIZED)

    with serving(routed(choose), drain=False) as url:
        outcome = matrix_appservice(
            "probe", url, "--hs-token", TOKEN, "--json", "--timeout", "1", timeout=90
        )
    # Eight checks send a transaction, each given one second: far less than a minute.
    outcome.check_clean(codes=[1], seconds=60)
    checks = _checks(outcome.stdout)
    for name in ("transaction", "transaction-empty", "missing-token", "malformed-json"):
        assert checks[name] == ("fail", "no complete answer within 1 s (ReadTimeout)"), checks
    assert checks["unknown-route"][0] == "pass"


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "0"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_a_usage_error(value: str) -> None:
    outcome = matrix_appservice(
        "probe", "http://127.0.0.1:9", "--hs-token", TOKEN, f"--timeout={value}"
    )
    outcome.check_clean(codes=[2])
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("probe: --timeout must be a finite number"), (
        lines
    )
    assert outcome.stdout == ""
