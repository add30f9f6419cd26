"""Per-release views, checked against the version history in the fact sheet."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codegen.spec import Spec, load_spec
from tests.conftest import Breaker
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
        assert not {AS_PING, CS_PING} & routes(spec.ir.release(name)), name
    for name in _from(spec, "v1.7"):
        assert {AS_PING, CS_PING} <= routes(spec.ir.release(name)), name


def test_ephemeral_arrives_in_v1_13(spec: Spec) -> None:
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        tx = body_schema(doc, operations(view)["sendTransaction"][2])
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
        view = spec.ir.release(name)
        doc = view.doc
        for op_id in (
            "sendTransaction",
            "queryUserById",
            "queryRoomByAlias",
            "getProtocolMetadata",
        ):
            used = [deref(doc, {"$ref": f"#/components/securitySchemes/{s}"})
                    for s in security_schemes(doc, operations(view)[op_id][2])]  # fmt: skip
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
        view = spec.ir.release(name)
        _method, path, _ = operations(view)["updateAppserviceRoomDirectoryVisibility"]
        prefix = "/_matrix/client/r0/" if name in _before(spec, "v1.1") else "/_matrix/client/v3/"
        assert path == prefix + "directory/list/appservice/{networkId}/{roomId}", name
        cs_paths = [p for m, p in routes(view) if p.startswith("/_matrix/client/")]
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
        view = spec.ir.release(name)
        doc = view.doc
        for op_id in op_ids:
            present = param in params(doc, operations(view)[op_id][2])
            assert present is (name in _from(spec, first)), (name, op_id, param)


def test_ts_only_on_send_and_state(spec: Spec) -> None:
    view = spec.ir.release("unstable")
    doc = view.doc
    with_ts = sorted(i for i, (_, _, op) in operations(view).items() if "ts" in params(doc, op))
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


def test_every_release_view_builds_without_problems() -> None:
    fresh = load_spec()  # problems found while building the views land in fresh.problems
    assert not fresh.problems
    for release in fresh.releases:
        fresh.bundle(release)
    assert not fresh.problems.items, fresh.problems.render()


def test_a_view_that_loses_every_security_scheme_is_a_problem(broken_spec: Breaker) -> None:
    # accessTokenQuery is gone from unstable: an operation secured by it alone has nothing left.
    root, _ = broken_spec(
        "application-service/ping.yaml", "- homeserverAccessToken: []", "- accessTokenQuery: []"
    )
    broken = load_spec(root)
    assert not broken.problems
    broken.bundle("v1.19")
    assert not broken.problems
    broken.bundle("unstable")
    assert [p.message for p in broken.problems.errors] == ["ping: no security scheme is left"]


def _errcodes_by_release(spec: Spec, op_id: str, status: str) -> dict[str, set[str]]:
    from tests.helpers import errcodes

    found = {}
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        if op_id in operations(view):
            found[name] = errcodes(doc, operations(view)[op_id][2], status)
    return found


@pytest.mark.parametrize(
    ("op_id", "status", "errcode", "first"),
    [
        ("login", "403", "M_USER_DEACTIVATED", "v1.1"),
        ("login", "403", "M_FORBIDDEN", "r0.1.0"),
        ("login", "400", "M_UNKNOWN", "r0.1.0"),
        ("login", "400", "M_BAD_JSON", "r0.1.0"),
        ("login", "400", "M_EXCLUSIVE", "v1.2"),
        ("login", "429", "M_LIMIT_EXCEEDED", "r0.1.0"),
        ("sendMessage", "400", "M_DUPLICATE_ANNOTATION", "v1.7"),
        ("setRoomStateWithKey", "400", "M_BAD_ALIAS", "v1.1"),
        ("setRoomStateWithKey", "400", "M_INVALID_PARAM", "v1.3"),
        ("sendMessage", "400", "M_INVALID_PARAM", "v1.3"),
        ("pingAppservice", "400", "M_UNKNOWN_DEVICE", "v1.17"),
    ],
)
def test_errcodes_arrive_in_their_release(
    spec: Spec, op_id: str, status: str, errcode: str, first: str
) -> None:
    found = _errcodes_by_release(spec, op_id, status)
    assert first in found
    for name, codes in found.items():
        assert (errcode in codes) is (name in _from(spec, first)), (name, op_id)


def test_state_invalid_param_mentions_ts_from_v1_3(spec: Spec) -> None:
    for name in _from(spec, "v1.1"):
        view = spec.ir.release(name)
        doc = view.doc
        resp = deref(doc, operations(view)["setRoomStateWithKey"][2]["responses"]["400"])
        spelling = "M_INVALID_PARAM" if name in _from(spec, "v1.3") else "M_INVALID_PARAMETER"
        [entry] = [e for e in resp["x-errcodes"] if e["errcode"] == spelling]
        assert "m.room.canonical_alias" in entry["description"], name
        assert ("`ts`" in entry["description"]) is (name in _from(spec, "v1.3")), name


def test_login_body_in_every_release(spec: Spec) -> None:
    always = {"type", "identifier", "user", "medium", "address", "password", "token",
              "device_id", "initial_device_display_name"}  # fmt: skip
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        body = body_schema(doc, operations(view)["login"][2])
        props = set(body["properties"])
        assert always <= props, name
        assert ("refresh_token" in props) is (name in _from(spec, "v1.3")), name
        assert body["required"] == ["type"], name
        assert all(body["properties"][f].get("deprecated") for f in ("user", "medium", "address"))
        assert "UserIdentifier" in doc["components"]["schemas"], name


def test_identity_assertion_parameters_per_release(spec: Spec) -> None:
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        expected = {"user_id"}
        if name in _from(spec, "v1.17"):
            expected.add("device_id")
        if name == "unstable":
            expected.add("org.matrix.msc3202.device_id")
        for op_id, (_, _, op) in operations(view).items():
            if op["x-api"] != "client-server":
                continue
            found = {n for n, p in params(doc, op).items() if p.get("x-identityAssertion") is True}
            if op.get("x-noIdentityAssertion"):  # naming their user, or without credentials
                assert not found, (name, op_id)
                if op_id in ("register", "login"):
                    device = "device_id" in op["x-noIdentityAssertion"]
                    assert device is ("device_id" in expected)
            else:
                assert found == expected, (name, op_id)
    for op_id in ("pingAppservice", "updateAppserviceRoomDirectoryVisibility", "getPublicRooms"):
        view = spec.ir.release("v1.7")
        doc = view.doc
        assert "user_id" in params(doc, operations(view)[op_id][2]), op_id


def test_redacted_because_is_a_client_event_in_every_release(spec: Spec) -> None:
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        unsigned = doc["components"]["schemas"]["UnsignedData"]["properties"]
        assert unsigned["redacted_because"]["$ref"] == "#/components/schemas/ClientEvent", name


def test_search_fields_per_release(spec: Spec) -> None:
    """The free-form search parameter: its name and whether it is written as an object."""
    as_object = {
        "queryUserByProtocol": "v1.8", "queryLocationByProtocol": "v1.8",
        "clientQueryUserByProtocol": "v1.8", "clientQueryLocationByProtocol": "v1.13",
    }  # fmt: skip
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        for op_id, since in as_object.items():
            found = params(doc, operations(view)[op_id][2])
            [free] = [p for p in found.values() if p.get("x-freeFormQuery") is True]
            renamed = op_id == "clientQueryLocationByProtocol" and name in _before(spec, "v1.13")
            assert free["name"] == ("searchFields" if renamed else "fields"), (name, op_id)
            is_object = free["schema"].get("type") == "object"
            assert is_object is (name in _from(spec, since)), (name, op_id)


def test_fields_outside_the_official_schemas_per_release(spec: Spec) -> None:
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        schemas = doc["components"]["schemas"]
        assert "x-notInOfficialSchema" in schemas["ClientEvent"]["properties"]["redacts"], name
        assert "x-notInOfficialSchema" in schemas["UnsignedData"]["properties"]["prev_sender"]
        tx = body_schema(doc, operations(view)["sendTransaction"][2])["properties"]
        unstable = {
            "de.sorunome.msc2409.ephemeral",
            "org.matrix.msc3202.device_one_time_key_counts",
        }
        assert (unstable <= set(tx)) is (name == "unstable"), name
        assert unstable.isdisjoint(tx) is (name != "unstable"), name


def test_get_public_rooms_in_every_release(spec: Spec) -> None:
    for name in _names(spec):
        view = spec.ir.release(name)
        doc = view.doc
        method, path, op = operations(view)["getPublicRooms"]
        prefix = "r0" if name in _before(spec, "v1.1") else "v3"
        assert (method, path) == ("GET", f"/_matrix/client/{prefix}/publicRooms"), name
        assert {"limit", "since", "server"} <= set(params(doc, op)), name
        assert {} in op["security"], name


def test_public_rooms_chunk_lists_aliases_until_v1_2(spec: Spec) -> None:
    for name in _names(spec):
        schemas = spec.bundle(name)["components"]["schemas"]
        item = schemas["PublicRoomsResponse"]["properties"]["chunk"]["items"]
        item = schemas[item["$ref"].rsplit("/", 1)[1]] if "$ref" in item else item
        assert ("aliases" in item["properties"]) is (name in _before(spec, "v1.2")), name


def test_state_errcodes_per_release(spec: Spec) -> None:
    def codes(name: str, status: str) -> set[str]:
        view = spec.ir.release(name)
        doc = view.doc
        op = operations(view)["setRoomStateWithKey"][2]
        return {e["errcode"] for e in deref(doc, op["responses"][status])["x-errcodes"]}

    for name in _names(spec):
        bad = codes(name, "400")
        old_spelling = name in ("v1.1", "v1.2")
        assert ("M_INVALID_PARAMETER" in bad) is old_spelling, name
        assert ("M_INVALID_PARAM" in bad) is (name in _from(spec, "v1.3")), name
        assert ("M_INVITE_BLOCKED" in codes(name, "403")) is (name in _from(spec, "v1.18")), name


def test_history_of_the_everyday_calls(spec: Spec) -> None:
    """What the official sources say of when each everyday call came, moved or went."""
    from matrix_appservice.operations import OPERATIONS

    since = {
        "knockRoom": "v1.1", "getLocalAliases": "v1.1", "createContent": "v1.7",
        "uploadContentToMXC": "v1.7", "getContentAuthed": "v1.11",
        "getContentThumbnailAuthed": "v1.11", "getConfigAuthed": "v1.11", "createRoom": "r0.1.0",
        "getContent": "r0.1.0", "uploadContent": "r0.1.0", "getVersions": "r0.1.0",
    }  # fmt: skip
    for name, first in since.items():
        assert OPERATIONS[name].since == first and OPERATIONS[name].until is None, name
    for name in ("getContent", "getContentThumbnail", "getConfig"):
        assert OPERATIONS[name].deprecated_in == "v1.11", name
    paths = {
        "createRoom": ("/_matrix/client/r0/createRoom", "/_matrix/client/v3/createRoom"),
        "uploadContent": ("/_matrix/media/r0/upload", "/_matrix/media/v3/upload"),
        "getContent": (
            "/_matrix/media/r0/download/{serverName}/{mediaId}",
            "/_matrix/media/v3/download/{serverName}/{mediaId}",
        ),
        "getVersions": ("/_matrix/client/versions", "/_matrix/client/versions"),
    }
    for name, (old, new) in paths.items():
        assert (OPERATIONS[name].path("r0.1.2"), OPERATIONS[name].path("v1.1")) == (old, new)
    assert OPERATIONS["createContent"].path("v1.7") == "/_matrix/media/v1/create"
    assert OPERATIONS["getContentAuthed"].path("v1.11").startswith("/_matrix/client/v1/media/")

    def query(release: str, op_id: str) -> dict[str, Any]:
        view = spec.ir.release(release)
        return {p.name: p.node for p in view.by_name()[op_id].params_in("query")}

    assert "via" not in query("v1.11", "joinRoom") and "via" in query("v1.12", "joinRoom")
    assert query("v1.13", "joinRoom")["server_name"].get("deprecated") is True
    assert "server_name" not in query("v1.14", "knockRoom")
    assert query("v1.2", "getRoomEvents")["from"]["required"] is True
    assert query("v1.3", "getRoomEvents")["from"]["required"] is False
    versions = OPERATIONS["getVersions"]
    assert versions.auth_optional and versions.auth("v1.9") == ()
    assert [s.name for s in versions.auth("v1.10")] == ["accessTokenBearer", "accessTokenQuery"]


def test_a_dependency_on_a_dropped_property_is_dropped_with_it(spec: Spec) -> None:
    # m.relates_to: rel_type (and the event_id it needs) arrive in v1.3; before, only the
    # reply, m.in_reply_to, and no rule that names a key the release does not have.
    def relation(release: str) -> dict[str, object]:
        node: dict[str, object] = spec.bundle(release)["components"]["schemas"]["RelatesTo"]
        return node

    old, new = relation("v1.2"), relation("v1.3")
    assert set(old["properties"]) == {"m.in_reply_to"}  # type: ignore[arg-type]
    assert "dependentRequired" not in old
    assert new["dependentRequired"] == {"rel_type": ["event_id"]}
