"""What every operation of the spec is: method, path per release, auth per release, models.

Like the rest of the package, this module is generated from the spec sources. Releases are
named as in :data:`matrix_appservice.RELEASES`; a history is a tuple of ``(since, value)``
pairs, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal
from urllib.parse import quote

from matrix_appservice._releases import release_index, resolve_release

__all__ = [
    "AUTH_SCHEMES",
    "OPERATIONS",
    "Api",
    "AuthScheme",
    "NotInReleaseError",
    "Operation",
    "operation",
]

Api = Literal["application-service", "client-server"]


class NotInReleaseError(LookupError):
    """The operation does not exist in the release asked for."""


@dataclass(frozen=True)
class AuthScheme:
    """How a request proves who sent it."""

    name: str
    kind: Literal["bearer", "query"]
    """``bearer``: an ``Authorization: Bearer`` header; ``query``: a query parameter."""
    parameter: str | None
    """The query parameter's name for ``query`` schemes."""
    releases: tuple[str, ...]
    deprecated_in: str | None


AUTH_SCHEMES: Mapping[str, AuthScheme] = MappingProxyType(
    {
        "accessTokenBearer": AuthScheme(
            name="accessTokenBearer",
            kind="bearer",
            parameter=None,
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            deprecated_in=None,
        ),
        "accessTokenQuery": AuthScheme(
            name="accessTokenQuery",
            kind="query",
            parameter="access_token",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
            ),
            deprecated_in="v1.11",
        ),
        "appserviceAccessTokenBearer": AuthScheme(
            name="appserviceAccessTokenBearer",
            kind="bearer",
            parameter=None,
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            deprecated_in=None,
        ),
        "appserviceAccessTokenQuery": AuthScheme(
            name="appserviceAccessTokenQuery",
            kind="query",
            parameter="access_token",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
            ),
            deprecated_in="v1.11",
        ),
        "homeserverAccessToken": AuthScheme(
            name="homeserverAccessToken",
            kind="bearer",
            parameter=None,
            releases=(
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            deprecated_in=None,
        ),
        "homeserverAccessTokenQuery": AuthScheme(
            name="homeserverAccessTokenQuery",
            kind="query",
            parameter="access_token",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
            ),
            deprecated_in=None,
        ),
    }
)


def _pick(history: tuple[tuple[str, object], ...], version: str | None) -> object:
    index = release_index(version)
    chosen = history[0][1]
    for since, value in history:
        if release_index(since) <= index:
            chosen = value
    return chosen


