"""Hostile payloads against the validator, through the Python API and the ``matrix-appservice
validate`` command line, each in a child process with time and memory ceilings: a clear
invalid result (exit status 1), never a traceback, in bounded time and memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.bounded import Outcome, matrix_appservice, run_python

# An event of about 400 bytes, short of its timestamp.
EVENT = (
    b'{"event_id": "$e", "type": "m.room.message", "sender": "@a:x", "room_id": "!r:x", '
    b'"content": {"msgtype": "m.text", "body": "' + b"hello " * 50 + b'"}, "origin_server_ts": '
)

# (name, payload, passed as text, path of the problem, part of its message)
CASES = [
    ("nesting of 2 KB", b"[" * 2000 + b"]" * 2000, False, "$", "nested deeper than 1024 levels"),
    ("arrays 300 deep", b'{"events":[' + b"[" * 300 + b"]" * 300 + b"]}", False, "$.events[0]", 'is not of type "object"'),
    ("arrays 1000 deep", b'{"events":[' + b"[" * 1000 + b"]" * 1000 + b"]}", False, "$.events[0]", 'is not of type "object"'),
    ("objects 1000 deep", b'{"events":[{"content":' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"}]}", False, "$.events[0]", '"event_id" is a required property'),
    ("invalid UTF-8", b'{"events": [], "x": "\xff\xfe"}', False, "$", "not valid UTF-8: byte 0xff at offset 21"),
    ("encoded surrogate", b'{"events": [], "x": "\xed\xa0\x80"}', False, "$", "not valid UTF-8: byte 0xed at offset 21"),
    ("lone surrogate in text", b'{"events": [], "x": "\xed\xa0\x80"}', True, "$", "lone surrogate U+D800 at character offset 21"),
    ("a 10 MB string", b'{"events": [' + EVENT + b'"' + b"9" * 10_000_000 + b'"}]}', False, "$.events[0].origin_server_ts", 'is not of type "integer"'),
]  # fmt: skip
IDS = [case[0] for case in CASES]

API = """
import json, sys
from matrix_appservice import validate
payload = sys.stdin.buffer.read()
if {text}:
    payload = payload.decode("utf-8", "surrogatepass")
result = validate(payload, request="sendTransaction")
print(json.dumps({{"valid": result.valid, "errors": [[e.path, e.message] for e in result.errors]}}))
"""


def _clean(outcome: Outcome, code: int, peak_mb: float) -> None:
    # A bound, not a speed figure: the 50 MB cases took 12 s on a 2-core machine under a load
    # of 7; unbounded work would take minutes.
    outcome.check_clean(codes=[code], seconds=30, peak_mb=peak_mb)


@pytest.mark.parametrize(("name", "payload", "text", "path", "message"), CASES, ids=IDS)
def test_python_api(name: str, payload: bytes, text: bool, path: str, message: str) -> None:
    outcome = run_python(API.format(text=text), stdin=payload)
    _clean(outcome, 0, peak_mb=250)
    report = json.loads(outcome.stdout)
    assert report["valid"] is False
    assert any(p == path and message in m for p, m in report["errors"]), report
    assert all(len(m) < 200 for _, m in report["errors"]), report


@pytest.mark.parametrize(
    ("name", "payload", "text", "path", "message"),
    [c for c in CASES if not c[2]],
    ids=[c[0] for c in CASES if not c[2]],
)
def test_command_line(name: str, payload: bytes, text: bool, path: str, message: str) -> None:
    outcome = matrix_appservice("validate", "--request", "sendTransaction", "-", stdin=payload)
    _clean(outcome, 1, peak_mb=250)
    assert f"{path}: " in outcome.stdout and message in outcome.stdout, outcome.stdout
    assert len(outcome.stdout) < 2000


def test_unknown_names_are_usage_errors() -> None:
    outcome = matrix_appservice("validate", "--request", "sendTransactio", "-", stdin=b"{}")
    _clean(outcome, 2, peak_mb=250)
    assert "did you mean 'sendTransaction'?" in outcome.stderr


LARGE = """
import json, resource
from matrix_appservice import validate
event = {event!r} + b'"1700000000000"}}'
count = 50_000_000 // (len(event) + 1)
body = b'{{"events":[' + b",".join([event] * count) + b"]}}"
with open({path!r}, "wb") as out:
    out.write(body)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result = validate(body, request="sendTransaction")
print(json.dumps({{
    "size": len(body), "count": count, "before_mb": before, "paths": [e.path for e in result.errors],
    "longest": max(len(e.message) for e in result.errors),
    "more": result.more, "complete": result.complete,
}}))
"""


def test_a_50_mb_transaction_of_invalid_events(tmp_path: Path) -> None:
    """Every event is invalid: the first 100 problems in order, a count of more, and memory
    near the size of the parsed input."""
    path = tmp_path / "large.json"
    outcome = run_python(LARGE.format(event=EVENT, path=str(path)))
    _clean(outcome, 0, peak_mb=600)
    report: dict[str, Any] = json.loads(outcome.stdout)
    assert report["size"] > 49_000_000 and report["count"] > 100_000
    assert report["paths"] == [f"$.events[{i}].origin_server_ts" for i in range(100)]
    assert report["more"] == 1000 and report["complete"] is False
    assert report["longest"] < 100
    # What the validation adds on top of the 50 MB body: the parsed events, not every error.
    assert outcome.peak_mb - report["before_mb"] < 400, (outcome.peak_mb, report["before_mb"])

    cli = matrix_appservice("validate", "--request", "sendTransaction", "--json", str(path))
    _clean(cli, 1, peak_mb=600)
    result = json.loads(cli.stdout)["files"][0]
    assert len(result["problems"]) == 100 and result["more"] == 1000 and not result["complete"]
    assert result["problems"][10]["path"] == "$.events[10].origin_server_ts"
