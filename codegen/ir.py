"""The operation model every emitter and check reads: one typed record per operation.

:func:`build_ir` reads each release's bundle once and makes an :class:`OperationView` per
operation and release (what that release says: path, parameters, bodies, responses,
errcodes, descriptions), then groups the views of one operation into an :class:`Operation`,
which answers history questions (the path per release, the authentication per release, the
identity parameters per release). Nothing outside this module walks a bundle's ``paths``.

The IR keeps the bundle nodes it was read from (``node``, ``schema``): the documents render
examples and version marks from them, and the validation schemas are cut from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from codegen.events import EventType, event_types
from codegen.keys import (
    ADDED,
    API,
    APPSERVICE_ONLY,
    CHANGED,
    DEPRECATED,
    ERRCODES,
    FREE_FORM_QUERY,
    IDENTITY_ASSERTION,
    LEGACY_PATHS,
    MATRIX_OPERATION_ID,
    NO_IDENTITY_ASSERTION,
    REST_OF_PATH,
)
from codegen.versions import Release
from codegen.walk import iter_operations

if TYPE_CHECKING:
    from codegen.rules import RuleBook
    from codegen.spec import Spec

__all__ = [
    "IR",
    "Body",
    "Errcode",
    "Operation",
    "OperationView",
    "Param",
    "RawBody",
    "ReleaseView",
    "Response",
    "TypeRef",
    "build_ir",
    "deref",
]

Api = Literal["application-service", "client-server"]
Location = Literal["path", "query", "header"]
_T = TypeVar("_T")


def deref(doc: dict[str, Any], node: Any) -> Any:
    """Follow ``#/components/<kind>/<name>`` references in a bundle to the node itself."""
    while isinstance(node, dict) and "$ref" in node:
        _, _, kind, name = node["$ref"].split("/")
        node = doc["components"][kind][name]
    return node


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


# ---------------------------------------------------------------------------------------------
# Types of bodies, as references to named schemas.


@dataclass(frozen=True)
class TypeRef:
    """The type of a JSON body: a named schema (a model), a list or union of such, an object
    without a name, or anything."""

    kind: Literal["model", "list", "union", "object", "any"]
    name: str | None = None
    """The schema's name in ``components/schemas``, for ``model``."""
    items: tuple[TypeRef, ...] = ()
    """The element type (``list``) or the choices (``union``)."""

    @staticmethod
    def of(schema: Any) -> TypeRef | None:
        """The type of a body schema; ``None`` for a scalar schema (no model to build)."""
        if not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return TypeRef("model", ref.rsplit("/", 1)[1])
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                choices = [TypeRef.of(c) or TypeRef("any") for c in schema[key]]
                return TypeRef("union", items=tuple(choices))
        if schema.get("type") == "array":
            return TypeRef("list", items=(TypeRef.of(schema.get("items")) or TypeRef("any"),))
        return TypeRef("object") if schema.get("type") == "object" else None

    @property
    def python(self) -> str:
        """As a Python annotation (``Transaction``, ``list[Location]``, ``dict[str, Any]``)."""
        if self.kind == "model":
            return str(self.name)
        if self.kind == "list":
            return f"list[{self.items[0].python}]"
        if self.kind == "union":
            return " | ".join(item.python for item in self.items)
        return "dict[str, Any]" if self.kind == "object" else "Any"

    @property
    def models(self) -> frozenset[str]:
        """The named schemas this type refers to."""
        own = {self.name} if self.kind == "model" and self.name else set()
        return frozenset(own.union(*(item.models for item in self.items)))


