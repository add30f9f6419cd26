"""The generator side of the server: handler method names from operationIds."""

from __future__ import annotations

import pytest

from codegen.python.metadata import OperationMeta
from codegen.python.server import collect_server_operations, method_name
from codegen.spec import Spec


def test_method_names() -> None:
    assert method_name("sendTransaction") == "send_transaction"
    assert method_name("queryUserById") == "query_user_by_id"
    assert method_name("queryUserByID") == "query_third_party_user_by_id"
    assert method_name("getProtocolMetadata") == "get_protocol_metadata"
    assert method_name("roomAlias") == "room_alias"


def test_two_operations_on_one_method_name_are_an_error(spec: Spec) -> None:
    def meta(name: str) -> OperationMeta:
        return OperationMeta(name, name, "application-service", "GET", "", [], None, None, {})

    with pytest.raises(KeyError):
        collect_server_operations(spec, [meta("noSuchOperation")])
    clash = [meta("queryUserById"), meta("queryUserById")]
    with pytest.raises(ValueError, match="both map to the method query_user_by_id"):
        collect_server_operations(spec, clash)
