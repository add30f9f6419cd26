"""The lint of spec/rules/: ids, levels, keywords, who a rule binds, how it is checked, and
that what a rule names exists in every release it holds in. One line per problem, with its
file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.cli import main
from codegen.spec import Spec, load_spec
from tests.conftest import Breaker

UNKNOWN = "rules/unknown-routes.yaml"
AUTH = "rules/authentication.yaml"


def _lint(root: object, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--spec", str(root), "lint"]) == 1
    return capsys.readouterr().err


def _loaded(root: Path) -> str:
    """The problems found on loading (the structure of the rules files), as lint prints them."""
    return load_spec(root).problems.render().replace(f"{root.name}/", "spec/")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("id: unknown.405", "id: unknown.404", "rule id unknown.404 is used twice (first at spec/rules/unknown-routes.yaml:"),
        ("id: unknown.405", "id: Unknown_405", "rule id 'Unknown_405' must be lower-case words joined by dots"),
        ("    level: MUST\n    binds: appservice\n    stated: plain", "    level: MUSTN'T\n    binds: appservice\n    stated: plain",
         "unknown.405: level must be one of MUST, MUST NOT, SHOULD, SHOULD NOT, MAY, not \"MUSTN'T\""),
        ("An appservice MUST answer a known endpoint", "An appservice SHOULD answer a known endpoint",
         "unknown.405: the text must say MUST once, in capitals, and no other requirement keyword (it says: SHOULD)"),
        ("    binds: appservice\n    stated: plain", "    binds: proxy\n    stated: plain",
         "unknown.405: binds must name one or more of homeserver, appservice, client"),
        ("      probe: [wrong-method]\n", "      probe: []\n", "unknown.405: checked.probe must be a list of names"),
        # Code spans nested by a careless edit: `GET `/register`/available` rendered as
        # ``GET``/register ``/available``.
        ("a known endpoint called", "`GET `/register`/available` called",
         "unknown.405: each code span in 'text' is one whole name set apart by spaces or punctuation; this one is not: `GET `"),
        ("a known endpoint called", "`POST /appservice/{`appserviceId`}/ping` called",
         "this one is not: `POST /appservice/{`"),
        ("a known endpoint called", "a `known endpoint called", "this one is not: an odd number of backticks"),
    ],
    ids=["duplicate-id", "bad-id", "bad-level", "keyword-differs", "bad-binds", "empty-probe",
         "nested-code", "code-in-braces", "odd-backticks"],
)  # fmt: skip
def test_a_broken_rule_is_one_line_with_its_place(
    broken_spec: Breaker, old: str, new: str, expected: str
) -> None:
    root, line = broken_spec(UNKNOWN, old, new)
    err = _loaded(root)
    rows = [r for r in err.splitlines() if expected in r]
    assert len(rows) == 1, err
    where, _, _ = rows[0].partition(": ")
    assert where.startswith(f"spec/{UNKNOWN}:")
    assert abs(int(where.rpartition(":")[2]) - line) <= 12, (line, rows[0])


def test_a_note_states_no_requirement(broken_spec: Breaker) -> None:
    root, _ = broken_spec(
        "rules/request-errors.yaml", "Appservices usually answer as the Client-Server API does: 400",
        "Appservices MUST answer as the Client-Server API does: 400",
    )  # fmt: skip
    assert "errors.not-json: a note states no requirement: its text must not use MUST" in _loaded(
        root
    )


def test_a_rule_says_how_it_is_checked(broken_spec: Breaker) -> None:
    root, _ = broken_spec(
        UNKNOWN,
        "    checked:\n      probe: [wrong-method]\n      tests:\n"
        "        - tests/python/server/test_auth_routing.py::test_unknown_path_404_and_wrong_method_405\n",
        "",
    )
    assert "unknown.405: 'checked' must say how the rule is checked" in _loaded(root)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("operations: [sendTransaction]\n    checked:\n      probe: [wrong-method]",
         "operations: [sendTransactions]\n    checked:\n      probe: [wrong-method]",
         "unknown.405: operation sendTransactions does not exist (in 15 releases, v1.6 to unstable)"),
        ("errcodes: [M_UNRECOGNIZED]\n    operations: [sendTransaction]\n    checked:\n      probe: [wrong-method]",
         "errcodes: [M_NOT_A_CODE]\n    operations: [sendTransaction]\n    checked:\n      probe: [wrong-method]",
         "unknown.405: errcode M_NOT_A_CODE is not documented by sendTransaction (in 15 releases, v1.6 to unstable)"),
    ],
    ids=["operation", "errcode"],
)  # fmt: skip
def test_what_a_rule_names_exists_where_it_holds(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    root, _ = broken_spec(UNKNOWN, old, new)
    assert expected in _lint(root, capsys)


def test_a_field_must_exist_in_every_release_the_rule_holds_in(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str]
) -> None:
    """`Transaction.ephemeral` exists from v1.13: a rule that names it from v1.6 is wrong."""
    root, _ = broken_spec(
        UNKNOWN, "    operations: [sendTransaction]\n    checked:\n      probe: [unknown-route]",
        "    operations: [sendTransaction]\n    fields: [Transaction.ephemeral]\n"
        "    checked:\n      probe: [unknown-route]",
    )  # fmt: skip
    assert (
        "unknown.404: field Transaction.ephemeral does not exist (in 7 releases, v1.6 to v1.12)"
        in (_lint(root, capsys))
    )


def test_ids_are_unique_across_files(spec: Spec) -> None:
    book = spec.ir.rules
    ids = [r.id for rel in spec.releases for r in book.release(rel)]
    assert len(book.ids) == len(set(book.ids)) > 100
    assert set(ids) == set(book.ids)
