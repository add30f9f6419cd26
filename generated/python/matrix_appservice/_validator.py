"""Payload validation against the JSON Schema of one release, on the fast path.

Raw bytes are parsed with orjson and checked with a compiled Draft 2020-12 validator
(jsonschema-rs). The schemas are the spec's own, reduced to what validation needs, so the
answer agrees with any Draft 2020-12 validator run on the bundled OpenAPI document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson

from matrix_appservice._releases import RELEASES, resolve_release, schema_file

__all__ = [
    "PayloadError",
    "ValidationIssue",
    "ValidationResult",
    "Validator",
    "parse_json",
    "targets",
    "validate",
    "validator_for",
]


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
        super().__init__(f"invalid {result.target} ({result.release}):\n{lines}")
        self.result = result


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of a validation: every problem found, or none."""

    target: str
    release: str
    errors: tuple[ValidationIssue, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors

    def __bool__(self) -> bool:
        return self.valid

    def raise_for_errors(self) -> None:
        if self.errors:
            raise PayloadError(self)


def _json_path(parts: list[str | int]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += "[" + json.dumps(part) + "]"
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(payload: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; raise ``ValueError`` with the position on malformed input."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        # orjson refuses integers beyond 64 bits, which JSON allows: retry with the stdlib.
        try:
            text = bytes(payload) if isinstance(payload, memoryview) else payload
            return json.loads(text, parse_constant=_no_constants)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack
            raise ValueError(f"not valid JSON: {exc}") from None


@cache
def _document(release: str) -> dict[str, Any]:
    text = resources.files("matrix_appservice").joinpath("_schemas", schema_file(release))
    loaded: dict[str, Any] = orjson.loads(text.read_bytes())
    return loaded


def targets(version: str | None = None) -> list[str]:
    """Every validation target of a release, e.g. ``request:sendTransaction``."""
    return list(_document(resolve_release(version))["targets"])


def _target_name(
    request: str | None, response: str | None, status: int | str | None,
    schema: str | None, registration: bool,
) -> str:  # fmt: skip
    chosen = [n for n, v in (("request", request), ("response", response),
                              ("schema", schema), ("registration", registration)) if v]  # fmt: skip
    if len(chosen) != 1:
        raise ValueError("name exactly one of request=, response=, schema= or registration=True")
    if registration:
        return "schema:Registration"
    if request:
        return f"request:{request}"
    if response:
        if status is None:
            raise ValueError("a response needs its status, e.g. status=200")
        return f"response:{response}:{int(status)}"
    return f"schema:{schema}"


class Validator:
    """A compiled validator for one target of one release; reuse it on hot paths."""

    def __init__(self, target: str, release: str) -> None:
        doc = _document(release)
        if target not in doc["targets"]:
            raise ValueError(_unknown_target(target, release, doc))
        self.target = target
        self.release = release
        schema = dict(doc["targets"][target])
        schema["$defs"] = doc["$defs"]
        self._compiled = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)

    def is_valid(self, payload: Any) -> bool:
        """Whether an already-parsed payload is valid (fastest answer, no details)."""
        return bool(self._compiled.is_valid(payload))

    def first_issue(self, payload: Any) -> ValidationIssue | None:
        """The first problem in an already-parsed payload, or ``None`` if it is valid.

        Cheap on hostile input: it stops at the first problem, where :meth:`validate`
        collects every one (millions, for a body of millions of broken items).
        """
        try:
            self._compiled.validate(payload)
        except jsonschema_rs.ValidationError as err:
            keyword = str(err.schema_path[-1]) if err.schema_path else ""
            return ValidationIssue(_json_path(list(err.instance_path)), err.message, keyword)
        return None

    def validate(self, payload: Any) -> ValidationResult:
        """Validate bytes, text or parsed JSON and report every problem."""
        if isinstance(payload, (bytes, bytearray, memoryview, str)):
            try:
                payload = parse_json(payload)
            except ValueError as exc:
                issue = ValidationIssue("$", str(exc), "json")
                return ValidationResult(self.target, self.release, (issue,))
        if self._compiled.is_valid(payload):
            return ValidationResult(self.target, self.release)
        issues = [
            ValidationIssue(
                _json_path(list(err.instance_path)),
                err.message,
                str(err.schema_path[-1]) if err.schema_path else "",
            )
            for err in self._compiled.iter_errors(payload)
        ]
        issues.sort(key=lambda i: (i.path, i.keyword, i.message))
        return ValidationResult(self.target, self.release, tuple(issues))


def _unknown_target(target: str, release: str, doc: dict[str, Any]) -> str:
    kind, _, rest = target.partition(":")
    name = rest.split(":", 1)[0]
    present = {t.split(":")[1] for t in doc["targets"] if t.startswith(kind + ":")}
    if name in present and kind == "response":
        codes = sorted(
            t.rsplit(":", 1)[1] for t in doc["targets"] if t.startswith(f"response:{name}:")
        )
        return (
            f"{name} has no JSON response with that status in {release}; it has: {', '.join(codes)}"
        )
    later = [
        r for r in RELEASES if any(t.startswith(f"{kind}:{name}") for t in _document(r)["targets"])
    ]
    if later:
        return (
            f"{kind} {name!r} does not exist in {release} (it exists in {later[0]} to {later[-1]})"
        )
    return f"unknown {kind} {name!r}; known: {', '.join(sorted(present))}"


@cache
def _cached_validator(target: str, release: str) -> Validator:
    return Validator(target, release)


def validator_for(
    *, request: str | None = None, response: str | None = None, status: int | str | None = None,
    schema: str | None = None, registration: bool = False, version: str | None = None,
) -> Validator:  # fmt: skip
    """The compiled validator for a target (cached), e.g. ``validator_for(request="ping")``."""
    target = _target_name(request, response, status, schema, registration)
    return _cached_validator(target, resolve_release(version))


def validate(
    payload: Any, *, request: str | None = None, response: str | None = None,
    status: int | str | None = None, schema: str | None = None, registration: bool = False,
    version: str | None = None,
) -> ValidationResult:  # fmt: skip
    """Validate ``payload`` (bytes, text or parsed JSON) against one target of a release.

    Name the target with exactly one of ``request=`` (an operation's request body),
    ``response=`` with ``status=`` (a response body), ``schema=`` (a named schema such as
    ``ClientEvent``) or ``registration=True``. ``version`` is a release (``v1.13``,
    ``1.13``, ``unstable``); the default is the latest release.
    """
    validator = validator_for(
        request=request, response=response, status=status, schema=schema,
        registration=registration, version=version,
    )  # fmt: skip
    return validator.validate(payload)
