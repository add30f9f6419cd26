"""The conformance probe against mautrix-python's ``AppService`` (0.21): its report, pinned.

Each failure is a real deviation of mautrix from the spec, named with the rule it breaks:

- a wrong token gets 401 ``M_UNKNOWN_TOKEN``; the spec wants 403 ``M_FORBIDDEN`` (mautrix
  also compares the token with ``!=``, which no probe can see from outside);
- unknown routes and wrong methods get aiohttp's plain-text 404/405, not JSON
  ``M_UNRECOGNIZED`` (and mautrix serves none of the five third-party lookups, so each of
  them gets that same plain-text 404);
- a body that breaks the transaction schema (``events`` not a list) is acknowledged 200;
- a body over aiohttp's 1 MiB limit gets a plain-text 413 without ``M_TOO_LARGE``;
- user and alias queries it does not know answer 404 with ``{}``: no ``errcode``.

What mautrix does right passes: transactions (retries included), the missing token (401),
malformed JSON (400 ``M_NOT_JSON``) and the ping.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.interop.mautrix_peer import serve
from tests.package_cli import main

HS_TOKEN = "mautrix-probe-hs-token-5c1e"
NOT_JSON = "with a body that is not JSON"
LOOKUP_RULE = "or 404 with a JSON error body that has an errcode"

# Failed check -> key phrases of its reason and of the rule it breaks.
EXPECTED_FAILURES = {
    "wrong-token": ["expected 403 M_FORBIDDEN, got 401", "M_UNKNOWN_TOKEN",
                    "refused with 403 M_FORBIDDEN"],
    "unknown-route": [f"answered 404 {NOT_JSON}", "404: Not Found", "JSON errcode M_UNRECOGNIZED"],
    "wrong-method": [f"answered 405 {NOT_JSON}", "405: Method Not Allowed", "405 M_UNRECOGNIZED"],
    "schema-violation": ["expected 400 M_BAD_JSON, got 200", "refused with 400 M_BAD_JSON"],
    "oversized-body": [f"answered 413 {NOT_JSON}", "Maximum request body size",
                       "refused with 413 M_TOO_LARGE"],
    "user-query": ["answered 404", '"errcode" is a required property',
                   "404 with a JSON error body that has an errcode"],
    "alias-query": ["answered 404", '"errcode" is a required property',
                    "404 with a JSON error body that has an errcode"],
    **{
        f"thirdparty-{name}": [f"answered 404 {NOT_JSON}", "404: Not Found", LOOKUP_RULE]
        for name in ("get-protocol-metadata", "query-location-by-protocol",
                     "query-user-by-protocol", "query-location-by-alias", "query-user-by-id")
    },
}  # fmt: skip
EXPECTED_PASSES = {
    "transaction": "200 {}",
    "transaction-empty": "200 {}",
    "transaction-retry": "200 {} both times",
    "missing-token": "401 M_UNKNOWN_TOKEN",
    "malformed-json": "400 M_NOT_JSON",
    "ping": "200 {}",
}


def _probe(url: str, *args: str) -> int:
    return main(["probe", url, "--hs-token", HS_TOKEN, *args], prog="matrix-appservice")


async def _run(*args: str) -> tuple[int, int]:
    async with serve(HS_TOKEN) as peer:
        code = await asyncio.to_thread(_probe, peer.base_url, *args)
        puts = sum(1 for r in peer.requests if r.method == "PUT")
    return code, puts


def test_the_probe_reports_mautrix_deviations(capsys: pytest.CaptureFixture[str]) -> None:
    code, puts = asyncio.run(_run("--json"))
    out, err = capsys.readouterr()
    assert code == 1
    assert HS_TOKEN not in out + err
    assert puts >= 8  # the probe's transactions reached mautrix
    report = json.loads(out)
    checks = {c["name"]: c for c in report["checks"]}
    failed = {name for name, c in checks.items() if c["outcome"] == "fail"}
    assert failed == set(EXPECTED_FAILURES)
    for name, phrases in EXPECTED_FAILURES.items():
        text = f"{checks[name]['reason']}; rule: {checks[name]['rule']}"
        for phrase in phrases:
            assert phrase in text, (name, text)
    for name, phrase in EXPECTED_PASSES.items():
        assert checks[name]["outcome"] == "pass" and phrase in checks[name]["reason"], name
    assert report["summary"] == {"passed": 6, "failed": 12, "not_applicable": 2}


def test_the_text_report_against_mautrix_gives_rule_and_section(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = asyncio.run(_run())
    out, _ = capsys.readouterr()
    assert code == 1
    assert (
        "FAIL user-query: answered 404 with a body the spec does not allow for queryUserById: "
        '$: "errcode" is a required property; rule: a user query answers 200 {} or 404 with a '
        "JSON error body that has an errcode [AS API §Querying: User query]"
    ) in out.splitlines()
    assert out.splitlines()[-1] == "6 passed, 12 failed, 2 not applicable"
