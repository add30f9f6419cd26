"""What every operation of the spec is: method, path per release, auth per release, models.

Like the rest of the package, this module is generated from the spec sources. Releases are
named as in :data:`matrix_appservice.RELEASES`. An operation exists in the releases from
``since`` up to (not including) ``until``; a history is a tuple of ``(since, value)`` pairs,
oldest first. Each operation is also a module constant (``SEND_TRANSACTION``) typed
``Operation[Request, Response]`` with the model classes of its request body and of its
success answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from matrix_appservice._client_media import Media
from matrix_appservice._operation import Api, AuthScheme, NotInReleaseError, Operation
from matrix_appservice._operation import type_name as type_name

from matrix_appservice.models import (  # isort: skip
    AccountDataContent, AppserviceRoomDirectoryVisibility,
    AppserviceRoomDirectoryVisibilityResponse, AuthenticationResponse, AvatarUrl, BanRequest,
    BanResponse, ClaimKeysRequest, ClaimKeysResponse, ClientEvent, ClientProtocol, ContentUri,
    CreatedContent, CreateDeviceResponse, CreateRoomRequest, CreateRoomResponse,
    DeleteDeviceRequest, DeleteDeviceResponse, DeleteDevicesRequest, DeleteDevicesResponse,
    DeleteRoomAliasResponse, DisplayName, Error, EventContext, ForgetRoomResponse,
    InviteUserRequest, InviteUserResponse, JoinedMembersResponse, JoinedRoomsResponse,
    JoinRoomByIdRequest, JoinRoomRequest, KickRequest, KickResponse, KnockRoomRequest,
    LeaveRoomRequest, LeaveRoomResponse, LocalAliasesResponse, Location, LoginRequest,
    LoginResponse, MediaConfig, MembersResponse, PingAppserviceFailure, PingAppserviceRequest,
    PingAppserviceResponse, PingRequest, PingResponse, PresenceStatus, Protocol,
    PublicRoomsFilterRequest, PublicRoomsResponse, QueryKeysRequest, QueryKeysResponse,
    QueryRoomResponse, QueryUserResponse, RateLimitError, ReadMarkersRequest, ReadMarkersResponse,
    ReceiptRequest, ReceiptResponse, RedactEventRequest, RedactEventResponse, RegisterRequest,
    RegisterResponse, RoomAccountDataContent, RoomAliasTarget, RoomEventContent, RoomEventsPage,
    RoomIdResponse, SendEventResponse, SendToDeviceRequest, SendToDeviceResponse,
    SetAccountDataResponse, SetAvatarUrlResponse, SetDisplayNameResponse, SetPresenceRequest,
    SetPresenceResponse, SetRoomAccountDataResponse, SetRoomAliasRequest, SetRoomAliasResponse,
    StateEventContent, StateEventResponse, ThirdPartyProtocols, ThirdPartyUser, Transaction,
    TransactionResponse, TypingRequest, TypingResponse, UnbanRequest, UnbanResponse,
    UpdateDeviceRequest, UpdateDeviceResponse, UploadContentToMxcResponse,
    UploadCrossSigningKeysRequest, UploadCrossSigningKeysResponse, UploadKeysRequest,
    UploadKeysResponse, UserProfile, VersionsResponse, WhoamiResponse,
)  # fmt: skip

__all__ = [
    "AUTH_SCHEMES", "OPERATIONS", "Api", "AuthScheme", "NotInReleaseError", "Operation",
    "operation", "GET_PROTOCOL_METADATA", "PING", "QUERY_LOCATION_BY_ALIAS",
    "QUERY_LOCATION_BY_PROTOCOL", "QUERY_ROOM_ALIAS", "QUERY_USER_BY_ID", "QUERY_USER",
    "QUERY_USER_BY_PROTOCOL", "SEND_TRANSACTION", "BAN", "CLAIM_KEYS",
    "CLIENT_GET_PROTOCOL_METADATA", "CLIENT_QUERY_LOCATION_BY_ALIAS",
    "CLIENT_QUERY_LOCATION_BY_PROTOCOL", "CLIENT_QUERY_USER_BY_ID", "CLIENT_QUERY_USER_BY_PROTOCOL",
    "CREATE_CONTENT", "CREATE_ROOM", "DELETE_DEVICE", "DELETE_DEVICES", "DELETE_ROOM_ALIAS",
    "FORGET_ROOM", "GET_ACCOUNT_DATA", "GET_ACCOUNT_DATA_PER_ROOM", "GET_AVATAR_URL", "GET_CONFIG",
    "GET_CONFIG_AUTHED", "GET_CONTENT", "GET_CONTENT_AUTHED", "GET_CONTENT_THUMBNAIL",
    "GET_CONTENT_THUMBNAIL_AUTHED", "GET_DISPLAY_NAME", "GET_EVENT_CONTEXT",
    "GET_JOINED_MEMBERS_BY_ROOM", "GET_JOINED_ROOMS", "GET_LOCAL_ALIASES", "GET_MEMBERS_BY_ROOM",
    "GET_ONE_ROOM_EVENT", "GET_PRESENCE", "GET_PROTOCOLS", "GET_PUBLIC_ROOMS", "GET_ROOM_EVENTS",
    "GET_ROOM_ID_BY_ALIAS", "GET_ROOM_STATE", "GET_ROOM_STATE_WITH_KEY", "GET_TOKEN_OWNER",
    "GET_USER_PROFILE", "GET_VERSIONS", "INVITE_USER", "JOIN_ROOM", "JOIN_ROOM_BY_ID", "KICK",
    "KNOCK_ROOM", "LEAVE_ROOM", "LOGIN", "PING_APPSERVICE", "POST_RECEIPT", "QUERY_KEYS",
    "QUERY_PUBLIC_ROOMS", "REDACT_EVENT", "REGISTER", "SEND_MESSAGE", "SEND_TO_DEVICE",
    "SET_ACCOUNT_DATA", "SET_ACCOUNT_DATA_PER_ROOM", "SET_AVATAR_URL", "SET_DISPLAY_NAME",
    "SET_PRESENCE", "SET_READ_MARKER", "SET_ROOM_ALIAS", "SET_ROOM_STATE_WITH_KEY", "SET_TYPING",
    "UNBAN", "UPDATE_APPSERVICE_ROOM_DIRECTORY_VISIBILITY", "UPDATE_DEVICE", "UPLOAD_CONTENT",
    "UPLOAD_CONTENT_TO_MXC", "UPLOAD_CROSS_SIGNING_KEYS", "UPLOAD_KEYS",
]  # fmt: skip

AUTH_SCHEMES: Mapping[str, AuthScheme] = MappingProxyType({
    "accessTokenBearer": AuthScheme("accessTokenBearer", "bearer", None, "r0.1.0", None, None),
    "accessTokenQuery": AuthScheme("accessTokenQuery", "query", "access_token", "r0.1.0", "unstable", "v1.11"),
    "appserviceAccessTokenBearer": AuthScheme("appserviceAccessTokenBearer", "bearer", None, "r0.1.0", None, None),
    "appserviceAccessTokenQuery": AuthScheme("appserviceAccessTokenQuery", "query", "access_token", "r0.1.0", "unstable", "v1.11"),
    "homeserverAccessToken": AuthScheme("homeserverAccessToken", "bearer", None, "v1.4", None, None),
    "homeserverAccessTokenQuery": AuthScheme("homeserverAccessTokenQuery", "query", "access_token", "r0.1.0", "v1.4", None),
})  # fmt: skip
Operation.auth_schemes = AUTH_SCHEMES

# Values that several operations share, each written once.
_AUTH_HISTORY_1 = (("r0.1.0", ("accessTokenBearer", "accessTokenQuery")), ("unstable", ("accessTokenBearer",)))  # fmt: skip
_AUTH_HISTORY_2 = (("r0.1.0", ("homeserverAccessTokenQuery",)), ("v1.4", ("homeserverAccessToken",)))  # fmt: skip
_AUTH_HISTORY_3 = (("v1.11", ("accessTokenBearer", "accessTokenQuery")), ("unstable", ("accessTokenBearer",)))  # fmt: skip
_AUTH_HISTORY_4 = (("v1.1", ("accessTokenBearer", "accessTokenQuery")), ("unstable", ("accessTokenBearer",)))  # fmt: skip
_IDENTITY_HISTORY_1 = (("r0.1.0", ("user_id",)), ("v1.17", ("user_id", "device_id")), ("unstable", ("user_id", "device_id", "org.matrix.msc3202.device_id")))  # fmt: skip
_IDENTITY_HISTORY_2 = (("v1.7", ("user_id",)), ("v1.17", ("user_id", "device_id")), ("unstable", ("user_id", "device_id", "org.matrix.msc3202.device_id")))  # fmt: skip
_IDENTITY_HISTORY_3 = (("v1.11", ("user_id",)), ("v1.17", ("user_id", "device_id")), ("unstable", ("user_id", "device_id", "org.matrix.msc3202.device_id")))  # fmt: skip
_IDENTITY_HISTORY_4 = (("v1.1", ("user_id",)), ("v1.17", ("user_id", "device_id")), ("unstable", ("user_id", "device_id", "org.matrix.msc3202.device_id")))  # fmt: skip
_QUERY_PARAMS_1 = (("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False))  # fmt: skip
_RESPONSES_1 = MappingProxyType({200: dict[str, Any], 400: Error, 403: Error, 404: Error})  # fmt: skip
_RESPONSES_2 = MappingProxyType({200: RoomIdResponse, 400: Error, 403: Error, 404: Error, 429: RateLimitError})  # fmt: skip
_ERRCODE_SPANS_1 = ((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None))  # fmt: skip
_ERRCODE_SPANS_2 = ((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (404, "M_NOT_FOUND", "r0.1.0", None))  # fmt: skip
_ERRCODE_SPANS_3 = ((403, "M_FORBIDDEN", "r0.1.1", None), (404, "M_NOT_FOUND", "r0.1.0", None), (404, "M_UNRECOGNIZED", "v1.6", None), (405, "M_UNRECOGNIZED", "v1.6", None))  # fmt: skip
_ERRCODE_SPANS_4 = ((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None))  # fmt: skip


GET_PROTOCOL_METADATA: Operation[None, Protocol] = Operation(
    name="getProtocolMetadata", api="application-service", method="GET", python_name="get_protocol_metadata",
    summary="Describe one third-party protocol the appservice bridges.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/protocol/{protocol}"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: Protocol, 401: Error, 403: Error, 404: Error, 405: Error}),
    legacy_paths=("/_matrix/app/unstable/thirdparty/protocol/{protocol}",), errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

PING: Operation[PingRequest, PingResponse] = Operation(
    name="ping", api="application-service", method="POST", python_name="ping",
    summary="Answer a connectivity check from the homeserver.", since="v1.7",
    path_history=(("v1.7", "/_matrix/app/v1/ping"),), auth_history=(("v1.7", ("homeserverAccessToken",)),),
    request=PingRequest, request_required=False,
    responses=MappingProxyType({200: PingResponse, 401: Error, 403: Error, 404: Error, 405: Error}), added_in="v1.7",
    errcode_spans=((403, "M_FORBIDDEN", "v1.7", None), (404, "M_UNRECOGNIZED", "v1.7", None), (405, "M_UNRECOGNIZED", "v1.7", None)))  # fmt: skip

QUERY_LOCATION_BY_ALIAS: Operation[None, list[Location]] = Operation(
    name="queryLocationByAlias", api="application-service", method="GET", python_name="query_location_by_alias",
    summary="Find the remote locations behind a Matrix room alias.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/location"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: list[Location], 401: Error, 403: Error, 404: Error, 405: Error}),
    query_params=(("alias", False),), legacy_paths=("/_matrix/app/unstable/thirdparty/location",),
    errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

QUERY_LOCATION_BY_PROTOCOL: Operation[None, list[Location]] = Operation(
    name="queryLocationByProtocol", api="application-service", method="GET", python_name="query_location_by_protocol",
    summary="Find the Matrix rooms that reach remote locations matching some fields.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/location/{protocol}"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: list[Location], 401: Error, 403: Error, 404: Error, 405: Error}),
    query_params=(("fields", False),), legacy_paths=("/_matrix/app/unstable/thirdparty/location/{protocol}",),
    free_query_history=(("r0.1.0", "fields"),), errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

QUERY_ROOM_ALIAS: Operation[None, QueryRoomResponse] = Operation(
    name="queryRoomByAlias", api="application-service", method="GET", python_name="query_room_alias",
    summary="Ask the appservice whether a room alias in its namespace exists.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/rooms/{roomAlias}"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: QueryRoomResponse, 401: Error, 403: Error, 404: Error, 405: Error}),
    legacy_paths=("/rooms/{roomAlias}",), rest_param="roomAlias", errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

QUERY_USER_BY_ID: Operation[None, list[ThirdPartyUser]] = Operation(
    name="queryUserByID", api="application-service", method="GET", python_name="query_user_by_id",
    summary="Find the remote users behind a Matrix user ID.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/user"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: list[ThirdPartyUser], 401: Error, 403: Error, 404: Error, 405: Error}),
    query_params=(("userid", False),), legacy_paths=("/_matrix/app/unstable/thirdparty/user",),
    errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

QUERY_USER: Operation[None, QueryUserResponse] = Operation(
    name="queryUserById", api="application-service", method="GET", python_name="query_user",
    summary="Ask the appservice whether a user in its namespace exists.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/users/{userId}"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: QueryUserResponse, 401: Error, 403: Error, 404: Error, 405: Error}),
    legacy_paths=("/users/{userId}",), rest_param="userId", errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

QUERY_USER_BY_PROTOCOL: Operation[None, list[ThirdPartyUser]] = Operation(
    name="queryUserByProtocol", api="application-service", method="GET", python_name="query_user_by_protocol",
    summary="Find the Matrix users that stand for remote users matching some fields.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/user/{protocol}"),), auth_history=_AUTH_HISTORY_2,
    responses=MappingProxyType({200: list[ThirdPartyUser], 401: Error, 403: Error, 404: Error, 405: Error}),
    query_params=(("fields", False),), legacy_paths=("/_matrix/app/unstable/thirdparty/user/{protocol}",),
    free_query_history=(("r0.1.0", "fields"),), errcode_spans=_ERRCODE_SPANS_3)  # fmt: skip

SEND_TRANSACTION: Operation[Transaction, TransactionResponse] = Operation(
    name="sendTransaction", api="application-service", method="PUT", python_name="send_transaction",
    summary="Receive a batch of events from the homeserver.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/app/v1/transactions/{txnId}"),), auth_history=_AUTH_HISTORY_2,
    request=Transaction,
    responses=MappingProxyType({200: TransactionResponse, 401: Error, 403: Error, 404: Error, 405: Error}),
    legacy_paths=("/transactions/{txnId}",),
    errcode_spans=((403, "M_FORBIDDEN", "r0.1.1", None), (404, "M_UNRECOGNIZED", "v1.6", None), (405, "M_UNRECOGNIZED", "v1.6", None)))  # fmt: skip

BAN: Operation[BanRequest, BanResponse] = Operation(
    name="ban", api="client-server", method="POST", python_name="ban", summary="Ban a user from a room.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/ban"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/ban")),
    auth_history=_AUTH_HISTORY_1, request=BanRequest,
    responses=MappingProxyType({200: BanResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

CLAIM_KEYS: Operation[ClaimKeysRequest, ClaimKeysResponse] = Operation(
    name="claimKeys", api="client-server", method="POST", python_name="claim_keys",
    summary="Claim one-time keys of other devices.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/keys/claim"), ("v1.1", "/_matrix/client/v3/keys/claim")),
    auth_history=_AUTH_HISTORY_1, request=ClaimKeysRequest,
    responses=MappingProxyType({200: ClaimKeysResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

CLIENT_GET_PROTOCOL_METADATA: Operation[None, ClientProtocol] = Operation(
    name="clientGetProtocolMetadata", matrix_name="getProtocolMetadata", api="client-server", method="GET",
    python_name="get_protocol_metadata", summary="Describe one third-party protocol.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/thirdparty/protocol/{protocol}"), ("v1.1", "/_matrix/client/v3/thirdparty/protocol/{protocol}")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: ClientProtocol, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

CLIENT_QUERY_LOCATION_BY_ALIAS: Operation[None, list[Location]] = Operation(
    name="clientQueryLocationByAlias", matrix_name="queryLocationByAlias", api="client-server", method="GET",
    python_name="query_location_by_alias", summary="Find the third-party location behind a Matrix room alias.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/thirdparty/location"), ("v1.1", "/_matrix/client/v3/thirdparty/location")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: list[Location], 400: Error, 403: Error, 404: Error}),
    query_params=(("alias", True), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

CLIENT_QUERY_LOCATION_BY_PROTOCOL: Operation[None, list[Location]] = Operation(
    name="clientQueryLocationByProtocol", matrix_name="queryLocationByProtocol", api="client-server", method="GET",
    python_name="query_location_by_protocol", summary="Find Matrix rooms for a place on a third-party network.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/thirdparty/location/{protocol}"), ("v1.1", "/_matrix/client/v3/thirdparty/location/{protocol}")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: list[Location], 400: Error, 403: Error, 404: Error}),
    query_params=(("fields", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    query_names=("searchFields", "user_id", "fields", "device_id", "org.matrix.msc3202.device_id"),
    identity_history=_IDENTITY_HISTORY_1, free_query_history=(("r0.1.0", "searchFields"), ("v1.13", "fields")),
    changed_in=MappingProxyType({"v1.13": "The search values are passed as one query parameter per field name (`fields`); earlier texts named a single `searchFields` parameter."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

CLIENT_QUERY_USER_BY_ID: Operation[None, list[ThirdPartyUser]] = Operation(
    name="clientQueryUserByID", matrix_name="queryUserByID", api="client-server", method="GET",
    python_name="query_user_by_id", summary="Find the third-party user behind a Matrix user ID.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/thirdparty/user"), ("v1.1", "/_matrix/client/v3/thirdparty/user")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: list[ThirdPartyUser], 400: Error, 403: Error, 404: Error}),
    query_params=(("userid", True), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

CLIENT_QUERY_USER_BY_PROTOCOL: Operation[None, list[ThirdPartyUser]] = Operation(
    name="clientQueryUserByProtocol", matrix_name="queryUserByProtocol", api="client-server", method="GET",
    python_name="query_user_by_protocol", summary="Find Matrix users for a person on a third-party network.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/thirdparty/user/{protocol}"), ("v1.1", "/_matrix/client/v3/thirdparty/user/{protocol}")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: list[ThirdPartyUser], 400: Error, 403: Error, 404: Error}),
    query_params=(("fields", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    identity_history=_IDENTITY_HISTORY_1, free_query_history=(("r0.1.0", "fields"),),
    changed_in=MappingProxyType({"v1.8": "The `fields` query parameter is described as a map of field names to string values."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

CREATE_CONTENT: Operation[None, CreatedContent] = Operation(
    name="createContent", api="client-server", method="POST", python_name="create_content",
    summary="Reserve an `mxc://` URI for a file to upload later.", since="v1.7",
    path_history=(("v1.7", "/_matrix/media/v1/create"),),
    auth_history=(("v1.7", ("accessTokenBearer", "accessTokenQuery")), ("unstable", ("accessTokenBearer",))),
    responses=MappingProxyType({200: CreatedContent, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_2, added_in="v1.7",
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.7", None), (429, "M_LIMIT_EXCEEDED", "v1.7", None)))  # fmt: skip

CREATE_ROOM: Operation[CreateRoomRequest, CreateRoomResponse] = Operation(
    name="createRoom", api="client-server", method="POST", python_name="create_room", summary="Create a room.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/createRoom"), ("v1.1", "/_matrix/client/v3/createRoom")),
    auth_history=_AUTH_HISTORY_1, request=CreateRoomRequest,
    responses=MappingProxyType({200: CreateRoomResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.16": "How the initial power levels depend on the room version is spelled out.", "v1.18": "An invite refused by invite blocking is answered 403 `M_INVITE_BLOCKED`."}),
    errcode_spans=((400, "M_NOT_JSON", "r0.1.0", None), (400, "M_BAD_JSON", "r0.1.0", None), (400, "M_ROOM_IN_USE", "r0.1.0", None), (400, "M_INVALID_ROOM_STATE", "r0.1.0", None), (400, "M_UNSUPPORTED_ROOM_VERSION", "r0.1.0", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (403, "M_INVITE_BLOCKED", "v1.18", None)))  # fmt: skip

DELETE_DEVICE: Operation[DeleteDeviceRequest, DeleteDeviceResponse] = Operation(
    name="deleteDevice", api="client-server", method="DELETE", python_name="delete_device", summary="Delete a device.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/devices/{deviceId}"), ("v1.1", "/_matrix/client/v3/devices/{deviceId}")),
    auth_history=_AUTH_HISTORY_1, request=DeleteDeviceRequest, request_required=False,
    responses=MappingProxyType({200: DeleteDeviceResponse, 400: Error, 401: AuthenticationResponse, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.17": "Appservices do not need user-interactive authentication to delete their users' devices."}),
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (401, "M_FORBIDDEN", "r0.1.0", None), (403, "M_FORBIDDEN", "r0.1.0", None)))  # fmt: skip

DELETE_DEVICES: Operation[DeleteDevicesRequest, DeleteDevicesResponse] = Operation(
    name="deleteDevices", api="client-server", method="POST", python_name="delete_devices",
    summary="Delete several devices at once.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/delete_devices"), ("v1.1", "/_matrix/client/v3/delete_devices")),
    auth_history=_AUTH_HISTORY_1, request=DeleteDevicesRequest,
    responses=MappingProxyType({200: DeleteDevicesResponse, 400: Error, 401: AuthenticationResponse, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.17": "Appservices do not need user-interactive authentication to delete their users' devices."}),
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (401, "M_FORBIDDEN", "r0.1.0", None), (403, "M_FORBIDDEN", "r0.1.0", None)))  # fmt: skip

DELETE_ROOM_ALIAS: Operation[None, DeleteRoomAliasResponse] = Operation(
    name="deleteRoomAlias", api="client-server", method="DELETE", python_name="delete_room_alias",
    summary="Delete an alias.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/directory/room/{roomAlias}"), ("v1.1", "/_matrix/client/v3/directory/room/{roomAlias}")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: DeleteRoomAliasResponse, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

FORGET_ROOM: Operation[None, ForgetRoomResponse] = Operation(
    name="forgetRoom", api="client-server", method="POST", python_name="forget_room",
    summary="Forget a room the caller has left.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/forget"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/forget")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: ForgetRoomResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_UNKNOWN", "r0.1.0", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

GET_ACCOUNT_DATA: Operation[None, dict[str, Any]] = Operation(
    name="getAccountData", api="client-server", method="GET", python_name="get_account_data",
    summary="Read account data of a user.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/user/{userId}/account_data/{type}"), ("v1.1", "/_matrix/client/v3/user/{userId}/account_data/{type}")),
    auth_history=_AUTH_HISTORY_1, responses=_RESPONSES_1, query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_ACCOUNT_DATA_PER_ROOM: Operation[None, dict[str, Any]] = Operation(
    name="getAccountDataPerRoom", api="client-server", method="GET", python_name="get_account_data_per_room",
    summary="Read account data of a user for one room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/user/{userId}/rooms/{roomId}/account_data/{type}"), ("v1.1", "/_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}")),
    auth_history=_AUTH_HISTORY_1, responses=_RESPONSES_1, query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_NOT_JSON", "v1.4", None), (400, "M_BAD_JSON", "v1.4", None), (400, "M_INVALID_PARAM", "v1.4", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (404, "M_NOT_FOUND", "r0.1.0", None)))  # fmt: skip

GET_AVATAR_URL: Operation[None, AvatarUrl] = Operation(
    name="getAvatarUrl", api="client-server", method="GET", python_name="get_avatar_url",
    summary="Read a user's avatar.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/profile/{userId}/avatar_url"), ("v1.1", "/_matrix/client/v3/profile/{userId}/avatar_url")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: AvatarUrl, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, auth_optional=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.12": "A homeserver may refuse to disclose the avatar, with 403."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_CONFIG: Operation[None, MediaConfig] = Operation(
    name="getConfig", api="client-server", method="GET", python_name="get_config",
    summary="Ask for the media repository's limits.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/media/r0/config"), ("v1.1", "/_matrix/media/v3/config")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: MediaConfig, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1, deprecated_in="v1.11",
    errcode_spans=_ERRCODE_SPANS_4)  # fmt: skip

GET_CONFIG_AUTHED: Operation[None, MediaConfig] = Operation(
    name="getConfigAuthed", api="client-server", method="GET", python_name="get_config_authed",
    summary="Ask for the media repository's limits.", since="v1.11",
    path_history=(("v1.11", "/_matrix/client/v1/media/config"),), auth_history=_AUTH_HISTORY_3,
    responses=MappingProxyType({200: MediaConfig, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_3, added_in="v1.11",
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.11", None), (429, "M_LIMIT_EXCEEDED", "v1.11", None)))  # fmt: skip

GET_CONTENT: Operation[None, Media] = Operation(
    name="getContent", api="client-server", method="GET", python_name="get_content",
    summary="Download a file, without authentication.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/media/r0/download/{serverName}/{mediaId}"), ("v1.1", "/_matrix/media/v3/download/{serverName}/{mediaId}")),
    auth_history=(("r0.1.0", ()),),
    responses=MappingProxyType({200: None, 404: Error, 429: RateLimitError, 502: Error, 504: Error}),
    query_params=(("allow_remote", False), ("timeout_ms", False), ("allow_redirect", False)), rate_limited=True,
    no_identity_assertion="The call carries no credentials, so there is nobody to act as.", deprecated_in="v1.11",
    changed_in=MappingProxyType({"v1.7": "`timeout_ms` waits for content not uploaded yet; `allow_redirect` allows a redirect.", "v1.11": "Deprecated; homeservers may stop serving new media here."}),
    errcode_spans=((404, "M_NOT_FOUND", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None), (502, "M_TOO_LARGE", "r0.1.0", None), (504, "M_NOT_YET_UPLOADED", "v1.7", None)),
    raw_responses=(200,))  # fmt: skip

GET_CONTENT_AUTHED: Operation[None, Media] = Operation(
    name="getContentAuthed", api="client-server", method="GET", python_name="get_content_authed",
    summary="Download a file.", since="v1.11",
    path_history=(("v1.11", "/_matrix/client/v1/media/download/{serverName}/{mediaId}"),), auth_history=_AUTH_HISTORY_3,
    responses=MappingProxyType({200: None, 400: Error, 403: Error, 404: Error, 429: RateLimitError, 502: Error, 504: Error}),
    query_params=(("timeout_ms", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    rate_limited=True, identity_history=_IDENTITY_HISTORY_3, added_in="v1.11",
    changed_in=MappingProxyType({"v1.12": "`Content-Type` and `Content-Disposition` are always sent."}),
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.11", None), (404, "M_NOT_FOUND", "v1.11", None), (429, "M_LIMIT_EXCEEDED", "v1.11", None), (502, "M_TOO_LARGE", "v1.11", None), (504, "M_NOT_YET_UPLOADED", "v1.11", None)),
    raw_responses=(200,))  # fmt: skip

GET_CONTENT_THUMBNAIL: Operation[None, Media] = Operation(
    name="getContentThumbnail", api="client-server", method="GET", python_name="get_content_thumbnail",
    summary="Download a thumbnail of an image, without authentication.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/media/r0/thumbnail/{serverName}/{mediaId}"), ("v1.1", "/_matrix/media/v3/thumbnail/{serverName}/{mediaId}")),
    auth_history=(("r0.1.0", ()),),
    responses=MappingProxyType({200: None, 400: Error, 404: Error, 413: Error, 429: RateLimitError, 502: Error, 504: Error}),
    query_params=(("width", True), ("height", True), ("method", False), ("allow_remote", False), ("timeout_ms", False), ("allow_redirect", False), ("animated", False)),
    rate_limited=True, no_identity_assertion="The call carries no credentials, so there is nobody to act as.",
    deprecated_in="v1.11",
    changed_in=MappingProxyType({"v1.7": "`timeout_ms` and `allow_redirect`.", "v1.11": "Deprecated; `animated` asks for an animated thumbnail."}),
    errcode_spans=((400, "M_UNKNOWN", "r0.1.0", None), (404, "M_NOT_FOUND", "r0.1.0", None), (413, "M_TOO_LARGE", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None), (502, "M_TOO_LARGE", "r0.1.0", None), (504, "M_NOT_YET_UPLOADED", "v1.7", None)),
    raw_responses=(200,))  # fmt: skip

GET_CONTENT_THUMBNAIL_AUTHED: Operation[None, Media] = Operation(
    name="getContentThumbnailAuthed", api="client-server", method="GET", python_name="get_content_thumbnail_authed",
    summary="Download a thumbnail of an image.", since="v1.11",
    path_history=(("v1.11", "/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}"),),
    auth_history=_AUTH_HISTORY_3,
    responses=MappingProxyType({200: None, 400: Error, 403: Error, 404: Error, 413: Error, 429: RateLimitError, 502: Error, 504: Error}),
    query_params=(("width", True), ("height", True), ("method", False), ("timeout_ms", False), ("animated", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    rate_limited=True, identity_history=_IDENTITY_HISTORY_3, added_in="v1.11",
    changed_in=MappingProxyType({"v1.12": "`Content-Type` and `Content-Disposition` are always sent."}),
    errcode_spans=((400, "M_UNKNOWN", "v1.11", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.11", None), (404, "M_NOT_FOUND", "v1.11", None), (413, "M_TOO_LARGE", "v1.11", None), (429, "M_LIMIT_EXCEEDED", "v1.11", None), (502, "M_TOO_LARGE", "v1.11", None), (504, "M_NOT_YET_UPLOADED", "v1.11", None)),
    raw_responses=(200,))  # fmt: skip

GET_DISPLAY_NAME: Operation[None, DisplayName] = Operation(
    name="getDisplayName", api="client-server", method="GET", python_name="get_display_name",
    summary="Read a user's display name.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/profile/{userId}/displayname"), ("v1.1", "/_matrix/client/v3/profile/{userId}/displayname")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: DisplayName, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, auth_optional=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.12": "A homeserver may refuse to disclose the display name, with 403."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_EVENT_CONTEXT: Operation[None, EventContext] = Operation(
    name="getEventContext", api="client-server", method="GET", python_name="get_event_context",
    summary="Read the events around one event.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/context/{eventId}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/context/{eventId}")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: EventContext, 400: Error, 403: Error, 404: Error}),
    query_params=(("limit", False), ("filter", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    query_names=("limit", "user_id", "filter", "device_id", "org.matrix.msc3202.device_id"),
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_JOINED_MEMBERS_BY_ROOM: Operation[None, JoinedMembersResponse] = Operation(
    name="getJoinedMembersByRoom", api="client-server", method="GET", python_name="get_joined_members_by_room",
    summary="Map the joined members of a room to their profiles.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/joined_members"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/joined_members")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: JoinedMembersResponse, 400: Error, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_JOINED_ROOMS: Operation[None, JoinedRoomsResponse] = Operation(
    name="getJoinedRooms", api="client-server", method="GET", python_name="get_joined_rooms",
    summary="List the rooms the caller is in.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/joined_rooms"), ("v1.1", "/_matrix/client/v3/joined_rooms")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: JoinedRoomsResponse, 400: Error, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_LOCAL_ALIASES: Operation[None, LocalAliasesResponse] = Operation(
    name="getLocalAliases", api="client-server", method="GET", python_name="get_local_aliases",
    summary="List the aliases this homeserver keeps for a room.", since="v1.1",
    path_history=(("v1.1", "/_matrix/client/v3/rooms/{roomId}/aliases"),), auth_history=_AUTH_HISTORY_4,
    responses=MappingProxyType({200: LocalAliasesResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_4, added_in="v1.1",
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.1", None), (429, "M_LIMIT_EXCEEDED", "v1.1", None)))  # fmt: skip

GET_MEMBERS_BY_ROOM: Operation[None, MembersResponse] = Operation(
    name="getMembersByRoom", api="client-server", method="GET", python_name="get_members_by_room",
    summary="List the membership events of a room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/members"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/members")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: MembersResponse, 400: Error, 403: Error}),
    query_params=(("at", False), ("membership", False), ("not_membership", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_ONE_ROOM_EVENT: Operation[None, ClientEvent] = Operation(
    name="getOneRoomEvent", api="client-server", method="GET", python_name="get_one_room_event",
    summary="Read one event of a room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/event/{eventId}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/event/{eventId}")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: ClientEvent, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_PRESENCE: Operation[None, PresenceStatus] = Operation(
    name="getPresence", api="client-server", method="GET", python_name="get_presence",
    summary="Read a user's presence.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/presence/{userId}/status"), ("v1.1", "/_matrix/client/v3/presence/{userId}/status")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: PresenceStatus, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_PROTOCOLS: Operation[None, ThirdPartyProtocols] = Operation(
    name="getProtocols", api="client-server", method="GET", python_name="get_protocols",
    summary="List the third-party protocols the homeserver can reach.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/thirdparty/protocols"), ("v1.1", "/_matrix/client/v3/thirdparty/protocols")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: ThirdPartyProtocols, 400: Error, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_PUBLIC_ROOMS: Operation[None, PublicRoomsResponse] = Operation(
    name="getPublicRooms", api="client-server", method="GET", python_name="get_public_rooms",
    summary="Page through the public room directory, without filters.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/publicRooms"), ("v1.1", "/_matrix/client/v3/publicRooms")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: PublicRoomsResponse, 400: Error, 403: Error}),
    query_params=(("limit", False), ("since", False), ("server", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    auth_optional=True, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_ROOM_EVENTS: Operation[None, RoomEventsPage] = Operation(
    name="getRoomEvents", api="client-server", method="GET", python_name="get_room_events",
    summary="Page through a room's history.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/messages"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/messages")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: RoomEventsPage, 400: Error, 403: Error}),
    query_params=(("dir", True), ("from", False), ("to", False), ("limit", False), ("filter", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.3": "`from` is optional: without it the page starts at either end of the visible history."}),
    errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_ROOM_ID_BY_ALIAS: Operation[None, RoomAliasTarget] = Operation(
    name="getRoomIdByAlias", api="client-server", method="GET", python_name="get_room_id_by_alias",
    summary="Resolve an alias to a room ID.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/directory/room/{roomAlias}"), ("v1.1", "/_matrix/client/v3/directory/room/{roomAlias}")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: RoomAliasTarget, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.5": "A malformed alias is refused with 400 `M_INVALID_PARAM`."}),
    errcode_spans=((400, "M_INVALID_PARAM", "v1.5", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (404, "M_NOT_FOUND", "r0.1.0", None)))  # fmt: skip

GET_ROOM_STATE: Operation[None, list[ClientEvent]] = Operation(
    name="getRoomState", api="client-server", method="GET", python_name="get_room_state",
    summary="Read the whole current state of a room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/state"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/state")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: list[ClientEvent], 400: Error, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

GET_ROOM_STATE_WITH_KEY: Operation[None, dict[str, Any]] = Operation(
    name="getRoomStateWithKey", api="client-server", method="GET", python_name="get_room_state_with_key",
    summary="Read one piece of a room's state.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/state/{eventType}/{stateKey}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}")),
    auth_history=_AUTH_HISTORY_1, responses=_RESPONSES_1,
    query_params=(("format", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    query_names=("user_id", "format", "device_id", "org.matrix.msc3202.device_id"),
    identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.16": "`format=event` returns the whole event rather than its content."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_TOKEN_OWNER: Operation[None, WhoamiResponse] = Operation(
    name="getTokenOwner", api="client-server", method="GET", python_name="get_token_owner",
    summary="Ask whom the access token (and identity assertion) stands for.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/account/whoami"), ("v1.1", "/_matrix/client/v3/account/whoami")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: WhoamiResponse, 400: Error, 401: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (401, "M_UNKNOWN_TOKEN", "r0.1.0", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

GET_USER_PROFILE: Operation[None, UserProfile] = Operation(
    name="getUserProfile", api="client-server", method="GET", python_name="get_user_profile",
    summary="Read a user's profile.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/profile/{userId}"), ("v1.1", "/_matrix/client/v3/profile/{userId}")),
    auth_history=_AUTH_HISTORY_1, responses=MappingProxyType({200: UserProfile, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, auth_optional=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.2": "A homeserver may refuse to disclose profiles, with 403.", "v1.16": "The answer may hold `m.tz` and custom profile fields."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

GET_VERSIONS: Operation[None, VersionsResponse] = Operation(
    name="getVersions", api="client-server", method="GET", python_name="get_versions",
    summary="Ask which releases of the specification the homeserver speaks.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/versions"),),
    auth_history=(("r0.1.0", ()), ("v1.10", ("accessTokenBearer", "accessTokenQuery")), ("unstable", ("accessTokenBearer",))),
    responses=MappingProxyType({200: VersionsResponse}), auth_optional=True,
    no_identity_assertion="The answer describes the homeserver, not a user; the call needs no credentials at all.",
    changed_in=MappingProxyType({"v1.10": "The answer may depend on who asks, when the caller authenticates."}))  # fmt: skip

INVITE_USER: Operation[InviteUserRequest, InviteUserResponse] = Operation(
    name="inviteUser", api="client-server", method="POST", python_name="invite_user",
    summary="Invite a user into a room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/invite"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/invite")),
    auth_history=_AUTH_HISTORY_1, request=InviteUserRequest,
    responses=MappingProxyType({200: InviteUserResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.18": "An invite refused by invite blocking is answered 403 `M_INVITE_BLOCKED`."}),
    errcode_spans=((400, "M_NOT_JSON", "r0.1.0", None), (400, "M_BAD_JSON", "r0.1.0", None), (400, "M_UNSUPPORTED_ROOM_VERSION", "r0.1.0", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (403, "M_INVITE_BLOCKED", "v1.18", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

JOIN_ROOM: Operation[JoinRoomRequest, RoomIdResponse] = Operation(
    name="joinRoom", api="client-server", method="POST", python_name="join_room",
    summary="Join a room by its ID or one of its aliases.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/join/{roomIdOrAlias}"), ("v1.1", "/_matrix/client/v3/join/{roomIdOrAlias}")),
    auth_history=_AUTH_HISTORY_1, request=JoinRoomRequest, responses=_RESPONSES_2,
    query_params=(("via", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    query_names=("server_name", "user_id", "via", "device_id", "org.matrix.msc3202.device_id"), rate_limited=True,
    identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.12": "`via` names the servers to join through; `server_name` is deprecated.", "v1.14": "`server_name` is removed."}),
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (403, "M_BAD_STATE", "r0.1.0", None), (404, "M_NOT_FOUND", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

JOIN_ROOM_BY_ID: Operation[JoinRoomByIdRequest, RoomIdResponse] = Operation(
    name="joinRoomById", api="client-server", method="POST", python_name="join_room_by_id",
    summary="Join a room by its ID.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/join"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/join")),
    auth_history=_AUTH_HISTORY_1, request=JoinRoomByIdRequest, responses=_RESPONSES_2, query_params=_QUERY_PARAMS_1,
    rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (403, "M_BAD_STATE", "r0.1.0", None), (404, "M_NOT_FOUND", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

KICK: Operation[KickRequest, KickResponse] = Operation(
    name="kick", api="client-server", method="POST", python_name="kick", summary="Remove a user from a room.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/kick"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/kick")),
    auth_history=_AUTH_HISTORY_1, request=KickRequest,
    responses=MappingProxyType({200: KickResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

KNOCK_ROOM: Operation[KnockRoomRequest, RoomIdResponse] = Operation(
    name="knockRoom", api="client-server", method="POST", python_name="knock_room",
    summary="Ask to be let into a room.", since="v1.1",
    path_history=(("v1.1", "/_matrix/client/v3/knock/{roomIdOrAlias}"),), auth_history=_AUTH_HISTORY_4,
    request=KnockRoomRequest, responses=_RESPONSES_2,
    query_params=(("via", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    query_names=("server_name", "user_id", "via", "device_id", "org.matrix.msc3202.device_id"), rate_limited=True,
    identity_history=_IDENTITY_HISTORY_4, added_in="v1.1",
    changed_in=MappingProxyType({"v1.12": "`via` names the servers to knock through; `server_name` is deprecated.", "v1.14": "`server_name` is removed."}),
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.1", None), (404, "M_NOT_FOUND", "v1.1", None), (429, "M_LIMIT_EXCEEDED", "v1.1", None)))  # fmt: skip

LEAVE_ROOM: Operation[LeaveRoomRequest, LeaveRoomResponse] = Operation(
    name="leaveRoom", api="client-server", method="POST", python_name="leave_room",
    summary="Leave a room, or turn down an invite.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/leave"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/leave")),
    auth_history=_AUTH_HISTORY_1, request=LeaveRoomRequest, request_required=False,
    responses=MappingProxyType({200: LeaveRoomResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.18": "A homeserver may forget the room as well, when it announces that it does."}),
    errcode_spans=_ERRCODE_SPANS_4)  # fmt: skip

LOGIN: Operation[LoginRequest, LoginResponse] = Operation(
    name="login", api="client-server", method="POST", python_name="login",
    summary="Obtain an access token, in particular for one of an appservice's users.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/login"), ("v1.1", "/_matrix/client/v3/login")),
    auth_history=_AUTH_HISTORY_1, request=LoginRequest,
    responses=MappingProxyType({200: LoginResponse, 400: Error, 401: Error, 403: Error, 429: RateLimitError}),
    rate_limited=True,
    no_identity_assertion="The body's `identifier` names the user to log in, and the request hands out a new device of its own, so homeservers ignore `user_id` and `device_id` here.",
    changed_in=MappingProxyType({"v1.2": "Appservices can log their users in with the `m.login.application_service` login type.", "v1.10": "A request with the appservice login type but a missing or unknown `as_token` is refused with 401 `M_MISSING_TOKEN` or `M_UNKNOWN_TOKEN`.", "v1.17": "Homeservers without the legacy authentication API refuse the appservice login type with `M_APPSERVICE_LOGIN_UNSUPPORTED`, and appservices must not use it there."}),
    errcode_spans=((400, "M_UNKNOWN", "r0.1.0", None), (400, "M_NOT_JSON", "r0.1.0", None), (400, "M_BAD_JSON", "r0.1.0", None), (400, "M_INVALID_PARAM", "r0.1.0", None), (400, "M_EXCLUSIVE", "v1.2", None), (400, "M_APPSERVICE_LOGIN_UNSUPPORTED", "v1.17", None), (401, "M_MISSING_TOKEN", "v1.10", None), (401, "M_UNKNOWN_TOKEN", "v1.10", None), (403, "M_FORBIDDEN", "r0.1.0", None), (403, "M_USER_DEACTIVATED", "v1.1", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

PING_APPSERVICE: Operation[PingAppserviceRequest, PingAppserviceResponse] = Operation(
    name="pingAppservice", api="client-server", method="POST", python_name="ping_appservice",
    summary="Have the homeserver check that it can reach the appservice.", since="v1.7",
    path_history=(("v1.7", "/_matrix/client/v1/appservice/{appserviceId}/ping"),),
    auth_history=(("v1.7", ("appserviceAccessTokenBearer", "appserviceAccessTokenQuery")), ("unstable", ("appserviceAccessTokenBearer",))),
    request=PingAppserviceRequest,
    responses=MappingProxyType({200: PingAppserviceResponse, 400: Error, 403: Error, 502: PingAppserviceFailure, 504: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_2, added_in="v1.7",
    errcode_spans=((400, "M_URL_NOT_SET", "v1.7", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.7", None), (502, "M_BAD_STATUS", "v1.7", None), (502, "M_CONNECTION_FAILED", "v1.7", None), (504, "M_CONNECTION_TIMEOUT", "v1.7", None)))  # fmt: skip

POST_RECEIPT: Operation[ReceiptRequest, ReceiptResponse] = Operation(
    name="postReceipt", api="client-server", method="POST", python_name="post_receipt",
    summary="Mark the events of a room as read up to one event.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/receipt/{receiptType}/{eventId}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}")),
    auth_history=_AUTH_HISTORY_1, request=ReceiptRequest,
    responses=MappingProxyType({200: ReceiptResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.4": "`m.read.private` and `m.fully_read` may be sent; receipts may name a thread."}),
    errcode_spans=((400, "M_INVALID_PARAM", "v1.4", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

QUERY_KEYS: Operation[QueryKeysRequest, QueryKeysResponse] = Operation(
    name="queryKeys", api="client-server", method="POST", python_name="query_keys",
    summary="Download the devices and encryption keys of users.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/keys/query"), ("v1.1", "/_matrix/client/v3/keys/query")),
    auth_history=_AUTH_HISTORY_1, request=QueryKeysRequest,
    responses=MappingProxyType({200: QueryKeysResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.1": "The answer holds the users' cross-signing keys.", "v1.7": "The `token` field is gone."}),
    errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

QUERY_PUBLIC_ROOMS: Operation[PublicRoomsFilterRequest, PublicRoomsResponse] = Operation(
    name="queryPublicRooms", api="client-server", method="POST", python_name="query_public_rooms",
    summary="Search the public room directory, optionally by bridged network.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/publicRooms"), ("v1.1", "/_matrix/client/v3/publicRooms")),
    auth_history=_AUTH_HISTORY_1, request=PublicRoomsFilterRequest,
    responses=MappingProxyType({200: PublicRoomsResponse, 400: Error, 403: Error}),
    query_params=(("server", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

REDACT_EVENT: Operation[RedactEventRequest, RedactEventResponse] = Operation(
    name="redactEvent", api="client-server", method="PUT", python_name="redact_event", summary="Redact an event.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/redact/{eventId}/{txnId}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}")),
    auth_history=_AUTH_HISTORY_1, request=RedactEventRequest,
    responses=MappingProxyType({200: RedactEventResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

REGISTER: Operation[RegisterRequest, RegisterResponse] = Operation(
    name="register", api="client-server", method="POST", python_name="register",
    summary="Create an account, in particular one of an appservice's users.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/register"), ("v1.1", "/_matrix/client/v3/register")),
    auth_history=_AUTH_HISTORY_1, request=RegisterRequest,
    responses=MappingProxyType({200: RegisterResponse, 400: Error, 401: AuthenticationResponse | Error, 403: Error, 429: RateLimitError}),
    query_params=(("kind", False),), rate_limited=True,
    no_identity_assertion="The account does not exist yet, so there is no one to act as: the body names the user to create, and homeservers ignore `user_id` and `device_id` here.",
    changed_in=MappingProxyType({"v1.10": "A request with the appservice login type but a missing or unknown `as_token` is refused with 401 `M_MISSING_TOKEN` or `M_UNKNOWN_TOKEN`.", "v1.17": "Homeservers that do not implement the legacy authentication API must still accept registrations from appservices; appservices must set `inhibit_login` to `true` on such servers and receive `M_APPSERVICE_LOGIN_UNSUPPORTED` when they do not."}),
    errcode_spans=((400, "M_USER_IN_USE", "r0.1.0", None), (400, "M_INVALID_USERNAME", "r0.1.0", None), (400, "M_EXCLUSIVE", "r0.1.0", None), (400, "M_APPSERVICE_LOGIN_UNSUPPORTED", "v1.17", None), (401, "M_MISSING_TOKEN", "v1.10", None), (401, "M_UNKNOWN_TOKEN", "v1.10", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

SEND_MESSAGE: Operation[RoomEventContent, SendEventResponse] = Operation(
    name="sendMessage", api="client-server", method="PUT", python_name="send_message",
    summary="Send a message event into a room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/send/{eventType}/{txnId}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}")),
    auth_history=_AUTH_HISTORY_1, request=RoomEventContent,
    responses=MappingProxyType({200: SendEventResponse, 400: Error, 413: Error, 403: Error}),
    query_params=(("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False), ("ts", False)),
    query_names=("user_id", "ts", "device_id", "org.matrix.msc3202.device_id"), identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.3": "Appservices may set the event's `origin_server_ts` with the `ts` query parameter.", "v1.7": "An annotation the sender has already made is refused with `M_DUPLICATE_ANNOTATION`."}),
    errcode_spans=((400, "M_NOT_JSON", "r0.1.0", None), (400, "M_BAD_JSON", "r0.1.0", None), (400, "M_INVALID_PARAM", "v1.3", None), (400, "M_DUPLICATE_ANNOTATION", "v1.7", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (413, "M_TOO_LARGE", "r0.1.0", None)))  # fmt: skip

SEND_TO_DEVICE: Operation[SendToDeviceRequest, SendToDeviceResponse] = Operation(
    name="sendToDevice", api="client-server", method="PUT", python_name="send_to_device",
    summary="Send messages straight to devices.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/sendToDevice/{eventType}/{txnId}"), ("v1.1", "/_matrix/client/v3/sendToDevice/{eventType}/{txnId}")),
    auth_history=_AUTH_HISTORY_1, request=SendToDeviceRequest,
    responses=MappingProxyType({200: SendToDeviceResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

SET_ACCOUNT_DATA: Operation[AccountDataContent, SetAccountDataResponse] = Operation(
    name="setAccountData", api="client-server", method="PUT", python_name="set_account_data",
    summary="Store account data of a user.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/user/{userId}/account_data/{type}"), ("v1.1", "/_matrix/client/v3/user/{userId}/account_data/{type}")),
    auth_history=_AUTH_HISTORY_1, request=AccountDataContent,
    responses=MappingProxyType({200: SetAccountDataResponse, 400: Error, 403: Error, 405: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.4": "The errors are documented: a body that is not an object, another user, a type the server controls."}),
    errcode_spans=((400, "M_NOT_JSON", "v1.4", None), (400, "M_BAD_JSON", "v1.4", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (405, "M_BAD_JSON", "v1.4", None)))  # fmt: skip

SET_ACCOUNT_DATA_PER_ROOM: Operation[RoomAccountDataContent, SetRoomAccountDataResponse] = Operation(
    name="setAccountDataPerRoom", api="client-server", method="PUT", python_name="set_account_data_per_room",
    summary="Store account data of a user for one room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/user/{userId}/rooms/{roomId}/account_data/{type}"), ("v1.1", "/_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}")),
    auth_history=_AUTH_HISTORY_1, request=RoomAccountDataContent,
    responses=MappingProxyType({200: SetRoomAccountDataResponse, 400: Error, 403: Error, 405: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.4": "The errors are documented, among them a malformed room ID (`M_INVALID_PARAM`)."}),
    errcode_spans=((400, "M_NOT_JSON", "v1.4", None), (400, "M_BAD_JSON", "v1.4", None), (400, "M_INVALID_PARAM", "v1.4", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (405, "M_BAD_JSON", "v1.4", None)))  # fmt: skip

SET_AVATAR_URL: Operation[AvatarUrl, SetAvatarUrlResponse] = Operation(
    name="setAvatarUrl", api="client-server", method="PUT", python_name="set_avatar_url",
    summary="Set a user's avatar.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/profile/{userId}/avatar_url"), ("v1.1", "/_matrix/client/v3/profile/{userId}/avatar_url")),
    auth_history=_AUTH_HISTORY_1, request=AvatarUrl,
    responses=MappingProxyType({200: SetAvatarUrlResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_BAD_JSON", "r0.1.0", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

SET_DISPLAY_NAME: Operation[DisplayName, SetDisplayNameResponse] = Operation(
    name="setDisplayName", api="client-server", method="PUT", python_name="set_display_name",
    summary="Set a user's display name.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/profile/{userId}/displayname"), ("v1.1", "/_matrix/client/v3/profile/{userId}/displayname")),
    auth_history=_AUTH_HISTORY_1, request=DisplayName,
    responses=MappingProxyType({200: SetDisplayNameResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_BAD_JSON", "r0.1.0", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)))  # fmt: skip

SET_PRESENCE: Operation[SetPresenceRequest, SetPresenceResponse] = Operation(
    name="setPresence", api="client-server", method="PUT", python_name="set_presence", summary="Set a user's presence.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/presence/{userId}/status"), ("v1.1", "/_matrix/client/v3/presence/{userId}/status")),
    auth_history=_AUTH_HISTORY_1, request=SetPresenceRequest,
    responses=MappingProxyType({200: SetPresenceResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=_ERRCODE_SPANS_4)  # fmt: skip

SET_READ_MARKER: Operation[ReadMarkersRequest, ReadMarkersResponse] = Operation(
    name="setReadMarker", api="client-server", method="POST", python_name="set_read_marker",
    summary="Move the read marker of a room, and the read receipts with it.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/read_markers"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/read_markers")),
    auth_history=_AUTH_HISTORY_1, request=ReadMarkersRequest,
    responses=MappingProxyType({200: ReadMarkersResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.4": "`m.fully_read` is optional; `m.read.private` moves the private receipt."}),
    errcode_spans=_ERRCODE_SPANS_4)  # fmt: skip

SET_ROOM_ALIAS: Operation[SetRoomAliasRequest, SetRoomAliasResponse] = Operation(
    name="setRoomAlias", api="client-server", method="PUT", python_name="set_room_alias",
    summary="Create an alias for a room.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/directory/room/{roomAlias}"), ("v1.1", "/_matrix/client/v3/directory/room/{roomAlias}")),
    auth_history=_AUTH_HISTORY_1, request=SetRoomAliasRequest,
    responses=MappingProxyType({200: SetRoomAliasResponse, 400: Error, 403: Error, 409: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.5": "A malformed alias is refused with 400 `M_INVALID_PARAM`."}),
    errcode_spans=((400, "M_EXCLUSIVE", "r0.1.0", None), (400, "M_INVALID_PARAM", "v1.5", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (409, "M_UNKNOWN", "r0.1.0", None)))  # fmt: skip

SET_ROOM_STATE_WITH_KEY: Operation[StateEventContent, StateEventResponse] = Operation(
    name="setRoomStateWithKey", api="client-server", method="PUT", python_name="set_room_state_with_key",
    summary="Set a piece of room state.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/state/{eventType}/{stateKey}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}")),
    auth_history=_AUTH_HISTORY_1, request=StateEventContent,
    responses=MappingProxyType({200: StateEventResponse, 400: Error, 413: Error, 403: Error}),
    query_params=(("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False), ("ts", False)),
    query_names=("user_id", "ts", "device_id", "org.matrix.msc3202.device_id"), identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.1": "Adding an alias to `m.room.canonical_alias` that is malformed or points elsewhere is refused with 400 `M_INVALID_PARAMETER` or `M_BAD_ALIAS`.", "v1.3": "Appservices may set the event's `origin_server_ts` with the `ts` query parameter. The errcode for a malformed alias is spelled `M_INVALID_PARAM` (it was `M_INVALID_PARAMETER`).", "v1.18": "An invite refused by invite blocking is answered 403 `M_INVITE_BLOCKED`."}),
    errcode_spans=((400, "M_NOT_JSON", "r0.1.0", None), (400, "M_BAD_JSON", "r0.1.0", None), (400, "M_INVALID_PARAMETER", "v1.1", "v1.3"), (400, "M_BAD_ALIAS", "v1.1", None), (400, "M_INVALID_PARAM", "v1.3", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (403, "M_INVITE_BLOCKED", "v1.18", None), (413, "M_TOO_LARGE", "r0.1.0", None)))  # fmt: skip

SET_TYPING: Operation[TypingRequest, TypingResponse] = Operation(
    name="setTyping", api="client-server", method="PUT", python_name="set_typing",
    summary="Say that a user is typing, or has stopped.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/typing/{userId}"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/typing/{userId}")),
    auth_history=_AUTH_HISTORY_1, request=TypingRequest,
    responses=MappingProxyType({200: TypingResponse, 400: Error, 403: Error, 429: RateLimitError}),
    query_params=_QUERY_PARAMS_1, rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=_ERRCODE_SPANS_4)  # fmt: skip

UNBAN: Operation[UnbanRequest, UnbanResponse] = Operation(
    name="unban", api="client-server", method="POST", python_name="unban", summary="Lift a user's ban from a room.",
    since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/unban"), ("v1.1", "/_matrix/client/v3/rooms/{roomId}/unban")),
    auth_history=_AUTH_HISTORY_1, request=UnbanRequest,
    responses=MappingProxyType({200: UnbanResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

UPDATE_APPSERVICE_ROOM_DIRECTORY_VISIBILITY: Operation[AppserviceRoomDirectoryVisibility, AppserviceRoomDirectoryVisibilityResponse] = Operation(
    name="updateAppserviceRoomDirectoryVisibility", api="client-server", method="PUT",
    python_name="update_appservice_room_directory_visibility",
    summary="Publish or unpublish a bridged room in the room directory, per network.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/directory/list/appservice/{networkId}/{roomId}"), ("v1.1", "/_matrix/client/v3/directory/list/appservice/{networkId}/{roomId}")),
    auth_history=(("r0.1.0", ("appserviceAccessTokenBearer", "appserviceAccessTokenQuery")), ("unstable", ("appserviceAccessTokenBearer",))),
    request=AppserviceRoomDirectoryVisibility,
    responses=MappingProxyType({200: AppserviceRoomDirectoryVisibilityResponse, 400: Error, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1, errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip

UPDATE_DEVICE: Operation[UpdateDeviceRequest, UpdateDeviceResponse | CreateDeviceResponse] = Operation(
    name="updateDevice", api="client-server", method="PUT", python_name="update_device",
    summary="Update a device, or let an appservice create one.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/devices/{deviceId}"), ("v1.1", "/_matrix/client/v3/devices/{deviceId}")),
    auth_history=_AUTH_HISTORY_1, request=UpdateDeviceRequest,
    responses=MappingProxyType({200: UpdateDeviceResponse, 201: CreateDeviceResponse, 400: Error, 403: Error, 404: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.17": "Appservices can create a device by updating one that does not exist yet."}),
    errcode_spans=_ERRCODE_SPANS_2)  # fmt: skip

UPLOAD_CONTENT: Operation[None, ContentUri] = Operation(
    name="uploadContent", api="client-server", method="POST", python_name="upload_content",
    summary="Upload a file to the media repository.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/media/r0/upload"), ("v1.1", "/_matrix/media/v3/upload")),
    auth_history=_AUTH_HISTORY_1,
    responses=MappingProxyType({200: ContentUri, 400: Error, 403: Error, 413: Error, 429: RateLimitError}),
    query_params=(("filename", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    rate_limited=True, identity_history=_IDENTITY_HISTORY_1,
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "r0.1.0", None), (413, "M_TOO_LARGE", "r0.1.0", None), (429, "M_LIMIT_EXCEEDED", "r0.1.0", None)),
    raw_request="application/octet-stream")  # fmt: skip

UPLOAD_CONTENT_TO_MXC: Operation[None, UploadContentToMxcResponse] = Operation(
    name="uploadContentToMXC", api="client-server", method="PUT", python_name="upload_content_to_mxc",
    summary="Upload the file of a URI created beforehand.", since="v1.7",
    path_history=(("v1.7", "/_matrix/media/v3/upload/{serverName}/{mediaId}"),),
    auth_history=(("v1.7", ("accessTokenBearer", "accessTokenQuery")), ("unstable", ("accessTokenBearer",))),
    responses=MappingProxyType({200: UploadContentToMxcResponse, 400: Error, 403: Error, 404: Error, 409: Error, 413: Error, 429: RateLimitError}),
    query_params=(("filename", False), ("user_id", False), ("device_id", False), ("org.matrix.msc3202.device_id", False)),
    rate_limited=True, identity_history=_IDENTITY_HISTORY_2, added_in="v1.7",
    errcode_spans=((400, "M_UNKNOWN_DEVICE", "v1.17", None), (403, "M_FORBIDDEN", "v1.7", None), (404, "M_NOT_FOUND", "v1.7", None), (409, "M_CANNOT_OVERWRITE_MEDIA", "v1.7", None), (413, "M_TOO_LARGE", "v1.7", None), (429, "M_LIMIT_EXCEEDED", "v1.7", None)),
    raw_request="application/octet-stream")  # fmt: skip

UPLOAD_CROSS_SIGNING_KEYS: Operation[UploadCrossSigningKeysRequest, UploadCrossSigningKeysResponse] = Operation(
    name="uploadCrossSigningKeys", api="client-server", method="POST", python_name="upload_cross_signing_keys",
    summary="Publish the user's cross-signing keys.", since="v1.1",
    path_history=(("v1.1", "/_matrix/client/v3/keys/device_signing/upload"),), auth_history=_AUTH_HISTORY_4,
    request=UploadCrossSigningKeysRequest,
    responses=MappingProxyType({200: UploadCrossSigningKeysResponse, 400: Error, 401: AuthenticationResponse, 403: Error}),
    query_params=_QUERY_PARAMS_1, identity_history=_IDENTITY_HISTORY_4, added_in="v1.1",
    changed_in=MappingProxyType({"v1.11": "No user-interactive authentication is needed when the user has no cross-signing keys yet.", "v1.17": "Appservices need no user-interactive authentication, even when the user already has keys."}),
    errcode_spans=((400, "M_INVALID_SIGNATURE", "v1.1", None), (400, "M_MISSING_PARAM", "v1.1", None), (400, "M_UNKNOWN_DEVICE", "v1.17", None), (401, "M_FORBIDDEN", "v1.1", None), (403, "M_FORBIDDEN", "v1.1", None)))  # fmt: skip

UPLOAD_KEYS: Operation[UploadKeysRequest, UploadKeysResponse] = Operation(
    name="uploadKeys", api="client-server", method="POST", python_name="upload_keys",
    summary="Publish a device's encryption keys.", since="r0.1.0",
    path_history=(("r0.1.0", "/_matrix/client/r0/keys/upload"), ("v1.1", "/_matrix/client/v3/keys/upload")),
    auth_history=_AUTH_HISTORY_1, request=UploadKeysRequest,
    responses=MappingProxyType({200: UploadKeysResponse, 400: Error, 403: Error}), query_params=_QUERY_PARAMS_1,
    identity_history=_IDENTITY_HISTORY_1,
    changed_in=MappingProxyType({"v1.2": "A fallback key may be uploaded, for when the one-time keys run out."}),
    errcode_spans=_ERRCODE_SPANS_1)  # fmt: skip


OPERATIONS: Mapping[str, Operation[Any, Any]] = MappingProxyType({op.name: op for op in (
    GET_PROTOCOL_METADATA, PING, QUERY_LOCATION_BY_ALIAS, QUERY_LOCATION_BY_PROTOCOL,
    QUERY_ROOM_ALIAS, QUERY_USER_BY_ID, QUERY_USER, QUERY_USER_BY_PROTOCOL, SEND_TRANSACTION, BAN,
    CLAIM_KEYS, CLIENT_GET_PROTOCOL_METADATA, CLIENT_QUERY_LOCATION_BY_ALIAS,
    CLIENT_QUERY_LOCATION_BY_PROTOCOL, CLIENT_QUERY_USER_BY_ID, CLIENT_QUERY_USER_BY_PROTOCOL,
    CREATE_CONTENT, CREATE_ROOM, DELETE_DEVICE, DELETE_DEVICES, DELETE_ROOM_ALIAS, FORGET_ROOM,
    GET_ACCOUNT_DATA, GET_ACCOUNT_DATA_PER_ROOM, GET_AVATAR_URL, GET_CONFIG, GET_CONFIG_AUTHED,
    GET_CONTENT, GET_CONTENT_AUTHED, GET_CONTENT_THUMBNAIL, GET_CONTENT_THUMBNAIL_AUTHED,
    GET_DISPLAY_NAME, GET_EVENT_CONTEXT, GET_JOINED_MEMBERS_BY_ROOM, GET_JOINED_ROOMS,
    GET_LOCAL_ALIASES, GET_MEMBERS_BY_ROOM, GET_ONE_ROOM_EVENT, GET_PRESENCE, GET_PROTOCOLS,
    GET_PUBLIC_ROOMS, GET_ROOM_EVENTS, GET_ROOM_ID_BY_ALIAS, GET_ROOM_STATE,
    GET_ROOM_STATE_WITH_KEY, GET_TOKEN_OWNER, GET_USER_PROFILE, GET_VERSIONS, INVITE_USER,
    JOIN_ROOM, JOIN_ROOM_BY_ID, KICK, KNOCK_ROOM, LEAVE_ROOM, LOGIN, PING_APPSERVICE, POST_RECEIPT,
    QUERY_KEYS, QUERY_PUBLIC_ROOMS, REDACT_EVENT, REGISTER, SEND_MESSAGE, SEND_TO_DEVICE,
    SET_ACCOUNT_DATA, SET_ACCOUNT_DATA_PER_ROOM, SET_AVATAR_URL, SET_DISPLAY_NAME, SET_PRESENCE,
    SET_READ_MARKER, SET_ROOM_ALIAS, SET_ROOM_STATE_WITH_KEY, SET_TYPING, UNBAN,
    UPDATE_APPSERVICE_ROOM_DIRECTORY_VISIBILITY, UPDATE_DEVICE, UPLOAD_CONTENT,
    UPLOAD_CONTENT_TO_MXC, UPLOAD_CROSS_SIGNING_KEYS, UPLOAD_KEYS,
)})  # fmt: skip
"""Every operation of every release, by its operationId in the bundled spec."""


def operation(name: str, api: Api | None = None) -> Operation[Any, Any]:
    """Find an operation by bundled or official operationId (``api`` settles shared names)."""
    if api is None and name in OPERATIONS:
        return OPERATIONS[name]
    found = [op for op in OPERATIONS.values() if op.matrix_name == name or op.name == name]
    if api is not None:
        found = [op for op in found if op.api == api]
    if len(found) != 1:
        known = ", ".join(sorted(OPERATIONS))
        raise KeyError(f"no single operation named {name!r} (api={api}); known: {known}")
    return found[0]
