"""``appservice-spec validate`` (the generated package's command line)."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.cli import main
from codegen.spec import Spec
from tests.python.registration_cases import CASES, GOOD, Case, located, materialize

TX = {"events": [{"event_id": "$e", "type": "m.room.message", "sender": "@a:x",
                  "origin_server_ts": 1, "content": {}, "room_id": "!r:x"}]}  # fmt: skip


def _file(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_valid_and_invalid_payloads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _file(tmp_path, "good.json", TX)
    bad = _file(tmp_path, "bad.json", {"events": [{**TX["events"][0], "sender": 7}]})  # type: ignore[dict-item]
    assert main(["validate", "--version", "v1.13", "--request", "sendTransaction", good]) == 0
    assert f"{good}: valid (v1.13)" in capsys.readouterr().out
    assert main(["validate", "--version", "v1.13", "--request", "sendTransaction", good, bad]) == 1
    out = capsys.readouterr().out
    assert (
        f"{bad}: INVALID (v1.13)" in out and '$.events[0].sender: 7 is not of type "string"' in out
    )


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _file(tmp_path, "ping.json", {})
    assert main(["validate", "--response", "pingAppservice", "--status", "200", "--json", bad]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["release"] == "v1.19" and report["valid"] is False
    assert report["files"][0]["problems"] == [
        {"path": "$", "message": '"duration_ms" is a required property', "keyword": "required"}
    ]


def test_schema_target(tmp_path: Path) -> None:
    event = _file(tmp_path, "event.json", TX["events"][0])
    assert main(["validate", "--schema", "ClientEvent", event]) == 0


def test_registration_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "id: a\nurl: null\nas_token: x\nhs_token: x\nsender_localpart: bot\nnamespaces: {}\n"
    reg = _file(tmp_path, "reg.yaml", text)
    assert main(["validate", "--registration", reg]) == 1
    assert f"{reg}:4: as_token and hs_token must differ" in capsys.readouterr().out
    assert main(["validate", "--registration", "--version", "v1.14", reg]) == 1
    assert f"{reg}:2: url: null is not of type" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _file(tmp_path, "good.json", TX)
    assert main(["validate", "--version", "v7", "--request", "sendTransaction", good]) == 2
    assert "unknown release 'v7'" in capsys.readouterr().err
    assert main(["validate", "--request", "noSuchOperation", good]) == 2
    assert "unknown request 'noSuchOperation'" in capsys.readouterr().err
    assert main(["validate", "--request", "sendTransaction", str(tmp_path / "missing.json")]) == 2


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name != "billion_laughs"], ids=lambda c: c.name
)
def test_bad_registration_files_get_one_message_and_the_documented_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    path = materialize(tmp_path, case)
    good = materialize(tmp_path, Case("good", GOOD.encode(), 0, ""))
    status = main(["validate", "--registration", str(good), str(path)])
    out = capsys.readouterr()
    if case.usage:  # the file cannot be read: a usage error, on standard error
        assert status == 2 and out.err == f"validate: {located(path, case)}{case.expected}\n"
    else:
        assert status == 1 and f"{path}: INVALID (v1.19)" in out.out and f"{good}: valid" in out.out
        rows = out.out.splitlines()
        assert any(row.startswith(f"  {located(path, case)}{case.expected}") for row in rows), rows


def test_strict_flag_refuses_what_is_otherwise_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace("sender_localpart: _irc_bot", "sender_localpart: Xq3_Vb-9kLm2TzR8")
    text = text.replace("@_irc_.*:example", "@_irc_(.*a){20}:example")
    reg = _file(tmp_path, "mautrix.yaml", text)
    Path(reg).chmod(0o600)
    assert main(["validate", "--registration", reg]) == 0
    out = capsys.readouterr().out
    assert f"{reg}: valid" in out and out.count(": warning: ") == 2, out
    assert main(["validate", "--registration", "--strict", "--json", reg]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(p["line"], p["severity"]) for p in report["files"][0]["problems"]] == [
        (5, "error"),
        (10, "error"),
    ]
    assert main(["validate", "--request", "sendTransaction", "--strict", reg]) == 2
    assert "--strict applies to registration files" in capsys.readouterr().err


def test_registration_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    class Stdin:
        buffer = io.BytesIO(b"id: [" + b"0," * 20_000 + b"0]\n")

    monkeypatch.setattr(sys, "stdin", Stdin)
    assert main(["validate", "--registration", "-"]) == 1
    assert "  -:1: more than 10000 keys and values" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--request", "sendTransactio"], "unknown request 'sendTransactio' in v1.19; did you mean 'sendTransaction'?"),
        (["--request", "p"], "did you mean 'ping', 'pingAppservice' or 'postReceipt'?"),
        (["--schema", "Client"], "unknown schema 'Client' in v1.19; did you mean 'ClientEvent'"),
        (["--request", "queryUserById"], "queryUserById has no request body"),
        (["--request", "ping", "--version", "v1.6"], "request 'ping' does not exist in v1.6 (it exists in v1.7 to unstable)"),
    ],
)  # fmt: skip
def test_unknown_names_are_usage_errors_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    good = _file(tmp_path, "good.json", TX)
    assert main(["validate", *option, good]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and not captured.out


def test_max_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = TX["events"][0]
    bad = _file(tmp_path, "bad.json", {"events": [{**event, "sender": i} for i in range(30)]})
    assert main(["validate", "--request", "sendTransaction", "--max-errors", "4", bad]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        *(f'  $.events[{i}].sender: {i} is not of type "string"' for i in range(4)),
        "  ... and 26 more",
    ]
    assert main(["validate", "--request", "sendTransaction", "--json", bad]) == 1
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert len(report["problems"]) == 30 and report["more"] == 0 and report["complete"] is True
    assert (
        main(["validate", "--request", "sendTransaction", "--json", "--max-errors", "25", bad]) == 1
    )
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert len(report["problems"]) == 25 and report["more"] == 5
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--request", "sendTransaction", "--max-errors", "0", bad])
    assert exited.value.code == 2
    assert "expected a whole number of at least 1" in capsys.readouterr().err


def test_a_payload_longer_than_max_bytes_is_invalid_and_left_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    text = json.dumps(TX)
    fits = _file(tmp_path, "fits.json", text)
    longer = _file(tmp_path, "longer.json", text + " ")
    limit = str(len(text))
    argv = ["validate", "--request", "sendTransaction", "--max-bytes", limit]
    assert main([*argv, fits]) == 0
    capsys.readouterr()
    assert main([*argv, fits, longer]) == 1
    out = capsys.readouterr().out
    assert f"{fits}: valid" in out
    assert f"{longer}: INVALID (v1.19)\n  $: longer than {len(text):,} bytes, left unread" in out
    assert main([*argv, "--json", fits, longer]) == 1
    valid, report = json.loads(capsys.readouterr().out)["files"]
    assert report["target"] == valid["target"] and valid["problems"] == []
    assert report["problems"] == [
        {"path": "$", "keyword": "maxBytes",
         "message": f"longer than {len(text):,} bytes, left unread (--max-bytes N reads more)"}
    ]  # fmt: skip

    stream = io.BytesIO(b" " * 10_000)  # standard input is read no further than the limit

    class Stdin:
        buffer = stream

    monkeypatch.setattr(sys, "stdin", Stdin)
    assert main(["validate", "--request", "sendTransaction", "--max-bytes", "100", "-"]) == 1
    assert "-: INVALID" in capsys.readouterr().out and stream.tell() == 101

    assert main(["validate", "--registration", "--max-bytes", "100", fits]) == 2
    assert "--max-bytes applies to payloads" in capsys.readouterr().err


def test_the_default_read_limit_covers_any_body_the_servers_accept() -> None:
    from matrix_appservice import homeserver, server
    from matrix_appservice.__main__ import DEFAULT_MAX_PAYLOAD_BYTES

    for app in (server.create_app, homeserver.HomeserverApp):
        default = inspect.signature(app).parameters["max_body_bytes"].default
        assert isinstance(default, int) and DEFAULT_MAX_PAYLOAD_BYTES >= default, app


def test_both_readmes_state_the_default_read_limit() -> None:
    from matrix_appservice.__main__ import DEFAULT_MAX_PAYLOAD_BYTES

    stated = f"{DEFAULT_MAX_PAYLOAD_BYTES // 1024**2} MiB"
    root = Path(__file__).resolve().parents[2]
    for readme in (root / "README.md", root / "generated" / "python" / "README.md"):
        text = " ".join(readme.read_text(encoding="utf-8").split())
        sentence = next(s for s in text.split(". ") if "--max-bytes N" in s)
        assert stated in sentence, (readme, sentence)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--response", "pingAppservice"],
            "validate: --response needs --status (e.g. --status 200)",
        ),
        (["--request", "ping", "--status", "200"], "validate: --status goes with --response only"),
        (["--registration", "--status", "200"], "validate: --status goes with --response only"),
    ],
)
def test_status_hints_name_the_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    payload = _file(tmp_path, "payload.json", {})
    assert main(["validate", *argv, payload]) == 2
    captured = capsys.readouterr()
    assert captured.err == message + "\n" and captured.out == ""


def test_usage_names_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.package_cli import main as package_main

    with pytest.raises(SystemExit):
        package_main(["validate", "--help"], prog="matrix-appservice")
    assert capsys.readouterr().out.startswith("usage: matrix-appservice validate [-h]")
    with pytest.raises(SystemExit):
        package_main(["validate", "--help"])  # called with arguments: the module form
    assert capsys.readouterr().out.startswith("usage: python -m matrix_appservice validate [-h]")
    for command, name in (
        ([str(Path(sys.executable).with_name("matrix-appservice"))], "matrix-appservice"),
        ([sys.executable, "-m", "matrix_appservice"], "python -m matrix_appservice"),
    ):
        done = subprocess.run(
            [*command, "validate", "--help"], capture_output=True, text=True, timeout=60
        )
        assert done.stdout.startswith(f"usage: {name} validate [-h]"), done.stderr


def test_dash_v_prints_the_package_version_and_spec_revision(
    spec: Spec, capsys: pytest.CaptureFixture[str]
) -> None:
    import matrix_appservice

    from tests.package_cli import main as package_main

    with pytest.raises(SystemExit) as exited:
        package_main(["-V"])
    assert exited.value.code == 0
    expected = f"matrix-appservice {matrix_appservice.__version__} (spec revision {spec.revision})"
    assert capsys.readouterr().out == expected + "\n"
    assert matrix_appservice.SPEC_REVISION == spec.revision
