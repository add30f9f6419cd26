"""Every homeserver -> appservice operation reaches its typed handler method; answers follow the spec."""

from __future__ import annotations

from typing import Any

import pytest
from matrix_appservice import OPERATIONS, validate
from matrix_appservice.errors import NotFoundError
from matrix_appservice.models import (
    Location,
    PingRequest,
    PingResponse,
    Protocol,
    QueryRoomResponse,
    QueryUserResponse,
    ThirdPartyUser,
)
from matrix_appservice.server import AppServiceHandler

from tests.python.server.support import AUTH, run, serving

AS_OPERATIONS = sorted(name for name, op in OPERATIONS.items() if op.api == "application-service")
PROTOCOL = {
    "user_fields": ["network", "nickname"],
    "location_fields": ["network", "channel"],
    "icon": "mxc://example.org/icon",
    "field_types": {
        "network": {"regexp": "[a-z.]+", "placeholder": "irc.example.org"},
        "nickname": {"regexp": "[^#]+", "placeholder": "alice"},
        "channel": {"regexp": "#.+", "placeholder": "#matrix"},
    },
    "instances": [
        {"desc": "Example", "fields": {"network": "irc.example.org"}, "network_id": "ex"}
    ],
}
LOCATION = {"alias": "#_echo_x:example.org", "protocol": "irc", "fields": {"channel": "#x"}}
REMOTE_USER = {"userid": "@_echo_bob:example.org", "protocol": "irc", "fields": {"nickname": "bob"}}


