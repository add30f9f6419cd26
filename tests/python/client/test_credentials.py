"""Every client, on every backend, refuses an unusable token and a base URL with user info
when it is made, and nothing it prints, logs or raises shows the password."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest
from matrix_appservice.client import (
    AppServiceClient,
    AsyncAppServiceClient,
    AsyncHomeserverClient,
    HomeserverClient,
)
from matrix_appservice.errors import ResponseValidationError

from tests.python.client.conftest import AS_TOKEN, Kit, Peer

CLIENTS: list[tuple[type[Any], dict[str, Any], str]] = [
    (AppServiceClient, {}, "hs_token"),
    (AsyncAppServiceClient, {}, "hs_token"),
    (AsyncAppServiceClient, {"backend": "aiohttp"}, "hs_token"),
    (HomeserverClient, {}, "as_token"),
    (AsyncHomeserverClient, {}, "as_token"),
    (AsyncHomeserverClient, {"backend": "aiohttp"}, "as_token"),
]
IDS = ["sync-as", "async-as", "aiohttp-as", "sync-hs", "async-hs", "aiohttp-hs"]
TOKEN = "client-secret-5d2c8e1f"
PASSWORD = "pa55-W0rd-9f3e"


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("", "is empty"),
        ("  ", "is only whitespace"),
        ("client secret 5d2c8e1f", "holds a space"),
        ("client-secret-5d2c8e1f\r\nX-Evil: 1", "holds a carriage return"),
        ("client-secret-\x005d2c8e1f", "holds a control character"),
        ("client-secret-5d2c8e1f\u00e9", "holds a non-ASCII character"),
    ],
)
@pytest.mark.parametrize(("cls", "options", "field"), CLIENTS, ids=IDS)
def test_a_client_refuses_an_unusable_token(
    cls: type[Any], options: dict[str, Any], field: str, token: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=f"^{field} {problem}") as caught:
        cls("http://127.0.0.1:9", token, **options)
    assert "5d2c8e1f" not in str(caught.value)


def _everything(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


@pytest.mark.parametrize(
    "userinfo", [f"bridge:{PASSWORD}@", f"{PASSWORD}@", f"bridge:{PASSWORD}@x@"]
)
@pytest.mark.parametrize(("cls", "options", "field"), CLIENTS, ids=IDS)
def test_a_client_refuses_a_base_url_with_user_info(
    cls: type[Any], options: dict[str, Any], field: str, userinfo: str,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    url = f"https://{userinfo}hs.example.org:8448"
    with pytest.raises(ValueError) as caught:
        cls(url, TOKEN, **options)
    assert str(caught.value).startswith(
        "base_url 'https://***@hs.example.org:8448' holds user info"
    )
    out, err = capsys.readouterr()
    for seen in (_everything(caught.value), caplog.text, out, err):
        assert PASSWORD not in seen and "bridge" not in seen and TOKEN not in seen


@pytest.mark.parametrize("before", [70, 75, 79])
def test_a_message_that_quotes_a_value_cut_short_holds_no_piece_of_the_token(
    kit: Kit, before: int
) -> None:
    # The validator cuts quoted values at 80 characters: the token must go before the cut.
    peer = Peer((200, {"duration_ms": "x" * before + AS_TOKEN}))
    with pytest.raises(ResponseValidationError) as caught:
        kit.run(kit.homeserver(peer, validate=True), "ping_appservice", "irc")
    text = _everything(caught.value) + "".join(caught.value.issues)
    assert AS_TOKEN[:5] not in text
    assert "x" * before + "<redacted>"[: 79 - before] + "\u2026" in text  # the marker, cut
    assert caught.value.path == "$.duration_ms"