# ---------------------------------------------------------------------------------------------
# One release's view of an operation.


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter as one release has it."""

    name: str
    location: Location
    required: bool
    description: str
    schema: Any
    """The parameter's schema as in the bundle (may be a ``$ref``)."""
    resolved_schema: Any
    node: Any
    """The parameter object itself (references followed), for marks and examples."""
    pointer: tuple[Any, ...]
    """Where the parameter sits in the bundle (``("paths", url, "put", "parameters", 2)``)."""
    identity: bool
    """One of the identity-assertion parameters (``user_id``, ``device_id``, ...)."""
    free_form: bool
    """Stands for search fields sent as query parameters of their own."""
    appservice_only: bool
    rest_of_path: bool
    """A path parameter that takes the rest of the path, slashes included."""

    @property
    def is_object(self) -> bool:
        """A query parameter whose value is an object (spread over the query string)."""
        return (
            isinstance(self.resolved_schema, dict) and self.resolved_schema.get("type") == "object"
        )

    @property
    def json_type(self) -> str | None:
        value = self.resolved_schema.get("type") if isinstance(self.resolved_schema, dict) else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Errcode:
    errcode: str
    description: str
    node: Any


@dataclass(frozen=True)
class Body:
    """A JSON request or response body."""

    schema: Any
    """The schema as in the bundle (usually a ``$ref`` to a named schema)."""
    media: Any
    """The ``application/json`` media type object (examples live there)."""
    pointer: tuple[Any, ...]
    """Where the schema sits in the bundle."""
    type: TypeRef | None
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class RawBody:
    """A body that is not JSON but the bytes of a file (a media upload or download)."""

    media_types: tuple[str, ...]
    """The media types the body may have, as listed (``application/octet-stream``)."""
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    node: Any
    errcodes: tuple[Errcode, ...]
    body: Body | None
    pointer: tuple[Any, ...]
    raw: RawBody | None = None
    """The body when it is a file rather than JSON."""

    @property
    def code(self) -> int:
        return int(self.status)


@dataclass(frozen=True)
class OperationView:
    """One operation as one release defines it."""

    release: Release
    name: str
    """The operationId in the bundle (``clientGetProtocolMetadata``)."""
    matrix_name: str
    """The official operationId (``getProtocolMetadata``)."""
    api: Api
    source: str
    """The source file that defines it, relative to ``spec/``."""
    method: str
    """Upper case (``PUT``)."""
    path: str
    pointer: tuple[Any, ...]
    node: Any
    """The operation object in the bundle."""
    summary: str
    description: str
    security: tuple[tuple[str, ...], ...]
    """The security requirements, each a tuple of scheme names (empty: no credentials)."""
    legacy_paths: tuple[str, ...]
    params: tuple[Param, ...]
    request: Body | None
    responses: tuple[Response, ...]
    no_identity_reason: str | None
    added_in: str | None
    deprecated_in: str | None
    changed_in: tuple[tuple[str, str], ...]
    """``(release label as written, note)`` of the change notes up to this release."""
    doc: dict[str, Any] = field(repr=False, compare=False)
    """The release's bundle, to follow references from the nodes above."""
    raw_request: RawBody | None = None
    """The request body when it is a file rather than JSON (``request`` is then None)."""

    @property
    def identity_params(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.identity and p.location == "query")

    @property
    def free_query(self) -> str | None:
        found = [p.name for p in self.params if p.free_form and p.location == "query"]
        return found[0] if found else None

    @property
    def auth_schemes(self) -> tuple[str, ...]:
        return tuple(name for requirement in self.security for name in requirement)

    @property
    def auth_optional(self) -> bool:
        return any(not requirement for requirement in self.security)

    @property
    def rate_limited(self) -> bool:
        return any(r.status == "429" for r in self.responses)

    def params_in(self, location: Location) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == location)

    def response(self, status: str | int) -> Response | None:
        return next((r for r in self.responses if r.status == str(status)), None)

    @property
    def success(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if r.status.startswith("2"))


# ---------------------------------------------------------------------------------------------
# An operation across releases.


