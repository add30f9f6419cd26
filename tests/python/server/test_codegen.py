"""The generator side of the server: handler method names come from the operation metadata."""

from __future__ import annotations

import pytest

from codegen.python.metadata import OperationMeta, collect_operations
from codegen.python.server import collect_server_operations
from codegen.spec import Spec


def test_handler_methods_are_named_like_client_methods(spec: Spec) -> None:
    """One name per operation for the client method and the handler method."""
    metas = [m for m in collect_operations(spec) if m.api == "application-service"]
    names = {op.name: op.python for op in collect_server_operations(spec, metas)}
    assert names == {m.name: m.python_name for m in metas}
    assert names["sendTransaction"] == "send_transaction"
    assert names["queryUserById"] == "query_user"
    assert names["queryRoomByAlias"] == "query_room_alias"
    assert names["queryUserByID"] == "query_user_by_id"
    assert names["getProtocolMetadata"] == "get_protocol_metadata"


def test_two_operations_on_one_method_name_are_an_error(spec: Spec) -> None:
    def meta(name: str, python: str) -> OperationMeta:
        return OperationMeta(
            name, name, "application-service", "GET", "", [], None, None, {}, python_name=python
        )

    with pytest.raises(KeyError):
        collect_server_operations(spec, [meta("noSuchOperation", "x")])
    clash = [meta("queryUserById", "query_user"), meta("queryRoomByAlias", "query_user")]
    with pytest.raises(ValueError, match="both map to the method query_user"):
        collect_server_operations(spec, clash)
