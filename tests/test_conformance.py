"""The conformance matrix: every rule of every release says how it is checked, and what it
says is true.

- a MUST or SHOULD (or their NOT) that binds an appservice has a probe check, unless the rule
  data says why no probe can check it from outside;
- a rule that binds a homeserver or an appservice, the parties the package implements, has
  a test showing the package keeps it, or says why the package has no part that has to, or
  records where it does not keep it yet;
- every test and probe check the rules name exists, and every probe check names a rule;
- the package's rule data is the spec's (the documents' matrices: tests/docs/test_rules_in_documents.py).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import httpx
import pytest
from matrix_appservice.probe import Prober, Samples
from matrix_appservice.rules import PROBE_CHECKS, RULES

from codegen.spec import Spec

ROOT = Path(__file__).resolve().parent.parent
STRONG = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT")


@cache
def _tests_in(path: str) -> frozenset[str]:
    """``name`` and ``Class::name`` of every test function in a file."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            found.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test_"):
                    found.add(f"{node.name}::{item.name}")
    return frozenset(found)


def _probe_checks() -> list[str]:
    with httpx.Client() as client:
        prober = Prober(client, "http://as.invalid", "probe-hs-token", "unstable", Samples(None))
        return ["connect", *(name for name, _ in prober.checks())]


def test_every_named_test_exists(spec: Spec) -> None:
    missing = []
    for rel in spec.releases:
        for rule in spec.ir.rules.release(rel):
            for test in rule.tests:
                path, _, name = test.partition("::")
                if not (ROOT / path).is_file() or name not in _tests_in(path):
                    missing.append(f"{rule.id}: {test}")
    assert sorted(set(missing)) == []


def test_every_probe_check_names_a_rule_and_every_named_check_exists(spec: Spec) -> None:
    checks = _probe_checks()
    named = {c for rel in spec.releases for r in spec.ir.rules.release(rel) for c in r.probe}
    assert named == set(checks) == set(PROBE_CHECKS)


@pytest.mark.parametrize("level", STRONG)
def test_an_appservice_rule_a_probe_can_check_has_a_probe_check(spec: Spec, level: str) -> None:
    unchecked = {
        (rule.id, rel.name)
        for rel in spec.releases
        for rule in spec.ir.rules.rules(rel)
        if rule.level == level and "appservice" in rule.binds
        and not rule.probe and not rule.outside
    }  # fmt: skip
    assert unchecked == set()


def test_a_rule_binding_our_clients_or_servers_has_a_test(spec: Spec) -> None:
    untested = {
        (rule.id, rel.name)
        for rel in spec.releases
        for rule in spec.ir.rules.rules(rel)
        if {"homeserver", "appservice"} & set(rule.binds)
        and not (rule.tests or rule.package or rule.deviation)
    }
    assert untested == set()


def test_every_rule_says_how_it_is_checked_or_why_not(spec: Spec) -> None:
    silent = {
        (rule.id, rel.name)
        for rel in spec.releases
        for rule in spec.ir.rules.rules(rel)
        if not (rule.probe or rule.tests or rule.outside or rule.package or rule.deviation)
    }
    assert silent == set()


def test_the_package_has_the_rules_of_the_spec(spec: Spec) -> None:
    book = spec.ir.rules
    assert {r.id for r in RULES} == set(book.ids)
    for rel in spec.releases:
        for rule in book.release(rel):
            mine = [r for r in RULES if r.id == rule.id and r.holds_in(rel.name)]
            assert len(mine) == 1, (rule.id, rel.name)
            assert (mine[0].text, mine[0].level, mine[0].section) == (
                rule.text, rule.level, rule.section,
            )  # fmt: skip


def test_the_package_readme_says_which_choices_are_its_own(spec: Spec) -> None:
    """Every note on what this package does is in its README, with the rule it refines."""
    readme = (ROOT / "generated" / "python" / "README.md").read_text(encoding="utf-8")
    ours = [n for n in spec.ir.rules.notes("unstable") if n.by == "matrix-appservice"]
    assert {n.id for n in ours} >= {
        "identity.memory-asserted-user", "namespaces.full-match", "query.not-found-errcode",
    }  # fmt: skip
    for note in ours:
        assert note.refines in spec.ir.rules.ids
        assert f"- `{note.refines}` (note `{note.id}`): {note.text}" in readme, note.id
