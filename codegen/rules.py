"""Normative rules as data: ``spec/rules/<topic>.yaml``.

Each file holds a list under ``rules:``. An entry is either a *rule*, one normative statement
of the official text (the Application Service API, and what the Client-Server API says about
appservices), with its requirement level, who it binds, its wording in our own words and the
official section it restates; or a *note*, a statement of what an implementation does where
the specification leaves a choice or says nothing ("Synapse answers ..."), which is never a
rule. Entries carry the usual version annotations (``x-addedInMatrixVersion``,
``x-removedInMatrixVersion``, ``x-shapeBefore`` for an older wording or level), so each
release's rules are derived like every other view. ``spec/README.md`` describes the keys.

The structure of every entry is checked when the sources are loaded (:func:`check_rule_files`);
whether what a rule refers to exists in each release it holds in is part of the lint
(:func:`check_rule_references`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from codegen.errors import Loc, Problems
from codegen.keys import ADDED, CHANGED, REMOVED, SHAPE_BEFORE, UNSTABLE
from codegen.load import Map, SpecTree, loc_of
from codegen.versions import Release, Releases
from codegen.view import apply_view

if TYPE_CHECKING:
    from codegen.ir import ReleaseView
    from codegen.spec import Spec

__all__ = [
    "BINDS",
    "KEYWORDS",
    "LEVELS",
    "RULES_FOLDER",
    "STATED",
    "Rule",
    "RuleBook",
    "check_rule_files",
    "check_rule_references",
    "keywords_in",
]

RULES_FOLDER = "rules/"
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
"""The requirement levels of RFC 2119 a rule may have (RECOMMENDED, SHALL and the like are
written with these)."""
KEYWORDS = re.compile(r"\b(MUST NOT|SHOULD NOT|SHALL NOT|MUST|SHOULD|SHALL|MAY|REQUIRED|"
                      r"RECOMMENDED|NOT RECOMMENDED|OPTIONAL)\b")  # fmt: skip
"""Every RFC 2119 keyword, in capitals."""
BINDS = ("homeserver", "appservice", "client")
STATED = {
    "keyword": "",
    "plain": "The official text states this without a requirement keyword.",
    "schema": "The official text states this in the endpoint or schema definition.",
}
"""How the official text states a rule, and what the documents say about it."""
_ID = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
_TEST = re.compile(r"^tests/[\w/.-]+\.py::[A-Za-z_]\w*(::[A-Za-z_]\w*)?$")
_ERRCODE = re.compile(r"^M_[A-Z_]+$")
_CODE_SPAN = re.compile(r"`([^`]*)`")
_BEFORE_SPAN = " \n([\"'"
_AFTER_SPAN = " \n.,;:)]!?\"'"
_VERSION_KEYS = (ADDED, CHANGED, REMOVED, SHAPE_BEFORE, UNSTABLE)
_RULE_KEYS = {
    "id", "kind", "level", "binds", "text", "stated", "section", "operations", "parameters",
    "fields", "errcodes", "checked", *_VERSION_KEYS,
}  # fmt: skip
_NOTE_KEYS = {
    "id", "kind", "by", "text", "refines", "section", "operations", "parameters", "fields",
    "errcodes", "checked", *_VERSION_KEYS,
}  # fmt: skip
_SHAPED = {"level", "binds", "text", "stated", "section", "operations", "parameters", "fields",
           "errcodes", "by", "refines", "checked"}  # fmt: skip
_CHECKED_KEYS = ("probe", "tests", "outside", "package", "deviation")


def broken_code_span(text: str) -> str | None:
    """The first inline code span of ``text`` that is not a whole word set apart (one that
    starts or ends with a space, or touches the text around it), or ``None``."""
    if text.count("`") % 2:
        return "an odd number of backticks"
    for match in _CODE_SPAN.finditer(text):
        code, start, end = match.group(1), match.start(), match.end()
        touches = (start and text[start - 1] not in _BEFORE_SPAN) or (
            end < len(text) and text[end] not in _AFTER_SPAN
        )
        if not code.strip() or code != code.strip() or touches:
            return f"`{code}` in {text[max(0, start - 12) : end + 12]!r}"
    return None


def keywords_in(text: str) -> list[str]:
    """The RFC 2119 keywords written in capitals in ``text``, in order."""
    return KEYWORDS.findall(text)


@dataclass(frozen=True)
class Rule:
    """One rule or note as one release states it."""

    id: str
    kind: Literal["rule", "note"]
    topic: str
    """The file it is written in (``spec/rules/<topic>.yaml``): where the documents state it."""
    text: str
    section: str
    """The section of the official text it restates."""
    level: str | None = None
    binds: tuple[str, ...] = ()
    stated: str = "keyword"
    by: str | None = None
    """For a note: who does what it says (``Synapse``, ``matrix-appservice``)."""
    refines: str | None = None
    """For a note: the rule it makes precise."""
    operations: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    errcodes: tuple[str, ...] = ()
    probe: tuple[str, ...] = ()
    """The probe checks that test it against a live appservice."""
    tests: tuple[str, ...] = ()
    """Tests (``tests/...py::name``) that show the package's clients and servers keep it."""
    outside: str | None = None
    """Why a probe cannot check it from outside."""
    package: str | None = None
    """Why no part of the package has to keep it."""
    deviation: str | None = None
    """Where a part of the package does not keep it yet."""
    added_in: str | None = None
    """The release it first holds in (a release name), when that is not the first."""
    changed_in: tuple[tuple[str, str], ...] = ()
    node: Any = None

    @property
    def is_rule(self) -> bool:
        return self.kind == "rule"

    @property
    def checked(self) -> bool:
        """Checked by the probe or by tests."""
        return bool(self.probe or self.tests)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())


