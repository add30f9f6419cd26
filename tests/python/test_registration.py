"""Registration files: one clear message per problem with its line; namespace matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matrix_appservice import (
    LoadedRegistration,
    NamespaceMatcher,
    NamespaceTimeoutError,
    RegistrationError,
    RegistrationReadError,
    check_registration,
    check_registrations,
    load_registration,
    parse_registration,
)

from tests.python.registration_cases import CASES, GOOD, Case, located, materialize


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
        GOOD.replace("hs_token: hs_secret_4567890123\n", "")
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
    text = GOOD.replace("hs_secret_4567890123", "as_secret_0123456789")
    with pytest.raises(RegistrationError, match=r":4: as_token and hs_token must differ"):
        load_registration(_write(tmp_path, "reg.yaml", text))


def test_set_of_registrations(tmp_path: Path) -> None:
    first = parse_registration(GOOD, "a.yaml")
    second = parse_registration(
        GOOD.replace("hs_secret_4567890123", "hs_other").replace("id: irc-bridge", "id: other"),
        "b.yaml",
    )
    third = parse_registration(GOOD.replace("as_secret_0123456789", "as_third").replace("hs_secret_4567890123", "hs_third")
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


IN_PROCESS = [c for c in CASES if c.name != "billion_laughs"]  # that one runs in tests/hostile


@pytest.mark.parametrize("case", IN_PROCESS, ids=lambda c: c.name)
def test_bad_input_is_one_registration_error_naming_file_and_line(
    tmp_path: Path, case: Case
) -> None:
    path = materialize(tmp_path, case)
    with pytest.raises(RegistrationError) as caught:
        load_registration(path)
    assert isinstance(caught.value, RegistrationReadError) is case.usage
    rows = str(caught.value).splitlines()
    assert any(row.startswith(located(path, case) + case.expected) for row in rows), rows


def test_the_line_map_follows_the_one_parse() -> None:
    text = "# comment\n" + GOOD.replace(
        "rate_limited: false\n", "rate_limited: false\nextra:\n  - {a: [1, 2]}\n"
    )
    reg = parse_registration(text)
    assert reg.data["extra"] == [{"a": [1, 2]}]
    assert reg.line(("extra",)) == _line_of(text, "extra:")
    assert reg.line(("extra", 0, "a", 1)) == _line_of(text, "- {a:")
    assert reg.line(("namespaces", "users", 0, "regex")) == _line_of(text, "regex: '@")
    assert reg.line(("sender_localpart",)) == _line_of(text, "sender_localpart")


def test_repeated_keys_and_odd_values_are_reported_together() -> None:
    text = GOOD.replace("rate_limited: false", "rate_limited: false\nid: again\nnote: .inf\nyes: 1")
    with pytest.raises(RegistrationError) as caught:
        parse_registration(text, "reg.yaml")
    rows = str(caught.value).splitlines()
    assert rows == [
        f"reg.yaml:{_line_of(text, 'id: again')}: the key 'id' at the top level is repeated (first at line 1); each key may appear once",
        f"reg.yaml:{_line_of(text, 'note:')}: note: .inf is not a finite number",
        f"reg.yaml:{_line_of(text, 'yes:')}: the key 'yes' at the top level is read by YAML as a boolean; keys must be strings (quote it: 'yes')",
    ]


def test_set_checks_survive_malformed_namespaces() -> None:
    odd = [
        parse_registration(GOOD.split("namespaces:")[0] + tail, f"{i}.yaml")
        for i, tail in enumerate(["namespaces: [1]\n", "namespaces: {users: 5}\n", "namespaces: {users: [7, {regex: 1}]}\n"])
    ]  # fmt: skip
    problems = check_registrations([parse_registration(GOOD, "good.yaml"), *odd])
    assert {p.message.split(" is also")[0] for p in problems if p.severity == "error"} == {
        "id",
        "as_token",
    }


MAUTRIX = GOOD.replace("sender_localpart: _irc_bot", "sender_localpart: Xq3_Vb-9kLm2TzR8")


def test_upper_case_localpart_is_a_warning_unless_strict(tmp_path: Path) -> None:
    path = _write(tmp_path, "mautrix.yaml", MAUTRIX)
    reg = load_registration(path)
    line = _line_of(MAUTRIX, "sender_localpart")
    (warning,) = [w for w in reg.warnings if "sender_localpart" in w.message]
    assert (warning.line, warning.severity) == (line, "warning")
    assert "upper-case letters" in warning.message
    with pytest.raises(
        RegistrationError, match=rf":{line}: sender_localpart 'Xq3_Vb-9kLm2TzR8' has upper-case"
    ):
        load_registration(path, strict=True)
    strict = check_registration(parse_registration(MAUTRIX), strict=True)
    assert [p.severity for p in strict] == ["error"]
    spaced = GOOD.replace("sender_localpart: _irc_bot", "sender_localpart: Irc Bot")
    (problem,) = check_registration(parse_registration(spaced))
    assert problem.severity == "error" and "is not a valid localpart" in problem.message


def test_a_file_others_can_read_gets_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "reg.yaml", GOOD)
    path.chmod(0o644)
    (warning,) = load_registration(path).warnings
    assert str(warning) == (
        f"{path}: warning: other users have access to the file (mode 0644) and it holds "
        "as_token and hs_token; restrict it, e.g. chmod 600"
    )
    path.chmod(0o600)
    assert load_registration(path).warnings == []


CATASTROPHIC = [
    "(a+)+$",
    "(a*)*",
    "(a|a)*",
    "(.*a){20}",
    "(a|aa)+$",
    "(a?){30}a{30}",
    r"@(\w+\w+)+:x",
]
HARMLESS = [
    r"@_irc_.*:example\.org", r"@discord_[0-9]+:example\.com", r"(\.[a-z]+)+", "(?:[a-z]+_)*[a-z]+",
    "(a+b)+", "a++", "(?>a+)+", "(ab){3}", "(a{2})+",
]  # fmt: skip


def _regex_problems(regex: str) -> list[str]:
    data = {
        "id": "x", "url": None, "as_token": "a" * 20, "hs_token": "b" * 20,
        "sender_localpart": "bot", "namespaces": {"users": [{"regex": regex, "exclusive": True}]},
    }  # fmt: skip
    return [p.message for p in check_registration(LoadedRegistration("r.yaml", data))]


@pytest.mark.parametrize("regex", CATASTROPHIC)
def test_nested_quantifiers_are_found(regex: str) -> None:
    [problem] = _regex_problems(regex)
    assert "can take exponential time to match" in problem


@pytest.mark.parametrize("regex", HARMLESS)
def test_ordinary_regexes_are_not_flagged(regex: str) -> None:
    assert _regex_problems(regex) == []


def test_catastrophic_regex_is_a_warning_unless_strict() -> None:
    text = GOOD.replace("@_irc_.*:example", "@_irc_(a+)+:example")
    line = _line_of(text, "regex: '@")
    (warning,) = check_registration(parse_registration(text, "r.yaml"))
    assert warning.severity == "warning" and warning.line == line
    assert (
        "namespaces.users[0].regex '@_irc_(a+)+:example\\.org' can take exponential time"
        in warning.message
    )
    (error,) = check_registration(parse_registration(text, "r.yaml"), strict=True)
    assert error.severity == "error" and error.message == warning.message


def test_matcher_accepts_what_load_registration_returns(tmp_path: Path) -> None:
    loaded = load_registration(_write(tmp_path, "reg.yaml", GOOD))
    matcher = NamespaceMatcher(loaded)
    assert matcher.user_is_exclusive("@_irc_alice:example.org")
    assert not matcher.matches_user("@bob:example.org")


def test_identifiers_over_255_bytes_are_in_no_namespace() -> None:
    matcher = NamespaceMatcher(parse_registration(GOOD).model)
    fits = "@_irc_" + "a" * (255 - len("@_irc_:example.org")) + ":example.org"
    assert len(fits.encode()) == 255 and matcher.user_is_exclusive(fits)
    wide = "@_irc_" + "\u00e9" * 200 + ":example.org"  # 218 characters, 418 bytes
    for too_long in (
        fits.replace("@_irc_", "@_irc_a"),
        wide,
        "@_irc_" + "a" * 10**7 + ":example.org",
    ):
        assert not matcher.matches_user(too_long) and not matcher.user_is_exclusive(too_long)
    answer = matcher.explain("users", wide)
    assert (answer.matches, answer.exclusive) == (False, False)
    assert answer.reason.startswith("refused: the identifier is longer than 255 bytes in UTF-8")
    assert (
        matcher.explain("users", fits).reason
        == "matches the exclusive users regex '@_irc_.*:example\\.org'"
    )
    with pytest.raises(TypeError, match="must be a str"):
        matcher.matches_user(None)  # type: ignore[arg-type]


def _registration(*namespaces: tuple[str, bool]) -> dict[str, object]:
    data = json.loads(json.dumps(parse_registration(GOOD).data))
    data["namespaces"]["users"] = [{"regex": r, "exclusive": e} for r, e in namespaces]
    return data


def test_a_timed_out_match_raises_instead_of_answering_no() -> None:
    slow = "@(a|aa)+$"  # exponential on the regex engine too
    hostile = "@" + "a" * 60 + "!"
    matcher = NamespaceMatcher(_registration((slow, True)), timeout=0.01)
    for question in (matcher.user_is_exclusive, matcher.matches_user):
        with pytest.raises(NamespaceTimeoutError, match=r"took longer than 0\.01 s") as caught:
            question(hostile)
        assert isinstance(caught.value, ValueError) and caught.value.regex == slow
    # Another regex that answers yes settles the question; a timeout alone never means no.
    shared = NamespaceMatcher(_registration((slow, True), ("@a.*", False)), timeout=0.01)
    assert shared.matches_user(hostile)
    with pytest.raises(NamespaceTimeoutError):
        shared.user_is_exclusive(hostile)
    with pytest.raises(NamespaceTimeoutError):
        shared.explain("users", hostile)


@pytest.mark.parametrize(
    "url",
    ["http://localhost:9031", "https://bridge.example.org/prefix", "http://[::1]:9000", None],
)
def test_http_and_https_urls_with_a_host_pass_and_null_too(url: str | None) -> None:
    text = GOOD.replace("url: http://127.0.0.1:9000", f"url: {json.dumps(url)}")
    reg = parse_registration(text, "reg.yaml")
    assert [p for p in check_registration(reg, "v1.19") if "url" in p.message] == []
