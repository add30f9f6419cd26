"""The conformance probe against mautrix-python's ``AppService`` (0.21): its report, pinned.

Each failure is a real deviation of mautrix from the spec, named with the rule it breaks
(its id in the spec's rule data, and its wording):

- a wrong token gets 401 ``M_UNKNOWN_TOKEN``; the spec wants 403 ``M_FORBIDDEN`` (mautrix
  also compares the token with ``!=``, which no probe can see from outside);
- with the right token in the header and a wrong one in ``access_token``, mautrix reads the
  query parameter and refuses with 401 ``M_UNKNOWN_TOKEN``: it does not check that the two
  agree and answer 403 (a SHOULD since v1.4);
- unknown routes and wrong methods get aiohttp's plain-text 404/405, not JSON
  ``M_UNRECOGNIZED`` (and mautrix serves none of the five third-party lookups, so each of
  them gets that same plain-text 404);
- a body that breaks the transaction schema (``events`` not a list) is acknowledged 200,
  and a body over aiohttp's 1 MiB limit gets a plain-text 413 without ``M_TOO_LARGE``: these
  two break no rule of the AS API but the usual practice the probe's notes describe;
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
LOOKUP_RULE = "thirdparty.answers (MUST)"

# Failed check -> key phrases of its reason and of the rule it breaks.
EXPECTED_FAILURES = {
    "wrong-token": ["expected 403 M_FORBIDDEN, got 401", "M_UNKNOWN_TOKEN",
                    "auth.as-verifies-token (MUST)"],
    "mismatched-tokens": ["expected 403 M_FORBIDDEN, got 401", "auth.both-match (SHOULD)"],
    "unknown-route": [f"answered 404 {NOT_JSON}", "404: Not Found", "unknown.404 (MUST)"],
    "wrong-method": [f"answered 405 {NOT_JSON}", "405: Method Not Allowed", "unknown.405 (MUST)"],
    "schema-violation": ["expected 400 M_BAD_JSON, got 200",
                         "errors.bad-json (a note on common practice, not a rule)"],
    "oversized-body": [f"answered 413 {NOT_JSON}", "Maximum request body size",
                       "errors.too-large (a note on common practice, not a rule)"],
    "user-query": ["answered 404", '"errcode" is a required property',
                   "query.user-answer (MUST)"],
    "alias-query": ["answered 404", '"errcode" is a required property',
                    "query.alias-answer (MUST)"],
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
    assert report["summary"] == {"passed": 6, "failed": 13, "not_applicable": 2}
    assert all(c["rules"] for c in report["checks"])  # every check names its rules
    assert checks["user-query"]["section"] == "AS API > GET /_matrix/app/v1/users/{userId}"


def test_the_text_report_against_mautrix_gives_rule_and_section(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = asyncio.run(_run())
    out, _ = capsys.readouterr()
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("FAIL user-query:"))
    assert line.startswith(
        "FAIL user-query: answered 404 with a body the spec does not allow for queryUserById: "
        '$: "errcode" is a required property; rule: query.user-answer (MUST): An appservice '
        "MUST answer a user query with 200"
    )
    assert line.endswith(" [query.user-answer]")
    assert out.splitlines()[-1] == "6 passed, 13 failed, 2 not applicable"
