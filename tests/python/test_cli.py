"""``appservice-spec validate`` (the generated package's command line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen.cli import main
from codegen.spec import Spec

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
    from matrix_appservice.__main__ import main as package_main
    from matrix_appservice.__main__ import program_name

    with pytest.raises(SystemExit):
        package_main(["validate", "--help"], prog="matrix-appservice")
    assert capsys.readouterr().out.startswith("usage: matrix-appservice validate [-h]")
    with pytest.raises(SystemExit):
        package_main(["validate", "--help"])  # called with arguments: the module form
    assert capsys.readouterr().out.startswith("usage: python -m matrix_appservice validate [-h]")
    assert program_name("/venv/bin/matrix-appservice") == "matrix-appservice"
    assert program_name("/site-packages/matrix_appservice/__main__.py") == (
        "python -m matrix_appservice"
    )
    assert program_name(None) == "python -m matrix_appservice"


def test_dash_v_prints_the_package_version_and_spec_revision(
    spec: Spec, capsys: pytest.CaptureFixture[str]
) -> None:
    import matrix_appservice
    from matrix_appservice.__main__ import main as package_main

    with pytest.raises(SystemExit) as exited:
        package_main(["-V"])
    assert exited.value.code == 0
    expected = f"matrix-appservice {matrix_appservice.__version__} (spec revision {spec.revision})"
    assert capsys.readouterr().out == expected + "\n"
    assert matrix_appservice.SPEC_REVISION == spec.revision