@dataclass
class Operation:
    """One operation with its view in every release that has it, oldest first."""

    name: str
    matrix_name: str
    api: Api
    method: str
    views: list[OperationView] = field(default_factory=list)

    @property
    def newest(self) -> OperationView:
        return self.views[-1]

    @property
    def releases(self) -> tuple[str, ...]:
        return tuple(v.release.name for v in self.views)

    def view(self, release: str) -> OperationView | None:
        return next((v for v in self.views if v.release.name == release), None)

    def history(self, read: Callable[[OperationView], _T]) -> list[tuple[str, _T]]:
        """``(since release, value)`` pairs, a new pair wherever the value changes."""
        out: list[tuple[str, _T]] = []
        for v in self.views:
            value = read(v)
            if not out or out[-1][1] != value:
                out.append((v.release.name, value))
        return out

    @property
    def query_names(self) -> tuple[str, ...]:
        """Every query parameter name in any release, in order of appearance."""
        names = (p.name for v in self.views for p in v.params_in("query"))
        return tuple(dict.fromkeys(names))

    @property
    def identity_names(self) -> frozenset[str]:
        """Every identity-assertion parameter in any release."""
        return frozenset(n for v in self.views for n in v.identity_params)


@dataclass(frozen=True)
class ReleaseView:
    release: Release
    doc: dict[str, Any]
    operations: tuple[OperationView, ...]

    def by_name(self) -> dict[str, OperationView]:
        return {op.name: op for op in self.operations}

    @cached_property
    def events(self) -> tuple[EventType, ...]:
        """The event types this release defines a content for (:mod:`codegen.events`)."""
        return event_types(self.doc)

    def by_key(self) -> dict[tuple[str, str], OperationView]:
        """``(api, official operationId) -> view``: stable across renames of bundle ids."""
        return {(op.api, op.matrix_name): op for op in self.operations}


class IR:
    """The operations of every release; a release's view is built when first asked for."""

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._views: dict[str, ReleaseView] = {}

    @cached_property
    def _sources(self) -> dict[tuple[str, str], str]:
        return _sources(self._spec)

    def release(self, release: str | Release) -> ReleaseView:
        """The view of one release (``KeyError`` for an unknown name)."""
        name = release if isinstance(release, str) else release.name
        if name not in self._views:
            self._views[name] = release_view(self._spec, self._spec.releases[name], self._sources)
        return self._views[name]

    @property
    def releases(self) -> tuple[ReleaseView, ...]:
        """Every release's view, oldest first."""
        return tuple(self.release(r.name) for r in self._spec.releases)

    @property
    def newest(self) -> ReleaseView:
        return self.release(self._spec.releases.unstable.name)

    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        """Every operation of any release, by API then name, with its view per release."""
        found: dict[str, Operation] = {}
        for view in self.releases:
            for op in view.operations:
                entry = found.get(op.name)
                if entry is None:
                    entry = found[op.name] = Operation(op.name, op.matrix_name, op.api, op.method)
                entry.views.append(op)
        return tuple(sorted(found.values(), key=lambda o: (o.api, o.name)))

    def of_api(self, api: Api) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.api == api)

    @cached_property
    def rules(self) -> RuleBook:
        """The normative rules and the notes on implementations, per release
        (:mod:`codegen.rules`)."""
        from codegen.rules import RuleBook

        return RuleBook(self._spec)


# ---------------------------------------------------------------------------------------------
# Building.


def _body(doc: dict[str, Any], holder: Any, pointer: tuple[Any, ...]) -> Body | None:
    node = deref(doc, holder)
    content = (node or {}).get("content") if isinstance(node, dict) else None
    media = (content or {}).get("application/json")
    if not isinstance(media, dict):
        return None
    schema = media.get("schema")
    return Body(
        schema=schema,
        media=media,
        pointer=(*pointer, "content", "application/json", "schema"),
        type=TypeRef.of(schema),
        required=bool(node.get("required")),
        description=str(node.get("description") or ""),
    )


def _raw_body(doc: dict[str, Any], holder: Any) -> RawBody | None:
    """A body whose media types do not include JSON: the bytes of a file."""
    node = deref(doc, holder)
    content = node.get("content") if isinstance(node, dict) else None
    if not isinstance(content, dict) or not content or "application/json" in content:
        return None
    return RawBody(
        media_types=tuple(str(media) for media in content),
        required=bool(node.get("required")),
        description=str(node.get("description") or ""),
    )


