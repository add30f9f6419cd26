"""Payload validation against the JSON Schema of one release, on the fast path.

Raw bytes are parsed with orjson and checked with a compiled Draft 2020-12 validator
(jsonschema-rs). The schemas are the spec's own, reduced to what validation needs, so the
answer agrees with any Draft 2020-12 validator run on the bundled OpenAPI document.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import islice
from typing import Any

import jsonschema_rs
import orjson

from matrix_appservice._json import MAX_DEPTH, parse_json
from matrix_appservice._releases import RELEASES, resolve_release, schema_file
from matrix_appservice._walk import PREVIEW, Walker, json_path

__all__ = [
    "COUNT_BEYOND",
    "DEFAULT_MAX_ERRORS",
    "MAX_DEPTH",
    "PREVIEW",
    "PayloadError",
    "ValidationIssue",
    "ValidationResult",
    "Validator",
    "omitted",
    "parse_json",
    "targets",
    "validate",
    "validator_for",
]


DEFAULT_MAX_ERRORS = 100
"""How many problems a result lists unless ``max_errors`` says otherwise."""
COUNT_BEYOND = 1000
"""Past ``max_errors``, the search counts up to this many more problems, then stops."""


@dataclass(frozen=True)
class ValidationIssue:
    """One reason a payload is invalid."""

    path: str
    """Where in the payload, as a JSON path such as ``$.events[0].room_id``."""
    message: str
    """What was expected there."""
    keyword: str
    """The JSON Schema keyword that failed (``required``, ``type``, ...), or ``json``."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class PayloadError(ValueError):
    """Raised by :meth:`ValidationResult.raise_for_errors` for an invalid payload."""

    def __init__(self, result: ValidationResult) -> None:
        lines = "\n".join(f"  {issue}" for issue in result.errors)
        if result.more:
            lines += f"\n  {result.omitted}"
        super().__init__(f"invalid {result.target} ({result.release}):\n{lines}")
        self.result = result


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of a validation: the problems found (the first ``max_errors``), or none."""

    target: str
    release: str
    errors: tuple[ValidationIssue, ...] = ()
    """The problems, in document order, at most ``max_errors`` of them."""
    more: int = 0
    """How many more problems were found and left out of ``errors``."""
    complete: bool = True
    """False when the search stopped counting: there are then at least ``more`` more."""

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def omitted(self) -> str:
        """``... and 12 more`` (or ``... and at least 1,000 more``); empty if none was left out."""
        return omitted(self.more, self.complete)

    def __bool__(self) -> bool:
        return self.valid

    def raise_for_errors(self) -> None:
        if self.errors:
            raise PayloadError(self)


def omitted(more: int, complete: bool = True) -> str:
    """The line that stands for problems left out of a result."""
    if not more:
        return ""
    return f"... and {'' if complete else 'at least '}{more:,} more"


@cache
def _document(release: str) -> dict[str, Any]:
    text = resources.files("matrix_appservice").joinpath("_schemas", schema_file(release))
    loaded: dict[str, Any] = orjson.loads(text.read_bytes())
    return loaded


@cache
def _checked_contents(release: str) -> dict[str, Any]:
    """The ``$defs`` of a release with each event envelope (``ClientEvent`` and its numbered
    copies) also checking its ``content`` by the event's ``type``."""
    doc = _document(release)
    defs: dict[str, Any] = dict(doc["$defs"])
    for envelope, check in doc.get("content", {}).items():
        for name in doc["$defs"]:
            if name == envelope or name.startswith(f"{envelope}__"):
                defs[name] = {"allOf": [doc["$defs"][name], {"$ref": f"#/$defs/{check}"}]}
    return defs


def targets(version: str | None = None) -> list[str]:
    """Every validation target of a release, e.g. ``request:sendTransaction``."""
    return list(_document(resolve_release(version))["targets"])


