"""Both command lines as child processes, given bad folders, bad outputs and misplaced words.

Each answer is one clear message with the documented exit status (2 for usage, 1 for problems
in the sources or the payloads), no traceback, within the time and memory ceilings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from codegen.spec import DEFAULT_SPEC_ROOT
from tests.hostile.bounded import BIN, appservice_spec, matrix_appservice, run_bounded

COMMANDS = {
    "lint": ["lint"],
    "bundle": ["bundle", "--version", "v1.4"],
    "generate": ["generate", "--check"],
    "docs": ["docs", "--version", "v1.4"],
    "diff": ["diff", "v1.4", "v1.5"],
}


def _spec_copy(tmp_path: Path) -> Path:
    root = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_ROOT, root)
    return root


def _bad_folder(tmp_path: Path, kind: str) -> Path:
    if kind == "missing":
        return tmp_path / "nowhere"
    if kind == "file":
        (tmp_path / "a-file").write_text("releases: []\n")
        return tmp_path / "a-file"
    if kind == "empty":
        (tmp_path / "empty").mkdir()
        return tmp_path / "empty"
    root = _spec_copy(tmp_path)
    (root / "versions.yaml").unlink()
    return root


def _one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("kind", ["missing", "file", "empty", "no-versions"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_spec_folder_that_is_not_one(tmp_path: Path, command: str, kind: str) -> None:
    root = _bad_folder(tmp_path, kind)
    outcome = appservice_spec("--spec", str(root), *COMMANDS[command])
    outcome.check_clean(codes=[2], seconds=10)
    assert _one_line(outcome.stderr).startswith(f"{command}: --spec {root}: ")
    assert outcome.stdout == ""


@pytest.mark.parametrize("command", list(COMMANDS))
def test_spec_folder_with_yaml_errors(tmp_path: Path, command: str) -> None:
    root = _spec_copy(tmp_path)
    (root / "versions.yaml").write_text("releases:\n  - {name: v1.1, date: '2021-11-09'\n")
    ping = root / "application-service" / "ping.yaml"
    ping.write_text(ping.read_text().replace("paths:", "paths: [", 1))
    outcome = appservice_spec("--spec", str(root), *COMMANDS[command])
    outcome.check_clean(codes=[1], seconds=10)
    lines = outcome.stderr.splitlines()
    assert re.match(r"spec/application-service/ping\.yaml:\d+: YAML error: ", lines[0]), lines
    assert re.match(r"spec/versions\.yaml:\d+: YAML error: ", lines[1]), lines
    assert lines[2:] in (["lint: 2 error(s)"], [f"{command}: 2 problem(s) in {root}"]), lines


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bundle", "--version", "v1.4", "-o", "missing/v1.4.json"],
         "bundle: -o missing/v1.4.json: the folder missing does not exist"),
        (["bundle", "--version", "v1.4", "-o", "folder"], "bundle: -o folder: is a folder; name a file"),
        (["docs", "--html", "file"], "docs: --html file: is a file; name a folder"),
        (["generate", "--out", "file"], "generate: --out file: is a file; name a folder"),
        (["generate", "--out", "folder"],
         "generate: --out folder: the folder holds files the generator did not make (notes.txt); "
         "name a new or empty folder, or an earlier output"),
    ],
    ids=["bundle-missing-folder", "bundle-onto-folder", "docs-onto-file", "generate-onto-file",
         "generate-into-a-folder-of-other-files"],
)  # fmt: skip
def test_output_that_cannot_be_written(tmp_path: Path, argv: list[str], message: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("mine\n")
    (tmp_path / "file").write_text("mine\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    outcome = appservice_spec(*argv, cwd=tmp_path)
    outcome.check_clean(codes=[2], seconds=30)
    assert _one_line(outcome.stderr) == message
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_validate_as_a_value_is_not_the_command(tmp_path: Path) -> None:
    written = appservice_spec("bundle", "-o", "validate", "--version", "v1.4", cwd=tmp_path)
    written.check_clean(codes=[0])
    assert json.loads((tmp_path / "validate").read_text())["info"]["version"] == "v1.4"

    checked = appservice_spec("generate", "--out", "validate-out", "--check", cwd=tmp_path)
    checked.check_clean(codes=[1], seconds=30)
    assert not (tmp_path / "validate-out").exists()  # --check wrote nothing

    spec = appservice_spec("--spec", "validate", "lint", cwd=tmp_path)
    spec.check_clean(codes=[2])
    assert _one_line(spec.stderr) == "lint: --spec validate: not a folder"

    diff = appservice_spec("diff", "validate", "v1.4")
    diff.check_clean(codes=[2])
    assert _one_line(diff.stderr).startswith("diff: unknown release 'validate'; known releases:")


def test_entry_points_name_themselves_in_usage() -> None:
    script = run_bounded([str(BIN / "appservice-spec"), "validate", "--help"])
    script.check_clean(codes=[0])
    assert script.stdout.startswith("usage: appservice-spec validate [-h]")
    module = matrix_appservice("validate", "--help")
    module.check_clean(codes=[0])
    assert module.stdout.startswith("usage: python -m matrix_appservice validate [-h]")
    bare = matrix_appservice()
    bare.check_clean(codes=[2])
    assert bare.stderr.startswith("usage: python -m matrix_appservice [-h] [-V]")


def test_dash_v_on_both_command_lines() -> None:
    tool = appservice_spec("-V")
    tool.check_clean(codes=[0])
    assert re.fullmatch(r"appservice-spec \S+ \(spec revision [0-9a-f]{12}\)\n", tool.stdout)
    package = matrix_appservice("-V")
    package.check_clean(codes=[0])
    assert re.fullmatch(r"matrix-appservice \S+ \(spec revision [0-9a-f]{12}\)\n", package.stdout)
    assert tool.stdout.rsplit(" ", 1)[1] == package.stdout.rsplit(" ", 1)[1]  # generated from these


@pytest.mark.parametrize("cli", [appservice_spec, matrix_appservice], ids=["tool", "package"])
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--response", "pingAppservice"], "validate: --response needs --status (e.g. --status 200)"),
        (["--request", "ping", "--status", "200"], "validate: --status goes with --response only"),
        (["--version", "v7", "--request", "ping"], "validate: unknown release 'v7'; known: "),
        (["--request", "noSuchOperation"], "validate: unknown request 'noSuchOperation' in v1.19; known: "),
        (["--response", "pingAppservice", "--status", "299"],
         "validate: pingAppservice has no JSON response with that status in v1.19; it has: "),
        (["--version", "v1.6", "--request", "ping"],
         "validate: request 'ping' does not exist in v1.6 (it exists in v1.7 to unstable)"),
    ],
    ids=["response-without-status", "status-without-response", "release", "operation",
         "status", "not-yet"],
)  # fmt: skip
def test_validate_usage_errors_speak_in_flags(
    tmp_path: Path, cli: object, argv: list[str], message: str
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text("{}")
    outcome = cli("validate", *argv, str(payload))  # type: ignore[operator]
    outcome.check_clean(codes=[2])
    line = _one_line(outcome.stderr)
    assert line.startswith(message), line
    # Python keyword forms (status=200, request=...) belong to the library, not the CLI.
    assert not re.search(r"\b(request|response|status|schema|registration)=", line), line


# -- hostile source files under --spec: one `file:line: problem`, exit status 1 -------------

_BOMB = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
) + "\n"  # fmt: skip


def _hostile_source(root: Path, kind: str) -> str:
    """Write one hostile file under ``root``; return the problem line `lint` must print."""
    definitions = root / "definitions"
    if kind == "nested-50000-flow":
        (definitions / "deep.yaml").write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
        return "spec/definitions/deep.yaml:1: nested more than 64 levels deep"
    if kind == "nested-50000-block":
        (definitions / "deep.yaml").write_text("a:\n" + "- " * 50_000 + "x\n")
        return "spec/definitions/deep.yaml:2: nested more than 64 levels deep"
    if kind == "billion-laughs":
        assert len(_BOMB) < 600
        (definitions / "bomb.yaml").write_text(_BOMB)
        return (
            "spec/definitions/bomb.yaml:1: YAML anchor &a0: anchors and aliases are not allowed in "
            "the spec sources (an alias can expand a small file enormously); write the value out"
        )
    if kind == "latin-1":
        (definitions / "latin.yaml").write_bytes(b"title: Latin\ndescription: caf\xe9\n")
        return (
            "spec/definitions/latin.yaml:2: not UTF-8: byte 0xe9 at byte offset 29 cannot be "
            "decoded; save the file as UTF-8"
        )
    if kind == "nul-bytes":
        (definitions / "nul.yaml").write_bytes(b"title: Nul\n" + b"\0" * 1000)
        return (
            "spec/definitions/nul.yaml:2: a NUL byte at byte offset 11; "
            "the sources hold printable text only"
        )
    if kind == "50-MB":
        with (definitions / "huge.yaml").open("w") as handle:
            handle.write("title: Huge\ndescription: '")
            for _ in range(50):
                handle.write("a" * 1024 * 1024)
            handle.write("'\n")
        size = (definitions / "huge.yaml").stat().st_size
        return (
            f"spec/definitions/huge.yaml: the file has {size:,} bytes; "
            "a spec source may have at most 2,097,152 bytes"
        )
    if kind == "huge-integer":
        (definitions / "number.yaml").write_text("title: Number\nx-n: " + "9" * 100_000 + "\n")
        return (
            "spec/definitions/number.yaml:2: the number "
            + "9" * 59
            + "… has more than 4,300 digits"
        )
    if kind == "folder":
        (definitions / "folder.yaml").mkdir()
        return "spec/definitions/folder.yaml: is a folder; a spec source must be a file"
    if kind == "fifo":
        os.mkfifo(definitions / "pipe.yaml")
        return (
            "spec/definitions/pipe.yaml: is not a regular file (a device, pipe or socket); "
            "a spec source must be a file"
        )
    assert kind == "dev-zero"
    (definitions / "zero.yaml").symlink_to("/dev/zero")
    return (
        "spec/definitions/zero.yaml: is not a regular file (a device, pipe or socket); "
        "a spec source must be a file"
    )


HOSTILE_SOURCES = [
    "nested-50000-flow", "nested-50000-block", "billion-laughs", "latin-1", "nul-bytes", "50-MB",
    "huge-integer", "folder", "fifo", "dev-zero",
]  # fmt: skip


@pytest.mark.parametrize("kind", HOSTILE_SOURCES)
def test_hostile_source_file(tmp_path: Path, kind: str) -> None:
    root = _spec_copy(tmp_path)
    expected = _hostile_source(root, kind)
    outcome = appservice_spec("--spec", str(root), "lint")
    outcome.check_clean(codes=[1], seconds=10, peak_mb=400)
    assert outcome.stderr.splitlines() == [expected, "lint: 1 error(s)"]
    assert outcome.stdout == ""


@pytest.mark.parametrize("kind", ["nested-50000-flow", "billion-laughs"])
@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "lint"])
def test_hostile_source_file_in_every_command(tmp_path: Path, command: str, kind: str) -> None:
    root = _spec_copy(tmp_path)
    expected = _hostile_source(root, kind)
    outcome = appservice_spec("--spec", str(root), *COMMANDS[command])
    outcome.check_clean(codes=[1], seconds=10, peak_mb=400)
    assert outcome.stderr.splitlines() == [expected, f"{command}: 1 problem(s) in {root}"]


def test_a_date_in_a_source_is_refused_before_bundling(tmp_path: Path) -> None:
    root = _spec_copy(tmp_path)
    ping = root / "application-service" / "ping.yaml"
    text = ping.read_text()
    line = text[: text.index("      summary:")].count("\n") + 1
    ping.write_text(text.replace("      summary:", "      x-since: 2023-05-25\n      summary:", 1))
    outcome = appservice_spec("--spec", str(root), "bundle", "--version", "v1.7")
    outcome.check_clean(codes=[1], seconds=10)
    assert outcome.stderr.splitlines() == [
        f"spec/application-service/ping.yaml:{line}: 2023-05-25 is read by YAML as a date; the spec "
        "sources hold JSON values only: write it as a quoted string ('2023-05-25')",
        f"bundle: 1 problem(s) in {root}",
    ]
    assert outcome.stdout == ""
