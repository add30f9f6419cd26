"""``appservice-spec rules``: the rule counts of each release, as the conformance matrices
give them (rules by level; checked by the probe, by tests, by neither and why)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen.cli import main
from codegen.docs.rules import COUNT_COLUMNS
from codegen.spec import Spec

ROOT = Path(__file__).resolve().parents[1]


def _table(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    assert main(["rules", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| " + " | ".join(COUNT_COLUMNS) + " |"
    return [
        dict(zip(COUNT_COLUMNS, line.strip("| ").split(" | "), strict=True)) for line in lines[2:]
    ]


def test_one_row_per_release_with_the_figures_of_its_matrix(
    spec: Spec, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _table(capsys)
    assert [r["release"] for r in rows] == [rel.name for rel in spec.releases]
    for row in rows:
        matrix = json.loads(
            (ROOT / "generated" / "docs" / "conformance" / f"{row['release']}.json").read_text()
        )
        figures = matrix["counts"]
        rules = matrix["rules"]
        assert int(row["rules"]) == len(rules) == sum(int(row[lv]) for lv in figures["by_level"])
        for level in figures["by_level"]:
            assert int(row[level]) == sum(1 for r in rules if r["level"] == level)
        assert int(row["probe"]) == sum(1 for r in rules if r["probe"])
        assert int(row["tests"]) == sum(1 for r in rules if r["tests"])
        neither = [r for r in rules if not r["probe"] and not r["tests"]]
        assert int(row["neither"]) == len(neither)
        assert int(row["neither"]) == sum(int(row[k]) for k in ("outside", "package", "deviation"))
        assert int(row["deviation"]) == sum(1 for r in neither if r["deviation"])


def test_only_the_releases_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _table(capsys, "--version", "r0.1.0", "--version", "v1.19")
    assert [r["release"] for r in rows] == ["r0.1.0", "v1.19"]
    assert int(rows[0]["rules"]) < int(rows[1]["rules"])


def test_an_unknown_release_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--version", "v9.9"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "v9.9" in captured.err
