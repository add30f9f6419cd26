"""Authentication and identity assertion, resolved by the app before the handler runs."""

from __future__ import annotations

import asyncio

import pytest
from matrix_appservice.errors import ForbiddenError, UnknownTokenError

from tests.python.homeserver.support import AS_TOKEN, homeserver, raw, registration

SEND = "/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _room(client, user: str) -> str:  # type: ignore[no-untyped-def]
    answer = await client.as_user(user).request(
        "POST", "/_matrix/client/v3/createRoom", json={"preset": "public_chat"}
    )
    return str(answer["room_id"])


def test_missing_and_unknown_tokens() -> None:
    async def main() -> None:
        async with homeserver() as (_, hs), raw(hs) as http:
            answer = await http.get("/_matrix/client/v3/account/whoami")
            assert (answer.status_code, answer.json()["errcode"]) == (401, "M_MISSING_TOKEN")
            answer = await http.get(
                "/_matrix/client/v3/account/whoami", headers={"Authorization": "Bearer nope"}
            )
            assert (answer.status_code, answer.json()["errcode"]) == (401, "M_UNKNOWN_TOKEN")
            answer = await http.get(
                "/_matrix/client/v3/account/whoami", params={"access_token": AS_TOKEN}
            )
            assert answer.status_code == 200
            assert answer.json()["user_id"] == "@ircbot:localhost"

    run(main())


def test_query_token_only_where_the_release_allows_it() -> None:
    path = "/_matrix/client/v3/directory/list/appservice/libera/!r:localhost"
    body = {"visibility": "public"}

    async def main(version: str) -> int:
        async with homeserver(version=version) as (_, hs), raw(hs) as http:
            answer = await http.put(path, json=body, params={"access_token": AS_TOKEN})
            return answer.status_code

    # v1.19 allows the access_token parameter here (room unknown: 400 after auth);
    # unstable takes the header only.
    assert run(main("v1.19")) == 400
    assert run(main("unstable")) == 401


def test_identity_assertion_inside_namespace_registered() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs):
            await client.register(username="_irc_alice", inhibit_login=True)
            alice = client.as_user("@_irc_alice:localhost")
            room = await _room(client, "@_irc_alice:localhost")
            sent = await alice.send_message(room, "m.room.message", "t1", {"body": "hi"})
            assert hs.state.events[sent.event_id]["sender"] == "@_irc_alice:localhost"
            who = await alice.request("GET", "/_matrix/client/v3/account/whoami")
            assert who["user_id"] == "@_irc_alice:localhost"

    run(main())


def test_identity_assertion_refused_outside_namespace_and_for_unregistered() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs):
            hs.state.add_user("@bob:localhost")
            with pytest.raises(ForbiddenError, match="outside"):
                await client.as_user("@bob:localhost").request(
                    "GET", "/_matrix/client/v3/account/whoami"
                )
            with pytest.raises(ForbiddenError, match="not registered"):
                await client.as_user("@_irc_ghost:localhost").request(
                    "GET", "/_matrix/client/v3/account/whoami"
                )

    run(main())


@pytest.mark.parametrize(
    ("version", "param", "honoured"),
    [
        ("v1.16", "device_id", False),
        ("v1.17", "device_id", True),
        ("unstable", "org.matrix.msc3202.device_id", True),
        ("v1.19", "org.matrix.msc3202.device_id", False),
    ],
)
def test_device_assertion_per_release(version: str, param: str, honoured: bool) -> None:
    async def main() -> None:
        async with homeserver(version=version) as (client, hs), raw(hs) as http:
            await client.register(username="_irc_alice", inhibit_login=True)
            hs.state.new_session("@_irc_alice:localhost", "ALICEDEV")
            room = await _room(client, "@_irc_alice:localhost")
            prefix = "r0" if version == "v1.0" else "v3"
            url = SEND.format(room=room, txn="t9").replace("/v3/", f"/{prefix}/")
            auth = {"Authorization": f"Bearer {AS_TOKEN}"}
            query = {"user_id": "@_irc_alice:localhost", param: "NOSUCHDEV"}
            answer = await http.put(url, json={"body": "x"}, params=query, headers=auth)
            if honoured:
                assert (answer.status_code, answer.json()["errcode"]) == (400, "M_UNKNOWN_DEVICE")
            else:
                assert answer.status_code == 200
            query[param] = "ALICEDEV"
            answer = await http.get("/_matrix/client/v3/account/whoami", params=query, headers=auth)
            assert answer.json().get("device_id") == ("ALICEDEV" if honoured else None)

    run(main())


def test_bad_bodies() -> None:
    async def main() -> None:
        async with homeserver() as (_client, hs), raw(hs) as http:
            auth = {"Authorization": f"Bearer {AS_TOKEN}"}
            answer = await http.post("/_matrix/client/v3/register", content=b"{nope", headers=auth)
            assert (answer.status_code, answer.json()["errcode"]) == (400, "M_NOT_JSON")
            answer = await http.post(
                "/_matrix/client/v3/register", json={"username": 5}, headers=auth
            )
            assert (answer.status_code, answer.json()["errcode"]) == (400, "M_BAD_JSON")
            assert "username" in answer.json()["error"]

    run(main())


def test_user_token_from_register_authenticates_as_that_user() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs), raw(hs) as http:
            made = await client.register(username="_irc_carol")
            assert made.access_token and made.device_id
            answer = await http.get(
                "/_matrix/client/v3/account/whoami",
                headers={"Authorization": f"Bearer {made.access_token}"},
            )
            assert answer.json() == {
                "user_id": "@_irc_carol:localhost",
                "device_id": made.device_id,
                "is_guest": False,
            }

    run(main())


def test_unknown_token_error_class() -> None:
    async def main() -> None:
        async with homeserver(token="wrong") as (client, _):
            with pytest.raises(UnknownTokenError):
                await client.register(username="_irc_x", inhibit_login=True)

    run(main())


def test_unknown_path_and_method() -> None:
    async def main() -> None:
        async with homeserver(registration()) as (_, hs), raw(hs) as http:
            answer = await http.get("/_matrix/client/v3/nowhere")
            assert (answer.status_code, answer.json()["errcode"]) == (404, "M_UNRECOGNIZED")
            answer = await http.delete("/_matrix/client/v3/createRoom")
            assert answer.status_code == 405
            assert answer.headers["allow"] == "POST"

    run(main())
