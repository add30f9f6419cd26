"""Redaction hides a token whole, in any form, and leaves everything else as it was: the
probe's ``scrubbed``, the JSON log lines and the probe's report (text and ``--json``)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import httpx
import pytest
from matrix_appservice.probe import Prober, Samples
from matrix_appservice.probe import scrubbed as scrub
from matrix_appservice.rules import rules_for_check
from matrix_appservice.server import JsonFormatter, create_app

from tests.python.probe.support import probe, served
from tests.python.server.support import Recorder, registration

REDACTED = "<redacted>"


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("aaa", ["aa"], REDACTED),  # overlapping places of one secret
        ("xabcdx", ["abc", "bcd"], f"x{REDACTED}x"),  # two secrets that overlap
        ("T1T1", ["T1"], REDACTED),  # touching places: one marker
        ('{"t": "a\\"b"}', ['a"b'], f'{{"t": "{REDACTED}"}}'),  # escaped in JSON text
        ("('a\\\\b',)", ["a\\b"], f"('{REDACTED}',)"),  # escaped in a repr
        ("q=x%2By%2Fz", ["x+y/z"], f"q={REDACTED}"),  # percent-encoded
        ("Bearer abc, next", [], f"Bearer {REDACTED}, next"),
        ("?access_token=abc&x=1", [], f"?access_token={REDACTED}&x=1"),
        ("nothing to hide", ["a-long-secret"], "nothing to hide"),
    ],
)
def test_scrub_hides_every_place_whole(text: str, secrets: list[str], expected: str) -> None:
    assert scrub(text, secrets) == expected


def _reasons(token: str, body: str) -> list[str]:
    """The probe's reasons against an appservice that answers every request 200 ``body``."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, text=body))
    with httpx.Client(transport=transport) as client:
        report = Prober(client, "http://as", token, "v1.19", Samples(None)).run()
    return [c["reason"] for c in json.loads(report.json())["checks"]]


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("x" * 55 + "TOKEN-0123456789" + "y" * 50, "x" * 55 + REDACTED),  # not cut in two
        ("x" * 70 + "TOKEN-0123456789", "x" * 60),  # past the cut: not there at all
        ("TOKEN-0123456789" * 30, REDACTED),
    ],
)
def test_a_cut_never_splits_a_token(body: str, shown: str) -> None:
    # The probe shows the first 60 characters of an answer that is not JSON.
    reasons = _reasons("TOKEN-0123456789", body)
    assert any(reason.endswith(f": {shown!r}") for reason in reasons), reasons
    assert all("TOKEN" not in reason for reason in reasons)


def test_log_lines_redact_values_before_they_are_serialised() -> None:
    record = logging.makeLogRecord(
        {"msg": "m", "levelname": "INFO", "v": {"a:b": ['x "a:b"', 3, None, {"k": ("a:b",)}]}}
    )
    entry = json.loads(JsonFormatter(secrets=["a:b"]).format(record))
    assert entry["v"] == {REDACTED: [f'x "{REDACTED}"', 3, None, {"k": [REDACTED]}]}


def test_json_log_lines_redact_nested_extras_and_stay_json() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets=["tok-0123456789abcdef", ":"]))
    logger = logging.getLogger("matrix_appservice.test_redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "sent %s", "tok-0123456789abcdef",
            extra={"detail": {"headers": ["Bearer tok-0123456789abcdef"]}, "n": 12},
        )  # fmt: skip
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    entry = json.loads(line)
    assert "tok-0123456789abcdef" not in line
    assert entry["detail"] == {"headers": [f"Bearer {REDACTED}"]} and entry["n"] == 12


def _peer(token: str) -> httpx.MockTransport:
    """An appservice that answers with a body that holds the token, never what is due."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(404)
        return httpx.Response(500, text=f"oops {token}")

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("token", ['"', ":", "1", "a", "to", ",", "{"])
def test_a_short_token_leaves_the_probe_report_whole_and_its_json_valid(token: str) -> None:
    with httpx.Client(transport=_peer(token)) as client:
        report = Prober(client, "http://as", token, "v1.19", Samples(None)).run()
    data = json.loads(report.json())  # valid JSON, whatever the token
    # Every check fails but the two v1.19 has no rule for (the handled-once check, the
    # legacy query token).
    assert data["summary"] == {"passed": 0, "failed": 19, "not_applicable": 2}
    rules = {c["name"]: c["rule"] for c in data["checks"]}
    # The rule a failure quotes is whole, though the token is a letter or a sign in it.
    assert rules["transaction"] == " / ".join(
        r.describe() for r in rules_for_check("transaction", "v1.19")
    )
    for check in data["checks"]:
        if check["outcome"] == "fail":  # the answer's text is shown, the token in it is not
            assert check["reason"].endswith(f"got 500 'oops {REDACTED}'"), check["reason"]
    assert report.text().splitlines()[0] == "probe http://as against v1.19"


def test_the_probe_with_a_one_letter_token_prints_an_intact_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app(registration(hs_token="a"), Recorder(), store="memory")
    with served(app) as url:
        code, out, _ = probe(capsys, url, "--hs-token", "a")
        json_code, json_out, _ = probe(capsys, url, "--hs-token", "a", "--json")
    assert code == json_code == 0, out
    assert "PASS transaction-empty: a transaction without events: 200 {}" in out.splitlines()[2]
    checks: dict[str, Any] = {c["name"]: c for c in json.loads(json_out)["checks"]}
    assert checks["transaction"]["reason"].startswith("a transaction with one event from an")
    assert checks["transaction"]["section"] == next(
        r.section for r in rules_for_check("transaction", "v1.19")
    )
    assert checks["transaction"]["rules"] == ["txn.acknowledge"]
