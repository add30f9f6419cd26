"""Routing and authentication: status codes and errcodes the spec asks of an appservice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from matrix_appservice import validate
from matrix_appservice.server import AppServiceHandler, create_app

from tests.python.server.support import (
    AUTH,
    HS_TOKEN,
    TXN,
    asgi_request,
    registration,
    run,
    serving,
)

BODY = {"events": []}


async def _put(client: httpx.AsyncClient, url: str, headers: Any = None) -> httpx.Response:
    return await client.put(url, json=BODY, headers=headers or {})


def _errcode(response: httpx.Response) -> str:
    return str(response.json()["errcode"])


def test_no_token_is_401_missing_token() -> None:
    async def go() -> None:
        async with serving(AppServiceHandler()) as (client, _):
            response = await _put(client, TXN + "1")
            assert response.status_code == 401 and _errcode(response) == "M_MISSING_TOKEN"
            assert validate(response.content, response="sendTransaction", status=401).valid
            other_scheme = await _put(client, TXN + "1", {"Authorization": f"Basic {HS_TOKEN}"})
            assert other_scheme.status_code == 401

    run(go())


def test_wrong_token_is_403_forbidden() -> None:
    async def go() -> None:
        async with serving(AppServiceHandler()) as (client, _):
            for token in ("nope", HS_TOKEN + "x", HS_TOKEN[:-1], "registration-as-token"):
                response = await _put(client, TXN + "1", {"Authorization": f"Bearer {token}"})
                assert response.status_code == 403 and _errcode(response) == "M_FORBIDDEN"
                assert validate(response.content, response="sendTransaction", status=403).valid
            ok = await _put(client, TXN + "1", {"Authorization": f"bearer  {HS_TOKEN}"})
            assert ok.status_code == 200

    run(go())


def test_query_token_accepted_only_where_enabled() -> None:
    async def go() -> None:
        url = f"{TXN}1?access_token={HS_TOKEN}"
        async with serving(AppServiceHandler(), legacy_query_auth=True) as (client, _):
            assert (await _put(client, url)).status_code == 200
            wrong = await _put(client, f"{TXN}2?access_token=nope")
            assert wrong.status_code == 403 and _errcode(wrong) == "M_FORBIDDEN"
        async with serving(AppServiceHandler()) as (client, app):
            assert app.legacy_query_auth is False  # the latest release sends a header
            refused = await _put(client, url)
            assert refused.status_code == 401 and "Bearer" in refused.json()["error"]
        async with serving(AppServiceHandler(), version="v1.3") as (client, app):
            assert app.legacy_query_auth is True  # before v1.4 the token came in the query
            assert (await _put(client, url)).status_code == 200

    run(go())


def test_header_and_query_must_agree() -> None:
    async def go() -> None:
        for legacy in (True, False):
            async with serving(AppServiceHandler(), legacy_query_auth=legacy) as (client, _):
                agree = await _put(client, f"{TXN}1?access_token={HS_TOKEN}", AUTH)
                assert agree.status_code == 200
                differ = await _put(client, f"{TXN}2?access_token=other", AUTH)
                assert differ.status_code == 403 and _errcode(differ) == "M_FORBIDDEN"
                two = await _put(client, f"{TXN}3?access_token={HS_TOKEN}&access_token=other", AUTH)
                assert two.status_code == 403

    run(go())


def test_unknown_path_404_and_wrong_method_405() -> None:
    async def go() -> None:
        async with serving(AppServiceHandler()) as (client, _):
            for path in (
                "/_matrix/app/v1/nothing",
                "/",
                TXN,
                TXN + "1/extra",
                "/_matrix/app/v2/ping",
            ):
                response = await client.get(path, headers=AUTH)
                assert response.status_code == 404 and _errcode(response) == "M_UNRECOGNIZED"
            wrong = await client.get(TXN + "1", headers=AUTH)
            assert wrong.status_code == 405 and _errcode(wrong) == "M_UNRECOGNIZED"
            assert wrong.headers["allow"] == "PUT"
            assert validate(wrong.content, response="sendTransaction", status=405).valid
            # Routing comes before authentication: no token, still 404 / 405.
            assert (await client.get("/_matrix/app/v1/nothing")).status_code == 404
            assert (await client.delete("/_matrix/app/v1/ping")).status_code == 405

    run(go())


def test_operations_follow_the_release() -> None:
    async def go() -> None:
        async with serving(AppServiceHandler(), version="v1.6") as (client, _):
            ping = await client.post("/_matrix/app/v1/ping", json={}, headers=AUTH)
            assert ping.status_code == 404 and _errcode(ping) == "M_UNRECOGNIZED"
        async with serving(AppServiceHandler(), version="v1.7") as (client, _):
            assert (
                await client.post("/_matrix/app/v1/ping", json={}, headers=AUTH)
            ).status_code == 200

    run(go())


@pytest.mark.parametrize(
    ("legacy", "v1"),
    [
        ("/transactions/5", TXN + "5"),
        ("/users/%40_echo_a%3Aexample.org", "/_matrix/app/v1/users/%40_echo_a%3Aexample.org"),
        ("/rooms/%23_echo_r%3Aexample.org", "/_matrix/app/v1/rooms/%23_echo_r%3Aexample.org"),
        (
            "/_matrix/app/unstable/thirdparty/protocol/irc",
            "/_matrix/app/v1/thirdparty/protocol/irc",
        ),
        (
            "/_matrix/app/unstable/thirdparty/user?userid=x",
            "/_matrix/app/v1/thirdparty/user?userid=x",
        ),
    ],
)
def test_legacy_routes(legacy: str, v1: str) -> None:
    method = "PUT" if "transactions" in legacy else "GET"
    kwargs: dict[str, Any] = {"json": BODY} if method == "PUT" else {}

    async def go() -> None:
        async with serving(AppServiceHandler()) as (client, _):
            new = await client.request(method, v1, headers=AUTH, **kwargs)
            old = await client.request(method, legacy, headers=AUTH, **kwargs)
            assert old.status_code == new.status_code and old.json() == new.json()
            assert old.json().get("errcode") != "M_UNRECOGNIZED"
        async with serving(AppServiceHandler(), legacy_routes=False) as (client, _):
            off = await client.request(method, legacy, headers=AUTH, **kwargs)
            assert off.status_code == 404 and _errcode(off) == "M_UNRECOGNIZED"

    run(go())


def test_path_prefix_from_the_registration_url() -> None:
    async def go() -> None:
        reg = registration(url="http://127.0.0.1:9009/bridge/")
        async with serving(AppServiceHandler(), reg) as (client, _):
            assert (
                await client.put("/bridge" + TXN + "1", json=BODY, headers=AUTH)
            ).status_code == 200
            assert (await client.put(TXN + "1", json=BODY, headers=AUTH)).status_code == 404
            assert (
                await client.put("/bridge/transactions/2", json=BODY, headers=AUTH)
            ).status_code == 200

    run(go())


def test_path_segments_are_decoded_and_bad_encoding_refused() -> None:
    seen: list[str] = []

    class Users(AppServiceHandler):
        async def query_user(self, user_id: str) -> Any:
            seen.append(user_id)
            return {}

    async def go() -> None:
        async with serving(Users()) as (client, _):
            ok = await client.get("/_matrix/app/v1/users/%40_echo_%2Fa%3Aexample.org", headers=AUTH)
            assert ok.status_code == 200 and ok.json() == {}
            bad = await client.get("/_matrix/app/v1/users/%ff%fe", headers=AUTH)
            assert bad.status_code == 400 and _errcode(bad) == "M_INVALID_PARAM"

    run(go())
    assert seen == ["@_echo_/a:example.org"]


# What Synapse sends: ``urllib.parse.quote`` keeps "/" unencoded in the user ID and alias.
SYNAPSE_QUERIES = [
    (b"/_matrix/app/v1/users/%40ghost/x%3Aexample.org", "user", "@ghost/x:example.org"),
    (b"/users/%40ghost/x%3Aexample.org", "user", "@ghost/x:example.org"),
    (b"/_matrix/app/v1/rooms/%23ghost/x/y%3Aexample.org", "alias", "#ghost/x/y:example.org"),
    (b"/rooms/%23ghost/x/y%3Aexample.org", "alias", "#ghost/x/y:example.org"),
]


class Queries(AppServiceHandler):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def query_user(self, user_id: str) -> Any:
        self.seen.append(("user", user_id))
        return {}

    async def query_room_alias(self, room_alias: str) -> Any:
        self.seen.append(("alias", room_alias))
        return {}


@pytest.mark.parametrize(("path", "kind", "expected"), SYNAPSE_QUERIES)
def test_a_slash_left_unencoded_in_a_user_id_or_alias_reaches_the_handler(
    path: bytes, kind: str, expected: str
) -> None:
    handler = Queries()
    auth = [(b"authorization", f"Bearer {HS_TOKEN}".encode())]

    async def go() -> tuple[int, bytes]:
        app = create_app(registration(), handler, store="memory")
        try:
            status, _, body, _ = await asgi_request(app, "GET", path, headers=auth)
            return status, body
        finally:
            await app.close()

    assert run(go()) == (200, b"{}")
    assert handler.seen == [(kind, expected)]


def test_create_app_refuses_bad_arguments(tmp_path: Any) -> None:
    from matrix_appservice import RegistrationError
    from matrix_appservice.server import create_app

    with pytest.raises(TypeError, match="instance, not a class"):
        create_app(registration(), AppServiceHandler)  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="as_token and hs_token must differ"):
        create_app(registration(hs_token="same", as_token="same"), AppServiceHandler())
    with pytest.raises(ValueError, match="unknown store"):
        create_app(registration(), AppServiceHandler(), store="redis://x")