def _target_name(
    request: str | None, response: str | None, status: int | str | None,
    schema: str | None, registration: bool, event: str | None = None,
) -> str:  # fmt: skip
    chosen = [n for n, v in (("request", request), ("response", response), ("schema", schema),
                              ("registration", registration), ("event", event)) if v]  # fmt: skip
    if len(chosen) != 1:
        raise ValueError(
            "name exactly one of request=, response=, schema=, event= or registration=True"
        )
    if registration:
        return "schema:Registration"
    if event:
        return f"event:{event}"
    if request:
        return f"request:{request}"
    if response:
        if status is None:
            raise ValueError("a response needs its status, e.g. status=200")
        return f"response:{response}:{int(status)}"
    return f"schema:{schema}"


class Validator:
    """A compiled validator for one target of one release; reuse it on hot paths.

    With ``content=True`` every event in the payload also has its ``content`` checked
    against the schema of its ``type`` (and, for ``m.room.message``, its ``msgtype``) in that
    release; an event of a type the release does not define, and a redacted room event,
    are checked as envelopes only.
    """

    def __init__(self, target: str, release: str, *, content: bool = False) -> None:
        doc = _document(release)
        if target not in doc["targets"]:
            raise ValueError(_unknown_target(target, release, doc))
        self.target = target
        self.release = release
        self.content = content
        root = doc["targets"][target]
        defs = _checked_contents(release) if content else doc["$defs"]
        self._compiled = jsonschema_rs.Draft202012Validator(
            {**root, "$defs": defs}, validate_formats=False
        )
        self._walker = Walker(root, defs)
        self._valid = ValidationResult(target, release)  # immutable: one serves every call

    def is_valid(self, payload: Any) -> bool:
        """Whether an already-parsed payload is valid (fastest answer, no details)."""
        try:
            return bool(self._compiled.is_valid(payload))
        except ValueError:  # not JSON data: a set, a key that is not a string, ...
            return False

    def first_issue(self, payload: Any) -> ValidationIssue | None:
        """The first problem found in an already-parsed payload, or ``None`` if it is valid.

        Cheaper than :meth:`validate` on a broken body of millions of items: the search stops
        at the first problem. Values in the message are cut short as in :meth:`validate`.
        """
        try:
            if self._compiled.is_valid(payload):
                return None
            found = next(iter(self._walker.problems(payload)), None)
        except ValueError as exc:  # parsed data that JSON cannot hold
            return ValidationIssue("$", f"not JSON data: {exc}", "json")
        if found is None:  # the walker and the compiled schema always agree; never reached
            return ValidationIssue("$", "does not match the schema", "")
        return ValidationIssue(json_path(found.parts), found.message, found.keyword)

    def validate(
        self, payload: Any, *, max_errors: int | None = DEFAULT_MAX_ERRORS
    ) -> ValidationResult:
        """Validate bytes, text or parsed JSON and report its problems in document order.

        At most ``max_errors`` problems are listed (``None``: all of them); the result's
        ``more`` tells how many others were found. The search stops :data:`COUNT_BEYOND`
        problems past ``max_errors``, so time and memory stay bounded on any payload.
        """
        if max_errors is not None and max_errors < 1:
            raise ValueError(f"max_errors must be at least 1 (or None), not {max_errors}")
        if isinstance(payload, (bytes, bytearray, memoryview, str)):
            try:
                payload = parse_json(payload)
            except ValueError as exc:
                return self._invalid(str(exc))
        try:
            if self._compiled.is_valid(payload):
                return self._valid
            return self._report(payload, max_errors)
        except ValueError as exc:  # parsed data that JSON cannot hold
            return self._invalid(f"not JSON data: {exc}")

    def _invalid(self, message: str) -> ValidationResult:
        issue = ValidationIssue("$", message, "json")
        return ValidationResult(self.target, self.release, (issue,))

    def _report(self, payload: Any, max_errors: int | None) -> ValidationResult:
        limit = None if max_errors is None else max_errors + COUNT_BEYOND
        found = list(islice(self._walker.problems(payload), None if limit is None else limit + 1))
        complete = limit is None or len(found) <= limit
        found = found[:limit]
        # A content checked as its type's and as its variant's reports a shared problem twice.
        found = list(dict.fromkeys(found))
        found.sort(key=lambda f: (f.position, f.keyword, f.message))
        shown = found[:max_errors]
        issues = tuple(ValidationIssue(json_path(f.parts), f.message, f.keyword) for f in shown)
        return ValidationResult(
            self.target, self.release, issues, len(found) - len(shown), complete
        )


