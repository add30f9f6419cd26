"""The validator and the registration loader answer anything with a report, never a crash.

``validate`` takes any JSON (parsed, text or bytes, valid or not) for any target of any
release and only reports; ``parse_registration`` / ``load_registration`` / ``check_registration``
take any YAML text or bytes and either load it or raise ``RegistrationError``. Hypothesis
deadlines bound the time per example (generous; the point is to catch the unbounded).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matrix_appservice import RELEASES, targets, validate
from matrix_appservice.registration import (
    RegistrationError,
    check_registration,
    load_registration,
    parse_registration,
)

SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _targets() -> list[tuple[str, dict[str, Any]]]:
    """Every validation target of every release, as the package lists them."""
    out: list[tuple[str, dict[str, Any]]] = []
    for release in RELEASES:
        out.append((release, {"registration": True}))
        for target in targets(release):
            kind, name, *status = target.split(":")
            if kind == "response":
                out.append((release, {"response": name, "status": status[0]}))
            elif kind in ("request", "schema"):
                out.append((release, {kind: name}))
    return out


TARGETS = _targets()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)
PAYLOADS = (
    JSON
    | JSON.map(json.dumps)
    | JSON.map(lambda v: json.dumps(v).encode())
    | st.text()
    | st.binary()
    | st.integers(1, 3000).map(lambda n: "[" * n)
)


def test_there_are_targets_of_every_kind_in_every_release() -> None:
    kinds = {(release, next(iter(kw))) for release, kw in TARGETS}
    assert {r for r, _ in kinds} == set(RELEASES)
    assert {k for _, k in kinds} == {"registration", "schema", "request", "response"}


@settings(SETTINGS, max_examples=1000)
@given(st.sampled_from(TARGETS), PAYLOADS)
def test_validate_only_reports(target: tuple[str, dict[str, Any]], payload: Any) -> None:
    release, kwargs = target
    result = validate(payload, version=release, **kwargs)
    assert result.valid is (not result.errors)
    for issue in result.errors:
        assert isinstance(issue.path, str) and issue.path.startswith("$")
        assert isinstance(issue.message, str) and issue.message


FRAGMENTS = st.sampled_from(
    [
        "id: ", "url: ", "as_token: ", "hs_token: ", "sender_localpart: ", "namespaces:",
        "users:", "- regex: ", "exclusive: ", "&a ", "*a", "<<: *a", "!!python/object:os.system",
        "!!binary ", "{", "}", "[", "]", "- ", ": ", "\n", "  ", "\t", "'", '"', "---", "...",
        "%YAML 1.1", "? ", "|", ">", "null", "~", "0x1F", "1e400", "(a+)+$", "\\", "\x00", "\ufeff",
    ]
)  # fmt: skip
YAML_TEXT = st.lists(FRAGMENTS | st.text(max_size=8), max_size=40).map("".join)
SOURCES = (
    YAML_TEXT
    | YAML_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.binary()
    | st.text()
)


@SETTINGS
@given(SOURCES, st.sampled_from(RELEASES))
def test_registration_parser_raises_only_registration_error(
    source: str | bytes, release: str
) -> None:
    try:
        loaded = parse_registration(source)
    except RegistrationError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    for problem in check_registration(loaded, release, strict=True):
        assert problem.message


@settings(SETTINGS, max_examples=100)
@given(SOURCES)
def test_load_registration_raises_only_registration_error(source: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registration.yaml"
        path.write_bytes(
            source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
        )
        path.chmod(0o600)
        try:
            load_registration(path)
        except RegistrationError as exc:
            assert exc.problems
