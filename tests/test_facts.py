"""Everything the fact sheet lists in §1a-1c is in the sources, checked on the bundles."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.ir import ReleaseView
from codegen.spec import Spec
from tests.helpers import body_schema, deref, errcodes, operations, params, response_schema

# operationId in the bundle -> (METHOD, path in the unstable view)
OPERATIONS = {
    # §1a homeserver -> appservice
    "sendTransaction": ("PUT", "/_matrix/app/v1/transactions/{txnId}"),
    "ping": ("POST", "/_matrix/app/v1/ping"),
    "queryUserById": ("GET", "/_matrix/app/v1/users/{userId}"),
    "queryRoomByAlias": ("GET", "/_matrix/app/v1/rooms/{roomAlias}"),
    "getProtocolMetadata": ("GET", "/_matrix/app/v1/thirdparty/protocol/{protocol}"),
    "queryUserByProtocol": ("GET", "/_matrix/app/v1/thirdparty/user/{protocol}"),
    "queryLocationByProtocol": ("GET", "/_matrix/app/v1/thirdparty/location/{protocol}"),
    "queryLocationByAlias": ("GET", "/_matrix/app/v1/thirdparty/location"),
    "queryUserByID": ("GET", "/_matrix/app/v1/thirdparty/user"),
    # §1b client-server extensions (the shared lookups get a "client" prefix in a bundle)
    "pingAppservice": ("POST", "/_matrix/client/v1/appservice/{appserviceId}/ping"),
    "updateAppserviceRoomDirectoryVisibility": (
        "PUT", "/_matrix/client/v3/directory/list/appservice/{networkId}/{roomId}"),
    "register": ("POST", "/_matrix/client/v3/register"),
    "login": ("POST", "/_matrix/client/v3/login"),
    "getProtocols": ("GET", "/_matrix/client/v3/thirdparty/protocols"),
    "clientGetProtocolMetadata": ("GET", "/_matrix/client/v3/thirdparty/protocol/{protocol}"),
    "clientQueryLocationByProtocol": ("GET", "/_matrix/client/v3/thirdparty/location/{protocol}"),
    "clientQueryUserByProtocol": ("GET", "/_matrix/client/v3/thirdparty/user/{protocol}"),
    "clientQueryLocationByAlias": ("GET", "/_matrix/client/v3/thirdparty/location"),
    "clientQueryUserByID": ("GET", "/_matrix/client/v3/thirdparty/user"),
    "queryPublicRooms": ("POST", "/_matrix/client/v3/publicRooms"),
    "getPublicRooms": ("GET", "/_matrix/client/v3/publicRooms"),
    "sendMessage": ("PUT", "/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}"),
    "setRoomStateWithKey": ("PUT", "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}"),
    "updateDevice": ("PUT", "/_matrix/client/v3/devices/{deviceId}"),
    "deleteDevice": ("DELETE", "/_matrix/client/v3/devices/{deviceId}"),
    "deleteDevices": ("POST", "/_matrix/client/v3/delete_devices"),
    "uploadCrossSigningKeys": ("POST", "/_matrix/client/v3/keys/device_signing/upload"),
}  # fmt: skip

# The ordinary Client-Server calls a bridge makes all day (issue 20), with their official
# operationIds: operationId -> (METHOD, path in the unstable view).
EVERYDAY = {
    "getVersions": ("GET", "/_matrix/client/versions"),
    "getTokenOwner": ("GET", "/_matrix/client/v3/account/whoami"),
    "createRoom": ("POST", "/_matrix/client/v3/createRoom"),
    "joinRoomById": ("POST", "/_matrix/client/v3/rooms/{roomId}/join"),
    "joinRoom": ("POST", "/_matrix/client/v3/join/{roomIdOrAlias}"),
    "knockRoom": ("POST", "/_matrix/client/v3/knock/{roomIdOrAlias}"),
    "leaveRoom": ("POST", "/_matrix/client/v3/rooms/{roomId}/leave"),
    "forgetRoom": ("POST", "/_matrix/client/v3/rooms/{roomId}/forget"),
    "inviteUser": ("POST", "/_matrix/client/v3/rooms/{roomId}/invite"),
    "kick": ("POST", "/_matrix/client/v3/rooms/{roomId}/kick"),
    "ban": ("POST", "/_matrix/client/v3/rooms/{roomId}/ban"),
    "unban": ("POST", "/_matrix/client/v3/rooms/{roomId}/unban"),
    "getJoinedRooms": ("GET", "/_matrix/client/v3/joined_rooms"),
    "redactEvent": ("PUT", "/_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}"),
    "getRoomState": ("GET", "/_matrix/client/v3/rooms/{roomId}/state"),
    "getRoomStateWithKey": ("GET", "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}"),
    "getMembersByRoom": ("GET", "/_matrix/client/v3/rooms/{roomId}/members"),
    "getJoinedMembersByRoom": ("GET", "/_matrix/client/v3/rooms/{roomId}/joined_members"),
    "getRoomEvents": ("GET", "/_matrix/client/v3/rooms/{roomId}/messages"),
    "getEventContext": ("GET", "/_matrix/client/v3/rooms/{roomId}/context/{eventId}"),
    "getOneRoomEvent": ("GET", "/_matrix/client/v3/rooms/{roomId}/event/{eventId}"),
    "setRoomAlias": ("PUT", "/_matrix/client/v3/directory/room/{roomAlias}"),
    "getRoomIdByAlias": ("GET", "/_matrix/client/v3/directory/room/{roomAlias}"),
    "deleteRoomAlias": ("DELETE", "/_matrix/client/v3/directory/room/{roomAlias}"),
    "getLocalAliases": ("GET", "/_matrix/client/v3/rooms/{roomId}/aliases"),
    "getUserProfile": ("GET", "/_matrix/client/v3/profile/{userId}"),
    "getDisplayName": ("GET", "/_matrix/client/v3/profile/{userId}/displayname"),
    "setDisplayName": ("PUT", "/_matrix/client/v3/profile/{userId}/displayname"),
    "getAvatarUrl": ("GET", "/_matrix/client/v3/profile/{userId}/avatar_url"),
    "setAvatarUrl": ("PUT", "/_matrix/client/v3/profile/{userId}/avatar_url"),
    "setTyping": ("PUT", "/_matrix/client/v3/rooms/{roomId}/typing/{userId}"),
    "postReceipt": ("POST", "/_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}"),
    "setReadMarker": ("POST", "/_matrix/client/v3/rooms/{roomId}/read_markers"),
    "setPresence": ("PUT", "/_matrix/client/v3/presence/{userId}/status"),
    "getPresence": ("GET", "/_matrix/client/v3/presence/{userId}/status"),
    "sendToDevice": ("PUT", "/_matrix/client/v3/sendToDevice/{eventType}/{txnId}"),
    "uploadKeys": ("POST", "/_matrix/client/v3/keys/upload"),
    "queryKeys": ("POST", "/_matrix/client/v3/keys/query"),
    "claimKeys": ("POST", "/_matrix/client/v3/keys/claim"),
    "setAccountData": ("PUT", "/_matrix/client/v3/user/{userId}/account_data/{type}"),
    "getAccountData": ("GET", "/_matrix/client/v3/user/{userId}/account_data/{type}"),
    "setAccountDataPerRoom": (
        "PUT", "/_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}"),
    "getAccountDataPerRoom": (
        "GET", "/_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}"),
    "uploadContent": ("POST", "/_matrix/media/v3/upload"),
    "uploadContentToMXC": ("PUT", "/_matrix/media/v3/upload/{serverName}/{mediaId}"),
    "getContent": ("GET", "/_matrix/media/v3/download/{serverName}/{mediaId}"),
    "getContentThumbnail": ("GET", "/_matrix/media/v3/thumbnail/{serverName}/{mediaId}"),
    "getConfig": ("GET", "/_matrix/media/v3/config"),
    "createContent": ("POST", "/_matrix/media/v1/create"),
    "getContentAuthed": ("GET", "/_matrix/client/v1/media/download/{serverName}/{mediaId}"),
    "getContentThumbnailAuthed": (
        "GET", "/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}"),
    "getConfigAuthed": ("GET", "/_matrix/client/v1/media/config"),
}  # fmt: skip
NO_IDENTITY_ASSERTION = {"register", "login", "getVersions", "getContent", "getContentThumbnail"}
"""The Client-Server calls that name their user themselves or carry no credentials."""

# operationId -> {parameter: required?}
PARAMETERS = {
    "sendTransaction": {"txnId": True},
    "queryUserById": {"userId": True},
    "queryRoomByAlias": {"roomAlias": True},
    "getProtocolMetadata": {"protocol": True},
    "queryUserByProtocol": {"protocol": True, "fields": False},
    "queryLocationByProtocol": {"protocol": True, "fields": False},
    "queryLocationByAlias": {"alias": False},
    "queryUserByID": {"userid": False},
    "pingAppservice": {"appserviceId": True, "user_id": False, "device_id": False,
                       "org.matrix.msc3202.device_id": False},
    "updateAppserviceRoomDirectoryVisibility": {"networkId": True, "roomId": True,
                                                "user_id": False, "device_id": False,
                                                "org.matrix.msc3202.device_id": False},
    "clientQueryLocationByAlias": {"alias": True},
    "clientQueryUserByID": {"userid": True},
    "clientQueryLocationByProtocol": {"protocol": True, "fields": False},
    "clientQueryUserByProtocol": {"protocol": True, "fields": False},
    "sendMessage": {"roomId": True, "eventType": True, "txnId": True, "user_id": False,
                    "device_id": False, "ts": False},
    "setRoomStateWithKey": {"roomId": True, "eventType": True, "stateKey": True,
                            "user_id": False, "device_id": False, "ts": False},
    "queryPublicRooms": {"user_id": False},
    "getPublicRooms": {"limit": False, "since": False, "server": False, "user_id": False,
                       "device_id": False, "org.matrix.msc3202.device_id": False},
    "updateDevice": {"deviceId": True},
    "deleteDevice": {"deviceId": True},
}  # fmt: skip

# operationId -> {request body field: required?}
REQUEST_FIELDS = {
    "sendTransaction": {"events": True, "ephemeral": False},
    "ping": {"transaction_id": False},
    "pingAppservice": {"transaction_id": False},
    "updateAppserviceRoomDirectoryVisibility": {"visibility": True},
    "register": {"type": False, "username": False, "inhibit_login": False},
    "login": {
        "type": True,
        "identifier": False,
        "user": False,
        "medium": False,
        "address": False,
        "password": False,
        "token": False,
        "device_id": False,
        "initial_device_display_name": False,
        "refresh_token": False,
    },
    "queryPublicRooms": {"include_all_networks": False, "third_party_instance_id": False},
}

# component -> {field: required?}
SCHEMAS = {
    "ClientEvent": {"event_id": True, "type": True, "sender": True, "origin_server_ts": True,
                    "content": True, "room_id": True, "state_key": False, "unsigned": False,
                    "redacts": False},
    "UnsignedData": {"age": False, "redacted_because": False, "transaction_id": False,
                     "prev_content": False, "replaces_state": False, "membership": False,
                     "prev_sender": False},
    "UserIdentifier": {"type": True, "user": False, "medium": False, "address": False,
                       "country": False, "phone": False},
    "PublicRoomsResponse": {"chunk": True, "next_batch": False, "prev_batch": False,
                            "total_room_count_estimate": False},
    "EphemeralEvent": {"type": True, "content": True},
    "Protocol": {"user_fields": True, "location_fields": True, "icon": True,
                 "field_types": True, "instances": True},
    "FieldType": {"regexp": True, "placeholder": True},
    "ProtocolInstance": {"desc": True, "fields": True, "network_id": True, "icon": False},
    "ClientProtocolInstance": {"instance_id": True, "network_id": True},
    "Location": {"alias": True, "protocol": True, "fields": True},
    "ThirdPartyUser": {"userid": True, "protocol": True, "fields": True},
    "Registration": {"id": True, "url": True, "as_token": True, "hs_token": True,
                     "sender_localpart": True, "namespaces": True, "receive_ephemeral": False,
                     "rate_limited": False, "protocols": False},
    "Namespaces": {"users": False, "rooms": False, "aliases": False},
    "Namespace": {"regex": True, "exclusive": True},
    "Error": {"errcode": True, "error": False},
}  # fmt: skip

# operationId -> {status: {errcodes}}: every response of the unstable view and the errcodes it
# documents, exactly. The AS API's 401 documents no errcode (the official text names none for
# a missing hs_token); a lookup's 404 is M_NOT_FOUND for a thing the appservice does not know
# and M_UNRECOGNIZED for a route it does not serve.
_AS_LOOKUP = {
    "200": set(),
    "401": set(),
    "403": {"M_FORBIDDEN"},
    "404": {"M_NOT_FOUND", "M_UNRECOGNIZED"},
    "405": {"M_UNRECOGNIZED"},
}
_CS_LOOKUP = {
    "200": set(),
    "400": {"M_UNKNOWN_DEVICE"},
    "403": {"M_FORBIDDEN"},
    "404": {"M_NOT_FOUND"},
}
_AS_PUSH = {
    "200": set(),
    "401": set(),
    "403": {"M_FORBIDDEN"},
    "404": {"M_UNRECOGNIZED"},
    "405": {"M_UNRECOGNIZED"},
}
_CS_PLAIN = {"200": set(), "400": {"M_UNKNOWN_DEVICE"}, "403": {"M_FORBIDDEN"}}
_UIA = {"200": set(), "400": {"M_UNKNOWN_DEVICE"}, "401": {"M_FORBIDDEN"}, "403": {"M_FORBIDDEN"}}
RESPONSES: dict[str, dict[str, set[str]]] = {
    "sendTransaction": _AS_PUSH,
    "ping": _AS_PUSH,
    "queryUserById": _AS_LOOKUP,
    "queryRoomByAlias": _AS_LOOKUP,
    "getProtocolMetadata": _AS_LOOKUP,
    "queryUserByProtocol": _AS_LOOKUP,
    "queryLocationByProtocol": _AS_LOOKUP,
    "queryLocationByAlias": _AS_LOOKUP,
    "queryUserByID": _AS_LOOKUP,
    "pingAppservice": {"200": set(), "400": {"M_URL_NOT_SET", "M_UNKNOWN_DEVICE"},
                       "403": {"M_FORBIDDEN"},
                       "502": {"M_BAD_STATUS", "M_CONNECTION_FAILED"},
                       "504": {"M_CONNECTION_TIMEOUT"}},
    "register": {"200": set(),
                 "400": {"M_EXCLUSIVE", "M_APPSERVICE_LOGIN_UNSUPPORTED", "M_USER_IN_USE",
                         "M_INVALID_USERNAME"},
                 "401": {"M_MISSING_TOKEN", "M_UNKNOWN_TOKEN"}, "403": {"M_FORBIDDEN"},
                 "429": {"M_LIMIT_EXCEEDED"}},
    "login": {"200": set(),
              "400": {"M_UNKNOWN", "M_NOT_JSON", "M_BAD_JSON", "M_INVALID_PARAM",
                      "M_EXCLUSIVE", "M_APPSERVICE_LOGIN_UNSUPPORTED"},
              "401": {"M_MISSING_TOKEN", "M_UNKNOWN_TOKEN"},
              "403": {"M_FORBIDDEN", "M_USER_DEACTIVATED"}, "429": {"M_LIMIT_EXCEEDED"}},
    "getProtocols": _CS_PLAIN,
    "clientGetProtocolMetadata": _CS_LOOKUP,
    "clientQueryLocationByProtocol": _CS_LOOKUP,
    "clientQueryUserByProtocol": _CS_LOOKUP,
    "clientQueryLocationByAlias": _CS_LOOKUP,
    "clientQueryUserByID": _CS_LOOKUP,
    "sendMessage": {"200": set(),
                    "400": {"M_NOT_JSON", "M_BAD_JSON", "M_INVALID_PARAM", "M_UNKNOWN_DEVICE",
                            "M_DUPLICATE_ANNOTATION"},
                    "403": {"M_FORBIDDEN"}, "413": {"M_TOO_LARGE"}},
    "setRoomStateWithKey": {"200": set(),
                            "400": {"M_NOT_JSON", "M_BAD_JSON", "M_INVALID_PARAM", "M_BAD_ALIAS",
                                    "M_UNKNOWN_DEVICE"},
                            "403": {"M_FORBIDDEN", "M_INVITE_BLOCKED"}, "413": {"M_TOO_LARGE"}},
    "getPublicRooms": _CS_PLAIN,
    "queryPublicRooms": _CS_PLAIN,
    "updateAppserviceRoomDirectoryVisibility": _CS_PLAIN,
    "updateDevice": {"200": set(), "201": set(), "400": {"M_UNKNOWN_DEVICE"},
                     "403": {"M_FORBIDDEN"}, "404": {"M_NOT_FOUND"}},
    "deleteDevice": _UIA,
    "deleteDevices": _UIA,
    "uploadCrossSigningKeys": {**_UIA, "400": {"M_UNKNOWN_DEVICE", "M_MISSING_PARAM",
                                               "M_INVALID_SIGNATURE"}},
}  # fmt: skip


@pytest.fixture(scope="module")
def view(spec: Spec) -> ReleaseView:
    return spec.ir.release("unstable")


@pytest.fixture(scope="module")
def doc(view: ReleaseView) -> dict[str, Any]:
    return view.doc


def _required(schema: Any) -> set[str]:
    return set(schema.get("required", []))


def test_operations(view: ReleaseView, doc: dict[str, Any]) -> None:
    found = {op_id: (m, p) for op_id, (m, p, _) in operations(view).items()}
    assert found == OPERATIONS | EVERYDAY


@pytest.mark.parametrize("op_id", sorted(PARAMETERS))
def test_parameters(view: ReleaseView, doc: dict[str, Any], op_id: str) -> None:
    found = params(doc, operations(view)[op_id][2])
    for name, required in PARAMETERS[op_id].items():
        assert name in found, name
        assert bool(found[name].get("required")) is required, name


@pytest.mark.parametrize("op_id", sorted(REQUEST_FIELDS))
def test_request_fields(view: ReleaseView, doc: dict[str, Any], op_id: str) -> None:
    schema = body_schema(doc, operations(view)[op_id][2])
    for name, required in REQUEST_FIELDS[op_id].items():
        assert name in schema["properties"], name
        assert (name in _required(schema)) is required, name


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas(doc: dict[str, Any], name: str) -> None:
    schema = doc["components"]["schemas"][name]
    for field, required in SCHEMAS[name].items():
        assert field in schema["properties"], field
        assert (field in _required(schema)) is required, field


def test_every_operation_has_its_responses_stated(view: ReleaseView) -> None:
    # The everyday calls' answers are checked against Synapse (tests/interop) instead.
    assert set(RESPONSES) == set(operations(view)) - set(EVERYDAY)


@pytest.mark.parametrize("op_id", sorted(RESPONSES))
def test_responses_and_errcodes(view: ReleaseView, doc: dict[str, Any], op_id: str) -> None:
    op = operations(view)[op_id][2]
    assert set(op["responses"]) == set(RESPONSES[op_id])
    for code, codes in RESPONSES[op_id].items():
        assert errcodes(doc, op, code) == codes, code


def test_cs_ping_details(view: ReleaseView, doc: dict[str, Any]) -> None:
    op = operations(view)["pingAppservice"][2]
    assert response_schema(doc, op, "200")["required"] == ["duration_ms"]
    failure = response_schema(doc, op, "502")
    assert failure["properties"]["errcode"]["enum"] == ["M_BAD_STATUS", "M_CONNECTION_FAILED"]
    assert {"status", "body", "error"} <= set(failure["properties"])
    assert deref(doc, op["requestBody"]).get("required") is True


def test_room_directory_visibility_enum(view: ReleaseView, doc: dict[str, Any]) -> None:
    op = operations(view)["updateAppserviceRoomDirectoryVisibility"][2]
    assert body_schema(doc, op)["properties"]["visibility"]["enum"] == ["public", "private"]


def test_legacy_routes(view: ReleaseView, doc: dict[str, Any]) -> None:
    legacy = {op_id: op.get("x-legacyPaths") for op_id, (_, _, op) in operations(view).items()
              if op.get("x-api") == "application-service"}  # fmt: skip
    assert legacy == {
        "sendTransaction": ["/transactions/{txnId}"],
        "ping": [],
        "queryUserById": ["/users/{userId}"],
        "queryRoomByAlias": ["/rooms/{roomAlias}"],
        "getProtocolMetadata": ["/_matrix/app/unstable/thirdparty/protocol/{protocol}"],
        "queryUserByProtocol": ["/_matrix/app/unstable/thirdparty/user/{protocol}"],
        "queryLocationByProtocol": ["/_matrix/app/unstable/thirdparty/location/{protocol}"],
        "queryLocationByAlias": ["/_matrix/app/unstable/thirdparty/location"],
        "queryUserByID": ["/_matrix/app/unstable/thirdparty/user"],
    }


def test_shared_lookups_keep_their_official_ids(view: ReleaseView, doc: dict[str, Any]) -> None:
    ops = operations(view)
    assert ops["clientGetProtocolMetadata"][2]["x-matrixOperationId"] == "getProtocolMetadata"
    assert ops["getProtocolMetadata"][2]["x-matrixOperationId"] == "getProtocolMetadata"


def test_searchfields_renamed_in_v1_13(spec: Spec) -> None:
    for name, expected in (("v1.12", "searchFields"), ("v1.13", "fields")):
        view = spec.ir.release(name)
        doc = view.doc
        found = params(doc, operations(view)["clientQueryLocationByProtocol"][2])
        assert expected in found and ({"searchFields", "fields"} - {expected}).isdisjoint(found)


def test_ephemeral_needs_room_id_for_typing(spec: Spec) -> None:
    from codegen.bundle_schema import schema_validator

    view = spec.ir.release("v1.13")

    doc = view.doc
    validator = schema_validator(doc, ("components", "schemas", "EphemeralEvent"))
    assert not validator.is_valid({"type": "m.typing", "content": {"user_ids": []}})
    assert validator.is_valid({"type": "m.typing", "room_id": "!r:x", "content": {"user_ids": []}})
    assert validator.is_valid({"type": "m.presence", "sender": "@a:x", "content": {}})


def test_login_identifier_kinds_and_legacy_fields(view: ReleaseView, doc: dict[str, Any]) -> None:
    from codegen.bundle_schema import schema_validator

    body = body_schema(doc, operations(view)["login"][2])
    assert body["properties"]["identifier"]["$ref"] == "#/components/schemas/UserIdentifier"
    assert {n for n, p in body["properties"].items() if p.get("deprecated")} == {
        "user", "medium", "address"
    }  # fmt: skip
    identifier = schema_validator(doc, ("components", "schemas", "UserIdentifier"))
    assert identifier.is_valid({"type": "m.id.user", "user": "alice"})
    assert not identifier.is_valid({"type": "m.id.user"})
    assert identifier.is_valid({"type": "m.id.thirdparty", "medium": "email", "address": "a@b.c"})
    assert not identifier.is_valid({"type": "m.id.thirdparty", "medium": "email"})
    assert identifier.is_valid({"type": "m.id.phone", "country": "GB", "phone": "07700 900123"})
    assert not identifier.is_valid({"type": "m.id.phone", "phone": "07700 900123"})
    assert identifier.is_valid({"type": "com.example.custom", "anything": 1})


def test_identity_assertion_parameters(view: ReleaseView, doc: dict[str, Any]) -> None:
    marked = {
        name: p for name, p in doc["components"]["parameters"].items()
        if p.get("x-identityAssertion") is True
    }  # fmt: skip
    assert {p["name"] for p in marked.values()} == {
        "user_id", "device_id", "org.matrix.msc3202.device_id"
    }  # fmt: skip
    assert marked["msc3202_device_id"]["x-unstable"] == "MSC3202"
    assert all(p["in"] == "query" and not p.get("required") for p in marked.values())
    for op_id, (_, _, op) in operations(view).items():
        names = set(params(doc, op))
        if op["x-api"] == "application-service":
            assert not names & {"user_id", "device_id"}, op_id
        elif op_id in NO_IDENTITY_ASSERTION:
            assert not names & {"user_id", "device_id"}, op_id
            assert op["x-noIdentityAssertion"].strip(), op_id
        else:
            assert "x-noIdentityAssertion" not in op, op_id
            assert {p["name"] for p in marked.values()} <= names, op_id


def test_redacted_because_is_a_client_event(doc: dict[str, Any]) -> None:
    from codegen.bundle_schema import schema_validator

    unsigned = doc["components"]["schemas"]["UnsignedData"]
    assert unsigned["properties"]["redacted_because"]["$ref"] == "#/components/schemas/ClientEvent"
    event = schema_validator(doc, ("components", "schemas", "ClientEvent"))
    redaction = {
        "event_id": "$r", "type": "m.room.redaction", "sender": "@bob:example.org",
        "origin_server_ts": 2, "content": {}, "room_id": "!r:example.org",
    }  # fmt: skip
    redacted = {
        "event_id": "$e", "type": "m.room.message", "sender": "@alice:example.org",
        "origin_server_ts": 1, "content": {}, "room_id": "!r:example.org",
        "unsigned": {"redacted_because": redaction},
    }  # fmt: skip
    assert event.is_valid(redacted)
    del redaction["sender"]
    assert not event.is_valid(redacted)
    redacted["unsigned"]["redacted_because"] = {"redacted": True}
    assert not event.is_valid(redacted)


def test_what_homeservers_send_beyond_the_official_schemas(
    view: ReleaseView, doc: dict[str, Any]
) -> None:
    schemas = doc["components"]["schemas"]
    for holder, name in (("ClientEvent", "redacts"), ("UnsignedData", "prev_sender")):
        prop = schemas[holder]["properties"][name]
        assert prop["x-notInOfficialSchema"].strip(), name
        assert "x-unstable" not in prop and name not in schemas[holder].get("required", [])
    tx = body_schema(doc, operations(view)["sendTransaction"][2])["properties"]
    assert tx["de.sorunome.msc2409.ephemeral"]["x-unstable"] == "MSC2409"
    assert tx["de.sorunome.msc2409.ephemeral"]["items"] == tx["ephemeral"]["items"]
    old, new = (tx[f"org.matrix.msc3202.device_one_time_{n}"] for n in ("key_counts", "keys_count"))
    assert old["x-unstable"] == "MSC3202"
    assert old["additionalProperties"] == new["additionalProperties"]


def test_get_public_rooms_next_to_the_filtered_form(view: ReleaseView, doc: dict[str, Any]) -> None:
    ops = operations(view)
    get, post = ops["getPublicRooms"][2], ops["queryPublicRooms"][2]
    assert {} in get["security"] and {"accessTokenBearer": []} in get["security"]
    assert "requestBody" not in get
    assert response_schema(doc, get, "200") is response_schema(doc, post, "200")
    assert response_schema(doc, get, "200")["title"] == "PublicRoomsResponse"
    assert {"include_all_networks", "third_party_instance_id"}.isdisjoint(params(doc, get))


def test_search_fields_are_marked_free_form(view: ReleaseView, doc: dict[str, Any]) -> None:
    for op_id in ("queryUserByProtocol", "queryLocationByProtocol",
                  "clientQueryUserByProtocol", "clientQueryLocationByProtocol"):  # fmt: skip
        found = params(doc, operations(view)[op_id][2])
        free = [name for name, p in found.items() if p.get("x-freeFormQuery") is True]
        assert free == ["fields"], op_id
        assert found["fields"]["style"] == "form" and found["fields"]["explode"] is True
        assert found["fields"]["schema"]["additionalProperties"] == {"type": "string"}
