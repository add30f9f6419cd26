"""``appservice-spec``: the --spec folder, output targets, the command word, -V and usage names."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from codegen.cli import main, program_name
from codegen.outputs import write_text_atomic
from codegen.spec import DEFAULT_SPEC_ROOT, source_revision
from tests.conftest import Breaker

# Each command with arguments that would work on the real sources.
COMMANDS = {
    "lint": ["lint"],
    "bundle": ["bundle", "--version", "v1.4"],
    "generate": ["generate", "--check"],
    "docs": ["docs", "--version", "v1.4"],
    "diff": ["diff", "v1.4", "v1.5"],
}


def _not_a_spec_folder(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A --spec value of one bad kind and what the error says about it."""
    if kind == "missing":
        return tmp_path / "nowhere", "no such folder"
    if kind == "file":
        path = tmp_path / "versions.yaml"
        path.write_text("releases: []\n")
        return path, "not a folder"
    if kind == "empty":
        path = tmp_path / "empty"
        path.mkdir()
    else:
        path = tmp_path / "spec"
        shutil.copytree(DEFAULT_SPEC_ROOT, path)
        (path / "versions.yaml").unlink()
    return path, "not a spec folder (it has no versions.yaml file)"


@pytest.mark.parametrize("kind", ["missing", "file", "empty", "no-versions"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_that_is_no_spec_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, kind: str
) -> None:
    root, what = _not_a_spec_folder(tmp_path, kind)
    assert main(["--spec", str(root), *COMMANDS[command]]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"{command}: --spec {root}: {what}\n"
    assert captured.out == ""


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_yaml_error_in_versions_yaml_is_a_spec_problem_with_its_line(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    root, _ = broken_spec("versions.yaml", "releases:", "releases: [")
    assert main(["--spec", str(root), *COMMANDS[command]]) == 1
    err = capsys.readouterr().err.splitlines()
    assert re.match(r"spec/versions\.yaml:\d+: YAML error: ", err[0]), err
    # Only versions.yaml is reported: the changelog is not checked against missing releases.
    assert len(err) == 2, err
    assert err[1] in ("lint: 1 error(s)", f"{command}: 1 problem(s) in {root}")


def test_a_yaml_error_in_an_endpoint_file_names_file_and_line(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = broken_spec("application-service/ping.yaml", "paths:", "paths: {")
    assert main(["--spec", str(root), "bundle", "--version", "v1.7"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"^spec/application-service/ping\.yaml:\d+: YAML error: ", err, re.M), err
    assert err.endswith(f"bundle: 1 problem(s) in {root}\n")


def test_only_unstable_in_versions_yaml_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_ROOT, root)
    (root / "versions.yaml").write_text(
        "releases:\n  - {name: unstable, date: null, status: unstable}\n"
    )
    assert main(["--spec", str(root), "bundle", "--version", "unstable"]) == 1
    assert "at least one release besides 'unstable'" in capsys.readouterr().err


# --- where the commands write ---------------------------------------------------------------


def _tree(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bundle", "--version", "v1.4", "-o", "missing/v1.4.json"],
         "bundle: -o missing/v1.4.json: the folder missing does not exist"),
        (["bundle", "--version", "v1.4", "-o", "folder"], "bundle: -o folder: is a folder; name a file"),
        (["bundle", "--version", "v1.4", "-o", "file/v1.4.json"],
         "bundle: -o file/v1.4.json: file is not a folder"),
        (["docs", "--version", "v1.4", "--html", "file"], "docs: --html file: is a file; name a folder"),
        (["docs", "--version", "v1.4", "--html", "file/site"],
         "docs: --html file/site: is inside file, a file; name a folder"),
        (["docs", "--version", "v1.4", "--html", "site"],
         "docs: --html site: site/v1.4.html is a folder where a file goes"),
        (["generate", "--out", "file"], "generate: --out file: is a file; name a folder"),
        (["generate", "--check", "--out", "file"], "generate: --out file: is a file; name a folder"),
    ],
    ids=["bundle-missing-folder", "bundle-onto-folder", "bundle-under-file", "docs-onto-file",
         "docs-under-file", "docs-page-is-folder", "generate-onto-file", "check-onto-file"],
)  # fmt: skip
def test_an_output_that_cannot_be_written_is_a_usage_error_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("kept\n")
    (tmp_path / "site" / "v1.4.html").mkdir(parents=True)
    before = _tree(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == message + "\n" and captured.out == ""
    assert _tree(tmp_path) == before
    assert (tmp_path / "file").read_text() == "kept\n"


def test_generate_refuses_a_folder_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # generate removes what it does not make: a mistyped --out must not empty a project.
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text("print('mine')\n")
    (project / "README.md").write_text("mine\n")
    assert main(["generate", "--out", str(project)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"generate: --out {project}: the folder holds files the generator did not make "
        "(README.md, src); name a new or empty folder, or an earlier output\n"
    )
    assert _tree(project) == ["README.md", "src", "src/app.py"]


def test_generate_refuses_a_file_where_one_of_its_folders_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated"
    (out / "openapi").mkdir(parents=True)
    (out / "openapi" / "v1.4.json").write_text("{}\n")  # an earlier output
    (out / "python").write_text("not a folder\n")
    assert main(["generate", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(
        f"generate: --out {out}: {out / 'python'} is a file where a folder goes"
    )
    assert _tree(out) == ["openapi", "openapi/v1.4.json", "python"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "bundle.json"
    target.write_text("old\n")

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr("codegen.outputs.os.replace", full_disk)
        with pytest.raises(OSError):
            write_text_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert _tree(tmp_path) == ["bundle.json"]
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n" and _tree(tmp_path) == ["bundle.json"]


# --- the command word -----------------------------------------------------------------------


def test_validate_as_an_option_value_is_not_the_validate_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    # A bundle written to a file named "validate".
    assert main(["bundle", "-o", "validate", "--version", "v1.4"]) == 0
    assert json.loads((tmp_path / "validate").read_text())["info"]["version"] == "v1.4"
    # --check stays a check when the output folder is named "validate": nothing is written.
    assert main(["generate", "--out", "validate-out", "--check"]) == 1
    assert main(["generate", "--out", "validate", "--check"]) == 2  # a file now, see above
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validate"]
    capsys.readouterr()
    # --spec's value is not the command.
    assert main(["--spec", "validate", "lint"]) == 2
    assert capsys.readouterr().err == "lint: --spec validate: not a folder\n"
    # A release named "validate" is an unknown release, reported by diff itself.
    assert main(["diff", "validate", "v1.4"]) == 2
    assert capsys.readouterr().err.startswith("diff: unknown release 'validate'")


def test_validate_forwards_everything_after_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--spec", "/nowhere", "validate", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: appservice-spec validate [-h] [--version VERSION]")
    assert "--registration" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith("appservice-spec: error: a command is required\n")


# --- -V and the program name ----------------------------------------------------------------


def test_dash_v_prints_the_tool_version_and_the_spec_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib import metadata

    version = metadata.version("matrix-appservice-spec")
    assert main(["-V"]) == 0
    revision = source_revision(DEFAULT_SPEC_ROOT)
    assert capsys.readouterr().out == f"appservice-spec {version} (spec revision {revision})\n"
    # The revision of the sources --spec names, wherever -V stands.
    copy = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_ROOT, copy)
    (copy / "extra.txt").write_text("one more file\n")
    assert main(["-V", "--spec", str(copy)]) == 0
    other = capsys.readouterr().out
    assert other.startswith(f"appservice-spec {version} (spec revision ")
    assert revision not in other and source_revision(copy) in other
    assert main(["--spec", str(tmp_path / "nowhere"), "-V"]) == 0
    assert capsys.readouterr().out == (
        f"appservice-spec {version} (no spec sources: {tmp_path / 'nowhere'}: no such folder)\n"
    )


@pytest.mark.parametrize(
    ("argv0", "expected"),
    [
        ("/usr/local/bin/appservice-spec", "appservice-spec"),
        ("/opt/tools/bin/asspec", "asspec"),  # installed under another name
        ("/work/repo/codegen/cli.py", "appservice-spec"),  # python -m codegen.cli
        ("-c", "appservice-spec"),
        ("", "appservice-spec"),
        (None, "appservice-spec"),
    ],
)
def test_program_name(argv0: str | None, expected: str) -> None:
    assert program_name(argv0) == expected
