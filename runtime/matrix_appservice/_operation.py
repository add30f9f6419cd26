"""The operation records of :mod:`matrix_appservice.operations`, and how to read them.

Hand-written: the generated ``operations`` module holds the spec's data (one
:class:`Operation` per operation, the auth schemes) and re-exports these names. A history is a
tuple of ``(since, value)`` pairs, oldest first; an operation exists in the releases from
``since`` up to (not including) ``until``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import quote

from matrix_appservice._releases import RELEASES, release_index, resolve_release

Api = Literal["application-service", "client-server"]
RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")


class NotInReleaseError(LookupError):
    """The operation does not exist in the release asked for."""


def _span(since: str, until: str | None) -> tuple[str, ...]:
    return RELEASES[release_index(since) : release_index(until) if until else None]


@dataclass(frozen=True)
class AuthScheme:
    """How a request proves who sent it."""

    name: str
    kind: Literal["bearer", "query"]
    """``bearer``: an ``Authorization: Bearer`` header; ``query``: a query parameter."""
    parameter: str | None
    """The query parameter's name for ``query`` schemes."""
    since: str
    until: str | None
    deprecated_in: str | None

    @property
    def releases(self) -> tuple[str, ...]:
        """The releases that have this scheme."""
        return _span(self.since, self.until)


def _pick(history: tuple[tuple[str, Any], ...], version: str | None) -> Any:
    index = release_index(version)
    chosen = history[0][1]
    for since, value in history:
        if release_index(since) <= index:
            chosen = value
    return chosen


_MODULE_PATH = re.compile(r"\b(?:matrix_appservice\.models|typing)\.(?:[a-z_][a-z0-9_]*\.)*")
"""The module path in front of a name in a generic type's text (``models.thirdparty.``)."""


def type_name(value: Any) -> str:
    """How a body type reads in messages: ``Transaction``, ``list[Location]``."""
    return value.__name__ if isinstance(value, type) else _MODULE_PATH.sub("", str(value))


