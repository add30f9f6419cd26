"""The in-memory homeserver never matches an empty token: registrations with an unusable
``as_token`` or ``hs_token`` (or a ``url`` with a password) are refused however they come,
and an empty bearer or ``access_token`` is a missing token, even to a user-token lookup
that would take it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from matrix_appservice.homeserver import InMemoryHomeserver
from matrix_appservice.homeserver.pusher import Pusher
from matrix_appservice.models import Registration
from matrix_appservice.registration import RegistrationError

from tests.python.homeserver.support import loaded, raw, registration

UNUSABLE = ["", " ", "as-secret 4c1d9e", "as-secret-4c1d9e\n", "as-secret-4c1d9e\u00e9"]


@pytest.mark.parametrize("field", ["as_token", "hs_token"])
@pytest.mark.parametrize("token", UNUSABLE)
def test_a_registration_with_an_unusable_token_is_refused(field: str, token: str) -> None:
    reg = registration(**{field: token})
    with pytest.raises(RegistrationError, match=f"<irc>:1: {field} "):
        InMemoryHomeserver(loaded(reg))
    with pytest.raises(ValueError, match=f"the registration 'irc': {field} "):
        InMemoryHomeserver([Registration.model_validate(reg)])


def test_a_pusher_refuses_models_it_could_not_deliver_with(tmp_path: Path) -> None:
    store = tmp_path / "pusher.sqlite3"
    empty = Registration.model_validate(registration(hs_token="", url="http://127.0.0.1:9"))
    with pytest.raises(ValueError, match="the registration 'irc': hs_token is empty"):
        Pusher([empty], store_path=store)
    password = Registration.model_validate(registration(url="http://as:pa55word@127.0.0.1:9"))
    with pytest.raises(ValueError) as caught:
        Pusher([password], store_path=store)
    assert "'http://***@127.0.0.1:9'" in str(caught.value) and "pa55word" not in str(caught.value)


@pytest.mark.parametrize(
    "request_options",
    [
        {"headers": {"Authorization": "Bearer "}},
        {"headers": {"Authorization": "Bearer  \t"}},
        {"params": {"access_token": ""}},
    ],
)
def test_an_empty_token_is_missing_even_where_a_user_token_lookup_takes_it(
    request_options: dict[str, dict[str, str]],
) -> None:
    reg = registration(url="http://127.0.0.1:9")
    hs = InMemoryHomeserver(loaded(reg), version="v1.1")  # query tokens are allowed
    asked: list[str] = []
    lookup = hs.user_for_token

    async def recording(token: str) -> tuple[str, str | None] | None:
        asked.append(token)
        return await lookup(token)

    hs.user_for_token = recording  # type: ignore[method-assign]
    hs.state.tokens[""] = hs.state.tokens[" "] = ("@ircbot:localhost", "DEVICE")

    async def main() -> tuple[int, str]:
        async with raw(hs) as http:
            answer = await http.get("/_matrix/client/v3/account/whoami", **request_options)  # type: ignore[arg-type]
            return answer.status_code, answer.json()["errcode"]

    assert asyncio.run(main()) == (401, "M_MISSING_TOKEN")
    assert asked == []