def _rule_of(node: dict[str, Any], topic: str, releases: Releases) -> Rule:
    raw_checked = node.get("checked")
    checked: dict[str, Any] = raw_checked if isinstance(raw_checked, dict) else {}
    added = releases.get(str(node[ADDED])) if ADDED in node else None
    raw_changes = node.get(CHANGED)
    changes: dict[str, Any] = raw_changes if isinstance(raw_changes, dict) else {}
    kind: Literal["rule", "note"] = "note" if node.get("kind") == "note" else "rule"
    return Rule(
        id=str(node["id"]),
        kind=kind,
        topic=topic,
        text=_one_line(node.get("text")),
        section=_one_line(node.get("section")),
        level=str(node["level"]) if kind == "rule" else None,
        binds=_strings(node.get("binds")),
        stated=str(node.get("stated", "keyword")),
        by=_one_line(node["by"]) if node.get("by") else None,
        refines=str(node["refines"]) if node.get("refines") else None,
        operations=_strings(node.get("operations")),
        parameters=_strings(node.get("parameters")),
        fields=_strings(node.get("fields")),
        errcodes=_strings(node.get("errcodes")),
        probe=_strings(checked.get("probe")),
        tests=_strings(checked.get("tests")),
        outside=_one_line(checked["outside"]) if checked.get("outside") else None,
        package=_one_line(checked["package"]) if checked.get("package") else None,
        deviation=_one_line(checked["deviation"]) if checked.get("deviation") else None,
        added_in=added.name if added is not None and added.index > 0 else None,
        changed_in=tuple((str(k), _one_line(v)) for k, v in changes.items()),
        node=node,
    )


def _entries(tree: SpecTree) -> Iterator[tuple[str, Any]]:
    """``(topic, entry)`` for every entry of every rules file, in file order."""
    for rel in sorted(tree.files):
        if not rel.startswith(RULES_FOLDER):
            continue
        data = tree.files[rel].data
        entries = data.get("rules") if isinstance(data, dict) else None
        topic = rel[len(RULES_FOLDER) :].removesuffix(".yaml")
        for entry in entries if isinstance(entries, list) else []:
            yield topic, entry


