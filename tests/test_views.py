"""Per-release views, checked against the version history in the fact sheet."""

from __future__ import annotations

import json

import pytest

from codegen.spec import Spec
from tests.helpers import body_schema, deref, operations, params, routes, security_schemes

AS_PING = ("POST", "/_matrix/app/v1/ping")
CS_PING = ("POST", "/_matrix/client/v1/appservice/{appserviceId}/ping")


def _names(spec: Spec) -> list[str]:
    return [r.name for r in spec.releases]


def _before(spec: Spec, name: str) -> list[str]:
    names = _names(spec)
    return names[: names.index(name)]


def _from(spec: Spec, name: str) -> list[str]:
    names = _names(spec)
    return names[names.index(name) :]


def test_release_list(spec: Spec) -> None:
    names = _names(spec)
    assert names[:4] == ["r0.1.0", "r0.1.1", "r0.1.2", "v1.1"]
    assert names[-2:] == ["v1.19", "unstable"]
    assert [f"v1.{n}" for n in range(1, 20)] == names[3:-1]
    assert spec.releases.latest.name == "v1.19"


def test_ping_arrives_in_v1_7(spec: Spec) -> None:
    for name in _before(spec, "v1.7"):
        assert not {AS_PING, CS_PING} & routes(spec.bundle(name)), name
    for name in _from(spec, "v1.7"):
        assert {AS_PING, CS_PING} <= routes(spec.bundle(name)), name


def test_ephemeral_arrives_in_v1_13(spec: Spec) -> None:
    for name in _names(spec):
        doc = spec.bundle(name)
        tx = body_schema(doc, operations(doc)["sendTransaction"][2])
        reg = doc["components"]["schemas"]["Registration"]
        present = name in _from(spec, "v1.13")
        assert ("ephemeral" in tx["properties"]) is present, name
        assert ("receive_ephemeral" in reg["properties"]) is present, name
        assert ("EphemeralEvent" in doc["components"]["schemas"]) is present, name


def test_registration_url_nullable_from_v1_15(spec: Spec) -> None:
    for name in _names(spec):
        reg = spec.bundle(name)["components"]["schemas"]["Registration"]
        url_type = reg["properties"]["url"]["type"]
        expected = ["null", "string"] if name in _from(spec, "v1.15") else "string"
        assert url_type == expected, name
        assert "url" in reg["required"], name


def test_hs_token_query_parameter_then_header(spec: Spec) -> None:
    for name in _names(spec):
        doc = spec.bundle(name)
        for op_id in (
            "sendTransaction",
            "queryUserById",
            "queryRoomByAlias",
            "getProtocolMetadata",
        ):
            used = [deref(doc, {"$ref": f"#/components/securitySchemes/{s}"})
                    for s in security_schemes(doc, operations(doc)[op_id][2])]  # fmt: skip
            assert len(used) == 1, (name, op_id)
            if name in _before(spec, "v1.4"):
                assert used[0] == used[0] | {
                    "type": "apiKey",
                    "in": "query",
                    "name": "access_token",
                }
            else:
                assert used[0]["type"] == "http" and used[0]["scheme"] == "bearer", name


def test_cs_paths_r0_before_v1_1_and_v3_after(spec: Spec) -> None:
    for name in _names(spec):
        doc = spec.bundle(name)
        _method, path, _ = operations(doc)["updateAppserviceRoomDirectoryVisibility"]
        prefix = "/_matrix/client/r0/" if name in _before(spec, "v1.1") else "/_matrix/client/v3/"
        assert path == prefix + "directory/list/appservice/{networkId}/{roomId}", name
        cs_paths = [p for m, p in routes(doc) if p.startswith("/_matrix/client/")]
        wrong = "/_matrix/client/v3/" if prefix.endswith("r0/") else "/_matrix/client/r0/"
        assert not [p for p in cs_paths if p.startswith(wrong)], name


@pytest.mark.parametrize(
    ("param", "first", "op_ids"),
    [
        ("device_id", "v1.17", ["sendMessage", "setRoomStateWithKey", "queryPublicRooms"]),
        ("ts", "v1.3", ["sendMessage", "setRoomStateWithKey"]),
        ("user_id", "r0.1.0", ["sendMessage", "setRoomStateWithKey", "queryPublicRooms"]),
    ],
)
def test_identity_and_timestamp_parameters(
    spec: Spec, param: str, first: str, op_ids: list[str]
) -> None:
    for name in _names(spec):
        doc = spec.bundle(name)
        for op_id in op_ids:
            present = param in params(doc, operations(doc)[op_id][2])
            assert present is (name in _from(spec, first)), (name, op_id, param)


def test_ts_only_on_send_and_state(spec: Spec) -> None:
    doc = spec.bundle("unstable")
    with_ts = sorted(i for i, (_, _, op) in operations(doc).items() if "ts" in params(doc, op))
    assert with_ts == ["sendMessage", "setRoomStateWithKey"]


def test_unstable_msc_fields_in_no_release(spec: Spec) -> None:
    markers = ("de.sorunome.msc2409", "org.matrix.msc3202", "io.element.msc4190", "x-unstable")
    for name in _names(spec)[:-1]:
        text = json.dumps(spec.bundle(name))
        assert not [m for m in markers if m in text], name
    unstable = json.dumps(spec.bundle("unstable"))
    assert all(m in unstable for m in markers)


def test_query_string_tokens_gone_in_unstable_only(spec: Spec) -> None:
    for name in _names(spec):
        schemes = spec.bundle(name)["components"]["securitySchemes"]
        assert ("accessTokenQuery" in schemes) is (name != "unstable"), name
        if name in _from(spec, "v1.11") and name != "unstable":
            assert schemes["accessTokenQuery"]["x-deprecatedInMatrixVersion"] == "1.11"


def test_every_release_view_builds_without_problems(spec: Spec) -> None:
    for name in _names(spec):
        assert spec.bundle(name)["info"]["version"] == name
    assert not spec.problems, spec.problems.render()
