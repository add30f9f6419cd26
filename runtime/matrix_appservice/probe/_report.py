"""The probe's findings: one :class:`Check` per request sent, printed as text or JSON.

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

__all__ = ["RULES", "SECTIONS", "Check", "Outcome", "Report", "rule_for", "scrubbed"]

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

_LOOKUP_RULE = (
    "a lookup answers its documented shape, or 404 with a JSON error body that has an errcode"
)
RULES: dict[str, str] = {
    "connect": "the appservice listens at the url of its registration",
    "transaction": "a valid transaction is acknowledged with 200 and an empty JSON object",
    "transaction-empty": "a valid transaction is acknowledged with 200 and an empty JSON object",
    "transaction-retry": "a transaction sent again with the same ID is acknowledged again, 200 {}",
    "missing-token": "a request without the hs_token is refused with 401 and an errcode",
    "wrong-token": "a token that is not the hs_token is refused with 403 M_FORBIDDEN",
    "legacy-query-token": "releases before v1.4 send the hs_token as the access_token parameter",
    "unknown-route": "from v1.6 an unknown endpoint answers 404 with the JSON errcode M_UNRECOGNIZED",
    "wrong-method": "from v1.6 a known endpoint called with another method answers 405 M_UNRECOGNIZED",
    "malformed-json": "a body that is not JSON is refused with 400 M_NOT_JSON",
    "schema-violation": "a JSON body that breaks the operation's schema is refused with 400 M_BAD_JSON",
    "oversized-body": "a body over the size limit is refused with 413 M_TOO_LARGE (or cut off)",
    "ping": "from v1.7 a ping is answered 200 with an empty JSON object",
    "user-query": "a user query answers 200 {} or 404 with a JSON error body that has an errcode",
    "alias-query": "an alias query answers 200 {} or 404 with a JSON error body that has an errcode",
}
"""The rule each check enforces, printed with its failures (lookups share one)."""


def rule_for(name: str) -> str:
    return RULES.get(name, _LOOKUP_RULE)


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

    rule: str | None = None
    """The rule broken, for failures."""

    def line(self) -> str:
        label = {"pass": "PASS", "fail": "FAIL", "n/a": "N/A "}[self.outcome]
        rule = f"; rule: {self.rule}" if self.rule else ""
        return f"{label} {self.name}: {self.reason}{rule} [{SECTIONS[self.section]}]"


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
            "checks": [{**asdict(c), "section": SECTIONS[c.section]} for c in self.checks],
            "summary": {
                "passed": self.count("pass"),
                "failed": self.count("fail"),
                "not_applicable": self.count("n/a"),
            },
        }
        return json.dumps(data, indent=2)