class Everything(AppServiceHandler):
    """Answers every operation and records the typed arguments it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def ping(self, body: PingRequest) -> PingResponse:
        self.calls.append(("ping", (body,)))
        return PingResponse()

    async def query_user(self, user_id: str) -> QueryUserResponse:
        self.calls.append(("queryUserById", (user_id,)))
        return QueryUserResponse()

    async def query_room_alias(self, room_alias: str) -> QueryRoomResponse:
        self.calls.append(("queryRoomByAlias", (room_alias,)))
        return QueryRoomResponse()

    async def get_protocol_metadata(self, protocol: str) -> Protocol:
        self.calls.append(("getProtocolMetadata", (protocol,)))
        if protocol != "irc":
            raise NotFoundError("No such protocol")
        return Protocol.model_validate(PROTOCOL)

    async def query_user_by_protocol(
        self, protocol: str, fields: dict[str, str]
    ) -> list[ThirdPartyUser]:
        self.calls.append(("queryUserByProtocol", (protocol, fields)))
        return [ThirdPartyUser.model_validate(REMOTE_USER)]

    async def query_location_by_protocol(
        self, protocol: str, fields: dict[str, str]
    ) -> list[Location]:
        self.calls.append(("queryLocationByProtocol", (protocol, fields)))
        return [Location.model_validate(LOCATION)]

    async def query_location_by_alias(self, *, alias: str | None = None) -> list[Location]:
        self.calls.append(("queryLocationByAlias", (alias,)))
        return [Location.model_validate(LOCATION)]

    async def query_user_by_id(self, *, userid: str | None = None) -> list[ThirdPartyUser]:
        self.calls.append(("queryUserByID", (userid,)))
        return [ThirdPartyUser.model_validate(REMOTE_USER)]


REQUESTS: list[tuple[str, str, str, Any, tuple[Any, ...]]] = [
    ("ping", "POST", "/_matrix/app/v1/ping", {"transaction_id": "t1"}, (PingRequest(transaction_id="t1"),)),
    ("queryUserById", "GET", "/_matrix/app/v1/users/%40_echo_a%3Aexample.org", None, ("@_echo_a:example.org",)),
    ("queryRoomByAlias", "GET", "/_matrix/app/v1/rooms/%23_echo_r%3Aexample.org", None, ("#_echo_r:example.org",)),
    ("getProtocolMetadata", "GET", "/_matrix/app/v1/thirdparty/protocol/irc", None, ("irc",)),
    (
        "queryUserByProtocol", "GET",
        "/_matrix/app/v1/thirdparty/user/irc?network=irc.example.org&nickname=bob&nickname=other",
        None, ("irc", {"network": "irc.example.org", "nickname": "bob"}),
    ),
    (
        "queryLocationByProtocol", "GET",
        f"/_matrix/app/v1/thirdparty/location/irc?channel=%23x&access_token={AUTH['Authorization'][7:]}",
        None, ("irc", {"channel": "#x"}),
    ),
    ("queryLocationByAlias", "GET", "/_matrix/app/v1/thirdparty/location?alias=%23_echo_x%3Aexample.org", None, ("#_echo_x:example.org",)),
    ("queryUserByID", "GET", "/_matrix/app/v1/thirdparty/user?userid=%40_echo_bob%3Aexample.org", None, ("@_echo_bob:example.org",)),
]  # fmt: skip


def test_every_operation_has_a_handler_method() -> None:
    for name in AS_OPERATIONS:
        assert callable(getattr(AppServiceHandler, OPERATIONS[name].python_name)), name
    assert sorted(r[0] for r in REQUESTS) == sorted(set(AS_OPERATIONS) - {"sendTransaction"})


@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_operation_reaches_its_method_and_answers_per_spec(
    name: str, method: str, url: str, body: Any, expected: tuple[Any, ...]
) -> None:
    handler = Everything()

    async def go() -> None:
        async with serving(handler) as (client, _):
            response = await client.request(method, url, json=body, headers=AUTH)
            assert response.status_code == 200, response.text
            assert validate(response.content, response=name, status=200).valid

    run(go())
    assert handler.calls == [(name, expected)]
    for arg in handler.calls[0][1]:
        if name == "ping":
            assert isinstance(arg, PingRequest)


def test_answers_keep_their_wire_names() -> None:
    async def go() -> None:
        async with serving(Everything()) as (client, _):
            response = await client.get("/_matrix/app/v1/thirdparty/protocol/irc", headers=AUTH)
            assert response.json() == PROTOCOL
            unknown = await client.get("/_matrix/app/v1/thirdparty/protocol/xmpp", headers=AUTH)
            assert unknown.status_code == 404 and unknown.json() == {
                "errcode": "M_NOT_FOUND",
                "error": "No such protocol",
            }

    run(go())


@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_defaults_not_found_except_ping(
    name: str, method: str, url: str, body: Any, expected: tuple[Any, ...]
) -> None:
    async def go() -> None:
        async with serving(AppServiceHandler()) as (client, _):
            response = await client.request(method, url, json=body, headers=AUTH)
            if name == "ping":
                assert response.status_code == 200 and response.json() == {}
            else:
                assert response.status_code == 404
                assert response.json()["errcode"] == "M_NOT_FOUND"
                assert validate(response.content, response=name, status=404).valid

    run(go())


def test_an_answer_that_breaks_the_spec_is_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(AppServiceHandler):
        async def get_protocol_metadata(self, protocol: str) -> Any:
            return {"icon": "mxc://x/y"}  # the required lists are missing

        async def query_location_by_alias(self, *, alias: str | None = None) -> Any:
            return [{"alias": 5, "protocol": "irc", "fields": {}}]

        async def query_user(self, user_id: str) -> Any:
            raise RuntimeError("database is gone")

    async def go() -> None:
        async with serving(Broken()) as (client, _):
            for url in (
                "/_matrix/app/v1/thirdparty/protocol/irc",
                "/_matrix/app/v1/thirdparty/location?alias=%23a%3Ab",
                "/_matrix/app/v1/users/%40a%3Ab",
            ):
                response = await client.get(url, headers=AUTH)
                assert response.status_code == 500 and response.json()["errcode"] == "M_UNKNOWN"

    with caplog.at_level("ERROR", logger="matrix_appservice.server"):
        run(go())
    messages = [r.getMessage() for r in caplog.records]
    assert sum("does not fit the spec" in m for m in messages) == 2
    assert any("request failed" in m for m in messages)


def test_handler_answers_may_be_plain_dicts() -> None:
    class Plain(AppServiceHandler):
        async def query_location_by_alias(self, *, alias: str | None = None) -> Any:
            return [LOCATION]

    async def go() -> None:
        async with serving(Plain()) as (client, _):
            response = await client.get("/_matrix/app/v1/thirdparty/location?alias=x", headers=AUTH)
            assert response.status_code == 200 and response.json() == [LOCATION]

    run(go())


def test_bad_query_strings_are_400() -> None:
    async def go() -> None:
        async with serving(Everything()) as (client, _):
            bad = await client.get("/_matrix/app/v1/thirdparty/user/irc?nick=%ff", headers=AUTH)
            assert bad.status_code == 400 and bad.json()["errcode"] == "M_INVALID_PARAM"
            many = "&".join(f"f{i}=x" for i in range(2000))
            response = await client.get(f"/_matrix/app/v1/thirdparty/user/irc?{many}", headers=AUTH)
            assert response.status_code == 400

    run(go())
