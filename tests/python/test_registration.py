"""Registration files: one clear message per problem with its line; namespace matching."""

from __future__ import annotations

from pathlib import Path

import pytest
from matrix_appservice import (
    NamespaceMatcher,
    RegistrationError,
    check_registrations,
    load_registration,
    parse_registration,
)

GOOD = """\
id: irc-bridge
url: http://127.0.0.1:9000
as_token: as_secret_0123
hs_token: hs_secret_4567
sender_localpart: _irc_bot
rate_limited: false
namespaces:
  users:
    - exclusive: true
      regex: '@_irc_.*:example\\.org'
  aliases:
    - exclusive: true
      regex: '#_irc_.*:example\\.org'
  rooms: []
protocols: [irc]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_good_file_loads(tmp_path: Path) -> None:
    reg = load_registration(_write(tmp_path, "reg.yaml", GOOD))
    assert reg.model.id == "irc-bridge"
    assert reg.model.namespaces.users is not None and reg.model.namespaces.users[0].exclusive


def test_every_problem_is_reported_once_with_its_line(tmp_path: Path) -> None:
    text = (
        GOOD.replace("hs_token: hs_secret_4567\n", "")
        .replace("@_irc_.*:example", "@_irc_(.*:example")
        .replace("sender_localpart: _irc_bot", "sender_localpart: Bad Bot")
    )
    path = _write(tmp_path, "reg.yaml", text)
    with pytest.raises(RegistrationError) as caught:
        load_registration(path)
    rows = [str(p) for p in caught.value.problems]
    assert len(rows) == 3, rows
    assert f"{path}:1: missing required key 'hs_token'" in rows
    assert any(
        r.startswith(f"{path}:{_line_of(text, 'regex: ')}: namespaces.users[0].regex")
        and "does not compile" in r
        for r in rows
    )
    assert any(
        r.startswith(
            f"{path}:{_line_of(text, 'sender_localpart')}: sender_localpart 'Bad Bot' is not a valid localpart"
        )
        for r in rows
    )


def test_wrong_types_name_the_key_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("exclusive: true\n      regex: '@", "exclusive: 'yes'\n      regex: '@")
    path = _write(tmp_path, "reg.yaml", text)
    with pytest.raises(RegistrationError) as caught:
        load_registration(path)
    (problem,) = caught.value.problems
    assert problem.line == _line_of(text, "exclusive: 'yes'")
    assert "namespaces.users[0].exclusive" in problem.message and "boolean" in problem.message


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace("protocols: [irc]", "protocols: [irc")
    with pytest.raises(RegistrationError) as caught:
        load_registration(_write(tmp_path, "reg.yaml", text))
    (problem,) = caught.value.problems
    assert "YAML error" in problem.message and problem.line >= _line_of(text, "protocols")


def test_same_token_for_both_sides(tmp_path: Path) -> None:
    text = GOOD.replace("hs_secret_4567", "as_secret_0123")
    with pytest.raises(RegistrationError, match=r":4: as_token and hs_token must differ"):
        load_registration(_write(tmp_path, "reg.yaml", text))


def test_set_of_registrations(tmp_path: Path) -> None:
    first = parse_registration(GOOD, "a.yaml")
    second = parse_registration(
        GOOD.replace("hs_secret_4567", "hs_other").replace("id: irc-bridge", "id: other"), "b.yaml"
    )
    third = parse_registration(GOOD.replace("as_secret_0123", "as_third").replace("hs_secret_4567", "hs_third")
                               .replace("@_irc_.*", "@_irc_libera_.*").replace("#_irc_", "#_slack_"), "c.yaml")  # fmt: skip
    problems = [str(p) for p in check_registrations([first, second, third])]
    assert "b.yaml:3: as_token is also used by a.yaml:3; it must be unique" in problems
    assert "c.yaml:1: id is also used by a.yaml:1; it must be unique" in problems
    overlap = [p for p in problems if "may overlap" in p]
    assert any(p.startswith("c.yaml:10: warning: exclusive users namespace") for p in overlap), (
        problems
    )
    assert not any("aliases" in p and "c.yaml" in p for p in overlap)


@pytest.mark.parametrize(
    ("anchoring", "value", "expected"),
    [
        ("full", "@_irc_alice:example.org", True),
        ("full", "@_irc_alice:example.org.evil", False),
        ("full", "x@_irc_alice:example.org", False),
        ("start", "@_irc_alice:example.org.evil", True),
        ("start", "x@_irc_alice:example.org", False),
        ("search", "x@_irc_alice:example.org", True),
        ("full", "@someone:example.org", False),
    ],
)
def test_namespace_matching_rules(anchoring: str, value: str, expected: bool) -> None:
    matcher = NamespaceMatcher(parse_registration(GOOD).model, anchoring=anchoring)  # type: ignore[arg-type]
    assert matcher.matches_user(value) is expected
    assert matcher.user_is_exclusive(value) is expected


def test_exclusive_and_shared_namespaces() -> None:
    data = parse_registration(GOOD).data
    data["namespaces"]["rooms"] = [{"regex": "!bridged:example\\.org", "exclusive": False}]
    matcher = NamespaceMatcher(data)
    assert matcher.matches_room("!bridged:example.org")
    assert not matcher.room_is_exclusive("!bridged:example.org")
    assert matcher.alias_is_exclusive("#_irc_matrix:example.org")
    with pytest.raises(ValueError, match="anchoring"):
        NamespaceMatcher(data, anchoring="loose")  # type: ignore[arg-type]