@dataclass(frozen=True)
class Operation:
    """One operation, with its history across releases."""

    name: str
    """The operationId in the bundled spec (``sendTransaction``, ``clientGetProtocolMetadata``)."""
    matrix_name: str
    """The official operationId (the same as ``name`` except for shared lookups)."""
    api: Api
    """``application-service`` (homeserver to appservice) or ``client-server``."""
    method: str
    summary: str
    releases: tuple[str, ...]
    """The releases that have this operation."""
    added_in: str | None
    deprecated_in: str | None
    changed_in: Mapping[str, str]
    path_history: tuple[tuple[str, str], ...]
    auth_history: tuple[tuple[str, tuple[str, ...]], ...]
    legacy_paths: tuple[str, ...]
    """Paths a homeserver falls back to when the appservice does not answer the v1 path."""
    request: str | None
    """The model of the JSON request body, by name in :mod:`matrix_appservice.models`."""
    request_required: bool
    responses: Mapping[int, str | None]
    """Status code to the model of its JSON body (``list[Location]`` for arrays)."""
    rate_limited: bool
    path_params: tuple[str, ...]
    query_params: tuple[tuple[str, bool], ...]
    """``(name, required)`` of each query parameter in the newest release."""
    python_name: str
    """The method of the generated clients (``send_transaction``; ``query_user`` for
    ``queryUserById``, ``query_room_alias`` for ``queryRoomByAlias``)."""
    query_names: tuple[str, ...]
    """Every query parameter the operation declares in any release."""
    auth_optional: bool
    """The specification lets the call go without credentials (a server may still want them)."""
    identity_history: tuple[tuple[str, tuple[str, ...]], ...]
    """The identity-assertion query parameters per release; see :meth:`identity_params`."""
    no_identity_assertion: str | None
    """Why identity assertion does not apply, on the Client-Server calls where it does not."""
    free_query_history: tuple[tuple[str, str | None], ...]
    """The free-form search parameter per release; see :meth:`free_query`."""
    errcode_history: tuple[tuple[str, tuple[tuple[int, tuple[str, ...]], ...]], ...]
    """The errcodes each error status documents, per release; see :meth:`errcodes`."""

    def exists_in(self, version: str | None = None) -> bool:
        return resolve_release(version) in self.releases

    def _check(self, version: str | None) -> None:
        if not self.exists_in(version):
            raise NotInReleaseError(
                f"{self.name} does not exist in {resolve_release(version)}; "
                f"it exists in {self.releases[0]} to {self.releases[-1]}"
            )

    def path(self, version: str | None = None) -> str:
        """The path template in a release (default: the latest)."""
        self._check(version)
        return str(_pick(self.path_history, version))

    def auth(self, version: str | None = None) -> tuple[AuthScheme, ...]:
        """The ways to authenticate in a release, preferred first."""
        self._check(version)
        names = _pick(self.auth_history, version)
        assert isinstance(names, tuple)
        return tuple(AUTH_SCHEMES[n] for n in names)

    def identity_params(self, version: str | None = None) -> tuple[str, ...]:
        """The query parameters with which an appservice acts as one of its users here.

        Identity assertion: with its ``as_token``, an appservice adds ``user_id`` to act as a
        user of its namespaces, from v1.17 ``device_id`` to act as one of that user's
        devices, and in ``unstable`` the pre-release spelling ``org.matrix.msc3202.device_id``
        that some bridges still send. Empty for the homeserver -> appservice API and for
        the calls that name their user themselves (see :attr:`no_identity_assertion`).
        """
        self._check(version)
        names = _pick(self.identity_history, version)
        assert isinstance(names, tuple)
        return tuple(str(n) for n in names)

    def errcodes(self, version: str | None = None) -> Mapping[int, tuple[str, ...]]:
        """The errcodes the spec documents for each error status of the operation in a
        release (``{400: ("M_NOT_JSON", "M_BAD_JSON"), 403: ("M_FORBIDDEN",)}``). The
        clients raise a subclass of ``MatrixError`` named after each of them."""
        self._check(version)
        found = _pick(self.errcode_history, version)
        assert isinstance(found, tuple)
        return MappingProxyType(dict(found))

    def free_query(self, version: str | None = None) -> str | None:
        """The search parameter whose keys travel as query parameters of their own.

        The third-party lookups take protocol-defined search fields (``network``,
        ``channel``, ...). Each field is sent as a query parameter named after it
        (``?network=irc.libera.chat&channel=%23matrix``). The releases name the parameter
        that stands for them differently (``fields``, or ``searchFields`` on the
        Client-Server location lookup before v1.13), and this is that name; ``None`` when
        the operation takes no search fields. Build a query with :meth:`field_query` and
        read one with :meth:`fields_from_query`.
        """
        self._check(version)
        name = _pick(self.free_query_history, version)
        return name if isinstance(name, str) else None

    def _reserved(self) -> frozenset[str]:
        free = {name for _, name in self.free_query_history if name}
        tokens = {s.parameter for s in AUTH_SCHEMES.values() if s.kind == "query" and s.parameter}
        return frozenset((set(self.query_names) - free) | tokens)

    def field_query(
        self, fields: Mapping[str, str], version: str | None = None
    ) -> list[tuple[str, str]]:
        """Client side: the query pairs that carry ``fields``, one pair per field.

        A field named like a parameter the operation declares (``user_id``, ``access_token``,
        ...) could not be told apart from it, and is refused with ``ValueError``.
        """
        if self.free_query(version) is None:
            raise ValueError(f"{self.name} takes no search fields in {resolve_release(version)}")
        reserved = self._reserved()
        pairs: list[tuple[str, str]] = []
        for key, value in fields.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"search fields are strings, got {key!r}: {value!r}")
            if key in reserved:
                raise ValueError(
                    f"the search field {key!r} clashes with a parameter of {self.name}"
                )
            pairs.append((key, value))
        return pairs

    def fields_from_query(
        self, query: Mapping[str, str] | Iterable[tuple[str, str]], version: str | None = None
    ) -> dict[str, str]:
        """Server side: the search fields in a request's query parameters.

        Every parameter that the operation does not declare and that carries no token is a
        field; when one is repeated the first value counts. ``query`` is a mapping or the
        pairs of :func:`urllib.parse.parse_qsl`.
        """
        if self.free_query(version) is None:
            raise ValueError(f"{self.name} takes no search fields in {resolve_release(version)}")
        reserved = self._reserved()
        pairs = query.items() if isinstance(query, Mapping) else query
        fields: dict[str, str] = {}
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"query parameters are strings, got {key!r}: {value!r}")
            if key not in reserved:
                fields.setdefault(key, value)
        return fields

    def format_path(self, version: str | None = None, /, **params: str) -> str:
        """The path with its parameters filled in and percent-encoded."""
        template = self.path(version)
        missing = [p for p in self.path_params if p not in params]
        if missing:
            raise TypeError(f"{self.name} needs the path parameters: {', '.join(missing)}")
        for key, value in params.items():
            template = template.replace("{" + key + "}", quote(str(value), safe=""))
        return template


