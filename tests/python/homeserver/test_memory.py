"""The in-memory homeserver: registration in namespaces, events with ts, ping, directories."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from matrix_appservice.errors import (
    ConnectionFailedError,
    ConnectionTimeoutError,
    ExclusiveError,
    ForbiddenError,
    MatrixError,
    UrlNotSetError,
)

from tests.python.homeserver.support import (
    OTHER_AS_TOKEN,
    homeserver,
    other_registration,
    raw,
    registration,
)

CS = "/_matrix/client/v3"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_register_inside_outside_namespaces_and_repeats() -> None:
    async def main() -> None:
        async with homeserver(registration(), other_registration()) as (client, hs):
            made = await client.register(username="_irc_alice", inhibit_login=True)
            assert made.user_id == "@_irc_alice:localhost"
            assert "@_irc_alice:localhost" in hs.state.users
            with pytest.raises(ExclusiveError):
                await client.register(username="alice", inhibit_login=True)
            with pytest.raises(ExclusiveError):  # another appservice's exclusive namespace
                await client.register(username="_slack_bob", inhibit_login=True)
            with pytest.raises(MatrixError) as repeat:
                await client.register(username="_irc_alice", inhibit_login=True)
            assert (repeat.value.status, repeat.value.errcode) == (400, "M_USER_IN_USE")
            assert "@alice:localhost" not in hs.state.users

    run(main())


def test_send_and_state_with_ts_read_back_and_pushed() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs):
            await client.register(username="_irc_alice", inhibit_login=True)
            alice = client.as_user("@_irc_alice:localhost")
            room = (await alice.request("POST", f"{CS}/createRoom", json={}))["room_id"]
            sent = await alice.send_message(
                room, "m.room.message", "t1", {"msgtype": "m.text", "body": "hi"}, ts=1234567
            )
            again = await alice.send_message(
                room, "m.room.message", "t1", {"msgtype": "m.text", "body": "hi"}, ts=1234567
            )
            assert again.event_id == sent.event_id  # one event per transaction ID
            state = await alice.set_room_state_with_key(
                room, "m.room.topic", "", {"topic": "bridged"}, ts=7654321
            )
            event = await alice.request("GET", f"{CS}/rooms/{room}/event/{sent.event_id}")
            assert event["origin_server_ts"] == 1234567
            assert event["content"]["body"] == "hi"
            topic = await alice.request("GET", f"{CS}/rooms/{room}/event/{state.event_id}")
            assert (topic["origin_server_ts"], topic["state_key"]) == (7654321, "")
            pushed = [e["event_id"] for e in hs.pusher.events]  # type: ignore[attr-defined]
            assert pushed.count(sent.event_id) == 1 and state.event_id in pushed
            page = await alice.request("GET", f"{CS}/rooms/{room}/messages", query={"limit": "2"})
            assert [e["event_id"] for e in page["chunk"]] == [state.event_id, sent.event_id]

    run(main())


def test_send_to_a_room_not_joined_is_forbidden() -> None:
    async def main() -> None:
        async with homeserver() as (client, _):
            await client.register(username="_irc_alice", inhibit_login=True)
            room = (await client.request("POST", f"{CS}/createRoom", json={}))["room_id"]
            with pytest.raises(ForbiddenError):
                await client.as_user("@_irc_alice:localhost").send_message(
                    room, "m.room.message", "t1", {"body": "x"}
                )

    run(main())


def _appservice(handler: Any) -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(handler)


def test_ping_success_and_error_mapping() -> None:
    seen: list[httpx.Request] = []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"errcode": "M_UNKNOWN", "error": "boom"})

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    reg = registration(url="http://127.0.0.1:9")

    async def ping(handler: Any, reg: dict[str, Any] = reg) -> Any:
        async with homeserver(reg, appservice_transport=_appservice(handler)) as (client, _):
            return await client.ping_appservice("irc", transaction_id="p1")

    answer = run(ping(ok))
    assert answer.duration_ms >= 0
    assert seen[0].url.path == "/_matrix/app/v1/ping"
    assert seen[0].headers["authorization"] == "Bearer hs-secret-0a7b3f"
    with pytest.raises(MatrixError) as bad:
        run(ping(broken))
    assert (bad.value.status, bad.value.errcode) == (502, "M_BAD_STATUS")
    assert bad.value.body["status"] == 500 and "boom" in bad.value.body["body"]
    with pytest.raises(ConnectionFailedError) as failed:
        run(ping(down))
    assert failed.value.status == 502
    with pytest.raises(ConnectionTimeoutError) as timeout:
        run(ping(slow))
    assert timeout.value.status == 504
    with pytest.raises(UrlNotSetError) as unset:
        run(ping(ok, registration()))
    assert unset.value.status == 400


def test_ping_of_another_appservice_is_forbidden() -> None:
    async def main() -> None:
        async with homeserver(registration(), other_registration()) as (client, _):
            with pytest.raises(ForbiddenError):
                await client.ping_appservice("slack")

    run(main())


def test_ping_a_real_appservice_that_is_down() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: refused

        async def main() -> None:
            reg = registration(url=f"http://127.0.0.1:{port}")
            async with homeserver(reg) as (client, _):
                with pytest.raises(ConnectionFailedError):
                    await client.ping_appservice("irc")

        run(main())


def test_room_directory_and_public_rooms_by_network() -> None:
    async def main() -> None:
        async with homeserver(registration(), other_registration()) as (client, hs):
            make = f"{CS}/createRoom"
            lobby = (await client.request("POST", make, json={"visibility": "public",
                                                               "name": "Lobby"}))["room_id"]  # fmt: skip
            libera = (await client.request("POST", make, json={"name": "libera"}))["room_id"]
            oftc = (await client.request("POST", make, json={"name": "oftc"}))["room_id"]
            await client.update_appservice_room_directory_visibility("libera", libera, "public")
            await client.update_appservice_room_directory_visibility("oftc", oftc, "public")
            await client.update_appservice_room_directory_visibility("oftc", oftc, "private")
            await client.update_appservice_room_directory_visibility("oftc", oftc, "public")

            async def ids(**body: Any) -> list[str]:
                page = await client.query_public_rooms(**body)
                return sorted(room.room_id for room in page.chunk)

            assert await ids() == [lobby]
            assert await ids(third_party_instance_id="irc|libera") == [libera]
            assert await ids(third_party_instance_id="irc|oftc") == [oftc]
            assert await ids(include_all_networks=True) == sorted([lobby, libera, oftc])
            assert await ids(third_party_instance_id="slack|libera") == []
            plain = await client.get_public_rooms()
            assert [r.room_id for r in plain.chunk] == [lobby]
            async with raw(hs) as http:  # another appservice's network is not ours to set
                answer = await http.put(
                    f"{CS}/directory/list/appservice/libera/{oftc}",
                    json={"visibility": "public"},
                    headers={"Authorization": f"Bearer {OTHER_AS_TOKEN}"},
                )
                assert answer.status_code == 200
            assert await ids(third_party_instance_id="slack|libera") == [oftc]
            assert await ids(third_party_instance_id="irc|libera") == [libera]
            with pytest.raises(MatrixError) as unknown:
                await client.update_appservice_room_directory_visibility(
                    "libera", "!nope:localhost", "public"
                )
            assert (unknown.value.status, unknown.value.errcode) == (400, "M_INVALID_PARAM")

    run(main())


def test_plain_endpoints() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs), raw(hs) as http:
            versions = (await http.get("/_matrix/client/versions")).json()
            assert "v1.19" in versions["versions"] and "r0.6.1" in versions["versions"]
            await client.register(username="_irc_alice", inhibit_login=True)
            await client.register(username="_irc_bob", inhibit_login=True)
            alice = client.as_user("@_irc_alice:localhost")
            bob = client.as_user("@_irc_bob:localhost")
            made = await alice.request(
                "POST", f"{CS}/createRoom", json={"room_alias_name": "_irc_chan", "name": "c"}
            )
            room = made["room_id"]
            with pytest.raises(ForbiddenError):  # private room, not invited
                await bob.request("POST", f"{CS}/rooms/{room}/join", json={})
            await alice.request(
                "POST", f"{CS}/rooms/{room}/invite", json={"user_id": "@_irc_bob:localhost"}
            )
            joined = await bob.request("POST", f"{CS}/join/%23_irc_chan:localhost", json={})
            assert joined["room_id"] == room
            assert hs.state.rooms[room].membership("@_irc_bob:localhost") == "join"
            await bob.request("PUT", f"{CS}/profile/@_irc_bob:localhost/displayname",
                              json={"displayname": "Bob (IRC)"})  # fmt: skip
            name = await alice.request("GET", f"{CS}/profile/@_irc_bob:localhost/displayname")
            assert name == {"displayname": "Bob (IRC)"}
            with pytest.raises(ForbiddenError):
                await alice.request("PUT", f"{CS}/profile/@_irc_bob:localhost/displayname",
                                    json={"displayname": "x"})  # fmt: skip
            alias = await client.request("GET", f"{CS}/directory/room/%23_irc_chan:localhost")
            assert alias["room_id"] == room

    run(main())


def test_state_reads_and_joined_members() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs):
            await client.register(username="_irc_alice", inhibit_login=True)
            await client.register(username="_irc_bob", inhibit_login=True)
            alice = client.as_user("@_irc_alice:localhost")
            bob = client.as_user("@_irc_bob:localhost")
            made = await alice.request("POST", f"{CS}/createRoom", json={"name": "chan"})
            room = made["room_id"]
            levels = await alice.request("GET", f"{CS}/rooms/{room}/state/m.room.power_levels/")
            assert levels["users"] == {"@_irc_alice:localhost": 100}
            name = await alice.request("GET", f"{CS}/rooms/{room}/state/m.room.name/")
            assert name == {"name": "chan"}
            whole = await alice.request(
                "GET", f"{CS}/rooms/{room}/state/m.room.create/", query={"format": "event"}
            )
            assert whole["type"] == "m.room.create" and whole["room_id"] == room
            assert whole["state_key"] == "" and whole["event_id"] in hs.state.events
            member = await alice.request(
                "GET", f"{CS}/rooms/{room}/state/m.room.member/@_irc_alice:localhost"
            )
            assert member["membership"] == "join"
            with pytest.raises(MatrixError) as missing:
                await alice.request("GET", f"{CS}/rooms/{room}/state/m.room.topic/")
            assert (missing.value.status, missing.value.errcode) == (404, "M_NOT_FOUND")
            with pytest.raises(ForbiddenError):  # bob is not in the room
                await bob.request("GET", f"{CS}/rooms/{room}/state/m.room.name/")
            with pytest.raises(ForbiddenError):
                await bob.request("GET", f"{CS}/rooms/{room}/joined_members")

            everything = await alice.request("GET", f"{CS}/rooms/{room}/state")
            kinds = sorted(e["type"] for e in everything)
            assert kinds == sorted(
                ["m.room.create", "m.room.member", "m.room.power_levels",
                 "m.room.join_rules", "m.room.name"]
            )  # fmt: skip
            await alice.request(
                "POST", f"{CS}/rooms/{room}/invite", json={"user_id": "@_irc_bob:localhost"}
            )
            members = await alice.request("GET", f"{CS}/rooms/{room}/joined_members")
            assert members == {"joined": {"@_irc_alice:localhost": {}}}  # bob is only invited
            await bob.request("PUT", f"{CS}/profile/@_irc_bob:localhost/displayname",
                              json={"displayname": "Bob"})  # fmt: skip
            await bob.request("POST", f"{CS}/rooms/{room}/join", json={})
            members = await alice.request("GET", f"{CS}/rooms/{room}/joined_members")
            assert members["joined"] == {
                "@_irc_alice:localhost": {},
                "@_irc_bob:localhost": {"display_name": "Bob"},
            }

    run(main())


def test_create_user_makes_a_plain_user_outside_exclusive_namespaces() -> None:
    async def main() -> None:
        async with (
            homeserver(registration(), other_registration()) as (_client, hs),
            raw(hs) as http,
        ):
            token = hs.create_user("dana", displayname="Dana")
            assert hs.state.users["@dana:localhost"].displayname == "Dana"
            who = await http.get(
                f"{CS}/account/whoami", headers={"Authorization": f"Bearer {token}"}
            )
            assert who.status_code == 200 and who.json()["user_id"] == "@dana:localhost"
            made = await http.post(
                f"{CS}/createRoom", json={}, headers={"Authorization": f"Bearer {token}"}
            )
            assert made.status_code == 200
            assert hs.state.rooms[made.json()["room_id"]].creator == "@dana:localhost"
            refused = [("_irc_x", "M_EXCLUSIVE"), ("_slack_y", "M_EXCLUSIVE"),
                       ("dana", "M_USER_IN_USE"), ("ircbot", "M_USER_IN_USE"),
                       ("Upper", "M_INVALID_USERNAME"), ("", "M_INVALID_USERNAME")]  # fmt: skip
            for localpart, errcode in refused:
                with pytest.raises(MatrixError) as error:
                    hs.create_user(localpart)
                assert error.value.errcode == errcode, localpart
            assert "@_irc_x:localhost" not in hs.state.users

    run(main())
