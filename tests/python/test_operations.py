"""Per-operation metadata in the generated package."""

from __future__ import annotations

import pytest
from matrix_appservice import AUTH_SCHEMES, OPERATIONS, NotInReleaseError, operation

from codegen.spec import Spec


def test_one_entry_per_operation_of_every_release(spec: Spec) -> None:
    names = {op["operationId"] for r in spec.releases for item in spec.bundle(r)["paths"].values()
             for m, op in item.items() if m != "servers"}  # fmt: skip
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
    assert tx.request == "Transaction" and tx.responses[200] == "TransactionResponse"
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
    assert OPERATIONS["register"].responses[401] == "AuthenticationResponse | Error"
    assert "v1.17" in OPERATIONS["updateDevice"].changed_in
    assert OPERATIONS["clientQueryUserByProtocol"].responses[200] == "list[ThirdPartyUser]"


def test_lookup_by_official_name() -> None:
    assert operation("getProtocolMetadata").api == "application-service"
    assert operation("getProtocolMetadata", api="client-server").name == "clientGetProtocolMetadata"
    assert operation("pingAppservice").matrix_name == "pingAppservice"
    with pytest.raises(KeyError, match="no single operation"):
        operation("nothing")