class RuleBook:
    """Every rule and note, as each release states it."""

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._releases: dict[str, tuple[Rule, ...]] = {}
        self._by_id: dict[str, dict[str, Rule]] = {}
        self._entries = list(_entries(spec.tree))
        self._seen: dict[tuple[Any, ...], Rule | None] = {}

    @cached_property
    def topics(self) -> tuple[str, ...]:
        """Every topic that has an entry, in file order."""
        return tuple(dict.fromkeys(topic for topic, _ in _entries(self._spec.tree)))

    def release(self, release: Release | str) -> tuple[Rule, ...]:
        """The rules and notes that hold in ``release``, in file order."""
        rel = self._spec.releases[release] if isinstance(release, str) else release
        if rel.name not in self._releases:
            found: list[Rule] = []
            for number, (topic, entry) in enumerate(self._entries):
                # Releases on the same side of each of the entry's markers see the same entry.
                marks = (rel.index >= i for i in _marker_indexes(entry, self._spec))
                key = (number, rel.is_unstable, *marks)
                if key not in self._seen:
                    viewed = apply_view(entry, self._spec.releases, rel)
                    releases = self._spec.releases
                    ok = isinstance(viewed, dict)
                    self._seen[key] = _rule_of(viewed, topic, releases) if ok else None
                rule = self._seen[key]
                if rule is not None:
                    found.append(rule)
            self._releases[rel.name] = tuple(found)
            self._by_id[rel.name] = {r.id: r for r in found}
        return self._releases[rel.name]

    def get(self, rule_id: str, release: Release | str) -> Rule | None:
        """One rule or note as ``release`` states it; ``None`` when it does not hold there."""
        name = release if isinstance(release, str) else release.name
        self.release(name)
        return self._by_id[self._spec.releases[name].name].get(rule_id)

    def rules(self, release: Release | str) -> tuple[Rule, ...]:
        return tuple(r for r in self.release(release) if r.is_rule)

    def notes(self, release: Release | str) -> tuple[Rule, ...]:
        return tuple(r for r in self.release(release) if not r.is_rule)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """Every id, of every release, in file order."""
        return tuple(
            dict.fromkeys(str(e["id"]) for _, e in _entries(self._spec.tree) if isinstance(e, dict))
        )

    def history(self, rule_id: str) -> list[tuple[str, str | None, Rule]]:
        """``(first release, last release or None for "still holds", rule)`` for each
        wording a rule had, oldest first."""
        spans: list[tuple[str, str | None, Rule]] = []
        open_span: tuple[str, Rule] | None = None
        previous: str | None = None
        for rel in self._spec.releases:
            found = self.get(rule_id, rel)
            if open_span is not None and _comparable(found) != _comparable(open_span[1]):
                spans.append((open_span[0], previous, open_span[1]))
                open_span = None
            if found is not None and open_span is None:
                open_span = (rel.name, found)
            previous = rel.name
        if open_span is not None:
            spans.append((open_span[0], None, open_span[1]))
        return spans


def _marker_indexes(entry: Any, spec: Spec) -> list[int]:
    """The release indexes at which an entry's version markers change what it says."""
    if not isinstance(entry, dict):
        return []
    labels = [entry.get(ADDED), entry.get(REMOVED)]
    for key in (SHAPE_BEFORE, CHANGED):
        if isinstance(entry.get(key), dict):
            labels.extend(entry[key])
    found = (spec.releases.get(label) for label in labels if isinstance(label, str))
    indexes = [r.index for r in found if r is not None]
    return sorted(set(indexes))


def _comparable(rule: Rule | None) -> Any:
    if rule is None:
        return None
    return (rule.kind, rule.level, rule.binds, rule.text, rule.stated, rule.by, rule.refines,
            rule.section)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Checks.


def _loc(node: Any, key: str | None = None) -> Loc | None:
    loc = loc_of(node)
    if isinstance(node, Map) and key in node.key_lines and loc is not None:
        return Loc(loc.file, node.key_lines[key])
    return loc


def check_rule_files(tree: SpecTree, releases: Releases, problems: Problems) -> None:
    """The structure of every rules file: keys, ids, levels, wording and checks named."""
    seen: dict[str, Any] = {}
    for rel in sorted(tree.files):
        if not rel.startswith(RULES_FOLDER):
            continue
        spec_file = tree.files[rel]
        data = spec_file.data
        if "/" in rel[len(RULES_FOLDER) :]:
            problems.add(loc_of(data), "rules files sit directly in rules/, one per topic")
        if not isinstance(data, dict) or set(data) != {"rules"}:
            problems.add(loc_of(data), "a rules file is a mapping with one key, 'rules'")
            continue
        entries = data["rules"]
        if not isinstance(entries, list) or not entries:
            problems.add(_loc(data, "rules"), "'rules' must be a non-empty list")
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                problems.add(loc_of(entry) or loc_of(entries), "each rule must be a mapping")
                continue
            rule_id = entry.get("id")
            if not isinstance(rule_id, str) or not _ID.match(rule_id):
                problems.add(
                    _loc(entry, "id"),
                    f"rule id {rule_id!r} must be lower-case words joined by dots, with at "
                    "least one dot (topic.what, e.g. auth.as-verifies-token)",
                )
                continue
            if rule_id in seen:
                first = loc_of(seen[rule_id])
                problems.add(
                    _loc(entry, "id"), f"rule id {rule_id} is used twice (first at {first})"
                )
                continue
            seen[rule_id] = entry
            _check_entry(entry, rule_id, releases, problems)
    for rule_id, entry in seen.items():
        refines = entry.get("refines")
        if refines is not None and refines not in seen:
            problems.add(_loc(entry, "refines"), f"{rule_id}: refines unknown rule {refines!r}")
        elif refines is not None and seen[refines].get("kind") == "note":
            problems.add(_loc(entry, "refines"), f"{rule_id}: refines {refines}, which is a note")


