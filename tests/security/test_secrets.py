"""Tokens are compared in constant time and never show up in logs or exception texts."""

from __future__ import annotations

import asyncio
import hmac
import logging
import traceback
from typing import Any

import httpx
import pytest
from matrix_appservice.client import AsyncAppServiceClient, AsyncHomeserverClient, RetryPolicy
from matrix_appservice.homeserver import InMemoryHomeserver
from matrix_appservice.server import AppServiceHandler, create_app

from tests.python.homeserver.support import AS_TOKEN, HS_TOKEN, loaded, registration

WRONG = "wrong-secret-5e2a91"
SECRETS = (AS_TOKEN, HS_TOKEN, WRONG)
TXN = "/_matrix/app/v1/transactions/"
CS = "/_matrix/client/v3"
ONCE = RetryPolicy(initial=0, max_attempts=1)


def _requests(app: Any, calls: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://x"
        ) as http:
            return [await http.request(m, p, **kw) for m, p, kw in calls]

    return asyncio.run(main())


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Every pair given to hmac.compare_digest."""
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def recording(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return calls


def _seen(calls: list[tuple[Any, Any]], token: str) -> bool:
    needle = token.encode()
    return any(needle in bytes(x) if isinstance(x, bytes) else token in x for c in calls for x in c)


def test_the_appservice_server_compares_the_token_with_compare_digest(
    compared: list[tuple[Any, Any]],
) -> None:
    app = create_app(registration(), AppServiceHandler(), legacy_query_auth=True)
    body = {"json": {"events": []}}
    paths = [
        ("header", {"headers": {"Authorization": f"Bearer {WRONG}"}}),
        ("header with spaces", {"headers": {"Authorization": f"bearer  {WRONG} "}}),
        ("query", {"params": {"access_token": WRONG}}),
    ]
    for n, (what, kwargs) in enumerate(paths):
        compared.clear()
        (answer,) = _requests(app, [("PUT", f"{TXN}t{n}", {**body, **kwargs})])
        assert answer.status_code == 403, what
        assert _seen(compared, WRONG), f"{what}: the token was not compared with compare_digest"


def test_the_homeserver_compares_the_as_token_with_compare_digest(
    compared: list[tuple[Any, Any]],
) -> None:
    hs = InMemoryHomeserver(loaded(registration()), version="v1.19")
    path = f"{CS}/thirdparty/protocols"
    for what, kwargs in (
        ("header", {"headers": {"Authorization": f"Bearer {WRONG}"}}),
        ("query", {"params": {"access_token": WRONG}}),
    ):
        compared.clear()
        (answer,) = _requests(hs.app, [("GET", path, kwargs)])
        assert answer.status_code == 401, what
        assert _seen(compared, WRONG), f"{what}: the token was not compared with compare_digest"


def _everything(error: BaseException) -> str:
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    return "\n".join(parts)


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


class Failing(AppServiceHandler):
    async def send_transaction(self, transaction: Any) -> None:
        raise RuntimeError("the bridge's database is down")


def test_the_appservice_server_logs_no_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(registration(), Failing(), legacy_query_auth=True, access_log=True)
    body = {"events": []}
    answers = _requests(
        app,
        [
            ("PUT", f"{TXN}a", {"json": body, "headers": {"Authorization": f"Bearer {HS_TOKEN}"}}),
            ("PUT", f"{TXN}b", {"json": body, "params": {"access_token": HS_TOKEN}}),
            ("PUT", f"{TXN}c", {"json": body, "params": {"access_token": WRONG}}),
            ("GET", "/_matrix/app/v1/users/@x:y", {"params": {"access_token": WRONG}}),
            ("PUT", f"{TXN}d", {"content": b"{", "headers": {"Authorization": f"Bearer {WRONG}"}}),
        ],
    )
    assert [a.status_code for a in answers] == [500, 500, 403, 403, 403]
    assert caplog.records, "nothing was logged: the check would pass vacuously"
    _assert_no_secret(caplog.text)
    _assert_no_secret("\n".join(a.text for a in answers))


def test_the_homeserver_logs_no_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hs = InMemoryHomeserver(loaded(registration()), version="v1.19")
    answers = _requests(
        hs.app,
        [
            ("GET", f"{CS}/thirdparty/protocols", {"params": {"access_token": WRONG}}),
            ("GET", f"{CS}/thirdparty/protocols", {"params": {"access_token": AS_TOKEN}}),
            (
                "GET",
                f"{CS}/thirdparty/protocols",
                {"params": {"user_id": "@a:b"}, "headers": {"Authorization": f"Bearer {AS_TOKEN}"}},
            ),
        ],
    )
    assert [a.status_code for a in answers] == [401, 404, 403]
    _assert_no_secret(caplog.text)
    _assert_no_secret("\n".join(a.text for a in answers))


def test_the_clients_put_no_token_in_exceptions_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hs = InMemoryHomeserver(loaded(registration()), version="v1.19")
    appservice = create_app(registration(), Failing())
    errors: list[BaseException] = []

    async def main() -> None:
        async with AsyncHomeserverClient(
            "http://hs", WRONG, transport=httpx.ASGITransport(app=hs.app)
        ) as client:
            try:
                await client.get_protocols()
            except Exception as exc:
                errors.append(exc)
        for version in ("v1.3", "v1.19"):  # the token as a query parameter, then a header
            async with AsyncAppServiceClient(
                "http://as", HS_TOKEN, version=version, retry=ONCE,
                transport=httpx.ASGITransport(app=appservice),
            ) as client:  # fmt: skip
                try:
                    await client.send_transaction(f"t-{version}", {"events": []})
                except Exception as exc:
                    errors.append(exc)
        async with AsyncAppServiceClient(
            "http://127.0.0.1:9", HS_TOKEN, version="v1.3", timeout=2, retry=ONCE
        ) as client:  # nothing listens on the discard port: the error text holds the URL
            try:
                await client.query_user("@a:b")
            except Exception as exc:
                errors.append(exc)

    asyncio.run(main())
    assert len(errors) == 4, errors
    for error in errors:
        _assert_no_secret(_everything(error))
    _assert_no_secret(caplog.text)
