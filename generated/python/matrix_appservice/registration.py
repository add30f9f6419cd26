"""Registration files: loading with line numbers, checks beyond the schema, namespace matching.

Matching rule
-------------
The specification calls namespace regexes "POSIX regular expressions" and does not say
whether they are anchored. This package **matches the whole identifier** by default
(``re.fullmatch``), sigil and server name included: ``@_irc_.*:example\\.org`` matches
``@_irc_alice:example.org`` and nothing longer or shorter. Homeservers differ (Synapse
anchors at the start only; JavaScript, Go and Rust implementations search anywhere), so
:class:`NamespaceMatcher` offers ``anchoring="start"`` and ``anchoring="search"`` too.
A regex written with ``^...$`` behaves the same under all three.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from matrix_appservice._validator import validate
from matrix_appservice.models import Registration

__all__ = [
    "Anchoring",
    "LoadedRegistration",
    "NamespaceMatcher",
    "Problem",
    "RegistrationError",
    "check_registration",
    "check_registrations",
    "load_registration",
    "parse_registration",
]

Anchoring = Literal["full", "start", "search"]
# The characters the grammar allows in the localpart of a new user ID.
_LOCALPART = re.compile(r"[a-z0-9._=\-/+]+")
_KINDS = ("users", "aliases", "rooms")


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a registration file."""

    file: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        tag = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {tag}{self.message}"


class RegistrationError(ValueError):
    """A registration file (or a set of them) has problems; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass
class LoadedRegistration:
    """A parsed registration with where each value was written."""

    file: str
    data: dict[str, Any]
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)

    def line(self, path: Sequence[str | int]) -> int:
        """The line of the value at ``path``, or of its nearest written parent."""
        parts = tuple(path)
        while parts and parts not in self.lines:
            parts = parts[:-1]
        return self.lines.get(parts, 1)

    @property
    def model(self) -> Registration:
        """The typed model (call after the file was checked)."""
        return Registration.model_validate(self.data)


def _line_map(node: yaml.Node, path: tuple[str | int, ...], out: dict[Any, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _line_map(value, (*path, key.value), out)
                out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), out)


def parse_registration(text: str, file: str = "<registration>") -> LoadedRegistration:
    """Parse YAML (or JSON) text; a syntax error raises :class:`RegistrationError`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise RegistrationError(
            [Problem(file, mark.line + 1 if mark else 1, f"YAML error: {what}")]
        ) from None
    if not isinstance(data, dict):
        raise RegistrationError(
            [Problem(file, 1, "a registration must be a mapping of keys to values")]
        )
    lines: dict[Any, int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return LoadedRegistration(file, data, lines)


def _compile(regex: str) -> re.Pattern[str] | str:
    try:
        return re.compile(regex)
    except re.error as exc:
        return str(exc)


def check_registration(reg: LoadedRegistration, version: str | None = None) -> list[Problem]:
    """Every problem in one registration: the schema of ``version`` and the rules beyond it."""
    problems: list[Problem] = []
    result = validate(reg.data, registration=True, version=version)
    for issue in result.errors:
        path = _parse_path(issue.path)
        problems.append(Problem(reg.file, reg.line(path), _describe(issue.path, issue.message)))
    data = reg.data
    for kind in _KINDS:
        entries = (
            (data.get("namespaces") or {}).get(kind)
            if isinstance(data.get("namespaces"), dict)
            else None
        )
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            regex = entry.get("regex") if isinstance(entry, dict) else None
            if isinstance(regex, str):
                compiled = _compile(regex)
                if isinstance(compiled, str):
                    where = reg.line(("namespaces", kind, index, "regex"))
                    problems.append(
                        Problem(
                            reg.file,
                            where,
                            f"namespaces.{kind}[{index}].regex '{regex}' does not compile: {compiled}",
                        )
                    )
    if isinstance(data.get("as_token"), str) and data.get("as_token") == data.get("hs_token"):
        problems.append(
            Problem(
                reg.file,
                reg.line(("hs_token",)),
                "as_token and hs_token must differ: each proves a different side",
            )
        )
    local = data.get("sender_localpart")
    if isinstance(local, str) and not _LOCALPART.fullmatch(local):
        problems.append(
            Problem(
                reg.file,
                reg.line(("sender_localpart",)),
                f"sender_localpart {local!r} is not a valid localpart (lower-case a-z, 0-9 and ._=-/+ only)",
            )
        )
    return sorted(problems)


def _parse_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for match in re.finditer(
        r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]", path
    ):
        name, index, quoted = match.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(str(yaml.safe_load(quoted)))
    return parts