OPERATIONS: Mapping[str, Operation] = MappingProxyType(
    {
        "getProtocolMetadata": Operation(
            name="getProtocolMetadata",
            matrix_name="getProtocolMetadata",
            api="application-service",
            method="GET",
            summary="Describe one third-party protocol the appservice bridges.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/protocol/{protocol}"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/_matrix/app/unstable/thirdparty/protocol/{protocol}",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "Protocol",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=("protocol",),
            query_params=(),
            python_name="get_protocol_metadata",
            query_names=(),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "ping": Operation(
            name="ping",
            matrix_name="ping",
            api="application-service",
            method="POST",
            summary="Answer a connectivity check from the homeserver.",
            releases=(
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in="v1.7",
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("v1.7", "/_matrix/app/v1/ping"),),
            auth_history=(("v1.7", ("homeserverAccessToken",)),),
            legacy_paths=(),
            request="PingRequest",
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "PingResponse",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(),
            python_name="ping",
            query_names=(),
            auth_optional=False,
            identity_history=(("v1.7", ()),),
            no_identity_assertion=None,
            free_query_history=(("v1.7", None),),
            errcode_history=(
                (
                    "v1.7",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_UNRECOGNIZED",)),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "queryLocationByAlias": Operation(
            name="queryLocationByAlias",
            matrix_name="queryLocationByAlias",
            api="application-service",
            method="GET",
            summary="Find the remote locations behind a Matrix room alias.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/location"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/_matrix/app/unstable/thirdparty/location",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[Location]",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(("alias", False),),
            python_name="query_location_by_alias",
            query_names=("alias",),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "queryLocationByProtocol": Operation(
            name="queryLocationByProtocol",
            matrix_name="queryLocationByProtocol",
            api="application-service",
            method="GET",
            summary="Find the Matrix rooms that reach remote locations matching some fields.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/location/{protocol}"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/_matrix/app/unstable/thirdparty/location/{protocol}",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[Location]",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=("protocol",),
            query_params=(("fields", False),),
            python_name="query_location_by_protocol",
            query_names=("fields",),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", "fields"),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "queryRoomByAlias": Operation(
            name="queryRoomByAlias",
            matrix_name="queryRoomByAlias",
            api="application-service",
            method="GET",
            summary="Ask the appservice whether a room alias in its namespace exists.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/rooms/{roomAlias}"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/rooms/{roomAlias}",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "QueryRoomResponse",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=("roomAlias",),
            query_params=(),
            python_name="query_room_alias",
            query_names=(),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "queryUserByID": Operation(
            name="queryUserByID",
            matrix_name="queryUserByID",
            api="application-service",
            method="GET",
            summary="Find the remote users behind a Matrix user ID.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/user"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/_matrix/app/unstable/thirdparty/user",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[ThirdPartyUser]",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(("userid", False),),
            python_name="query_user_by_id",
            query_names=("userid",),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "queryUserById": Operation(
            name="queryUserById",
            matrix_name="queryUserById",
            api="application-service",
            method="GET",
            summary="Ask the appservice whether a user in its namespace exists.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/users/{userId}"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/users/{userId}",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "QueryUserResponse",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=("userId",),
            query_params=(),
            python_name="query_user",
            query_names=(),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "queryUserByProtocol": Operation(
            name="queryUserByProtocol",
            matrix_name="queryUserByProtocol",
            api="application-service",
            method="GET",
            summary="Find the Matrix users that stand for remote users matching some fields.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/thirdparty/user/{protocol}"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/_matrix/app/unstable/thirdparty/user/{protocol}",),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[ThirdPartyUser]",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=("protocol",),
            query_params=(("fields", False),),
            python_name="query_user_by_protocol",
            query_names=("fields",),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", "fields"),),
            errcode_history=(
                ("r0.1.0", ((404, ("M_NOT_FOUND",)),)),
                (
                    "r0.1.1",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (
                            404,
                            (
                                "M_NOT_FOUND",
                                "M_UNRECOGNIZED",
                            ),
                        ),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "sendTransaction": Operation(
            name="sendTransaction",
            matrix_name="sendTransaction",
            api="application-service",
            method="PUT",
            summary="Receive a batch of events from the homeserver.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("r0.1.0", "/_matrix/app/v1/transactions/{txnId}"),),
            auth_history=(
                ("r0.1.0", ("homeserverAccessTokenQuery",)),
                ("v1.4", ("homeserverAccessToken",)),
            ),
            legacy_paths=("/transactions/{txnId}",),
            request="Transaction",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "TransactionResponse",
                    401: "Error",
                    403: "Error",
                    404: "Error",
                    405: "Error",
                }
            ),
            rate_limited=False,
            path_params=("txnId",),
            query_params=(),
            python_name="send_transaction",
            query_names=(),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ()),
                ("r0.1.1", ((403, ("M_FORBIDDEN",)),)),
                (
                    "v1.6",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_UNRECOGNIZED",)),
                        (405, ("M_UNRECOGNIZED",)),
                    ),
                ),
            ),
        ),
        "clientGetProtocolMetadata": Operation(
            name="clientGetProtocolMetadata",
            matrix_name="getProtocolMetadata",
            api="client-server",
            method="GET",
            summary="Describe one third-party protocol.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/thirdparty/protocol/{protocol}"),
                ("v1.1", "/_matrix/client/v3/thirdparty/protocol/{protocol}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "ClientProtocol",
                    400: "Error",
                    403: "Error",
                    404: "Error",
                }
            ),
            rate_limited=False,
            path_params=("protocol",),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="get_protocol_metadata",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
            ),
        ),
        "clientQueryLocationByAlias": Operation(
            name="clientQueryLocationByAlias",
            matrix_name="queryLocationByAlias",
            api="client-server",
            method="GET",
            summary="Find the third-party location behind a Matrix room alias.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/thirdparty/location"),
                ("v1.1", "/_matrix/client/v3/thirdparty/location"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[Location]",
                    400: "Error",
                    403: "Error",
                    404: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("alias", True),
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="query_location_by_alias",
            query_names=(
                "alias",
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
            ),
        ),
        "clientQueryLocationByProtocol": Operation(
            name="clientQueryLocationByProtocol",
            matrix_name="queryLocationByProtocol",
            api="client-server",
            method="GET",
            summary="Find Matrix rooms for a place on a third-party network.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.13": "The search values are passed as one query parameter per field name (`fields`); earlier texts named a single `searchFields` parameter.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/thirdparty/location/{protocol}"),
                ("v1.1", "/_matrix/client/v3/thirdparty/location/{protocol}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[Location]",
                    400: "Error",
                    403: "Error",
                    404: "Error",
                }
            ),
            rate_limited=False,
            path_params=("protocol",),
            query_params=(
                ("fields", False),
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="query_location_by_protocol",
            query_names=(
                "searchFields",
                "user_id",
                "fields",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(
                ("r0.1.0", "searchFields"),
                ("v1.13", "fields"),
            ),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
            ),
        ),
        "clientQueryUserByID": Operation(
            name="clientQueryUserByID",
            matrix_name="queryUserByID",
            api="client-server",
            method="GET",
            summary="Find the third-party user behind a Matrix user ID.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/thirdparty/user"),
                ("v1.1", "/_matrix/client/v3/thirdparty/user"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[ThirdPartyUser]",
                    400: "Error",
                    403: "Error",
                    404: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("userid", True),
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="query_user_by_id",
            query_names=(
                "userid",
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
            ),
        ),
        "clientQueryUserByProtocol": Operation(
            name="clientQueryUserByProtocol",
            matrix_name="queryUserByProtocol",
            api="client-server",
            method="GET",
            summary="Find Matrix users for a person on a third-party network.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.8": "The `fields` query parameter is described as a map of field names to string values.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/thirdparty/user/{protocol}"),
                ("v1.1", "/_matrix/client/v3/thirdparty/user/{protocol}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "list[ThirdPartyUser]",
                    400: "Error",
                    403: "Error",
                    404: "Error",
                }
            ),
            rate_limited=False,
            path_params=("protocol",),
            query_params=(
                ("fields", False),
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="query_user_by_protocol",
            query_names=(
                "fields",
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", "fields"),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
            ),
        ),
        "deleteDevice": Operation(
            name="deleteDevice",
            matrix_name="deleteDevice",
            api="client-server",
            method="DELETE",
            summary="Delete a device.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.17": "Appservices do not need user-interactive authentication to delete their users\u0027 devices.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/devices/{deviceId}"),
                ("v1.1", "/_matrix/client/v3/devices/{deviceId}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="DeleteDeviceRequest",
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "DeleteDeviceResponse",
                    400: "Error",
                    401: "AuthenticationResponse",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=("deviceId",),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="delete_device",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (401, ("M_FORBIDDEN",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (401, ("M_FORBIDDEN",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "deleteDevices": Operation(
            name="deleteDevices",
            matrix_name="deleteDevices",
            api="client-server",
            method="POST",
            summary="Delete several devices at once.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.17": "Appservices do not need user-interactive authentication to delete their users\u0027 devices.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/delete_devices"),
                ("v1.1", "/_matrix/client/v3/delete_devices"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="DeleteDevicesRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "DeleteDevicesResponse",
                    400: "Error",
                    401: "AuthenticationResponse",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="delete_devices",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (401, ("M_FORBIDDEN",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (401, ("M_FORBIDDEN",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "getProtocols": Operation(
            name="getProtocols",
            matrix_name="getProtocols",
            api="client-server",
            method="GET",
            summary="List the third-party protocols the homeserver can reach.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/thirdparty/protocols"),
                ("v1.1", "/_matrix/client/v3/thirdparty/protocols"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "ThirdPartyProtocols",
                    400: "Error",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="get_protocols",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((403, ("M_FORBIDDEN",)),)),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "getPublicRooms": Operation(
            name="getPublicRooms",
            matrix_name="getPublicRooms",
            api="client-server",
            method="GET",
            summary="Page through the public room directory, without filters.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/publicRooms"),
                ("v1.1", "/_matrix/client/v3/publicRooms"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request=None,
            request_required=False,
            responses=MappingProxyType(
                {
                    200: "PublicRoomsResponse",
                    400: "Error",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("limit", False),
                ("since", False),
                ("server", False),
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="get_public_rooms",
            query_names=(
                "limit",
                "since",
                "server",
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=True,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((403, ("M_FORBIDDEN",)),)),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "login": Operation(
            name="login",
            matrix_name="login",
            api="client-server",
            method="POST",
            summary="Obtain an access token, in particular for one of an appservice\u0027s users.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.2": "Appservices can log their users in with the `m.login.application_service` login type.",
                    "v1.10": "A request with the appservice login type but a missing or unknown `as_token` is refused with 401 `M_MISSING_TOKEN` or `M_UNKNOWN_TOKEN`.",
                    "v1.17": "Homeservers without the legacy authentication API refuse the appservice login type with `M_APPSERVICE_LOGIN_UNSUPPORTED`, and appservices must not use it there.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/login"),
                ("v1.1", "/_matrix/client/v3/login"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="LoginRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "LoginResponse",
                    400: "Error",
                    401: "Error",
                    403: "Error",
                    429: "RateLimitError",
                }
            ),
            rate_limited=True,
            path_params=(),
            query_params=(),
            python_name="login",
            query_names=(),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion="The body\u0027s `identifier` names the user to log in, and the request hands out a new device of its own, so homeservers ignore `user_id` and `device_id` here.",
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (
                            400,
                            (
                                "M_UNKNOWN",
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
                (
                    "v1.1",
                    (
                        (
                            400,
                            (
                                "M_UNKNOWN",
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                            ),
                        ),
                        (
                            403,
                            (
                                "M_FORBIDDEN",
                                "M_USER_DEACTIVATED",
                            ),
                        ),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
                (
                    "v1.2",
                    (
                        (
                            400,
                            (
                                "M_UNKNOWN",
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                                "M_EXCLUSIVE",
                            ),
                        ),
                        (
                            403,
                            (
                                "M_FORBIDDEN",
                                "M_USER_DEACTIVATED",
                            ),
                        ),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
                (
                    "v1.10",
                    (
                        (
                            400,
                            (
                                "M_UNKNOWN",
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                                "M_EXCLUSIVE",
                            ),
                        ),
                        (
                            401,
                            (
                                "M_MISSING_TOKEN",
                                "M_UNKNOWN_TOKEN",
                            ),
                        ),
                        (
                            403,
                            (
                                "M_FORBIDDEN",
                                "M_USER_DEACTIVATED",
                            ),
                        ),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (
                            400,
                            (
                                "M_UNKNOWN",
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                                "M_EXCLUSIVE",
                                "M_APPSERVICE_LOGIN_UNSUPPORTED",
                            ),
                        ),
                        (
                            401,
                            (
                                "M_MISSING_TOKEN",
                                "M_UNKNOWN_TOKEN",
                            ),
                        ),
                        (
                            403,
                            (
                                "M_FORBIDDEN",
                                "M_USER_DEACTIVATED",
                            ),
                        ),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
            ),
        ),
        "pingAppservice": Operation(
            name="pingAppservice",
            matrix_name="pingAppservice",
            api="client-server",
            method="POST",
            summary="Have the homeserver check that it can reach the appservice.",
            releases=(
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in="v1.7",
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(("v1.7", "/_matrix/client/v1/appservice/{appserviceId}/ping"),),
            auth_history=(
                (
                    "v1.7",
                    (
                        "appserviceAccessTokenBearer",
                        "appserviceAccessTokenQuery",
                    ),
                ),
                ("unstable", ("appserviceAccessTokenBearer",)),
            ),
            legacy_paths=(),
            request="PingAppserviceRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "PingAppserviceResponse",
                    400: "Error",
                    403: "Error",
                    502: "PingAppserviceFailure",
                    504: "Error",
                }
            ),
            rate_limited=False,
            path_params=("appserviceId",),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="ping_appservice",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("v1.7", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("v1.7", None),),
            errcode_history=(
                (
                    "v1.7",
                    (
                        (400, ("M_URL_NOT_SET",)),
                        (403, ("M_FORBIDDEN",)),
                        (
                            502,
                            (
                                "M_BAD_STATUS",
                                "M_CONNECTION_FAILED",
                            ),
                        ),
                        (504, ("M_CONNECTION_TIMEOUT",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (
                            400,
                            (
                                "M_URL_NOT_SET",
                                "M_UNKNOWN_DEVICE",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                        (
                            502,
                            (
                                "M_BAD_STATUS",
                                "M_CONNECTION_FAILED",
                            ),
                        ),
                        (504, ("M_CONNECTION_TIMEOUT",)),
                    ),
                ),
            ),
        ),
        "queryPublicRooms": Operation(
            name="queryPublicRooms",
            matrix_name="queryPublicRooms",
            api="client-server",
            method="POST",
            summary="Search the public room directory, optionally by bridged network.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/publicRooms"),
                ("v1.1", "/_matrix/client/v3/publicRooms"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="PublicRoomsFilterRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "PublicRoomsResponse",
                    400: "Error",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("server", False),
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="query_public_rooms",
            query_names=(
                "server",
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((403, ("M_FORBIDDEN",)),)),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "register": Operation(
            name="register",
            matrix_name="register",
            api="client-server",
            method="POST",
            summary="Create an account, in particular one of an appservice\u0027s users.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.10": "A request with the appservice login type but a missing or unknown `as_token` is refused with 401 `M_MISSING_TOKEN` or `M_UNKNOWN_TOKEN`.",
                    "v1.17": "Homeservers that do not implement the legacy authentication API must still accept registrations from appservices; appservices must set `inhibit_login` to `true` on such servers and receive `M_APPSERVICE_LOGIN_UNSUPPORTED` when they do not.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/register"),
                ("v1.1", "/_matrix/client/v3/register"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="RegisterRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "RegisterResponse",
                    400: "Error",
                    401: "AuthenticationResponse | Error",
                    403: "Error",
                    429: "RateLimitError",
                }
            ),
            rate_limited=True,
            path_params=(),
            query_params=(("kind", False),),
            python_name="register",
            query_names=("kind",),
            auth_optional=False,
            identity_history=(("r0.1.0", ()),),
            no_identity_assertion="The account does not exist yet, so there is no one to act as: the body names the user to create, and homeservers ignore `user_id` and `device_id` here.",
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (
                            400,
                            (
                                "M_USER_IN_USE",
                                "M_INVALID_USERNAME",
                                "M_EXCLUSIVE",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
                (
                    "v1.10",
                    (
                        (
                            400,
                            (
                                "M_USER_IN_USE",
                                "M_INVALID_USERNAME",
                                "M_EXCLUSIVE",
                            ),
                        ),
                        (
                            401,
                            (
                                "M_MISSING_TOKEN",
                                "M_UNKNOWN_TOKEN",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (
                            400,
                            (
                                "M_USER_IN_USE",
                                "M_INVALID_USERNAME",
                                "M_EXCLUSIVE",
                                "M_APPSERVICE_LOGIN_UNSUPPORTED",
                            ),
                        ),
                        (
                            401,
                            (
                                "M_MISSING_TOKEN",
                                "M_UNKNOWN_TOKEN",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                        (429, ("M_LIMIT_EXCEEDED",)),
                    ),
                ),
            ),
        ),
        "sendMessage": Operation(
            name="sendMessage",
            matrix_name="sendMessage",
            api="client-server",
            method="PUT",
            summary="Send a message event into a room.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.3": "Appservices may set the event\u0027s `origin_server_ts` with the `ts` query parameter.",
                    "v1.7": "An annotation the sender has already made is refused with `M_DUPLICATE_ANNOTATION`.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/send/{eventType}/{txnId}"),
                ("v1.1", "/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="RoomEventContent",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "SendEventResponse",
                    400: "Error",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(
                "roomId",
                "eventType",
                "txnId",
            ),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
                ("ts", False),
            ),
            python_name="send_message",
            query_names=(
                "user_id",
                "ts",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.3",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.7",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_DUPLICATE_ANNOTATION",
                                "M_INVALID_PARAM",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_DUPLICATE_ANNOTATION",
                                "M_INVALID_PARAM",
                                "M_UNKNOWN_DEVICE",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "setRoomStateWithKey": Operation(
            name="setRoomStateWithKey",
            matrix_name="setRoomStateWithKey",
            api="client-server",
            method="PUT",
            summary="Set a piece of room state.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.1": "Adding an alias to `m.room.canonical_alias` that is malformed or points elsewhere is refused with 400 `M_INVALID_PARAM` or `M_BAD_ALIAS`.",
                    "v1.3": "Appservices may set the event\u0027s `origin_server_ts` with the `ts` query parameter.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/rooms/{roomId}/state/{eventType}/{stateKey}"),
                ("v1.1", "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="StateEventContent",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "StateEventResponse",
                    400: "Error",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(
                "roomId",
                "eventType",
                "stateKey",
            ),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
                ("ts", False),
            ),
            python_name="set_room_state_with_key",
            query_names=(
                "user_id",
                "ts",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.1",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                                "M_BAD_ALIAS",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (
                            400,
                            (
                                "M_NOT_JSON",
                                "M_BAD_JSON",
                                "M_INVALID_PARAM",
                                "M_BAD_ALIAS",
                                "M_UNKNOWN_DEVICE",
                            ),
                        ),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "updateAppserviceRoomDirectoryVisibility": Operation(
            name="updateAppserviceRoomDirectoryVisibility",
            matrix_name="updateAppserviceRoomDirectoryVisibility",
            api="client-server",
            method="PUT",
            summary="Publish or unpublish a bridged room in the room directory, per network.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType({}),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/directory/list/appservice/{networkId}/{roomId}"),
                ("v1.1", "/_matrix/client/v3/directory/list/appservice/{networkId}/{roomId}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "appserviceAccessTokenBearer",
                        "appserviceAccessTokenQuery",
                    ),
                ),
                ("unstable", ("appserviceAccessTokenBearer",)),
            ),
            legacy_paths=(),
            request="AppserviceRoomDirectoryVisibility",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "AppserviceRoomDirectoryVisibilityResponse",
                    400: "Error",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(
                "networkId",
                "roomId",
            ),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="update_appservice_room_directory_visibility",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                ("r0.1.0", ((403, ("M_FORBIDDEN",)),)),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
        "updateDevice": Operation(
            name="updateDevice",
            matrix_name="updateDevice",
            api="client-server",
            method="PUT",
            summary="Update a device, or let an appservice create one.",
            releases=(
                "r0.1.0",
                "r0.1.1",
                "r0.1.2",
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in=None,
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.17": "Appservices can create a device by updating one that does not exist yet.",
                }
            ),
            path_history=(
                ("r0.1.0", "/_matrix/client/r0/devices/{deviceId}"),
                ("v1.1", "/_matrix/client/v3/devices/{deviceId}"),
            ),
            auth_history=(
                (
                    "r0.1.0",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="UpdateDeviceRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "UpdateDeviceResponse",
                    201: "CreateDeviceResponse",
                    400: "Error",
                    403: "Error",
                    404: "Error",
                }
            ),
            rate_limited=False,
            path_params=("deviceId",),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="update_device",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("r0.1.0", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("r0.1.0", None),),
            errcode_history=(
                (
                    "r0.1.0",
                    (
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (400, ("M_UNKNOWN_DEVICE",)),
                        (403, ("M_FORBIDDEN",)),
                        (404, ("M_NOT_FOUND",)),
                    ),
                ),
            ),
        ),
        "uploadCrossSigningKeys": Operation(
            name="uploadCrossSigningKeys",
            matrix_name="uploadCrossSigningKeys",
            api="client-server",
            method="POST",
            summary="Publish the user\u0027s cross-signing keys.",
            releases=(
                "v1.1",
                "v1.2",
                "v1.3",
                "v1.4",
                "v1.5",
                "v1.6",
                "v1.7",
                "v1.8",
                "v1.9",
                "v1.10",
                "v1.11",
                "v1.12",
                "v1.13",
                "v1.14",
                "v1.15",
                "v1.16",
                "v1.17",
                "v1.18",
                "v1.19",
                "unstable",
            ),
            added_in="v1.1",
            deprecated_in=None,
            changed_in=MappingProxyType(
                {
                    "v1.11": "No user-interactive authentication is needed when the user has no cross-signing keys yet.",
                    "v1.17": "Appservices need no user-interactive authentication, even when the user already has keys.",
                }
            ),
            path_history=(("v1.1", "/_matrix/client/v3/keys/device_signing/upload"),),
            auth_history=(
                (
                    "v1.1",
                    (
                        "accessTokenBearer",
                        "accessTokenQuery",
                    ),
                ),
                ("unstable", ("accessTokenBearer",)),
            ),
            legacy_paths=(),
            request="UploadCrossSigningKeysRequest",
            request_required=True,
            responses=MappingProxyType(
                {
                    200: "UploadCrossSigningKeysResponse",
                    400: "Error",
                    401: "AuthenticationResponse",
                    403: "Error",
                }
            ),
            rate_limited=False,
            path_params=(),
            query_params=(
                ("user_id", False),
                ("device_id", False),
                ("org.matrix.msc3202.device_id", False),
            ),
            python_name="upload_cross_signing_keys",
            query_names=(
                "user_id",
                "device_id",
                "org.matrix.msc3202.device_id",
            ),
            auth_optional=False,
            identity_history=(
                ("v1.1", ("user_id",)),
                (
                    "v1.17",
                    (
                        "user_id",
                        "device_id",
                    ),
                ),
                (
                    "unstable",
                    (
                        "user_id",
                        "device_id",
                        "org.matrix.msc3202.device_id",
                    ),
                ),
            ),
            no_identity_assertion=None,
            free_query_history=(("v1.1", None),),
            errcode_history=(
                (
                    "v1.1",
                    (
                        (
                            400,
                            (
                                "M_INVALID_SIGNATURE",
                                "M_MISSING_PARAM",
                            ),
                        ),
                        (401, ("M_FORBIDDEN",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
                (
                    "v1.17",
                    (
                        (
                            400,
                            (
                                "M_INVALID_SIGNATURE",
                                "M_MISSING_PARAM",
                                "M_UNKNOWN_DEVICE",
                            ),
                        ),
                        (401, ("M_FORBIDDEN",)),
                        (403, ("M_FORBIDDEN",)),
                    ),
                ),
            ),
        ),
    }
)
"""Every operation of every release, by its operationId in the bundled spec."""


def operation(name: str, api: Api | None = None) -> Operation:
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
