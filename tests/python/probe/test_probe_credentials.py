"""The ``Prober`` refuses an unusable ``hs_token`` and a target URL with user info when it is
made: it would send an empty bearer, or basic authentication instead of the token."""

from __future__ import annotations

import httpx
import pytest
from matrix_appservice.probe import Prober, Samples

SENT: list[httpx.Request] = []


def _answer(request: httpx.Request) -> httpx.Response:
    SENT.append(request)
    return httpx.Response(404)


def _client() -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(_answer))


@pytest.mark.parametrize("token", ["", "   ", "probe secret", "probe-secret\r\n"])
def test_the_prober_refuses_an_unusable_token(token: str) -> None:
    with (
        _client() as client,
        pytest.raises(ValueError, match=r"^hs_token (is empty|is only|holds)"),
    ):
        Prober(client, "http://as", token, "v1.19", Samples(None))
    assert SENT == []


def test_the_prober_refuses_a_url_with_user_info() -> None:
    with _client() as client, pytest.raises(ValueError) as caught:
        Prober(
            client, "http://probe:pa55word@as:9009/", "probe-secret-0123", "v1.19", Samples(None)
        )
    assert str(caught.value).startswith("base_url 'http://***@as:9009/' holds user info")
    assert "pa55word" not in str(caught.value) and "probe-secret" not in str(caught.value)
    assert SENT == []
