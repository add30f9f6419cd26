"""The probe's findings: one :class:`Check` per request sent, printed as text or JSON.

Every line that leaves the probe goes through :func:`scrubbed`, so the ``hs_token`` never
shows, not even inside the text of an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal
from urllib.parse import quote

from matrix_appservice.server._logs import scrub

__all__ = ["SECTIONS", "Check", "Outcome", "Report", "scrubbed"]

Outcome = Literal["pass", "fail", "n/a"]

SECTIONS: dict[str, str] = {
    "auth": "AS API §Authorization",
    "legacy-auth": "AS API §Authorization (access_token query parameter, before v1.4)",
    "transactions": "AS API §Pushing events",
    "ping": "AS API §Pinging",
    "query-user": "AS API §Querying: User query",
    "query-alias": "AS API §Querying: Room alias query",
    "thirdparty": "AS API §Third party networks",
    "unknown": "AS API §Unknown routes",
    "errors": "CS API §Standard error response",
    "connect": "AS API §Registration (url)",
}
"""The spec sections the checks rest on, by key."""


def scrubbed(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets`` (as given or percent-encoded) or token credentials."""
    every = [s for secret in secrets if secret for s in {secret, quote(secret, safe="")}]
    return scrub(text, every)


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    reason: str
    section: str

    def line(self) -> str:
        label = {"pass": "PASS", "fail": "FAIL", "n/a": "N/A "}[self.outcome]
        return f"{label} {self.name}: {self.reason} [{SECTIONS[self.section]}]"


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

    def text(self, secrets: Iterable[str]) -> str:
        head = f"probe {self.url} against {self.release}"
        lines = [head, *(c.line() for c in self.checks), self.summary()]
        return scrubbed("\n".join(lines), secrets)

    def json(self, secrets: Iterable[str]) -> str:
        data = {
            "url": self.url,
            "release": self.release,
            "checks": [{**asdict(c), "section": SECTIONS[c.section]} for c in self.checks],
            "summary": {
                "passed": self.count("pass"),
                "failed": self.count("fail"),
                "not_applicable": self.count("n/a"),
            },
        }
        return scrubbed(json.dumps(data, indent=2), secrets)
