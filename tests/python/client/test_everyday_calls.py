"""The typed methods of the everyday Client-Server calls, in every client flavour.

Every Client-Server operation's method puts each path parameter into one percent-encoded
segment (a ``#`` of an alias, a ``/`` of a user ID, a ``?`` or a ``%`` never change where the
request goes), adds identity assertion where the operation takes it (``as_user()``), and
answers the spec's own example as a typed model (or, for a download, a ``Media``). Query
arrays repeat their parameter. Media uploads send the file's bytes with its type and length,
streamed from pieces when asked, and downloads are read up to a bound.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, get_args, get_origin
from urllib.parse import quote

import pytest
from matrix_appservice import client as client_module
from matrix_appservice.client import HomeserverClient, Media, Upload
from matrix_appservice.errors import (
    LimitExceededError,
    MediaTooLargeError,
    NotYetUploadedError,
    TooLargeError,
)
from matrix_appservice.operations import OPERATIONS, Operation
from pydantic import BaseModel

from codegen.ir import OperationView
from codegen.python.api import snake_case
from codegen.spec import Spec
from tests.python.client.conftest import Kit, Peer

VERSION = "unstable"
CLIENT_SERVER = sorted(
    op.name for op in OPERATIONS.values() if op.api == "client-server" and op.exists_in(VERSION)
)
AWKWARD = "#odd/seg?ment%2F:example.org"
"""A path value with every character that could end or split a segment if sent raw."""
PUPPET = "@_irc_a/b:example.org"
FILE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


def _value(annotation: Any, name: str) -> Any:
    """A value of the annotated type for a required argument that is not a path parameter."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)[0]
    options = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    first = options[0]
    if first is str:
        return "b" if name == "dir" else "x"
    if first is int:
        return 32
    if first is bool:
        return True
    if Upload in options:  # a file
        return FILE
    if get_origin(first) in (list, typing.Sequence) or first is list:
        return []
    return {}


