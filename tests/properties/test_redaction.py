"""Redaction, for any token: what comes out holds no piece of the token and nothing else changes.

``scrubbed`` (the probe's, which the clients, the logs and the reports share) is compared
with a brute-force model: every character inside some place where a
secret (or one of its forms) stands is gone, each run of them is one ``<redacted>``, every
other character is kept. The probe is run against an appservice that echoes the token
between two snowmen (which no token holds) in its answers and its errors; its ``--json``
report must parse, keep its own words, and show ``<redacted>`` (or a cut-off piece of it)
between the snowmen, never a piece of the token.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matrix_appservice.probe import Prober, Samples, scrubbed
from matrix_appservice.server import JsonFormatter

SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
PROBE_SETTINGS = settings(SETTINGS, max_examples=60)

# Any text: ASCII-heavy, so that short secrets recur and overlap, with the odd stranger.
_ALPHABET = st.sampled_from("ab%2F\"'\\ :,{}<>") | st.characters()
texts = st.text(_ALPHABET, max_size=60)
secrets = st.text(_ALPHABET, min_size=1, max_size=6)
# What the package accepts as a token: printable ASCII, no spaces, any length from one.
tokens = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=24)
SNOW = "\u2603"
REDACTED = "<redacted>"


def _forms(secret: str) -> set[str]:
    """Where a secret may stand in text: as written, percent-encoded, escaped in JSON text
    (ASCII or not) and in a repr."""
    forms = {secret, quote(secret, safe="", errors="surrogatepass"), json.dumps(secret)[1:-1]}
    forms |= {json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}
    return {form for form in forms if form}


def _model(text: str, secret: str) -> str:
    """The expected result, by brute force: mark, then replace each marked run."""
    covered = [False] * len(text)
    for form in _forms(secret):
        for start in range(len(text) - len(form) + 1):
            if text.startswith(form, start):
                covered[start : start + len(form)] = [True] * len(form)
    out, index = [], 0
    while index < len(text):
        if covered[index]:
            while index < len(text) and covered[index]:
                index += 1
            out.append(REDACTED)
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def _pattern_free(text: str) -> bool:
    """No ``Bearer`` or ``access_token=`` value, which scrub hides without knowing it."""
    return not re.search(r"bearer|(access|as|hs)_token", text, re.I)


@SETTINGS
@given(st.lists(texts, min_size=1, max_size=4), secrets)
def test_scrub_leaves_no_piece_of_a_secret_and_changes_nothing_else(
    pieces: list[str], secret: str
) -> None:
    text = secret.join(pieces)
    if not _pattern_free(text):
        return
    clean = scrubbed(text, [secret])
    assert clean == _model(text, secret)
    for part in clean.split(REDACTED):
        assert secret not in part


@SETTINGS
@given(st.lists(texts, min_size=1, max_size=4), secrets, st.integers(0, 80))
def test_a_cut_text_holds_no_piece_of_a_secret(pieces: list[str], secret: str, limit: int) -> None:
    text = secret.join(pieces)
    if not _pattern_free(text):
        return
    cut = scrubbed(text, [secret], limit)
    whole = scrubbed(text, [secret])
    # The cut is the whole result up to where the text's first `limit` characters end ...
    assert whole.startswith(cut)
    # ... and ends either at such a character or right after a marker.
    kept = sum(len(part) for part in cut.split(REDACTED))
    assert kept <= limit
    for part in cut.split(REDACTED):
        assert secret not in part


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@SETTINGS
@given(json_values, secrets)
def test_logged_values_serialise_to_json_without_the_secret(value: Any, secret: str) -> None:
    record = logging.makeLogRecord({"msg": "m", "levelname": "INFO", "value": value})
    text = JsonFormatter(secrets=[secret]).format(record)
    for string in _strings(json.loads(text)["value"]):
        for part in string.split(REDACTED):
            assert secret not in part


def _echoing(token: str, style: int) -> httpx.MockTransport:
    """An appservice that puts the token (between snowmen) in what it answers: in a body
    that is not JSON, in an error's errcode, in an answer that should be ``{}``, in the
    text of a transport error."""
    slot = f"{SNOW}{token}{SNOW}"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(404)
        if style == 0:
            return httpx.Response(500, text="x" * (len(request.url.path) % 70) + slot)
        if style == 1:
            return httpx.Response(404, json={"errcode": slot, "error": slot})
        if style == 2:
            return httpx.Response(200, json={"echo": "y" * (len(request.url.path) % 70) + slot})
        raise httpx.ReadError(f"lost {slot} after {request.url}")

    return httpx.MockTransport(answer)


def _run(token: str, style: int, version: str) -> dict[str, Any]:
    with httpx.Client(transport=_echoing(token, style)) as client:
        report = Prober(client, "http://as", token, version, Samples(None)).run()
    data: dict[str, Any] = json.loads(report.json())  # whatever the token: valid JSON
    return data


def _slots_hold_only_the_marker(text: str) -> bool:
    """Between each pair of snowmen stands exactly the marker; a slot that a preview cut
    short holds a piece of the marker, then the preview ends."""
    text = text.replace("\\u2603", SNOW)
    start = text.find(SNOW)
    while start >= 0:
        rest = text[start + 1 :]
        if rest.startswith(REDACTED + SNOW):
            start = text.find(SNOW, start + len(REDACTED) + 2)
            continue
        shown = 0
        while shown < len(REDACTED) and rest[shown : shown + 1] == REDACTED[shown]:
            shown += 1
        if shown == len(REDACTED):  # the closing snowman's JSON escape, cut short
            rest = rest[shown:]
            shown = next(n for n in range(6, -1, -1) if rest.startswith("\\u2603"[:n]))
        if rest[shown : shown + 1] not in ("", "'", '"', ","):
            return False
        start = text.find(SNOW, start + 1 + shown)
    return True


@PROBE_SETTINGS
@given(tokens, st.integers(0, 3), st.sampled_from(["v1.3", "v1.19"]))
def test_the_probe_report_holds_no_token_and_stays_json(
    token: str, style: int, version: str
) -> None:
    data = _run(token, style, version)
    reference = _run("reference-token-" + "Q" * 24, style, version)
    words = [(c["name"], c["outcome"], c["section"], c["rule"]) for c in data["checks"]]
    assert words == [
        (c["name"], c["outcome"], c["section"], c["rule"]) for c in reference["checks"]
    ]
    assert data["summary"] == reference["summary"] and data["url"] == "http://as"
    reasons = [c["reason"] for c in data["checks"]]
    assert any(SNOW in r.replace("\\u2603", SNOW) for r in reasons)  # the echoes are shown
    for reason in reasons:
        assert _slots_hold_only_the_marker(reason), (token, reason)
