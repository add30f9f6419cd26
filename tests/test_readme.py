"""The READMEs tell the truth: their Python snippets run as written and their console
excerpts match what the commands print now.

A ``python`` block with ``>>>`` prompts runs as a doctest; any other ``python`` block runs as
a script in a fresh interpreter, in a folder that holds a valid ``registration.yaml`` (the
file the snippets name); a block whose first line is ``# test_<name>.py ...`` is a test
module, saved under that name and run by pytest there. A ``console`` block's ``$`` command is
run when it is one of the quick, deterministic commands listed below, and every line shown
after it (``...`` marks a gap) must appear in the real output, in order.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = {
    "README.md": REPO / "README.md",
    "generated/python/README.md": REPO / "generated" / "python" / "README.md",
}
# Commands whose output does not depend on time or on files the README does not show.
CHECKED = {
    ("appservice-spec", "diff"),
    ("appservice-spec", "lint"),
    ("appservice-spec", "rules"),
    ("appservice-spec", "validate"),
}
_TEST_FILE = re.compile(r"# (test_\w+\.py)\b")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _blocks(kind: str) -> list[tuple[str, int, str]]:
    found = []
    for name, path in DOCS.items():
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match.group(1) == kind:
                line = text[: match.start()].count("\n") + 1
                found.append((name, line, match.group(2)))
    return found


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "runtime")]))


REGISTRATION = """\
id: readme-bridge
url: "http://127.0.0.1:9000"
as_token: "readme_as_token_0123456789"
hs_token: "readme_hs_token_9876543210"
sender_localpart: readmebot
namespaces:
  users: [{exclusive: true, regex: '@_irc_.*:example\\.org'}]
"""


@pytest.mark.parametrize(("doc", "line", "code"), _blocks("python"), ids=lambda v: str(v)[:40])
def test_python_snippets_run(doc: str, line: int, code: str, tmp_path: Path) -> None:
    if ">>>" in code:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(code, {}, f"{doc}:{line}", doc, line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0, f"{doc}:{line}: the doctest fails"
        return
    registration = tmp_path / "registration.yaml"
    registration.write_text(REGISTRATION)
    registration.chmod(0o600)
    test_file = _TEST_FILE.match(code)
    if test_file:  # a test module: written under its name and run by pytest
        (tmp_path / test_file.group(1)).write_text(code)
        # The dev environment's looptime (a library of the project's own tests) brings a
        # pytest plugin that needs pytest-asyncio; the README's readers have neither.
        argv = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:looptime_plugin",
                test_file.group(1)]  # fmt: skip
    else:
        argv = ["-c", code]
    done = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"{doc}:{line}: the snippet fails:\n{(done.stdout + done.stderr)[-2000:]}"
    )
    shown = [ln.split("# prints: ", 1)[1] for ln in code.splitlines() if "# prints: " in ln]
    for expected in shown:
        assert expected.strip() in done.stdout, f"{doc}:{line}: {expected!r} not in {done.stdout!r}"


def _commands() -> list[tuple[str, int, list[str], list[str]]]:
    """Each ``$`` command with the lines shown after it; a command followed by a comment
    (``# after breaking ...``) describes a changed tree and is left out."""
    found = []
    for doc, line, block in _blocks("console"):
        current: list[str] | None = None
        for text in block.splitlines():
            if text.startswith("$ "):
                current = []
                if "  #" not in text:
                    found.append((doc, line, shlex.split(text[2:]), current))
            elif current is not None:
                current.append(text.strip())
    return found


def _program(argv: list[str]) -> tuple[str, str]:
    return Path(argv[0]).name, next((a for a in argv[1:] if not a.startswith("-")), "")


def test_every_checked_command_is_found() -> None:
    seen = {_program(argv) for _, _, argv, _ in _commands()}
    assert CHECKED <= seen, f"the README no longer shows {CHECKED - seen}"


@pytest.mark.parametrize(
    ("doc", "line", "argv", "expected"),
    [c for c in _commands() if _program(c[2]) in CHECKED],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_console_excerpts_match(doc: str, line: int, argv: list[str], expected: list[str]) -> None:
    binary = Path(sys.executable).parent / Path(argv[0]).name
    done = subprocess.run(
        [str(binary), *argv[1:]], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    actual = [ln.strip() for ln in (done.stdout + done.stderr).splitlines()]
    position = 0
    for want in expected:
        if not want or want == "...":
            continue
        while position < len(actual) and actual[position] != want:
            position += 1
        assert position < len(actual), (
            f"{doc}:{line}: `{' '.join(argv)}` no longer prints {want!r} (in this order); it prints:\n"
            + "\n".join(actual)
        )
        position += 1


def test_the_exit_status_tables_are_the_package_s() -> None:
    command = [str(Path(sys.executable).with_name("matrix-appservice")), "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    shown = done.stdout.split("exit status:\n", 1)[1]
    statuses = [line.strip().split("  ", 1) for line in shown.splitlines() if line.strip()]
    assert [code for code, _ in statuses] == ["0", "1", "2", "3"], shown
    want = [f"| {code} | {meaning} |" for code, meaning in statuses]
    for name, path in DOCS.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        assert "| status | meaning |" in lines, f"{name} has no exit status table"
        start = lines.index("| status | meaning |") + 2
        assert lines[start : start + len(want) + 1] == [*want, ""], name


@pytest.mark.parametrize(
    ("doc", "line", "text"),
    [b for b in _blocks("yaml") if b[2].startswith("# registration.yaml")],
    ids=lambda v: str(v)[:40],
)
def test_registration_examples_pass_the_checks(doc: str, line: int, text: str) -> None:
    from matrix_appservice import parse_registration
    from matrix_appservice.registration import check_registration

    problems = check_registration(parse_registration(text, f"{doc}:{line}"))
    assert problems == [], problems
