"""The rules for tokens and URLs, as the clients and the registration checks apply them:
which are refused, and that no message shows the token or the password."""

from __future__ import annotations

import pytest
from matrix_appservice import check_registration
from matrix_appservice.client import AppServiceClient, HomeserverClient
from matrix_appservice.registration import LoadedRegistration

SECRET = "Secret-Token-0123456789"


def _registration(**changes: object) -> LoadedRegistration:
    data = {
        "id": "bridge", "url": "http://127.0.0.1:9009", "as_token": "as-" + SECRET,
        "hs_token": "hs-" + SECRET, "sender_localpart": "bot", "namespaces": {}, **changes,
    }  # fmt: skip
    return LoadedRegistration("r.yaml", data)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("", "is empty"),
        (" ", "is only whitespace"),
        ("\t\r\n ", "is only whitespace"),
        ("\u3000", "is only whitespace"),
        (f"{SECRET} x", "holds a space (character 24 of 25)"),
        (f"{SECRET}\n", "holds a line feed (character 24 of 24)"),
        (f"\r{SECRET}", "holds a carriage return (character 1 of 24)"),
        (f"{SECRET}\tx", "holds a tab"),
        (f"{SECRET}\x00", "holds a control character"),
        (f"{SECRET}\x7f", "holds a control character"),
        (f"{SECRET}\u00e9", "holds a non-ASCII character"),
        (f"{SECRET}\u00a0x", "holds a space character"),
        (b"bytes", "must be a string, not bytes"),
        (None, "must be a string, not NoneType"),
    ],
)
def test_unusable_tokens_are_refused_without_showing_them(token: object, expected: str) -> None:
    with pytest.raises(ValueError, match=r"^hs_token ") as caught:
        AppServiceClient("http://as", token)  # type: ignore[arg-type]
    assert expected in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET[:8] not in str(caught.value)
    if isinstance(token, str):
        problems = check_registration(_registration(hs_token=token))
        assert any(expected in p.message for p in problems), problems
        assert all(SECRET[:8] not in p.message for p in problems)


@pytest.mark.parametrize("token", ["a", "to", "!", "~" * 40, SECRET, "x/y+z=%&#\"'<>\\"])
def test_printable_ascii_tokens_of_any_length_are_accepted(token: str) -> None:
    with HomeserverClient("http://hs", token):
        pass
    errors = [p for p in check_registration(_registration(as_token=token)) if p.severity == "error"]
    assert errors == []


def test_short_tokens_get_a_warning_that_names_the_threshold() -> None:
    assert check_registration(_registration(as_token="x" * 16)) == []
    [warning] = check_registration(_registration(as_token="x" * 15))
    assert warning.severity == "warning"
    assert "15 characters" in warning.message and "shorter than 16" in warning.message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:pa55word@host", "http://***@host"),
        ("https://alice@host:8448/path", "https://***@host:8448/path"),
        ("http://:pa55word@host", "http://***@host"),
        ("HTTP://alice:pa55word@host", "HTTP://***@host"),
        ("http://us@er:pa55word@host/x?y", "http://***@host/x?y"),
        ("  http://alice:pa55word@host  ", "http://***@host"),
        ("http://alice:pa\t55\nword@host", "http://***@host"),
        ("//alice:pa55word@host", "//***@host"),
        ("alice:pa55word@host:8008", "***@host:8008"),
    ],
)
def test_urls_with_user_info_are_refused_and_shown_without_it(url: str, shown: str) -> None:
    with pytest.raises(ValueError) as caught:
        HomeserverClient(url, SECRET)
    assert str(caught.value).startswith(f"base_url {shown!r} holds user info")
    assert "pa55" not in str(caught.value) and "alice" not in str(caught.value)
    problems = check_registration(_registration(url=url))
    assert any(repr(shown) in p.message for p in problems), problems
    assert all("pa55" not in p.message for p in problems)


@pytest.mark.parametrize(
    "url",
    [
        "http://host",
        "http://127.0.0.1:9000/_matrix/app?x=@y",
        "http://host/path@not-user-info",
        "http://host#frag@ment",
        "http://[::1]:8008",
    ],
)
def test_urls_without_user_info_pass_unchanged(url: str) -> None:
    with HomeserverClient(url, SECRET):
        pass
    assert all("user info" not in p.message for p in check_registration(_registration(url=url)))