def _shapes(entry: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """The entry itself and every older shape of it, each with a name for messages."""
    yield entry, "now"
    overlays = entry.get(SHAPE_BEFORE)
    if isinstance(overlays, dict):
        for label, overlay in overlays.items():
            if isinstance(overlay, dict):
                yield (
                    {**entry, **{k: v for k, v in overlay.items() if v is not None}},
                    (f"before {label}"),
                )


def _check_entry(
    entry: dict[str, Any], rule_id: str, releases: Releases, problems: Problems
) -> None:
    kind = entry.get("kind", "rule")
    if kind not in ("rule", "note"):
        problems.add(_loc(entry, "kind"), f"{rule_id}: kind must be 'rule' or 'note'")
        return
    allowed = _RULE_KEYS if kind == "rule" else _NOTE_KEYS
    for key in entry:
        if key not in allowed:
            problems.add(_loc(entry, key), f"{rule_id}: unknown key {key!r} for a {kind}")
    overlays = entry.get(SHAPE_BEFORE)
    if isinstance(overlays, dict):
        for label, overlay in overlays.items():
            for key in overlay if isinstance(overlay, dict) else ():
                if key not in _SHAPED:
                    problems.add(
                        _loc(overlay, key), f"{rule_id}: {SHAPE_BEFORE} {label} cannot set {key!r}"
                    )
    for shape, when in _shapes(entry):
        where = f"{rule_id} ({when})" if when != "now" else rule_id
        _check_shape(entry, shape, kind, where, problems)


def _check_shape(
    entry: dict[str, Any], shape: dict[str, Any], kind: str, where: str, problems: Problems
) -> None:
    text = shape.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.add(_loc(entry, "text"), f"{where}: 'text' must be a non-empty string")
        text = ""
    elif not _one_line(text).endswith("."):
        problems.add(_loc(entry, "text"), f"{where}: 'text' ends with a full stop")
    elif broken := broken_code_span(_one_line(text)):
        problems.add(
            _loc(entry, "text"),
            f"{where}: each code span in 'text' is one whole name set apart by spaces or "
            f"punctuation; this one is not: {broken}",
        )
    section = shape.get("section")
    if not isinstance(section, str) or not section.strip():
        problems.add(
            _loc(entry, "section"),
            f"{where}: 'section' must name the section of the official text it restates",
        )
    found = keywords_in(text)
    if kind == "rule":
        level = shape.get("level")
        if level not in LEVELS:
            problems.add(
                _loc(entry, "level"),
                f"{where}: level must be one of {', '.join(LEVELS)}, not {level!r}",
            )
        elif found != [level]:
            shown = ", ".join(found) or "none"
            problems.add(
                _loc(entry, "text"),
                f"{where}: the text must say {level} once, in capitals, and no other "
                f"requirement keyword (it says: {shown})",
            )
        binds = _strings(shape.get("binds"))
        if not binds or any(b not in BINDS for b in binds):
            problems.add(
                _loc(entry, "binds"), f"{where}: binds must name one or more of {', '.join(BINDS)}"
            )
        if shape.get("stated", "keyword") not in STATED:
            problems.add(
                _loc(entry, "stated"), f"{where}: stated must be one of {', '.join(STATED)}"
            )
    else:
        if found:
            problems.add(
                _loc(entry, "text"),
                f"{where}: a note states no requirement: its text must not use "
                f"{', '.join(found)} in capitals",
            )
        if not isinstance(shape.get("by"), str) or not shape["by"].strip():
            problems.add(_loc(entry, "by"), f"{where}: a note says who does it, in 'by'")
    for key in ("operations", "parameters", "fields", "errcodes"):
        value = shape.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            problems.add(_loc(entry, key), f"{where}: {key} must be a list of names")
    for errcode in _strings(shape.get("errcodes")):
        if not _ERRCODE.match(errcode):
            problems.add(_loc(entry, "errcodes"), f"{where}: {errcode!r} is not an errcode")
    _check_checked(entry, shape, kind, where, problems)


def _check_checked(
    entry: dict[str, Any], shape: dict[str, Any], kind: str, where: str, problems: Problems
) -> None:
    checked = shape.get("checked")
    if checked is None:
        if kind == "rule":
            problems.add(
                loc_of(entry),
                f"{where}: 'checked' must say how the rule is checked (probe, tests) or why "
                "it cannot be (outside, package)",
            )
        return
    if not isinstance(checked, dict) or not checked:
        problems.add(_loc(entry, "checked"), f"{where}: 'checked' must be a non-empty mapping")
        return
    for key, value in checked.items():
        if key not in _CHECKED_KEYS:
            problems.add(
                _loc(checked, key),
                f"{where}: checked.{key} is unknown; use {', '.join(_CHECKED_KEYS)}",
            )
        elif key in ("probe", "tests"):
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) for v in value)
            ):
                problems.add(_loc(checked, key), f"{where}: checked.{key} must be a list of names")
            elif key == "tests":
                for test in value:
                    if not _TEST.match(test):
                        problems.add(
                            _loc(checked, key),
                            f"{where}: {test!r} is not a test id (tests/<file>.py::<test>)",
                        )
        elif not isinstance(value, str) or not value.strip():
            problems.add(_loc(checked, key), f"{where}: checked.{key} must say why, as text")


