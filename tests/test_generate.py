"""``appservice-spec generate [--check]``: deterministic output and the drift check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import generate as gen
from codegen.cli import main
from codegen.spec import DEFAULT_SPEC_ROOT, Spec

REPO = DEFAULT_SPEC_ROOT.parent


def test_generation_is_deterministic_across_processes(tmp_path: Path) -> None:
    """Two runs in two interpreters with different hash seeds (so set and dict orders of
    strings differ) write the same bytes."""
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "codegen.cli", "generate", "--out", str(out)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0].keys() == outs[1].keys() and len(outs[0]) > 100
    different = [str(rel) for rel in outs[0] if outs[0][rel] != outs[1][rel]]
    assert not different, different


def test_one_bundle_per_release(spec: Spec) -> None:
    files = gen.emit_all(spec)
    bundles = sorted(rel for rel in files if rel.startswith("openapi/"))
    assert bundles == sorted(f"openapi/{r.name}.json" for r in spec.releases)
    doc = json.loads(files["openapi/v1.13.json"])
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == "v1.13"


def test_check_fails_after_a_hand_edit_and_passes_after_generate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated"
    assert main(["generate", "--out", str(out)]) == 0
    assert main(["generate", "--check", "--out", str(out)]) == 0

    edited = out / "openapi" / "v1.7.json"
    edited.write_text(edited.read_text().replace('"ping"', '"pong"', 1))
    (out / "stray.txt").write_text("not made by the generator\n")
    capsys.readouterr()
    assert main(["generate", "--check", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "generated/openapi/v1.7.json (committed)" in captured.out
    diff_lines = captured.out.splitlines()
    assert any(ln.startswith("-") and '"operationId": "pong"' in ln for ln in diff_lines)
    assert any(ln.startswith("+") and '"operationId": "ping"' in ln for ln in diff_lines)
    assert "generated/stray.txt exists but the generator does not make it" in captured.out
    assert "make generate" in captured.err

    assert main(["generate", "--out", str(out)]) == 0
    assert not (out / "stray.txt").exists()
    assert main(["generate", "--check", "--out", str(out)]) == 0


def test_committed_tree_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--check"]) == 0, capsys.readouterr().out[:4000]


def test_bundle_command_writes_one_release(tmp_path: Path) -> None:
    target = tmp_path / "v1.4.json"
    assert main(["bundle", "--version", "v1.4", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["info"]["version"] == "v1.4"
    assert main(["bundle", "--version", "1.4", "-o", str(target)]) == 0
    assert main(["bundle", "--version", "v9.9", "-o", str(target)]) == 2


def test_tool_caches_and_build_output_are_not_output(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert main(["generate", "--out", str(out)]) == 0
    for junk in (".mypy_cache/3.11/x.data.json", "python/.ruff_cache/x", "python/build/lib/x.py",
                 "python/x.egg-info/PKG-INFO", "python/matrix_appservice/__pycache__/x.pyc"):  # fmt: skip
        path = out / junk
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xf8\x00 binary")
    assert main(["generate", "--check", "--out", str(out)]) == 0
    assert main(["generate", "--out", str(out)]) == 0
    assert (out / "python" / "build" / "lib" / "x.py").exists()  # left alone, not removed
