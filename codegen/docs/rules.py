"""The rules of one release in its document: listed per topic, per endpoint, and as a
conformance matrix.

Each rule is stated once with a link target named after its id (``auth.as-verifies-token``),
in the section of the document that places its topic (``{{ rules("authentication") }}``);
the endpoints it concerns and the conformance matrix link to it. A topic no template places
in a release is stated under "Other requirements" (``{{ other_rules() }}``), so that every
rule of the release is stated exactly once wherever the templates stand.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from codegen.docs.rst import inline_literal, list_table
from codegen.docs.rst import md as _md
from codegen.rules import LEVELS, STATED, Rule, RuleBook
from codegen.versions import Release, Releases

__all__ = ["COUNT_COLUMNS", "RuleBlocks", "conformance", "counts", "counts_row", "counts_table"]

_WHO = {"homeserver": "the homeserver", "appservice": "the appservice", "client": "clients"}


def counts(rules: tuple[Rule, ...] | list[Rule]) -> dict[str, Any]:
    """The figures of a conformance matrix: rules by level, and how they are checked."""
    levels = Counter(r.level for r in rules if r.is_rule)
    mine = [r for r in rules if r.is_rule]
    reasons = Counter(_reason(r) for r in mine if not r.checked)
    return {
        "rules": len(mine),
        "by_level": {level: levels.get(level, 0) for level in LEVELS},
        "probe": sum(1 for r in mine if r.probe),
        "tests": sum(1 for r in mine if r.tests),
        "unchecked": sum(1 for r in mine if not r.checked),
        "unchecked_because": {k: reasons.get(k, 0) for k in ("outside", "package", "deviation")},
    }


_REASONS = ("deviation", "package", "outside")


def _reason(rule: Rule) -> str:
    """Why a rule without probe checks or tests has none, the first that applies: the
    package does not keep it yet, no part of the package has to keep it, no probe can check
    it from outside."""
    return next((k for k in _REASONS if getattr(rule, k)), "outside")


COUNT_COLUMNS = ("release", "rules", *LEVELS, "probe", "tests", "neither",
                 "outside", "package", "deviation")  # fmt: skip
"""The columns of :func:`counts_table`."""


def counts_row(release: str, figures: dict[str, Any]) -> list[str]:
    """One row of :func:`counts_table`: the figures of ``counts`` in the column order."""
    because = figures["unchecked_because"]
    return [
        release, str(figures["rules"]), *(str(figures["by_level"][lv]) for lv in LEVELS),
        str(figures["probe"]), str(figures["tests"]), str(figures["unchecked"]),
        *(str(because[k]) for k in ("outside", "package", "deviation")),
    ]  # fmt: skip


def counts_table(book: RuleBook, releases: list[Release]) -> str:
    """A Markdown table of the rule counts of ``releases``: rules by level, and how many the
    probe checks, the tests check, and neither (split by the reason given: ``outside``, no
    probe can check it from outside; ``package``, no part of the package has to keep it;
    ``deviation``, the package does not keep it yet; each such rule counted once, under the
    first of deviation, package, outside it gives). A rule with both a probe check and tests
    counts in both columns."""
    rows = [counts_row(rel.name, counts(book.release(rel))) for rel in releases]
    lines = ["| " + " | ".join(COUNT_COLUMNS) + " |", "|" + "---|" * len(COUNT_COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def conformance(book: RuleBook, release: Release) -> dict[str, Any]:
    """The conformance matrix of a release as JSON data."""
    rules = book.release(release)

    def entry(rule: Rule) -> dict[str, Any]:
        data: dict[str, Any] = {"id": rule.id, "kind": rule.kind}
        if rule.is_rule:
            data |= {"level": rule.level, "binds": list(rule.binds), "stated": rule.stated}
        else:
            data |= {"by": rule.by, "refines": rule.refines}
        data |= {"text": rule.text, "section": rule.section, "topic": rule.topic}
        for key in ("operations", "parameters", "fields", "errcodes", "probe", "tests"):
            data[key] = list(getattr(rule, key))
        for key in ("outside", "package", "deviation"):
            data[key] = getattr(rule, key)
        return data

    return {
        "release": release.name,
        "counts": counts(rules),
        "rules": [entry(r) for r in rules if r.is_rule],
        "notes": [entry(r) for r in rules if not r.is_rule],
    }


@lru_cache(maxsize=2048)
def md(text: str) -> str:
    """:func:`codegen.docs.rst.md`, once per text: the same wording recurs in many releases."""
    return _md(text)


def _target(rule_id: str) -> str:
    return f"_`{rule_id}`"


def _link(rule_id: str) -> str:
    return f"`{rule_id}`_"


class RuleBlocks:
    """RST for the rules of one release; remembers which rules it has stated."""

    def __init__(self, book: RuleBook, release: Release, releases: Releases) -> None:
        self.release = release
        self.releases = releases
        self.all = book.release(release)
        previous = [r for r in releases if r.index == release.index - 1]
        self.before = {r.id: r for r in book.release(previous[0])} if previous else {}
        self.stated: list[str] = []

    # -- one rule ---------------------------------------------------------------------------

    def _marks(self, rule: Rule) -> str:
        old = self.before.get(rule.id)
        if old is None and self.before and rule.id not in self.before:
            return " *New in this version.*"
        if old is not None and (old.text, old.level) != (rule.text, rule.level):
            return " *Changed in this version.*"
        return ""

    def _head(self, rule: Rule) -> str:
        if rule.is_rule:
            who = " and ".join(_WHO[b] for b in rule.binds)
            return f"{rule.level}, binds {who}"
        return f"a note on {rule.by}, not a rule"

    def _body(self, rule: Rule) -> str:
        text = md(rule.text)
        if rule.is_rule and STATED.get(rule.stated):
            text += f" *{STATED[rule.stated]}*"
        if not rule.is_rule and rule.refines:
            text += f" (It makes {_link(rule.refines)} precise.)"
        return text + self._marks(rule)

    def state(self, rule: Rule) -> str:
        """The rule as a list item, with its link target."""
        self.stated.append(rule.id)
        return f"- {_target(rule.id)} ({self._head(rule)}): {self._body(rule)}"

    def mention(self, rule: Rule) -> str:
        """The rule as a list item that links to where it is stated."""
        return f"- {_link(rule.id)} ({self._head(rule)}): {md(rule.text)}"

    # -- groups -----------------------------------------------------------------------------

    def _list(self, rules: list[Rule], heading: str, *, state: bool) -> str:
        if not rules:
            return ""
        items = [self.state(r) if state else self.mention(r) for r in rules]
        return f".. rubric:: {heading}\n   :class: rules\n\n" + "\n".join(items)

    def topic(self, topic: str) -> str:
        """Every rule and note of ``topic`` that holds in this release, not stated yet."""
        mine = [r for r in self.all if r.topic == topic and r.id not in self.stated]
        rules = self._list([r for r in mine if r.is_rule], "Requirements", state=True)
        notes = self._list([r for r in mine if not r.is_rule], "Implementation notes", state=True)
        return "\n\n".join(part for part in (rules, notes) if part)

    def remaining(self) -> str:
        """The rules and notes of topics no template stated, each topic under its name."""
        parts = []
        topics = dict.fromkeys(r.topic for r in self.all if r.id not in self.stated)
        for topic in topics:
            title = topic.replace("-", " ").capitalize()
            parts.append(f"{title}\n{'-' * len(title)}\n\n{self.topic(topic)}")
        return "\n\n".join(parts)

    def for_operation(self, operation_id: str) -> str:
        """The rules and notes that concern an operation, linking to where they are stated."""
        mine = [r for r in self.all if operation_id in r.operations]
        rules = self._list([r for r in mine if r.is_rule], "Rules", state=False)
        notes = self._list([r for r in mine if not r.is_rule], "Implementation notes", state=False)
        return "\n\n".join(part for part in (rules, notes) if part)

    # -- the conformance matrix -------------------------------------------------------------

    @staticmethod
    def _how(rule: Rule) -> str:
        parts = []
        if rule.probe:
            names = ", ".join(inline_literal(p) for p in rule.probe)
            parts.append(f"Probe: {names}.")
        if rule.tests:
            names = "; ".join(inline_literal(t) for t in rule.tests)
            parts.append(f"Tests: {names}.")
        if rule.outside:
            parts.append(f"No probe can check it from outside: {md(rule.outside)}")
        if rule.package:
            parts.append(f"Not the package's to keep: {md(rule.package)}")
        if rule.deviation:
            parts.append(f"Not kept yet: {md(rule.deviation)}")
        return "\n\n".join(parts)

    def matrix(self) -> str:
        rules = [r for r in self.all if r.is_rule]
        figures = counts(rules)
        levels = ", ".join(f"{n} {level}" for level, n in figures["by_level"].items() if n)
        summary = (
            f"{self.release.name} has {figures['rules']} rules ({levels}). "
            f"{figures['probe']} are checked by the probe against a live appservice, "
            f"{figures['tests']} by the tests of this package, and "
            f"{figures['unchecked']} by neither, for the reason given."
        )
        rows = [[_link(r.id), str(r.level), ", ".join(r.binds), self._how(r)] for r in rules]
        table = list_table(
            ["Rule", "Level", "Binds", "How it is checked"], rows,
            caption=f"Conformance of {self.release.name}", widths=(24, 12, 14, 50),
            classes="conformance",
        )  # fmt: skip
        notes = [r for r in self.all if not r.is_rule]
        if not notes:
            return f"{summary}\n\n{table}"
        listed = ", ".join(f"{_link(n.id)} ({n.by})" for n in notes)
        return f"{summary}\n\n{table}\n\nThe implementation notes of this version, which are no rules: {listed}."
