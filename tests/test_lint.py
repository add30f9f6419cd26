"""``appservice-spec lint``: the real sources pass, broken copies fail with file and line."""

from __future__ import annotations

import pytest

from codegen.cli import main
from codegen.lint import lint
from codegen.spec import Spec, load_spec
from tests.conftest import Breaker

PING = "application-service/ping.yaml"


def test_the_sources_pass_lint(spec: Spec, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint(spec).render() == ""
    assert main(["lint"]) == 0
    assert "lint: ok" in capsys.readouterr().out


def _lint_output(root: object, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--spec", str(root), "lint"]) == 1
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "$ref: ../definitions/responses.yaml#/hs_forbidden",
            "$ref: ../definitions/no_such_file.yaml",
            "no such file 'definitions/no_such_file.yaml'",
        ),
        (
            "$ref: ../definitions/responses.yaml#/hs_forbidden",
            "$ref: ../definitions/responses.yaml#/not_an_entry",
            "has no entry 'not_an_entry'",
        ),
        (
            'x-addedInMatrixVersion: "1.7"',
            'x-addedInMatrixVersion: "1.77"',
            "unknown release '1.77'",
        ),
        (
            'x-addedInMatrixVersion: "1.7"',
            "x-addedInMatrixVersion: 1.10",
            "must be a quoted string",
        ),
        ("      operationId: ping\n", "", "the operation has no operationId"),
    ],
    ids=["missing-file", "missing-entry", "unknown-version", "unquoted-version", "no-operationId"],
)
def test_broken_copies_fail_with_file_and_line(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    root, line = broken_spec(PING, old, new)
    err = _lint_output(root, capsys)
    matching = [row for row in err.splitlines() if expected in row]
    assert matching, err
    # The operation-level problems point at the operation; the others at the very line.
    file_part = matching[0].split(": ", 1)[0]
    path, _, found_line = file_part.rpartition(":")
    assert path == f"spec/{PING}"
    assert abs(int(found_line) - line) <= 3, (line, matching[0])


def test_example_that_contradicts_its_schema(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str]
) -> None:
    root, line = broken_spec(
        PING,
        'value: {transaction_id: "mautrix-go_1683636478256400935_123"}',
        "value: {transaction_id: 12345}",
    )
    err = _lint_output(root, capsys)
    rows = [r for r in err.splitlines() if "does not match its schema" in r]
    assert rows, err
    assert rows[0].startswith(f"spec/{PING}:{line}: ")
    assert "$.transaction_id" in rows[0] and "is not of type 'string'" in rows[0]
    assert "(in 14 releases, v1.7 to unstable)" in rows[0]


def test_yaml_syntax_error_names_file_and_line(
    broken_spec: Breaker, capsys: pytest.CaptureFixture[str]
) -> None:
    root, line = broken_spec(PING, "      summary:", "      summary: [unclosed\n      summary:")
    err = _lint_output(root, capsys)
    assert f"spec/{PING}:" in err and "YAML error" in err
    reported = int(err.split(f"spec/{PING}:", 1)[1].split(":", 1)[0])
    assert line <= reported <= line + 2


def test_duplicate_key_is_an_error(broken_spec: Breaker) -> None:
    root, line = broken_spec(PING, "      summary:", "      tags: [again]\n      summary:")
    spec = load_spec(root)
    assert f"spec/{PING}:{line}: YAML error" in spec.problems.render()
    assert "duplicate key 'tags'" in spec.problems.render()


def test_unknown_security_scheme(broken_spec: Breaker) -> None:
    root, _line = broken_spec(PING, "- homeserverAccessToken: []", "- nobodysToken: []")
    problems = lint(load_spec(root)).render()
    assert "unknown security scheme 'nobodysToken'" in problems


def test_errors_are_collected_not_stopped_at_the_first(broken_spec: Breaker) -> None:
    broken_spec(PING, "      operationId: ping\n", "")
    root, _ = broken_spec(PING, 'x-addedInMatrixVersion: "1.7"', 'x-addedInMatrixVersion: "9.9"')
    rendered = lint(load_spec(root)).render()
    assert "no operationId" in rendered and "unknown release '9.9'" in rendered


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("v1.7/oops.improvement", "Something changed.\n", "the type must be one of"),
        ("v1.7/no-stop.feature", "Something changed\n", "ends with a full stop"),
        ("v1.77/x.feature", "Something changed.\n", "'v1.77' is not a release"),
    ],
)
def test_bad_changelog_fragments(
    broken_spec: Breaker, name: str, content: str, expected: str
) -> None:
    root, _ = broken_spec("versions.yaml", "releases:", "releases:")
    path = root / "changelog" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    rendered = load_spec(root).problems.render()
    assert expected in rendered
    assert f"spec/changelog/{name.split('/')[0]}" in rendered


APPSERVICE_PING = "client-server/appservice_ping.yaml"


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        (
            APPSERVICE_PING,
            "        - $ref: ../definitions/parameters.yaml#/msc3202_device_id\n",
            "",
            "add the parameters msc3202_device_id from definitions/parameters.yaml",
        ),
        (
            APPSERVICE_PING,
            "      security:\n",
            "      x-noIdentityAssertion: Not needed.\n      security:\n",
            "x-noIdentityAssertion is set, yet the operation takes device_id, msc3202_device_id,"
            " user_id",
        ),
        (
            "client-server/register.yaml",
            "      x-noIdentityAssertion: |-\n",
            "      x-noIdentityAssertion-was: |-\n",
            "add the parameters device_id, msc3202_device_id, user_id",
        ),
        (
            "client-server/login.yaml",
            "      x-noIdentityAssertion: |-\n"
            "        The body's `identifier` names the user to log in, and the request hands out a new\n"
            "        device of its own, so homeservers ignore `user_id` and `device_id` here.\n",
            "      x-noIdentityAssertion: ''\n",
            "x-noIdentityAssertion must say why, as text",
        ),
    ],
    ids=["missing-parameter", "reason-and-parameters", "no-reason", "empty-reason"],
)
def test_identity_assertion_on_every_client_server_operation(
    broken_spec: Breaker, rel: str, old: str, new: str, expected: str
) -> None:
    root, _ = broken_spec(rel, old, new)
    rendered = load_spec(root).problems.render()
    rows = [row for row in rendered.splitlines() if expected in row]
    assert rows, rendered
    assert rows[0].startswith(f"spec/{rel}:"), rows[0]


def test_two_free_form_parameters_in_one_release(broken_spec: Breaker) -> None:
    rel = "client-server/third_party_lookup.yaml"
    root, _ = broken_spec(rel, '          x-removedInMatrixVersion: "1.13"\n', "")
    rendered = load_spec(root).problems.render()
    assert "two x-freeFormQuery parameters exist in one release" in rendered
    assert f"spec/{rel}:" in rendered
