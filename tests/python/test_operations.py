"""Per-operation metadata in the generated package."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from matrix_appservice import (
    AUTH_SCHEMES,
    OPERATIONS,
    NotInReleaseError,
    Operation,
    models,
    operation,
    operations,
)

from codegen.spec import Spec


def test_one_entry_per_operation_of_every_release(spec: Spec) -> None:
    names = {op.name for op in spec.ir.operations}
    assert set(OPERATIONS) == names


def test_paths_auth_and_history() -> None:
    room_dir = OPERATIONS["updateAppserviceRoomDirectoryVisibility"]
    assert (
        room_dir.path("r0.1.2")
        == "/_matrix/client/r0/directory/list/appservice/{networkId}/{roomId}"
    )
    assert room_dir.path("v1.1").startswith("/_matrix/client/v3/")
    assert [a.kind for a in room_dir.auth("v1.19")] == ["bearer", "query"]
    assert [a.kind for a in room_dir.auth("unstable")] == ["bearer"]
    tx = OPERATIONS["sendTransaction"]
    assert [(a.kind, a.parameter) for a in tx.auth("v1.3")] == [("query", "access_token")]
    assert [a.kind for a in tx.auth("v1.4")] == ["bearer"]
    assert tx.legacy_paths == ("/transactions/{txnId}",)
    assert tx.request is models.Transaction and tx.responses[200] is models.TransactionResponse
    assert tx.method == "PUT" and tx.api == "application-service"
    assert tx.format_path(txnId="1/2") == "/_matrix/app/v1/transactions/1%2F2"
    assert AUTH_SCHEMES["accessTokenQuery"].deprecated_in == "v1.11"


def test_version_marks_and_absent_releases() -> None:
    ping = OPERATIONS["ping"]
    assert ping.added_in == "v1.7" and ping.releases[0] == "v1.7"
    assert ping.exists_in("1.7") and not ping.exists_in("v1.6")
    with pytest.raises(
        NotInReleaseError, match=r"ping does not exist in v1\.6; it exists in v1\.7 to unstable"
    ):
        ping.path("v1.6")
    assert OPERATIONS["register"].rate_limited
    assert OPERATIONS["register"].responses[401] == models.AuthenticationResponse | models.Error
    assert "v1.17" in OPERATIONS["updateDevice"].changed_in
    assert OPERATIONS["clientQueryUserByProtocol"].responses[200] == list[models.ThirdPartyUser]


def test_lookup_by_official_name() -> None:
    assert operation("getProtocolMetadata").api == "application-service"
    assert operation("getProtocolMetadata", api="client-server").name == "clientGetProtocolMetadata"
    assert operation("pingAppservice").matrix_name == "pingAppservice"
    with pytest.raises(KeyError, match="no single operation"):
        operation("nothing")


def test_identity_assertion_per_release(spec: Spec) -> None:
    for op in OPERATIONS.values():
        for release in op.releases:
            found = op.identity_params(release)
            if op.api == "application-service" or op.no_identity_assertion:
                assert found == (), (op.name, release)
                continue
            expected = ["user_id"]
            if spec.releases[release].index >= spec.releases["v1.17"].index:
                expected.append("device_id")
            if release == "unstable":
                expected.append("org.matrix.msc3202.device_id")
            assert list(found) == expected, (op.name, release)
            assert set(found) <= set(op.query_names)
    assert OPERATIONS["pingAppservice"].identity_params("v1.7") == ("user_id",)
    assert "user_id" in OPERATIONS["updateAppserviceRoomDirectoryVisibility"].identity_params()
    register = OPERATIONS["register"]
    assert register.no_identity_assertion and "body" in register.no_identity_assertion
    # Without identity assertion: the calls that name their user, and those without credentials.
    assert {"register", "login", "getVersions", "getContent", "getContentThumbnail"} == {
        op.name for op in OPERATIONS.values() if op.no_identity_assertion
    }
    assert OPERATIONS["getContentAuthed"].identity_params("v1.11") == ("user_id",)
    assert OPERATIONS["sendMessage"].no_identity_assertion is None
    assert OPERATIONS["sendTransaction"].no_identity_assertion is None


def test_search_fields_per_release() -> None:
    location = OPERATIONS["clientQueryLocationByProtocol"]
    assert location.free_query("r0.1.0") == "searchFields"
    assert location.free_query("v1.12") == "searchFields"
    assert location.free_query("v1.13") == "fields"
    for name in ("queryUserByProtocol", "queryLocationByProtocol", "clientQueryUserByProtocol"):
        op = OPERATIONS[name]
        assert {op.free_query(r) for r in op.releases} == {"fields"}, name
    assert OPERATIONS["queryLocationByAlias"].free_query() is None
    assert OPERATIONS["sendMessage"].free_query() is None


def test_search_fields_from_client_to_server() -> None:
    from urllib.parse import parse_qsl, urlencode

    op = OPERATIONS["clientQueryLocationByProtocol"]
    fields = {"network": "irc.libera.chat", "channel": "#matrix"}
    pairs = op.field_query(fields, "v1.12")
    assert pairs == [("network", "irc.libera.chat"), ("channel", "#matrix")]
    query = urlencode([*pairs, ("user_id", "@_irc_alice:example.org"), ("access_token", "t")])
    assert query.startswith("network=irc.libera.chat&channel=%23matrix&")
    # The server side drops what the operation declares and the tokens, and keeps the rest.
    assert op.fields_from_query(parse_qsl(query), "v1.12") == fields
    assert op.fields_from_query({"device_id": "D", "nick": "x"}, "v1.12") == {"nick": "x"}
    assert op.fields_from_query([("nick", "a"), ("nick", "b")]) == {"nick": "a"}
    with pytest.raises(ValueError, match="clashes with a parameter"):
        op.field_query({"user_id": "@a:x"})
    with pytest.raises(ValueError, match="clashes with a parameter"):
        op.field_query({"org.matrix.msc3202.device_id": "D"}, "v1.13")
    with pytest.raises(TypeError, match="strings"):
        op.field_query({"network": 1})  # type: ignore[dict-item]
    as_side = OPERATIONS["queryUserByProtocol"]
    assert as_side.fields_from_query({"access_token": "hs", "nickname": "alice"}) == {
        "nickname": "alice"
    }
    with pytest.raises(ValueError, match=r"sendMessage takes no search fields in v1\.19"):
        OPERATIONS["sendMessage"].field_query({"a": "b"})
    with pytest.raises(ValueError, match="takes no search fields"):
        OPERATIONS["sendMessage"].fields_from_query({"a": "b"})


def test_get_public_rooms_metadata() -> None:
    get = OPERATIONS["getPublicRooms"]
    assert get.method == "GET" and get.api == "client-server"
    assert get.path("r0.1.0") == "/_matrix/client/r0/publicRooms"
    assert get.releases == OPERATIONS["queryPublicRooms"].releases
    assert get.auth_optional and not OPERATIONS["queryPublicRooms"].auth_optional
    assert [s.kind for s in get.auth("v1.19")] == ["bearer", "query"]
    assert get.request is None and get.responses[200] is models.PublicRoomsResponse
    assert [n for n, _ in get.query_params][:3] == ["limit", "since", "server"]


def test_the_rest_of_the_path_is_marked_on_the_two_queries_only() -> None:
    """From the spec marker: the user ID and alias queries take the rest of the path."""
    marked = {name: op.rest_param for name, op in OPERATIONS.items() if op.rest_param}
    assert marked == {"queryUserById": "userId", "queryRoomByAlias": "roomAlias"}
    for name, param in marked.items():
        op = OPERATIONS[name]
        assert all(p.endswith("{" + param + "}") for p in (op.path(), *op.legacy_paths))


def test_errcodes_follow_the_release_from_x_errcodes() -> None:
    send = OPERATIONS["sendMessage"]
    assert "M_INVALID_PARAM" not in send.errcodes("v1.2")[400]  # the ts rule came in v1.3
    assert "M_INVALID_PARAM" in send.errcodes("v1.3")[400]
    assert "M_UNKNOWN_DEVICE" in send.errcodes("v1.17")[400]
    assert send.errcodes()[413] == ("M_TOO_LARGE",)
    assert OPERATIONS["sendTransaction"].errcodes()[403] == ("M_FORBIDDEN",)
    with pytest.raises(NotInReleaseError):
        OPERATIONS["ping"].errcodes("v1.6")


def test_query_names_are_every_query_parameter_of_every_release(spec: Spec) -> None:
    # operations.py leaves query_names out where it equals the names of query_params; the
    # record fills it in, so every entry still lists what the spec declares, in its order.
    for ir_op in spec.ir.operations:
        assert OPERATIONS[ir_op.name].query_names == tuple(ir_op.query_names), ir_op.name
    joined = OPERATIONS["joinRoom"]
    assert joined.query_names[0] == "server_name"
    assert "server_name" not in {name for name, _ in joined.query_params}


def test_an_operation_without_query_names_takes_those_of_its_query_params() -> None:
    tx = OPERATIONS["sendTransaction"]
    derived = replace(tx, query_params=(("a", True), ("b", False)), query_names=())
    assert derived.query_names == ("a", "b")
    given = replace(tx, query_params=(("a", True),), query_names=("old", "a"))
    assert given.query_names == ("old", "a")


def test_every_operation_reads_its_auth_schemes_from_the_module() -> None:
    assert Operation.auth_schemes is AUTH_SCHEMES
    for op in OPERATIONS.values():
        for release in op.releases:
            assert all(AUTH_SCHEMES[s.name] is s for s in op.auth(release)), (op.name, release)


def test_the_operation_metadata_module_stays_compact() -> None:
    # The module holds spec data only (the record class and its methods are hand-written in
    # the runtime), and the values many operations share are written once.
    lines = Path(operations.__file__).read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 900
    assert not any(line.startswith(("class ", "@dataclass")) for line in lines)
    assert operations.type_name(models.Transaction) == "Transaction"


def test_a_generic_body_type_reads_without_module_paths() -> None:
    assert operations.type_name(list[models.Location]) == "list[Location]"
    assert operations.type_name(dict[str, list[models.ThirdPartyUser]]) == (
        "dict[str, list[ThirdPartyUser]]"
    )