@dataclass(frozen=True, kw_only=True)
class Operation(Generic[RequestT, ResponseT]):
    """One operation, with its history across releases.

    ``RequestT`` is the model of its JSON request body (``None`` without one) and
    ``ResponseT`` the type of its success answer.
    """

    auth_schemes: ClassVar[Mapping[str, AuthScheme]] = MappingProxyType({})
    """Every auth scheme by name: :data:`matrix_appservice.operations.AUTH_SCHEMES`, which
    that module sets here."""

    name: str
    """The operationId in the bundled spec (``sendTransaction``, ``clientGetProtocolMetadata``)."""
    matrix_name: str = ""
    """The official operationId (the same as ``name`` except for shared lookups)."""
    api: Api
    """``application-service`` (homeserver to appservice) or ``client-server``."""
    method: str
    python_name: str
    """The method of the generated clients and handlers (``send_transaction``; ``query_user``
    for ``queryUserById``, ``query_room_alias`` for ``queryRoomByAlias``)."""
    summary: str
    since: str
    """The first release that has this operation."""
    until: str | None = None
    """The first release that no longer has it (``None``: it is still there)."""
    path_history: tuple[tuple[str, str], ...]
    auth_history: tuple[tuple[str, tuple[str, ...]], ...]
    request: type[RequestT] | None = None
    """The model of the JSON request body."""
    request_required: bool = True
    """Whether the request body must be sent (when there is one)."""
    responses: Mapping[int, Any] = field(default_factory=dict)
    """Status code to the type of its JSON body (a model, ``list[Location]``, ``None``)."""
    query_params: tuple[tuple[str, bool], ...] = ()
    """``(name, required)`` of each query parameter in the newest release."""
    query_names: tuple[str, ...] = ()
    """Every query parameter the operation declares in any release (when not given: the
    names of :attr:`query_params`)."""
    legacy_paths: tuple[str, ...] = ()
    """Paths a homeserver falls back to when the appservice does not answer the v1 path."""
    rate_limited: bool = False
    auth_optional: bool = False
    """The specification lets the call go without credentials (a server may still want them)."""
    identity_history: tuple[tuple[str, tuple[str, ...]], ...] = (("r0.1.0", ()),)
    """The identity-assertion query parameters per release; see :meth:`identity_params`."""
    no_identity_assertion: str | None = None
    """Why identity assertion does not apply, on the Client-Server calls where it does not."""
    free_query_history: tuple[tuple[str, str | None], ...] = (("r0.1.0", None),)
    """The free-form search parameter per release; see :meth:`free_query`."""
    added_in: str | None = None
    deprecated_in: str | None = None
    changed_in: Mapping[str, str] = field(default_factory=dict)
    rest_param: str | None = None
    """The last path parameter when it is the rest of the path, raw ``/`` included: the
    user ID of ``queryUserById`` and the alias of ``queryRoomByAlias``, which homeservers
    such as Synapse send without percent-encoding their ``/``. A server matches it across
    segments; a client still percent-encodes it (:meth:`format_path`)."""
    errcode_spans: tuple[tuple[int, str, str, str | None], ...] = ()
    """``(status, errcode, since, until)`` of each errcode a response documents; see
    :meth:`errcodes`."""
    raw_request: str | None = None
    """The media type of a request body that is a file rather than JSON (a media upload:
    ``application/octet-stream``, with the file's own type in ``Content-Type``)."""
    raw_responses: tuple[int, ...] = ()
    """The success statuses whose body is a file rather than JSON (a media download)."""

    def __post_init__(self) -> None:
        if not self.matrix_name:
            object.__setattr__(self, "matrix_name", self.name)
        if not self.query_names:
            object.__setattr__(self, "query_names", tuple(n for n, _ in self.query_params))

    @property
    def releases(self) -> tuple[str, ...]:
        """The releases that have this operation."""
        return _span(self.since, self.until)

    @property
    def path_params(self) -> tuple[str, ...]:
        """The path parameters, in path order."""
        return tuple(re.findall(r"\{([^}]+)\}", self.path_history[-1][1]))

    def exists_in(self, version: str | None = None) -> bool:
        index = release_index(version)
        return release_index(self.since) <= index and (
            self.until is None or index < release_index(self.until)
        )

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
        return tuple(self.auth_schemes[n] for n in _pick(self.auth_history, version))

    def identity_params(self, version: str | None = None) -> tuple[str, ...]:
        """The query parameters with which an appservice acts as one of its users here.

        Identity assertion: with its ``as_token``, an appservice adds ``user_id`` to act as a
        user of its namespaces, from v1.17 ``device_id`` to act as one of that user's
        devices, and in ``unstable`` the pre-release spelling ``org.matrix.msc3202.device_id``
        that some bridges still send. Empty for the homeserver -> appservice API and for
        the calls that name their user themselves (see :attr:`no_identity_assertion`).
        """
        self._check(version)
        return tuple(_pick(self.identity_history, version))

    def errcodes(self, version: str | None = None) -> Mapping[int, tuple[str, ...]]:
        """The errcodes the operation documents in a release, by status code.

        Only statuses whose response names its errcodes appear (``{400: ("M_NOT_JSON",
        "M_BAD_JSON", ...), 403: ("M_FORBIDDEN",)}``); a status absent here may still be a
        documented response (see :attr:`responses`).
        """
        self._check(version)
        index = release_index(version)
        found: dict[int, tuple[str, ...]] = {}
        for status, errcode, since, until in self.errcode_spans:
            if release_index(since) <= index and (until is None or index < release_index(until)):
                found[status] = (*found.get(status, ()), errcode)
        return MappingProxyType(found)

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
        name: str | None = _pick(self.free_query_history, version)
        return name

    def _reserved(self) -> frozenset[str]:
        free = {name for _, name in self.free_query_history if name}
        tokens = {
            s.parameter for s in self.auth_schemes.values() if s.kind == "query" and s.parameter
        }
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