def _param(doc: dict[str, Any], raw: Any, pointer: tuple[Any, ...]) -> Param:
    node = deref(doc, raw)
    schema = node.get("schema", {})
    return Param(
        name=str(node["name"]),
        location=node["in"],
        required=bool(node.get("required")),
        description=str(node.get("description") or ""),
        schema=schema,
        resolved_schema=deref(doc, schema),
        node=node,
        pointer=pointer,
        identity=node.get(IDENTITY_ASSERTION) is True,
        free_form=node.get(FREE_FORM_QUERY) is True,
        appservice_only=node.get(APPSERVICE_ONLY) is True,
        rest_of_path=node.get(REST_OF_PATH) is True,
    )


def _label(release_of: Callable[[str], Release | None], value: Any) -> str | None:
    if value is None:
        return None
    found = release_of(str(value))
    return found.name if found else str(value)


def _view(
    spec: Spec, release: Release, doc: dict[str, Any], sources: dict[tuple[str, str], str],
    url: str, method: str, item: Any, op: Any,
) -> OperationView:  # fmt: skip
    base: tuple[Any, ...] = ("paths", url, method)
    params = [
        _param(doc, raw, ("paths", url, "parameters", i))
        for i, raw in enumerate(item.get("parameters") or [])
    ]
    params += [
        _param(doc, raw, (*base, "parameters", i))
        for i, raw in enumerate(op.get("parameters") or [])
    ]
    responses = []
    for status, raw in (op.get("responses") or {}).items():
        node = deref(doc, raw)
        pointer = (*base, "responses", status)
        responses.append(
            Response(
                status=str(status),
                description=str(node.get("description") or ""),
                node=node,
                errcodes=tuple(
                    Errcode(str(e["errcode"]), str(e.get("description") or ""), e)
                    for e in node.get(ERRCODES) or []
                ),
                body=_body(doc, raw, pointer),
                pointer=pointer,
                raw=_raw_body(doc, raw),
            )
        )
    request = _body(doc, op["requestBody"], (*base, "requestBody")) if "requestBody" in op else None
    reason = op.get(NO_IDENTITY_ASSERTION)
    matrix_name = str(op.get(MATRIX_OPERATION_ID) or op["operationId"])
    return OperationView(
        release=release,
        name=str(op["operationId"]),
        matrix_name=matrix_name,
        api=op[API],
        source=sources.get((op[API], matrix_name), ""),
        method=method.upper(),
        path=url,
        pointer=base,
        node=op,
        summary=str(op.get("summary") or ""),
        description=str(op.get("description") or ""),
        security=tuple(tuple(req) for req in op.get("security") or []),
        legacy_paths=tuple(str(p) for p in op.get(LEGACY_PATHS) or []),
        params=tuple(params),
        request=request,
        responses=tuple(responses),
        no_identity_reason=_one_line(reason) if reason else None,
        added_in=_label(spec.releases.get, op.get(ADDED)),
        deprecated_in=_label(spec.releases.get, op.get(DEPRECATED)),
        changed_in=tuple((str(k), str(v)) for k, v in (op.get(CHANGED) or {}).items()),
        doc=doc,
        raw_request=_raw_body(doc, op["requestBody"]) if "requestBody" in op else None,
    )


def _sources(spec: Spec) -> dict[tuple[str, str], str]:
    """``(api, official operationId) -> the source file that defines it``."""
    found: dict[tuple[str, str], str] = {}
    for spec_file in spec.tree.endpoint_files():
        data = spec_file.data if isinstance(spec_file.data, dict) else {}
        for _, _, _, op in iter_operations(data.get("paths")):
            if "operationId" in op:
                found[(spec_file.api or "", str(op["operationId"]))] = spec_file.rel
    return found


def release_view(spec: Spec, release: Release, sources: dict[tuple[str, str], str]) -> ReleaseView:
    """The operations of one release, in bundle order (source file order)."""
    doc = spec.bundle(release)
    ops = tuple(
        _view(spec, release, doc, sources, url, method, item, op)
        for url, item, method, op in iter_operations(doc.get("paths"))
    )
    return ReleaseView(release, doc, ops)


def build_ir(spec: Spec) -> IR:
    """The IR of a loaded spec (release views are built on first use)."""
    return IR(spec)