def _arguments(method: Any, op: Operation[Any, Any]) -> tuple[list[Any], list[str]]:
    """Positional arguments for ``method``: the awkward value for each path parameter, and a
    value of the annotated type for the others; and the names of the path arguments."""
    hints = typing.get_type_hints(method, vars(client_module))
    positional = [
        p.name
        for p in inspect.signature(method).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    path = {snake_case(n) for n in op.path_params}
    values = [AWKWARD if n in path else _value(hints[n], n) for n in positional]
    return values, [n for n in positional if n in path]


def _example_answer(view: OperationView) -> tuple[int, Any, dict[str, str]]:
    """The spec's first example of the operation's success answer."""
    for response in view.success:
        if response.raw is not None:
            headers = {
                "Content-Type": "image/png",
                "Content-Disposition": "inline; filename*=UTF-8''chat%20cat.png",
            }
            return response.code, FILE, headers
        if response.body is not None:
            for entry in (response.body.media.get("examples") or {}).values():
                return response.code, entry["value"], {}
    raise AssertionError(f"{view.name}: no example of a success answer")


def _expected_path(template: str) -> str:
    """The template with every placeholder replaced by the awkward value, encoded once."""
    parts = template.split("/")
    return "/".join(quote(AWKWARD, safe="") if p.startswith("{") else p for p in parts)


def test_every_call_encodes_its_path_asserts_identity_and_answers_typed(
    kit: Kit, spec: Spec
) -> None:
    views = spec.ir.release(VERSION).by_name()
    answers = [_example_answer(views[name]) for name in CLIENT_SERVER]
    peer = Peer(*answers, answers[-1])
    client = kit.homeserver(peer, version=VERSION).as_user(PUPPET, device_id="IRCDEV")
    for name, (_, example, _) in zip(CLIENT_SERVER, answers, strict=True):
        op = OPERATIONS[name]
        method = getattr(type(client), op.python_name)
        args, path_args = _arguments(method, op)
        assert len(path_args) == len(op.path_params), name
        result = kit.run(client, op.python_name, *args)

        seen = peer.last
        assert seen.method == op.method, name
        assert seen.path == _expected_path(op.path(VERSION)), name
        identity = op.identity_params(VERSION)
        sent = {k: v for k, v in seen.query if k in ("user_id", "device_id", *identity)}
        want = {"user_id": PUPPET} if "user_id" in identity else {}
        want |= {n: "IRCDEV" for n in identity if n != "user_id"}
        assert sent == want, name
        if op.raw_responses:
            assert isinstance(result, Media) and result.content == FILE, name
            assert result.filename == "chat cat.png" and result.content_type == "image/png"
            assert seen.headers["accept"] == "*/*"
            continue
        model = op.responses[200]
        if isinstance(model, type) and issubclass(model, BaseModel):
            assert isinstance(result, model), name
            dumped = result.model_dump(mode="json", by_alias=True, exclude_unset=True)
            assert dumped == example, name
        else:  # a list of events, or free-form content
            assert (
                result == example
                or [r.model_dump(mode="json", by_alias=True, exclude_unset=True) for r in result]
                == example
            ), name


def test_the_calls_cover_the_everyday_operations_of_a_bridge() -> None:
    everyday = {
        "getVersions", "getTokenOwner", "createRoom", "joinRoomById", "joinRoom", "leaveRoom",
        "forgetRoom", "inviteUser", "kick", "ban", "unban", "knockRoom", "redactEvent",
        "getRoomState", "getRoomStateWithKey", "getJoinedMembersByRoom", "getMembersByRoom",
        "getRoomEvents", "getEventContext", "getOneRoomEvent", "setRoomAlias", "deleteRoomAlias",
        "getRoomIdByAlias", "getLocalAliases", "getUserProfile", "getDisplayName",
        "setDisplayName", "getAvatarUrl", "setAvatarUrl", "setTyping", "postReceipt",
        "setReadMarker", "getPresence", "setPresence", "sendToDevice", "uploadKeys",
        "queryKeys", "claimKeys", "getAccountData", "setAccountData", "getAccountDataPerRoom",
        "setAccountDataPerRoom", "uploadContent", "createContent", "uploadContentToMXC",
        "getContent", "getContentThumbnail", "getConfig", "getContentAuthed",
        "getContentThumbnailAuthed", "getConfigAuthed", "getJoinedRooms",
    }  # fmt: skip
    assert everyday <= set(CLIENT_SERVER)
    for name in everyday:
        op = OPERATIONS[name]
        assert op.matrix_name == name  # the official operationId
        for cls in (HomeserverClient, client_module.AsyncHomeserverClient):
            assert callable(getattr(cls, op.python_name)), (cls.__name__, name)


def test_query_arrays_repeat_their_parameter(kit: Kit) -> None:
    peer = Peer((200, {"room_id": "!r:example.org"}))
    client = kit.homeserver(peer, version="v1.12")
    kit.run(client, "join_room", "#matrix:example.org", via=["example.org", "elsewhere.example"])
    assert peer.last.path == "/_matrix/client/v3/join/%23matrix%3Aexample.org"
    assert peer.last.query == [("via", "example.org"), ("via", "elsewhere.example")]


# ---------------------------------------------------------------------------------------------
# Media.


def test_an_upload_sends_the_bytes_with_their_type_and_length(kit: Kit) -> None:
    peer = Peer((200, {"content_uri": "mxc://example.org/abc"}))
    client = kit.homeserver(peer)
    answer = kit.run(client, "upload_content", FILE, content_type="image/png", filename="cat.png")
    assert answer.content_uri == "mxc://example.org/abc"
    assert peer.last.content == FILE
    assert peer.last.headers["content-type"] == "image/png"
    assert peer.last.headers["content-length"] == str(len(FILE))
    assert "transfer-encoding" not in peer.last.headers
    assert peer.last.params["filename"] == "cat.png"
    # Without a type the spec's default goes.
    kit.run(client, "upload_content", b"raw")
    assert peer.last.headers["content-type"] == "application/octet-stream"


def _pieces() -> Iterator[bytes]:
    for start in range(0, len(FILE), 100):
        yield FILE[start : start + 100]


async def _apieces() -> AsyncIterator[bytes]:
    for piece in _pieces():
        yield piece


def test_an_upload_streams_from_pieces_with_its_length(kit: Kit) -> None:
    peer = Peer((200, {"content_uri": "mxc://example.org/abc"}))
    client = kit.homeserver(peer)
    kit.run(client, "upload_content", Upload(_pieces(), len(FILE)), content_type="image/png")
    assert peer.last.content == FILE
    assert peer.last.headers["content-length"] == str(len(FILE))
    assert "transfer-encoding" not in peer.last.headers
    kit.run(client, "upload_content", Upload.from_file(io.BytesIO(FILE), chunk_size=7))
    assert peer.last.content == FILE
    if kit.is_async:  # async pieces too
        kit.run(client, "upload_content", Upload(_apieces(), len(FILE)))
        assert peer.last.content == FILE
    else:
        with pytest.raises(TypeError, match="async"):
            kit.run(client, "upload_content", Upload(_apieces(), len(FILE)))


def test_an_upload_file_is_read_from_where_it_stands(tmp_path: Any) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(FILE)
    with path.open("rb") as file:
        file.seek(8)
        upload = Upload.from_file(file, chunk_size=50)
        assert upload.length == len(FILE) - 8
        assert b"".join(upload.chunks) == FILE[8:]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("length", "problem"), [(len(FILE) - 1, "more than"), (len(FILE) + 1, "cut short")]
)
def test_pieces_that_do_not_add_up_to_the_length_fail_the_upload(
    kit: Kit, length: int, problem: str
) -> None:
    peer = Peer((200, {"content_uri": "mxc://example.org/abc"}))
    client = kit.homeserver(peer)
    with pytest.raises(ValueError, match=problem):
        kit.run(client, "upload_content", Upload(_pieces(), length))