def check_rule_references(spec: Spec, problems: Problems) -> None:
    """In every release a rule holds in, the operations, parameters, fields and errcodes it
    names exist there (errcodes: documented by one of its operations)."""
    book = spec.ir.rules
    found: dict[tuple[Loc | None, str], list[str]] = {}
    for rel in spec.releases:
        view = spec.ir.release(rel.name)
        ids = {r.id for r in book.release(rel)}
        for rule in book.release(rel):
            for message, key in _missing(rule, view, ids):
                found.setdefault((_loc(rule.node, key), message), []).append(rel.name)
    for (loc, message), names in found.items():
        if len(names) == len(spec.releases):
            shown = "every release"
        elif len(names) <= 3:
            shown = ", ".join(names)
        else:
            shown = f"{len(names)} releases, {names[0]} to {names[-1]}"
        problems.add(loc, f"{message} (in {shown})")


def _missing(rule: Rule, view: ReleaseView, ids: set[str]) -> Iterator[tuple[str, str]]:
    if rule.refines is not None and rule.refines not in ids:
        yield f"{rule.id}: it refines {rule.refines}, which does not hold here", "refines"
    ops = view.by_name()
    mine = [ops[name] for name in rule.operations if name in ops]
    for name in rule.operations:
        if name not in ops:
            yield f"{rule.id}: operation {name} does not exist", "operations"
    params = {p.name for op in (mine or view.operations) for p in op.params}
    params |= set(view.doc.get("components", {}).get("parameters", {}))
    for name in rule.parameters:
        if name not in params:
            yield f"{rule.id}: parameter {name} does not exist", "parameters"
    schemas = view.doc.get("components", {}).get("schemas", {})
    for name in rule.fields:
        if not _has_field(view.doc, schemas, name):
            yield f"{rule.id}: field {name} does not exist", "fields"
    if mine:
        documented = {e.errcode for op in mine for r in op.responses for e in r.errcodes}
        for errcode in rule.errcodes:
            if errcode not in documented:
                names = ", ".join(rule.operations)
                yield f"{rule.id}: errcode {errcode} is not documented by {names}", "errcodes"


def _has_field(doc: dict[str, Any], schemas: dict[str, Any], dotted: str) -> bool:
    """``Schema.property``: a named schema of the release and one of its own properties
    (the property name may itself hold dots, as MSC names do)."""
    from codegen.ir import deref

    name, _, prop = dotted.partition(".")
    node = deref(doc, schemas.get(name))
    props = node.get("properties") if isinstance(node, dict) else None
    return bool(prop) and isinstance(props, dict) and prop in props