def _names(doc: dict[str, Any], *kinds: str) -> set[str]:
    return {t.split(":")[1] for t in doc["targets"] if t.split(":", 1)[0] in kinds}


def _one_of(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _suggestions(name: str, candidates: set[str]) -> list[str]:
    """Close spellings first (difflib), then names that start with ``name``; three at most."""
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    start = sorted(c for c in candidates if c.lower().startswith(name.lower()) and c not in close)
    return (close + start)[:3]


def _unknown_target(target: str, release: str, doc: dict[str, Any]) -> str:
    kind, _, rest = target.partition(":")
    name = rest.rsplit(":", 1)[0] if kind == "response" else rest
    present = _names(doc, kind)
    if name in present and kind == "response":
        codes = sorted(
            t.rsplit(":", 1)[1] for t in doc["targets"] if t.startswith(f"response:{name}:")
        )
        return (
            f"{name} has no JSON response with that status in {release}; it has: {', '.join(codes)}"
        )
    operations = _names(doc, "request", "response")
    if kind == "request" and name in operations:
        return f"{name} has no request body"
    if kind == "response" and name in operations:
        return f"{name} has no JSON response body in {release}"
    elsewhere = [r for r in RELEASES if name in _names(_document(r), kind)]
    if elsewhere:
        return f"{kind} {name!r} does not exist in {release} (it exists in {elsewhere[0]} to {elsewhere[-1]})"
    shown = repr(name) if len(name) <= PREVIEW else repr(name[:PREVIEW]) + "…"
    picks = _suggestions(name, present | operations if kind != "schema" else present)
    if picks:
        return f"unknown {kind} {shown} in {release}; did you mean {_one_of(picks)}?"
    return f"unknown {kind} {shown} in {release}; known: {', '.join(sorted(present))}"


@cache
def _cached_validator(target: str, release: str, content: bool = False) -> Validator:
    return Validator(target, release, content=content)


def validator_for(
    *, request: str | None = None, response: str | None = None, status: int | str | None = None,
    schema: str | None = None, registration: bool = False, event: str | None = None,
    version: str | None = None, content: bool = False,
) -> Validator:  # fmt: skip
    """The compiled validator for a target (cached), e.g. ``validator_for(request="ping")``."""
    target = _target_name(request, response, status, schema, registration, event)
    return _cached_validator(target, resolve_release(version), content)


def validate(
    payload: Any, *, request: str | None = None, response: str | None = None,
    status: int | str | None = None, schema: str | None = None, registration: bool = False,
    event: str | None = None, version: str | None = None, content: bool = False,
    max_errors: int | None = DEFAULT_MAX_ERRORS,
) -> ValidationResult:  # fmt: skip
    """Validate ``payload`` (bytes, text or parsed JSON) against one target of a release.

    Name the target with exactly one of ``request=`` (an operation's request body),
    ``response=`` with ``status=`` (a response body), ``schema=`` (a named schema such as
    ``ClientEvent``), ``event=`` (the content of an event of that type, such as
    ``m.room.message``) or ``registration=True``. ``content=True`` also checks the content
    of every event in the payload by its type (off by default: the envelope alone is what
    the API itself defines). ``version`` is a release (``v1.13``, ``1.13``, ``unstable``);
    the default is the latest release. At most ``max_errors`` problems are listed;
    ``result.more`` counts the rest. JSON text may nest at most :data:`MAX_DEPTH` levels;
    values quoted in messages are cut to :data:`PREVIEW` characters.
    """
    validator = validator_for(
        request=request, response=response, status=status, schema=schema,
        registration=registration, event=event, version=version, content=content,
    )  # fmt: skip
    return validator.validate(payload, max_errors=max_errors)