def test_a_streamed_upload_is_not_sent_twice_after_a_429(kit: Kit) -> None:
    limited = (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 10})
    peer = Peer(limited, (200, {"content_uri": "mxc://example.org/abc"}))
    client = kit.homeserver(peer)
    with pytest.raises(LimitExceededError):
        kit.run(client, "upload_content", Upload(_pieces(), len(FILE)))
    assert len(peer.requests) == 1
    # Bytes can be sent again, and are.
    peer = Peer(limited, (200, {"content_uri": "mxc://example.org/abc"}))
    client = kit.homeserver(peer)
    assert kit.run(client, "upload_content", FILE).content_uri == "mxc://example.org/abc"
    assert len(peer.requests) == 2 and peer.last.content == FILE


def test_an_upload_over_the_homeservers_limit_is_a_too_large_error(kit: Kit) -> None:
    peer = Peer((413, {"errcode": "M_TOO_LARGE", "error": "Cannot upload files larger than 1B"}))
    with pytest.raises(TooLargeError) as caught:
        kit.run(kit.homeserver(peer), "upload_content", FILE)
    assert caught.value.status == 413


def test_an_upload_takes_bytes_or_an_upload_only(kit: Kit) -> None:
    client = kit.homeserver(Peer())
    with pytest.raises(TypeError, match="bytes or an Upload"):
        kit.run(client, "upload_content", "text is not a file")
    with pytest.raises(TypeError, match="pieces"):
        Upload(b"whole", 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="length"):
        Upload(_pieces(), -1)


def test_a_content_type_that_a_header_cannot_carry_is_refused(kit: Kit) -> None:
    peer = Peer((200, {"content_uri": "mxc://example.org/abc"}))
    client = kit.homeserver(peer)
    for bad in ("image/png\r\nX-Evil: 1", "image/pngé"):
        with pytest.raises(ValueError, match="Content-Type header takes printable ASCII"):
            kit.run(client, "upload_content", FILE, content_type=bad)
    assert not peer.requests


def test_a_download_is_read_up_to_the_bound(kit: Kit) -> None:
    headers = {
        "Content-Type": "text/plain",
        "Content-Disposition": 'attachment; filename="a b.txt"',
    }
    peer = Peer((200, FILE, headers))
    client = kit.homeserver(peer, max_answer_bytes=len(FILE) - 1)
    with pytest.raises(MediaTooLargeError) as caught:
        kit.run(client, "get_content_authed", "example.org", "abc")
    assert caught.value.limit == len(FILE) - 1 and caught.value.status == 200
    larger = client.with_answer_limit(len(FILE))
    media = kit.run(larger, "get_content_authed", "example.org", "abc")
    assert media == Media(FILE, "text/plain", "attachment", "a b.txt")
    assert len(media) == len(FILE)
    with pytest.raises(ValueError, match="max_bytes"):
        client.with_answer_limit(0)


def test_a_download_error_is_the_errcodes_class(kit: Kit) -> None:
    peer = Peer((504, {"errcode": "M_NOT_YET_UPLOADED", "error": "Not yet"}))
    with pytest.raises(NotYetUploadedError):
        kit.run(kit.homeserver(peer), "get_content_authed", "example.org", "abc", timeout_ms=10)
    assert peer.last.params["timeout_ms"] == "10"


def test_the_unauthenticated_download_needs_no_identity() -> None:
    assert OPERATIONS["getContent"].identity_params("v1.10") == ()
    assert OPERATIONS["getContent"].deprecated_in == "v1.11"
    assert asyncio.iscoroutinefunction(client_module.AsyncHomeserverClient.get_content)
