"""Shared pieces of the homeserver tests: registrations and an in-process homeserver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from matrix_appservice.client import AsyncHomeserverClient
from matrix_appservice.homeserver import InMemoryHomeserver
from matrix_appservice.registration import LoadedRegistration

AS_TOKEN = "as-secret-4c1d9e"
HS_TOKEN = "hs-secret-0a7b3f"
OTHER_AS_TOKEN = "as-secret-other-77"


def registration(**changes: Any) -> dict[str, Any]:
    reg: dict[str, Any] = {
        "id": "irc",
        "url": None,
        "as_token": AS_TOKEN,
        "hs_token": HS_TOKEN,
        "sender_localpart": "ircbot",
        "namespaces": {
            "users": [{"regex": "@_irc_.*:localhost", "exclusive": True}],
            "aliases": [{"regex": "#_irc_.*:localhost", "exclusive": True}],
        },
    }
    reg.update(changes)
    return reg


def other_registration() -> dict[str, Any]:
    return registration(
        id="slack",
        as_token=OTHER_AS_TOKEN,
        hs_token="hs-secret-other-88",
        sender_localpart="slackbot",
        namespaces={"users": [{"regex": "@_slack_.*:localhost", "exclusive": True}]},
    )


def loaded(*regs: dict[str, Any]) -> list[LoadedRegistration]:
    return [LoadedRegistration(f"<{r['id']}>", r) for r in regs]


@asynccontextmanager
async def homeserver(
    *regs: dict[str, Any], token: str = AS_TOKEN, **options: Any
) -> AsyncIterator[tuple[AsyncHomeserverClient, InMemoryHomeserver]]:
    """An in-memory homeserver and our client talking to it in-process."""
    version = options.pop("client_version", options.get("version"))
    hs = InMemoryHomeserver(loaded(*(regs or (registration(),))), **options)
    transport = httpx.ASGITransport(app=hs.app)
    async with AsyncHomeserverClient(
        "http://hs", token, version=version, transport=transport
    ) as client:
        yield client, hs


def raw(hs: InMemoryHomeserver) -> httpx.AsyncClient:
    """A plain HTTP client on the app, for what our client will not send."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=hs.app), base_url="http://hs")
