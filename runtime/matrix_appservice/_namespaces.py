"""Namespace matching: is a user, alias or room in an appservice's namespaces, and exclusively?

Matching rule
-------------
The specification calls namespace regexes "POSIX regular expressions" and does not say
whether they are anchored. This package **matches the whole identifier** by default
(``fullmatch``), sigil and server name included: ``@_irc_.*:example\\.org`` matches
``@_irc_alice:example.org`` and nothing longer or shorter. Homeservers differ (Synapse
anchors at the start only; JavaScript, Go and Rust implementations search anywhere), so
:class:`NamespaceMatcher` offers ``anchoring="start"`` and ``anchoring="search"`` too.
A regex written with ``^...$`` behaves the same under all three.

Matching time
-------------
Identifiers come from other servers, so matching is bounded. An identifier longer than 255
bytes in UTF-8 (the specification's limit for user IDs, room IDs and aliases) is not in any
namespace, and no regex runs on it. Regexes run on the ``regex`` engine (Python ``re``
syntax) with a time limit per regex; a match that runs out of time raises
:class:`NamespaceTimeoutError` instead of answering "no", so a hostile identifier cannot slip
past an exclusive namespace by being slow to match. Treat it as a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import regex as _regex

from matrix_appservice._plain_yaml import short
from matrix_appservice.models import Registration

if TYPE_CHECKING:
    from matrix_appservice.registration import LoadedRegistration

__all__ = [
    "DEFAULT_MATCH_TIMEOUT",
    "MAX_IDENTIFIER_BYTES",
    "Anchoring",
    "NamespaceAnswer",
    "NamespaceMatcher",
    "NamespaceTimeoutError",
]

Anchoring = Literal["full", "start", "search"]
Kind = Literal["users", "aliases", "rooms"]

MAX_IDENTIFIER_BYTES = 255
"""User IDs, room IDs and aliases longer than this in UTF-8 are in no namespace."""
DEFAULT_MATCH_TIMEOUT = 0.1
"""Seconds one regex may spend on one identifier."""

_KINDS: tuple[Kind, ...] = ("users", "aliases", "rooms")


class NamespaceTimeoutError(ValueError):
    """A namespace regex ran out of time on an identifier: the answer is unknown.

    Raised instead of answering "not in the namespace", so that an identifier built to be slow
    to match cannot pass an exclusivity check. Treat it as a refusal.
    """

    def __init__(self, kind: str, identifier: str, regex: str, timeout: float) -> None:
        super().__init__(
            f"namespaces.{kind} regex '{short(regex)}' took longer than {timeout:g} s on "
            f"{short(identifier)!r}; the answer is unknown"
        )
        self.kind, self.identifier, self.regex, self.timeout = kind, identifier, regex, timeout


@dataclass(frozen=True)
class NamespaceAnswer:
    """Whether an identifier is in a namespace, whether exclusively, and why."""

    matches: bool
    exclusive: bool
    reason: str
    regex: str | None = None
    """The regex that decided, when one matched (an exclusive one first)."""


def _too_long(identifier: str) -> bool:
    """Whether ``identifier`` is longer than :data:`MAX_IDENTIFIER_BYTES` in UTF-8."""
    if len(identifier) > MAX_IDENTIFIER_BYTES:
        return True  # every character takes at least one byte; no need to encode it all
    return len(identifier.encode("utf-8", "surrogatepass")) > MAX_IDENTIFIER_BYTES


class NamespaceMatcher:
    """Answers "is this user / alias / room in the appservice's namespaces?".

    ``registration`` is what :func:`load_registration` returns, a :class:`Registration`
    model, or a mapping. ``anchoring`` is ``full`` (the default: the regex must match the
    whole identifier), ``start`` (match at the start, like Synapse) or ``search`` (match
    anywhere). ``timeout`` is the time one regex may spend on one identifier.

    An identifier longer than 255 bytes in UTF-8 is in no namespace (:meth:`explain` says
    so); no regex runs on it. A regex that runs out of time raises
    :class:`NamespaceTimeoutError` unless another regex already answered yes.
    """

    def __init__(
        self,
        registration: LoadedRegistration | Registration | Mapping[str, Any],
        anchoring: Anchoring = "full",
        *,
        timeout: float = DEFAULT_MATCH_TIMEOUT,
    ) -> None:
        if isinstance(registration, Registration):
            reg = registration
        elif isinstance(registration, Mapping):
            reg = Registration.model_validate(registration)
        else:  # what load_registration returns
            reg = registration.model
        if anchoring not in ("full", "start", "search"):
            raise ValueError(f"anchoring must be full, start or search, not {anchoring!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.anchoring = anchoring
        self.timeout = float(timeout)
        self._patterns: dict[str, list[tuple[Any, bool, str]]] = {}
        for kind in _KINDS:
            entries = getattr(reg.namespaces, kind) or []
            self._patterns[kind] = [
                (self._compile(kind, index, e.regex), e.exclusive, e.regex)
                for index, e in enumerate(entries)
            ]

    @staticmethod
    def _compile(kind: str, index: int, regex: str) -> Any:
        try:
            return _regex.compile(regex, _regex.VERSION0)
        except (_regex.error, RecursionError, OverflowError) as exc:
            reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ValueError(
                f"namespaces.{kind}[{index}].regex '{short(regex)}' does not compile: {reason}"
            ) from None

    def _match(self, pattern: Any, value: str) -> bool:
        if self.anchoring == "full":
            return pattern.fullmatch(value, timeout=self.timeout) is not None
        if self.anchoring == "start":
            return pattern.match(value, timeout=self.timeout) is not None
        return pattern.search(value, timeout=self.timeout) is not None

    def _first_match(self, kind: str, value: str, exclusive_only: bool) -> str | None:
        """The first regex that matches, or None; a timeout with no match raises."""
        timed_out: str | None = None
        for pattern, exclusive, source in self._patterns[kind]:
            if exclusive_only and not exclusive:
                continue
            try:
                if self._match(pattern, value):
                    return source
            except TimeoutError:
                timed_out = timed_out or source
        if timed_out is not None:
            raise NamespaceTimeoutError(kind, value, timed_out, self.timeout)
        return None

    @staticmethod
    def _identifier(kind: str, value: object) -> str:
        if not isinstance(value, str):
            raise TypeError(f"a {kind[:-1]} identifier must be a str, not {type(value).__name__}")
        return value

    def _find(self, kind: str, value: object, exclusive_only: bool) -> bool:
        identifier = self._identifier(kind, value)
        if _too_long(identifier):
            return False
        return self._first_match(kind, identifier, exclusive_only) is not None

    def explain(self, kind: Kind, identifier: str) -> NamespaceAnswer:
        """Whether ``identifier`` is in the ``kind`` namespaces (users, aliases, rooms), and why."""
        if kind not in _KINDS:
            raise ValueError(f"kind must be users, aliases or rooms, not {kind!r}")
        value = self._identifier(kind, identifier)
        if _too_long(value):
            return NamespaceAnswer(False, False, (
                f"refused: the identifier is longer than {MAX_IDENTIFIER_BYTES} bytes in UTF-8, "
                "the limit for Matrix identifiers; no regex runs on it"
            ))  # fmt: skip
        source = self._first_match(kind, value, True)
        if source is not None:
            return NamespaceAnswer(
                True, True, f"matches the exclusive {kind} regex '{short(source)}'", source
            )
        source = self._first_match(kind, value, False)
        if source is not None:
            return NamespaceAnswer(
                True, False, f"matches the non-exclusive {kind} regex '{short(source)}'", source
            )
        return NamespaceAnswer(False, False, f"no {kind} namespace regex matches")

    def matches_user(self, user_id: str) -> bool:
        return self._find("users", user_id, False)

    def user_is_exclusive(self, user_id: str) -> bool:
        return self._find("users", user_id, True)

    def matches_alias(self, alias: str) -> bool:
        return self._find("aliases", alias, False)

    def alias_is_exclusive(self, alias: str) -> bool:
        return self._find("aliases", alias, True)

    def matches_room(self, room_id: str) -> bool:
        return self._find("rooms", room_id, False)

    def room_is_exclusive(self, room_id: str) -> bool:
        return self._find("rooms", room_id, True)
