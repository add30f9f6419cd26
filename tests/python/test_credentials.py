"""The rules for tokens and URLs (``matrix_appservice._credentials``): which are refused, and
that no message shows the token or the password."""

from __future__ import annotations

import pytest
from matrix_appservice._credentials import (
    SHORT_TOKEN,
    hide_userinfo,
    require_plain_url,
    require_token,
    token_problem,
    token_warning,
    userinfo_problem,
)

SECRET = "Secret-Token-0123456789"


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
    problem = token_problem(token)
    assert problem is not None and expected in problem
    with pytest.raises(ValueError, match=r"^hs_token ") as caught:
        require_token("hs_token", token)
    assert SECRET not in str(caught.value) and SECRET[:8] not in str(caught.value)


@pytest.mark.parametrize("token", ["a", "to", "!", "~" * 40, SECRET, "x/y+z=%&#\"'<>\\"])
def test_printable_ascii_tokens_of_any_length_are_accepted(token: str) -> None:
    assert token_problem(token) is None
    assert require_token("as_token", token) == token


def test_short_tokens_get_a_warning_that_names_the_threshold() -> None:
    assert SHORT_TOKEN == 16
    assert token_warning("x" * 16) is None
    warning = token_warning("x" * 15)
    assert warning is not None and "15 characters" in warning and "shorter than 16" in warning


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
    assert hide_userinfo(url) == shown
    problem = userinfo_problem(url)
    assert problem is not None and repr(shown) in problem
    with pytest.raises(ValueError) as caught:
        require_plain_url("base_url", url)
    assert str(caught.value).startswith(f"base_url {shown!r} holds user info")
    assert "pa55" not in str(caught.value) and "alice" not in str(caught.value)


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
    assert userinfo_problem(url) is None
    assert hide_userinfo(url) == url
    assert require_plain_url("base_url", url) == url
