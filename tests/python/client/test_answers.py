"""Error mapping per errcode, answers that do not match the spec, and validate=True."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from matrix_appservice import errors
from matrix_appservice.errors import (
    LimitExceededError,
    MatrixError,
    NotFoundError,
    RequestValidationError,
    ResponseValidationError,
)
from matrix_appservice.operations import OPERATIONS

from tests.python.client.conftest import Kit, Peer


def class_name(errcode: str) -> str:
    """The naming rule of the errcode classes: M_USER_IN_USE -> UserInUseError."""
    return "".join(word.capitalize() for word in errcode.removeprefix("M_").split("_")) + "Error"


def _documented() -> dict[str, int]:
    """Every errcode the operation metadata documents (any operation, any release), with
    one status it is documented for."""
    found: dict[str, int] = {}
    for op in OPERATIONS.values():
        for release in op.releases:
            for status, errcodes in op.errcodes(release).items():
                for errcode in errcodes:
                    found.setdefault(errcode, status)
    return found


ERRCODES = [
    *(
        (code, status, getattr(errors, class_name(code)))
        for code, status in sorted(_documented().items())
    ),
    ("M_NOT_IN_ANY_SPEC", 400, MatrixError),  # an errcode the spec does not document
]


@pytest.mark.parametrize("validate", [False, True])
@pytest.mark.parametrize(("errcode", "status", "cls"), ERRCODES)
def test_each_errcode_has_its_exception(
    kit: Kit, errcode: str, status: int, cls: type, validate: bool
) -> None:
    # With validate=True the answer is also checked against the operation's error schemas,
    # which do not list most of these errcodes: the error is raised all the same.
    body = {"errcode": errcode, "error": "explained", "retry_after_ms": 7}
    peer = Peer((status, body))
    with pytest.raises(MatrixError) as caught:
        kit.run(
            kit.homeserver(peer, rate_limit_retries=0, validate=validate), "ping_appservice", "irc"
        )
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.errcode, error.error, error.body) == (
        status,
        errcode,
        "explained",
        body,
    )
    assert errcode in str(error) and "pingAppservice" in str(error)
    peer = Peer((status, body))
    with pytest.raises(cls):
        kit.run(kit.appservice(peer, validate=validate), "query_user", "@u:e")


def test_an_error_without_json_keeps_its_status(kit: Kit) -> None:
    peer = Peer((418, b"I am a teapot"))
    with pytest.raises(MatrixError) as caught:
        kit.run(kit.homeserver(peer), "get_protocols")
    assert type(caught.value) is MatrixError
    assert (caught.value.status, caught.value.errcode, caught.value.body) == (418, None, None)


def test_limit_exceeded_without_retry_after(kit: Kit) -> None:
    peer = Peer((429, {"errcode": "M_LIMIT_EXCEEDED"}))
    with pytest.raises(LimitExceededError) as caught:
        kit.run(kit.homeserver(peer, rate_limit_retries=0), "get_protocols")
    assert caught.value.retry_after_ms is None


def test_an_answer_the_model_cannot_hold_names_the_path(kit: Kit) -> None:
    peer = Peer((200, [{"alias": "#a:e", "protocol": 5, "fields": {}}]))
    with pytest.raises(ResponseValidationError) as caught:
        kit.run(kit.appservice(peer), "query_location_by_alias", alias="#a:e")
    assert caught.value.path == "$[0].protocol" and caught.value.status == 200
    assert "$[0].protocol" in str(caught.value)
    peer = Peer((200, b"{not json"))
    with pytest.raises(ResponseValidationError, match="not valid JSON") as bad:
        kit.run(kit.homeserver(peer), "ping_appservice", "irc")
    assert bad.value.path == "$"


def test_a_null_the_schema_refuses_is_refused_with_or_without_validate(kit: Kit) -> None:
    # The schema of next_batch is a string: the model and the validator both refuse null.
    peer = Peer((200, {"chunk": [], "next_batch": None}))
    for client in (kit.homeserver(peer), kit.homeserver(peer, validate=True)):
        with pytest.raises(ResponseValidationError) as caught:
            kit.run(client, "query_public_rooms")
        assert caught.value.path == "$.next_batch" and caught.value.status == 200


def test_validate_refuses_a_bad_request_before_it_leaves(kit: Kit) -> None:
    peer = Peer((200, {}))
    client = kit.appservice(peer, validate=True)
    with pytest.raises(RequestValidationError) as caught:
        kit.run(client, "send_transaction", "t", {"events": [{"type": "m.room.message"}]})
    assert caught.value.path == "$.events[0]" and "room_id" in str(caught.value)
    hs = kit.homeserver(peer, validate=True)
    with pytest.raises(RequestValidationError) as visibility:
        kit.run(hs, "update_appservice_room_directory_visibility", "irc", "!r:e", "hidden")
    assert visibility.value.path == "$.visibility"
    assert peer.requests == []
    without = kit.homeserver(peer)  # validate=False sends what it is given
    kit.run(without, "update_appservice_room_directory_visibility", "irc", "!r:e", "hidden")
    assert peer.last.json == {"visibility": "hidden"}


def test_validate_follows_the_release(kit: Kit) -> None:
    # ephemeral exists from v1.13: the v1.12 schema does not know it but allows extra keys,
    # while a wrong type inside it is caught in v1.13 only.
    transaction = {"events": [], "ephemeral": "not a list"}
    peer = Peer((200, {}))
    kit.run(
        kit.appservice(peer, validate=True, version="v1.12"), "send_transaction", "t", transaction
    )
    with pytest.raises(RequestValidationError) as caught:
        kit.run(kit.appservice(peer, validate=True, version="v1.13"), "send_transaction", "t",
                transaction)  # fmt: skip
    assert caught.value.path == "$.ephemeral"
    assert len(peer.requests) == 1


def test_validate_checks_error_bodies_too(kit: Kit) -> None:
    # An error body that breaks the schema still raises the status's error, with the
    # schema problem attached: a 403 without errcode, and Synapse's 404 without one.
    for status, cls in ((403, MatrixError), (404, NotFoundError)):
        peer = Peer((status, {"error": "no errcode"}))
        with pytest.raises(MatrixError) as caught:
            kit.run(kit.homeserver(peer, validate=True), "get_protocols")
        error = caught.value
        assert type(error) is cls and error.status == status and error.errcode is None
        assert isinstance(error.validation, ResponseValidationError)
        assert error.validation.status == status and "errcode" in str(error.validation)
        with pytest.raises(cls) as unchecked:
            kit.run(kit.homeserver(peer), "get_protocols")
        assert unchecked.value.validation is None
    peer = Peer((403, {"errcode": "M_FORBIDDEN", "error": "no"}))  # a valid error body
    with pytest.raises(MatrixError) as valid:
        kit.run(kit.homeserver(peer, validate=True), "get_protocols")
    assert valid.value.validation is None


def test_a_custom_transport_error_is_not_swallowed(kit: Kit) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in the transport")

    if kit.flavour == "aiohttp":
        pytest.skip("an httpx transport's own bug; the aiohttp backend takes no transport")
    with pytest.raises(RuntimeError, match="a bug"):
        kit.run(kit.homeserver(Peer(broken)), "get_protocols")


def test_a_huge_answer_is_cut_off_at_the_bound(kit: Kit) -> None:
    sent: list[int] = []

    def endless() -> Any:
        for n in range(10_000):  # up to 640 MB if nothing stopped reading
            sent.append(n)
            yield b" " * 65536

    async def aendless() -> Any:
        for chunk in endless():
            yield chunk

    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=aendless() if kit.is_async else endless())

    client = kit.homeserver(Peer(app), max_answer_bytes=1_000_000)
    with pytest.raises(ResponseValidationError, match="larger than the client accepts"):
        kit.run(client, "get_protocols")
    # Loopback socket buffers take a few more chunks before an aiohttp server notices.
    assert len(sent) < (200 if kit.flavour == "aiohttp" else 20)


def test_a_deeply_nested_answer_is_refused_cleanly(kit: Kit) -> None:
    peer = Peer((200, b"[" * 200_000 + b"]" * 200_000))
    with pytest.raises(ResponseValidationError, match=r"nested deeper than 1024 levels"):
        kit.run(kit.appservice(peer), "query_location_by_alias", alias="#a:e")
    peer = Peer((500, b"{" * 200_000))
    with pytest.raises(MatrixError) as caught:  # an error body that cannot be read
        kit.run(kit.homeserver(peer), "get_protocols")
    assert caught.value.body is None and caught.value.status == 500


def test_max_answer_bytes_is_checked(kit: Kit) -> None:
    with pytest.raises(ValueError, match="max_answer_bytes"):
        kit.homeserver(Peer(), max_answer_bytes=0)


def test_an_answer_orjson_cannot_read_is_read_by_the_package_parser(kit: Kit) -> None:
    # Most answers are parsed by orjson at once; a number beyond the range of a double is
    # not one orjson takes, and the answer still goes through the package's parser.
    peer = Peer((200, b'{"duration_ms": 12, "beyond": 1e400}'))
    answer = kit.run(kit.homeserver(peer), "ping_appservice", "irc")
    assert answer.duration_ms == 12 and answer.model_extra == {"beyond": float("inf")}
    empty = "valid dictionary"  # an empty body is no JSON value: None, which the model refuses
    for body, why in ((b"", empty), (b"  \n", empty), (b"[1,", "not valid JSON")):
        with pytest.raises(ResponseValidationError) as caught:
            kit.run(kit.homeserver(Peer((200, body))), "ping_appservice", "irc")
        assert caught.value.path == "$" and why in str(caught.value), str(caught.value)
