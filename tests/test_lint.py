"""``appservice-spec lint``: the real sources pass, broken copies fail with file and line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from codegen.cli import main
from codegen.errors import SpecError
from codegen.lint import lint
from codegen.load import MAX_VALUES, parse_yaml
from codegen.source_text import MAX_SOURCE_BYTES, read_source_text
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


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        (
            "application-service/query_user.yaml",
            '      x-legacyPaths: ["/users/{userId}"]\n',
            '      x-legacyPaths: ["/users/{userId}/info"]\n',
            "x-restOfPath is set on userId, which does not end the path /users/{userId}/info",
        ),
        (
            "application-service/query_room.yaml",
            "          x-restOfPath: true\n",
            "          x-restOfPath: yes-please\n",
            "x-restOfPath must be true, on a path parameter",
        ),
    ],
    ids=["not-the-end", "not-true"],
)
def test_rest_of_path_only_ends_a_path(
    broken_spec: Breaker, rel: str, old: str, new: str, expected: str
) -> None:
    root, _ = broken_spec(rel, old, new)
    rendered = load_spec(root).problems.render()
    rows = [row for row in rendered.splitlines() if expected in row]
    assert rows and rows[0].startswith(f"spec/{rel}:"), rendered


# -- what the loader refuses: each problem is one `file:line: message` ----------------------


def _only_problem(root: Path) -> str:
    """Load ``root``; there must be exactly one problem. Return it rendered."""
    rows = load_spec(root).problems.render().splitlines()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("      x-deep: " + "[" * 64 + "]" * 64 + "\n", "nested more than 64 levels deep"),
        ("      x-a: &shared [lol, lol]\n      x-b: [*shared, *shared]\n",
         "YAML anchor &shared: anchors and aliases are not allowed in the spec sources"),
        ("      x-b: *nowhere\n", "YAML alias *nowhere: anchors and aliases are not allowed"),
        ("      x-when: 2021-11-09\n",
         "2021-11-09 is read by YAML as a date; the spec sources hold JSON values only: "
         "write it as a quoted string ('2021-11-09')"),
        ("      x-blob: !!binary aGVsbG8=\n", "aGVsbG8= is read by YAML as binary data"),
        ("      x-big: 1.0e+400\n", "1.0e+400 is not a finite number; JSON has no such value"),
        ("      x-nan: .nan\n", ".nan is not a finite number"),
        ("      x-many: " + "7" * 5000 + "\n",
         "the number " + "7" * 59 + "… has more than 4,300 digits"),
        ("      x-set: !!set {a, b}\n", "the tag !!set is not allowed; remove it"),
        ("      x-mine: !mine {a: b}\n", "the tag !mine is not allowed; remove it"),
        ("      <<: {x-merged: true}\n", "YAML error: the key '<<' is read as a merge key"),
        ("      200: OK\n", "YAML error: the key '200' is read as an integer; mapping keys must be "
         "strings (quote it: '200')"),
    ],
    ids=["deeper-than-64", "anchor", "alias", "date", "binary", "infinity", "nan", "huge-integer",
         "set", "local-tag", "merge-key", "integer-key"],
)  # fmt: skip
def test_yaml_beyond_plain_json_values(broken_spec: Breaker, new: str, expected: str) -> None:
    root, line = broken_spec(PING, "      summary:", new + "      summary:")
    row = _only_problem(root)
    assert row.startswith(f"spec/{PING}:{line}: {expected}"), row


def test_nesting_of_64_levels_is_read(broken_spec: Breaker) -> None:
    assert parse_yaml("a: " + "[" * 63 + "]" * 63, "deep.yaml")["a"]  # the mapping and 63 lists
    with pytest.raises(SpecError) as caught:
        parse_yaml("a:\n  b: " + "[" * 63 + "]" * 63, "deeper.yaml")
    assert str(caught.value) == "deeper.yaml:2: nested more than 64 levels deep"
    # `summary` sits in the fourth mapping of ping.yaml: 60 lists make 64 levels.
    new = "      x-deep: " + "[" * 60 + "]" * 60 + "\n      summary:"
    root, _ = broken_spec(PING, "      summary:", new)
    assert not load_spec(root).problems, load_spec(root).problems.render()


def test_more_than_max_values_is_refused() -> None:
    items = ", ".join("x" for _ in range(MAX_VALUES))
    assert len(parse_yaml(f"[{items[:-3]}]", "ok.yaml")) == MAX_VALUES - 1
    with pytest.raises(SpecError) as caught:
        parse_yaml(f"a: [{items}]", "many.yaml")
    assert str(caught.value) == "many.yaml:1: more than 10,000 keys and values in one file"


def test_a_second_document_is_refused(broken_spec: Breaker) -> None:
    root, _ = broken_spec(PING, "openapi: 3.1.0\n", "openapi: 3.1.0\n")
    with (root / PING).open("a", encoding="utf-8") as handle:
        handle.write("---\nopenapi: 3.1.0\n")
    lines = (root / PING).read_text(encoding="utf-8").count("\n")
    assert _only_problem(root) == (
        f"spec/{PING}:{lines - 1}: more than one YAML document ('---'); expected one"
    )


def _break_bytes(broken_spec: Breaker, rel: str, old: str, new: bytes) -> tuple[Path, int, int]:
    """Replace ``old`` by raw bytes; return the root, the line and the byte offset of ``new``."""
    marker = "\u2603MARKER\u2603"
    root, line = broken_spec(rel, old, marker)
    data = (root / rel).read_bytes()
    offset = data.index(marker.encode("utf-8"))
    (root / rel).write_bytes(data.replace(marker.encode("utf-8"), new))
    return root, line, offset


def test_text_that_is_not_utf8(broken_spec: Breaker) -> None:
    root, line, offset = _break_bytes(
        broken_spec, PING, "      summary: Answer", b"      summary: Caf\xe9 answer"
    )
    assert _only_problem(root) == (
        f"spec/{PING}:{line}: not UTF-8: byte 0xe9 at byte offset {offset + 18} cannot be "
        "decoded; save the file as UTF-8"
    )


def test_byte_order_marks(broken_spec: Breaker) -> None:
    """UTF-16 is refused at once; a UTF-8 byte order mark is dropped."""
    root, _ = broken_spec(PING, "openapi:", "openapi:")
    text = (root / PING).read_text(encoding="utf-8")
    (root / PING).write_bytes(text.encode("utf-16"))
    assert _only_problem(root) == f"spec/{PING}:1: the file is UTF-16; save it as UTF-8"
    (root / PING).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert not load_spec(root).problems, load_spec(root).problems.render()


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b"\0", "a NUL byte"),
        (b"\x1b", "the character U+001B"),
        (b"\xc2\x9b", "the character U+009B"),
    ],
    ids=["nul", "escape", "c1-control"],
)
def test_control_characters(broken_spec: Breaker, raw: bytes, what: str) -> None:
    root, line, offset = _break_bytes(
        broken_spec, PING, "      summary: Answer", b"      summary: Answer" + raw
    )
    assert _only_problem(root) == (
        f"spec/{PING}:{line}: {what} at byte offset {offset + 21}; "
        "the sources hold printable text only"
    )


def test_a_file_over_the_size_limit(broken_spec: Breaker) -> None:
    root, _ = broken_spec(PING, "openapi:", "openapi:")
    size = MAX_SOURCE_BYTES + 1
    (root / "definitions" / "huge.yaml").write_text("x: '" + "a" * (size - 6) + "'\n")
    assert (root / "definitions" / "huge.yaml").stat().st_size == size
    assert _only_problem(root) == (
        "spec/definitions/huge.yaml: the file has 2,097,153 bytes; "
        "a spec source may have at most 2,097,152 bytes"
    )


def test_the_size_limit_is_checked_on_the_bytes_read(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_bytes("é".encode() * 4)
    assert read_source_text(path, "small.yaml", limit=8) == "éééé"
    with pytest.raises(SpecError) as caught:
        read_source_text(path, "small.yaml", limit=7)
    assert str(caught.value) == (
        "small.yaml: the file has 8 bytes; a spec source may have at most 7 bytes"
    )


def test_a_folder_named_like_a_source(broken_spec: Breaker) -> None:
    root, _ = broken_spec(PING, "openapi:", "openapi:")
    (root / "definitions" / "folder.yaml").mkdir()
    assert _only_problem(root) == (
        "spec/definitions/folder.yaml: is a folder; a spec source must be a file"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_a_file_without_read_permission(broken_spec: Breaker) -> None:
    root, _ = broken_spec(PING, "openapi:", "openapi:")
    (root / PING).chmod(0)
    assert _only_problem(root) == f"spec/{PING}: cannot read the file: Permission denied"


def test_versions_yaml_goes_through_the_same_loader(broken_spec: Breaker) -> None:
    root, line = broken_spec(
        "versions.yaml", "releases:\n", "x-bomb: &a [x, x]\nx-more: [*a, *a]\nreleases:\n"
    )
    rows = load_spec(root).problems.render().splitlines()
    assert rows[0].startswith(f"spec/versions.yaml:{line}: YAML anchor &a: "), rows


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b"Caf\xe9 changed.\n"),
         ":1: not UTF-8: byte 0xe9 at byte offset 3 cannot be decoded; save the file as UTF-8"),
        (lambda p: p.mkdir(), ": is a folder; a spec source must be a file"),
    ],
    ids=["not-utf8", "folder"],
)  # fmt: skip
def test_changelog_fragment_that_cannot_be_read(
    broken_spec: Breaker, make: Callable[[Path], object], expected: str
) -> None:
    root, _ = broken_spec("versions.yaml", "releases:", "releases:")
    make(root / "changelog" / "v1.7" / "broken.feature")
    assert _only_problem(root) == f"spec/changelog/v1.7/broken.feature{expected}"


def test_two_files_share_a_path_with_different_methods(spec: Spec) -> None:
    path = spec.bundle("unstable")["paths"][
        "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}"
    ]
    assert path["put"]["operationId"] == "setRoomStateWithKey"  # client-server/room_send.yaml
    assert path["get"]["operationId"] == "getRoomStateWithKey"  # client-server/room_state.yaml


def test_the_same_method_of_a_path_in_two_files_is_refused(broken_spec: Breaker) -> None:
    root, line = broken_spec(
        "client-server/room_state.yaml",
        "  /rooms/{roomId}/state/{eventType}/{stateKey}:\n    get:",
        "  /rooms/{roomId}/state/{eventType}/{stateKey}:\n    put:",
    )
    problems = lint(load_spec(root)).render()
    expected = "PUT of path /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} is defined twice"
    assert f"spec/client-server/room_state.yaml:{line + 1}: {expected}" in problems  # its item
