"""What the probe sends: identifiers in the registration's namespaces and valid transactions."""

from __future__ import annotations

import re
import uuid
from typing import Any

from matrix_appservice._namespaces import NamespaceMatcher
from matrix_appservice.models.registration import Registration

__all__ = ["Samples", "samples_for"]

_WILD = re.compile(r"\\[.\\]|\[[^\]]*\][*+]?|\.[*+]|\\.|[()^$?]")


def _instance(regex: str) -> str:
    """A guess at a string ``regex`` matches: wildcards become ``probe``, escapes their letter."""

    def one(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("[") or text in (".*", ".+"):
            return "probe"
        if text.startswith("\\") and len(text) == 2:
            return text[1]
        return ""

    return _WILD.sub(one, regex)


class Samples:
    """The user, alias and room the probe names; namespaced when a registration is given."""

    def __init__(self, registration: Registration | None) -> None:
        self.user = "@_probe_user:example.org"
        self.alias = "#_probe_alias:example.org"
        self.namespaced_user = False
        self.namespaced_alias = False
        if registration is not None:
            matcher = NamespaceMatcher(registration)
            namespaces = registration.namespaces
            for entry in (namespaces.users or []) if namespaces else []:
                guess = _instance(entry.regex)
                if guess.startswith("@") and matcher.matches_user(guess):
                    self.user, self.namespaced_user = guess, True
                    break
            for entry in (namespaces.aliases or []) if namespaces else []:
                guess = _instance(entry.regex)
                if guess.startswith("#") and matcher.matches_alias(guess):
                    self.alias, self.namespaced_alias = guess, True
                    break
        self.server_name = self.user.partition(":")[2] or "example.org"

    def transaction(self) -> dict[str, Any]:
        """A valid transaction with one message, sent by the namespaced user when there is one."""
        return {
            "events": [
                {
                    "event_id": f"$probe-{uuid.uuid4().hex}",
                    "room_id": f"!probe:{self.server_name}",
                    "sender": self.user,
                    "type": "m.room.message",
                    "origin_server_ts": 1_700_000_000_000,
                    "content": {"msgtype": "m.notice", "body": "conformance probe"},
                    "unsigned": {"age": 1},
                }
            ]
        }


def samples_for(registration: Registration | None) -> Samples:
    return Samples(registration)
