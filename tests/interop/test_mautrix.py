"""The generated homeserver→appservice client against mautrix-python's appservice server.

``AsyncAppServiceClient`` (with ``validate=True``) pushes transactions to a real
``mautrix.appservice.AppService`` on loopback, whose event handlers must see every event,
ephemeral ones included when mautrix takes them, and asks it about users and aliases, which
reach mautrix's ``query_user`` / ``query_alias`` callbacks.

Two habits of mautrix 0.21 shape the cases here. A found user or alias is answered with the
callback's own body, so the callback must return a non-empty object (an empty one, the spec's
answer, makes mautrix say 404). A not-found query is answered ``404 {}``, without the
``errcode`` the spec's error body requires: both clients raise ``NotFoundError`` with
``errcode`` None, and a checking one attaches the schema problem as its ``validation``;
and since a 404 without an errcode is also what an appservice without the v1 routes says,
the client asks again on the legacy route (which mautrix serves too).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import pytest
from matrix_appservice import models
from matrix_appservice.client import AppServiceClient, AsyncAppServiceClient, RetryPolicy
from matrix_appservice.errors import NotFoundError, ResponseValidationError, UnknownTokenError

from tests.interop import mautrix_peer
from tests.interop.mautrix_peer import MautrixPeer

HS_TOKEN = "hs_token_mautrix_0123456789"
ROOM = "!bridged:localhost"
ALICE = "@alice:localhost"


def _transaction(tag: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "type": "m.room.message",
                "event_id": f"${tag}-message",
                "room_id": ROOM,
                "sender": ALICE,
                "origin_server_ts": 1_700_000_000_000,
                "content": {"msgtype": "m.text", "body": f"hello {tag}"},
            },
            {
                "type": "m.room.member",
                "event_id": f"${tag}-member",
                "room_id": ROOM,
                "sender": ALICE,
                "state_key": ALICE,
                "origin_server_ts": 1_700_000_000_001,
                "content": {"membership": "join"},
            },
        ],
        "ephemeral": [
            {"type": "m.typing", "room_id": ROOM, "content": {"user_ids": [ALICE]}},
            {
                "type": "m.receipt",
                "room_id": ROOM,
                "content": {f"${tag}-message": {"m.read": {ALICE: {"ts": 1_700_000_000_002}}}},
            },
        ],
    }


def _seen(peer: MautrixPeer) -> list[tuple[str, str, str | None]]:
    return [(str(e.type), e.type.t_class.name, getattr(e, "event_id", None)) for e in peer.events]


@pytest.mark.parametrize(("auth", "ephemeral"), [("header", True), ("query", False)])
def test_transactions_reach_the_handlers(auth: str, ephemeral: bool) -> None:
    async def scenario() -> None:
        async with (
            mautrix_peer.serve(HS_TOKEN, ephemeral=ephemeral) as peer,
            AsyncAppServiceClient(peer.base_url, HS_TOKEN, auth=auth, validate=True) as client,
        ):
            answer = await client.send_transaction("txn-1", _transaction("one"))
            assert isinstance(answer, models.TransactionResponse)
            expected = [
                ("m.room.message", "MESSAGE", "$one-message"),
                ("m.room.member", "STATE", "$one-member"),
            ]
            if ephemeral:  # mautrix hands the ephemeral events to the handlers first
                expected[:0] = [("m.typing", "EPHEMERAL", None), ("m.receipt", "EPHEMERAL", None)]
            assert _seen(peer) == expected
            message = peer.events[-2]
            assert message.content.body == "hello one" and message.sender == ALICE
            if ephemeral:
                assert peer.events[0].content.user_ids == [ALICE]

            # A retried transaction id is acknowledged without handling the events again.
            await client.send_transaction("txn-1", _transaction("one"))
            assert len(peer.events) == len(expected)
            # A typed model is as good a body as a mapping.
            body = models.Transaction.model_validate(_transaction("two"))
            await client.send_transaction("txn-2", body)
            assert [e for _, _, e in _seen(peer)[len(expected) :] if e] == [
                "$two-message",
                "$two-member",
            ]

            paths = [r.path for r in peer.requests]
            assert paths == [f"/_matrix/app/v1/transactions/txn-{n}" for n in (1, 1, 2)]
            for arrived in peer.requests:
                if auth == "header":
                    assert arrived.authorization == f"Bearer {HS_TOKEN}"
                    assert "access_token" not in arrived.query
                else:
                    assert arrived.query["access_token"] == HS_TOKEN
                    assert arrived.authorization is None

    asyncio.run(scenario())


def test_a_wrong_hs_token_is_refused_and_not_retried() -> None:
    async def scenario() -> None:
        async with (
            mautrix_peer.serve(HS_TOKEN) as peer,
            AsyncAppServiceClient(
                peer.base_url, "not-the-hs-token", validate=True,
                retry=RetryPolicy(initial=0.01, max_attempts=3),
            ) as client,
        ):  # fmt: skip
            with pytest.raises(UnknownTokenError) as caught:
                await client.send_transaction("txn-x", _transaction("x"))
            assert (caught.value.status, caught.value.errcode) == (401, "M_UNKNOWN_TOKEN")
            assert "not-the-hs-token" not in str(caught.value)
            assert len(peer.requests) == 1 and peer.events == []

    asyncio.run(scenario())


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
def test_user_and_alias_queries_found_and_not_found(backend: Literal["httpx", "aiohttp"]) -> None:
    async def query_user(user_id: str) -> dict[str, Any] | None:
        return {"bridged": True} if user_id.startswith("@mautrix_found") else None

    async def query_alias(alias: str) -> dict[str, Any] | None:
        return {"bridged": True} if alias.startswith("#mautrix_found") else None

    async def scenario() -> None:
        async with (
            mautrix_peer.serve(HS_TOKEN, query_user=query_user, query_alias=query_alias) as peer,
            AsyncAppServiceClient(
                peer.base_url, HS_TOKEN, validate=True, backend=backend
            ) as checking,
            AsyncAppServiceClient(peer.base_url, HS_TOKEN, backend=backend) as plain,
        ):
            user = await checking.query_user("@mautrix_found:localhost")
            assert isinstance(user, models.QueryUserResponse)
            assert user.model_extra == {"bridged": True}
            room = await checking.query_room_alias("#mautrix_found:localhost")
            assert isinstance(room, models.QueryRoomResponse)
            # The callbacks got the IDs whole: '@', ':' and the '#' (which would otherwise
            # start a URL fragment) travelled percent-encoded.
            assert peer.user_queries == ["@mautrix_found:localhost"]
            assert peer.alias_queries == ["#mautrix_found:localhost"]

            # Not found: mautrix answers 404 {}, a NotFoundError without an errcode. Checked
            # against the spec, that body lacks the errcode an error body must have: the
            # error says so in its validation.
            with pytest.raises(NotFoundError) as checked:
                await checking.query_user("@mautrix_missing:localhost")
            invalid = checked.value.validation
            assert isinstance(invalid, ResponseValidationError)
            assert (invalid.status, invalid.path) == (404, "$")
            assert "errcode" in str(invalid)
            with pytest.raises(NotFoundError) as missing:
                await plain.query_room_alias("#mautrix_missing:localhost")
            assert (missing.value.status, missing.value.errcode, missing.value.body) == (
                404,
                None,
                {},
            )
            assert "answered 404 (no errcode)" in str(missing.value)
            assert "/_matrix/app/v1/rooms/%23mautrix_missing%3Alocalhost" in str(missing.value)

            # A JSON 404 is an answer of the v1 route, not a sign that it is missing: no
            # query went to a legacy route, and the next ones stay on v1.
            again = await plain.query_room_alias("#mautrix_found:localhost")
            assert isinstance(again, models.QueryRoomResponse)
            assert isinstance(
                await plain.query_user("@mautrix_found:localhost"), models.QueryUserResponse
            )
            assert [r.path for r in peer.requests] == [
                "/_matrix/app/v1/users/@mautrix_found:localhost",
                "/_matrix/app/v1/rooms/#mautrix_found:localhost",
                "/_matrix/app/v1/users/@mautrix_missing:localhost",
                "/_matrix/app/v1/rooms/#mautrix_missing:localhost",
                "/_matrix/app/v1/rooms/#mautrix_found:localhost",
                "/_matrix/app/v1/users/@mautrix_found:localhost",
            ]

    asyncio.run(scenario())


def test_the_sync_client_pings_and_sends() -> None:
    def talk(base_url: str) -> tuple[models.PingResponse, models.TransactionResponse]:
        with AppServiceClient(base_url, HS_TOKEN, validate=True) as client:
            return client.ping(transaction_id="sync-ping-1"), client.send_transaction(
                "txn-s", _transaction("s")
            )

    async def scenario() -> None:
        async with mautrix_peer.serve(HS_TOKEN) as peer:
            # The blocking client runs in a thread while mautrix serves on this loop.
            pong, answer = await asyncio.to_thread(talk, peer.base_url)
            assert isinstance(pong, models.PingResponse)
            assert isinstance(answer, models.TransactionResponse)
            ping, pushed = peer.requests
            assert (ping.method, ping.path) == ("POST", "/_matrix/app/v1/ping")
            assert json.loads(ping.body) == {"transaction_id": "sync-ping-1"}
            assert pushed.path == "/_matrix/app/v1/transactions/txn-s"
            assert [getattr(e, "event_id", None) for e in peer.events] == [
                "$s-message",
                "$s-member",
            ]

    asyncio.run(scenario())