def _describe(path: str, message: str) -> str:
    missing = re.fullmatch(r'"(.+)" is a required property', message)
    if missing:
        where = "" if path == "$" else f" in {path[2:]}"
        return f"missing required key {missing.group(1)!r}{where}"
    return f"{path[2:] or 'the file'}: {message}"


def load_registration(path: str | Path, version: str | None = None) -> LoadedRegistration:
    """Read and check one file; raise :class:`RegistrationError` listing every error."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistrationError(
            [Problem(file, 0, f"cannot read the file: {exc.strerror}")]
        ) from None
    reg = parse_registration(text, file)
    errors = [p for p in check_registration(reg, version) if p.severity == "error"]
    if errors:
        raise RegistrationError(errors)
    return reg


def _literal_prefix(regex: str) -> str:
    """The fixed text every match starts with (for overlap warnings)."""
    out = ""
    body = regex[1:] if regex.startswith("^") else regex
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and not body[index + 1].isalnum():
            out += body[index + 1]
            index += 2
            continue
        if char in ".*+?[](){}|^$\\":
            # A quantifier makes the character before it optional.
            return out[:-1] if char in "*?{" and out else out
        out += char
        index += 1
    return out


def check_registrations(regs: Iterable[LoadedRegistration]) -> list[Problem]:
    """Problems across a set: repeated ``id`` or ``as_token`` (errors), and exclusive
    namespaces that may overlap between registrations (warnings)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], LoadedRegistration] = {}
    regs = list(regs)
    for reg in regs:
        for key in ("id", "as_token"):
            value = reg.data.get(key)
            if not isinstance(value, str):
                continue
            first = seen.get((key, value))
            if first is not None:
                problems.append(
                    Problem(
                        reg.file,
                        reg.line((key,)),
                        f"{key} is also used by {first.file}:{first.line((key,))}; it must be unique",
                    )
                )
            else:
                seen[(key, value)] = reg
    for kind in _KINDS:
        exclusive = [
            (reg, i, e["regex"])
            for reg in regs
            for i, e in enumerate((reg.data.get("namespaces") or {}).get(kind) or [])
            if isinstance(e, dict)
            and e.get("exclusive") is True
            and isinstance(e.get("regex"), str)
        ]
        for a in range(len(exclusive)):
            for b in range(a + 1, len(exclusive)):
                (ra, ia, xa), (rb, ib, xb) = exclusive[a], exclusive[b]
                if ra is rb:
                    continue
                pa, pb = _literal_prefix(xa), _literal_prefix(xb)
                if xa == xb or pa.startswith(pb) or pb.startswith(pa):
                    problems.append(
                        Problem(
                            rb.file,
                            rb.line(("namespaces", kind, ib, "regex")),
                            f"exclusive {kind} namespace '{xb}' may overlap '{xa}' of {ra.file}:{ra.line(('namespaces', kind, ia, 'regex'))}",
                            "warning",
                        )
                    )
    return sorted(problems)


class NamespaceMatcher:
    """Answers "is this user / alias / room in the appservice's namespaces?".

    ``anchoring`` is ``full`` (the default: the regex must match the whole identifier),
    ``start`` (match at the start, like Synapse) or ``search`` (match anywhere).
    """

    def __init__(
        self, registration: Registration | Mapping[str, Any], anchoring: Anchoring = "full"
    ) -> None:
        reg = (
            registration
            if isinstance(registration, Registration)
            else Registration.model_validate(registration)
        )
        if anchoring not in ("full", "start", "search"):
            raise ValueError(f"anchoring must be full, start or search, not {anchoring!r}")
        self.anchoring = anchoring
        self._patterns: dict[str, list[tuple[re.Pattern[str], bool]]] = {}
        for kind in _KINDS:
            entries = getattr(reg.namespaces, kind) or []
            self._patterns[kind] = [(re.compile(e.regex), e.exclusive) for e in entries]

    def _match(self, pattern: re.Pattern[str], value: str) -> bool:
        if self.anchoring == "full":
            return pattern.fullmatch(value) is not None
        if self.anchoring == "start":
            return pattern.match(value) is not None
        return pattern.search(value) is not None

    def _find(self, kind: str, value: str, exclusive_only: bool) -> bool:
        return any(
            self._match(p, value)
            for p, exclusive in self._patterns[kind]
            if exclusive or not exclusive_only
        )

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
