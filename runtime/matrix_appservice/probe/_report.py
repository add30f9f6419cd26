"""The probe's findings: one :class:`Check` per request sent, printed as text or JSON.

Each check names the rules it tests, by the ids of the specification's rule data
(``spec/rules/``, emitted into :mod:`matrix_appservice.rules`; the documents state each
under its id); a failure also quotes the rules, in the wording of the release checked. The
JSON report adds the sections of the official text the rules restate.

The ``hs_token`` never shows: the :class:`~matrix_appservice.probe.Prober` hides it in every
piece of text that comes from outside (an answer, an exception) before it goes into a
check's reason, and before that text is cut short. The report's own words are never
touched, so a short token cannot garble them, and ``json()`` serialises values that are
already clean, so its output is always valid JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from matrix_appservice._client_secrets import scrub, scrub_cut
from matrix_appservice.rules import RULES, rules_for_check

__all__ = ["Check", "Outcome", "Report", "first_release", "scrubbed"]

Outcome = Literal["pass", "fail", "n/a"]


def first_release(rule_id: str) -> str | None:
    """The first release a rule or note holds in."""
    return next((r.since for r in RULES if r.id == rule_id), None)


def scrubbed(text: str, secrets: Iterable[str], limit: int | None = None) -> str:
    """``text`` without any of ``secrets`` (as given, percent-encoded or escaped) or token
    credentials, each place replaced whole by ``<redacted>``; for text from outside, before
    it goes into a report. With ``limit``, only the first ``limit`` characters of ``text``
    are kept, and a secret that starts within them is replaced whole, never cut in two."""
    return scrub(text, secrets) if limit is None else scrub_cut(text, tuple(secrets), limit)


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    reason: str
    section: str
    """The sections of the official text the check's rules restate."""

    rules: tuple[str, ...] = ()
    """The ids of the rules and notes the check tests."""

    rule: str | None = None
    """For a failure: the rules broken, each as ``id (LEVEL): text``."""

    @classmethod
    def of(cls, name: str, outcome: Outcome, reason: str, release: str) -> Check:
        """A check with the rules that ``name`` tests in ``release``."""
        found = rules_for_check(name, release)
        section = "; ".join(dict.fromkeys(r.section for r in found))
        broken = " / ".join(r.describe() for r in found) if outcome == "fail" else None
        return cls(name, outcome, reason, section, tuple(r.id for r in found), broken)

    def line(self) -> str:
        label = {"pass": "PASS", "fail": "FAIL", "n/a": "N/A "}[self.outcome]
        rule = f"; rule: {self.rule}" if self.rule else ""
        return f"{label} {self.name}: {self.reason}{rule} [{', '.join(self.rules)}]"


@dataclass
class Report:
    url: str
    release: str
    checks: list[Check] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for c in self.checks if c.outcome == outcome)

    @property
    def failed(self) -> bool:
        return self.count("fail") > 0

    def summary(self) -> str:
        return (
            f"{self.count('pass')} passed, {self.count('fail')} failed, "
            f"{self.count('n/a')} not applicable"
        )

    def text(self) -> str:
        head = f"probe {self.url} against {self.release}"
        return "\n".join([head, *(c.line() for c in self.checks), self.summary()])

    def json(self) -> str:
        data = {
            "url": self.url,
            "release": self.release,
            "checks": [{**asdict(c), "rules": list(c.rules)} for c in self.checks],
            "summary": {
                "passed": self.count("pass"),
                "failed": self.count("fail"),
                "not_applicable": self.count("n/a"),
            },
        }
        return json.dumps(data, indent=2)
