"""The probe against our own appservice server and the example echo bridge: every check passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matrix_appservice.homeserver.testing import running_homeserver
from matrix_appservice.models import Registration
from matrix_appservice.probe import Check, Report
from matrix_appservice.rules import rule as rule_of
from matrix_appservice.server import create_app

from examples.echo.bridge import EchoBridge
from tests.python.probe.support import outcomes, probe, served, write_registration
from tests.python.server.support import HS_TOKEN, Recorder, registration

CHECKS = {
    "transaction", "transaction-empty", "transaction-retry", "transaction-handled-once",
    "missing-token", "wrong-token", "mismatched-tokens", "legacy-query-token", "unknown-route", "wrong-method",
    "malformed-json", "schema-violation", "oversized-body", "ping", "user-query", "alias-query",
    "thirdparty-get-protocol-metadata", "thirdparty-query-location-by-protocol",
    "thirdparty-query-user-by-protocol", "thirdparty-query-location-by-alias",
    "thirdparty-query-user-by-id",
}  # fmt: skip


def test_every_check_passes_against_our_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    reg = write_registration(tmp_path, registration())
    with served(create_app(registration(), recorder, store="memory")) as url:
        code, out, err = probe(capsys, url, "--hs-token", HS_TOKEN, "--registration", str(reg))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[-1] == "19 passed, 0 failed, 2 not applicable"
    assert {line.split()[1].rstrip(":") for line in lines[1:-1]} == CHECKS
    not_applicable = [line for line in lines if line.startswith("N/A")]
    assert [line.split()[1] for line in not_applicable] == [
        "transaction-handled-once:", "legacy-query-token:",
    ]  # fmt: skip
    assert "PASS wrong-token: a wrong token: 403 M_FORBIDDEN [auth.as-verifies-token]" in lines
    assert "PASS oversized-body: a 64 MiB body: 413 M_TOO_LARGE" in out
    assert err.strip() == "." * 21  # progress: one mark per check
    # The events came from the registration's namespace, and the retried transaction
    # reached the handler once: three transactions (one, empty, retried) for four PUTs.
    assert len(recorder.transactions) == 3
    senders = {e.sender for t in recorder.transactions for e in t.events}
    assert senders == {"@_echo_probe:example.org"}


def test_legacy_query_token_passes_for_a_release_before_v1_4(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app(registration(), Recorder(), store="memory", version="v1.3")
    with served(app) as url:
        code, out, _ = probe(capsys, url, "--hs-token", HS_TOKEN, "--version", "v1.3", "--json")
    assert code == 0, out
    found = outcomes(out)
    assert found["legacy-query-token"] == (
        "pass", "the token as access_token query parameter only: 200 {}",
    )  # fmt: skip
    assert found["ping"][0] == "n/a" and found["unknown-route"][0] == "n/a"
    assert found["mismatched-tokens"][0] == "n/a"  # both places at once only from v1.4
    assert json.loads(out)["summary"] == {"passed": 16, "failed": 0, "not_applicable": 5}


def test_r0_1_0_has_no_wrong_token_rule(capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(registration(), Recorder(), store="memory", version="r0.1.0")
    with served(app) as url:
        code, out, _ = probe(capsys, url, "--hs-token", HS_TOKEN, "--version", "r0.1.0", "--json")
    assert code == 0, out
    found = outcomes(out)
    assert found["wrong-token"][0] == "n/a" and "r0.1.1" in found["wrong-token"][1]
    assert found["legacy-query-token"][0] == "pass"


def test_every_check_passes_against_the_echo_bridge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = registration(sender_localpart="echobot")
    path = write_registration(tmp_path, reg)

    # The bridge's startup() asks the homeserver who its bot is; the probe's events then come
    # from the bridge's own namespace, which it leaves alone.
    with running_homeserver([path], server_name="example.org") as hs:
        bridge = EchoBridge(hs.url, Registration.model_validate(reg), "_echo_")
        with served(create_app(reg, bridge, store="memory")) as url:
            code, out, _ = probe(capsys, url, "--registration", str(path))
    assert bridge.bot == "@echobot:example.org"
    assert code == 0, out
    assert out.splitlines()[-1] == "19 passed, 0 failed, 2 not applicable"


def test_a_failure_names_the_rule_and_the_report_counts_it() -> None:
    report = Report("http://as", "v1.19")
    report.checks.append(Check.of("user-query", "fail", "404 without errcode", "v1.19"))
    report.checks.append(Check.of("ping", "pass", "200 {}", "v1.19"))
    assert report.failed
    rule = rule_of("query.user-answer", "v1.19")
    assert rule is not None and rule.level == "MUST"
    assert report.text().splitlines() == [
        "probe http://as against v1.19",
        f"FAIL user-query: 404 without errcode; rule: query.user-answer (MUST): "
        f"{rule.text.replace('`', '')} [query.user-answer]",
        "PASS ping: 200 {} [ping.acknowledge]",
        "1 passed, 1 failed, 0 not applicable",
    ]
