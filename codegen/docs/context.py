"""A small typed view of one bundle for the documents: operations, parameters, responses.

Everything here is read from a release's bundle, plus the endpoint group of each operation,
which comes from the source file that defines it (``transactions_as``, ``register_cs``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from codegen.bundle import HTTP_METHODS
from codegen.docs.schema import Marks, ObjectTable, SchemaReader, marks_of
from codegen.load import SpecTree
from codegen.spec import FREE_FORM_QUERY, IDENTITY_ASSERTION, NO_IDENTITY_ASSERTION

__all__ = [
    "Errcode",
    "Operation",
    "Param",
    "Response",
    "Scheme",
    "all_groups",
    "build_operations",
    "group_names",
]

_SUFFIX = {"application-service": "as", "client-server": "cs"}


@dataclass(frozen=True)
class Scheme:
    """One security scheme of a requirement, as the documents describe it."""

    name: str
    type: str  # http | apiKey
    location: str  # header | query
    key: str  # the header or query parameter name
    deprecated: bool


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path | query | header
    type: str
    required: bool
    description: str
    marks: Marks
    example: Any = None
    has_example: bool = False
    explode_object: bool = False  # form style: one query parameter per key
    appservice_only: bool = False
    identity: bool = False  # an identity-assertion parameter (user_id, device_id, ...)
    free_form: bool = False  # stands for search fields sent as query parameters of their own


@dataclass(frozen=True)
class Errcode:
    errcode: str
    description: str
    marks: Marks


@dataclass
class Response:
    status: str
    description: str
    marks: Marks
    errcodes: list[Errcode]
    body_type: str | None  # None when the response has no JSON body
    tables: list[ObjectTable]
    body_note: str = ""  # "empty" (an object without fields) or "above" (table shown earlier)
    example: Any = None
    has_example: bool = False


@dataclass
class Operation:
    operation_id: str  # as in the bundle (``clientGetProtocolMetadata``)
    official_id: str  # as in the official sources (``getProtocolMetadata``)
    api: str
    group: str
    method: str
    path: str
    summary: str
    description: str
    marks: Marks
    security: list[list[Scheme]]
    legacy_paths: list[str]
    params: list[Param]
    body_type: str | None = None
    body_required: bool = False
    body_tables: list[ObjectTable] = field(default_factory=list)
    body_example: Any = None
    has_body_example: bool = False
    responses: list[Response] = field(default_factory=list)
    no_identity_reason: str = ""  # why identity assertion does not apply, where it does not

    @property
    def rate_limited(self) -> bool:
        return any(r.status == "429" for r in self.responses)

    @property
    def requires_auth(self) -> bool:
        return any(self.security)

    @property
    def auth_optional(self) -> bool:
        """An empty security requirement: the call also works without credentials."""
        return any(not req for req in self.security)

    @property
    def identity_params(self) -> list[Param]:
        return [p for p in self.params if p.identity]

    def params_in(self, location: str) -> list[Param]:
        return [p for p in self.params if p.location == location]


def group_names(tree: SpecTree) -> dict[tuple[str, str], str]:
    """``(x-api, official operationId) -> group`` for every operation in the sources."""
    groups: dict[tuple[str, str], str] = {}
    for spec_file in tree.endpoint_files():
        api = spec_file.api or ""
        group = f"{PurePosixPath(spec_file.rel).stem.replace('-', '_')}_{_SUFFIX[api]}"
        for item in (spec_file.data.get("paths") or {}).values():
            for method, op in (item or {}).items():
                if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op:
                    groups[(api, str(op["operationId"]))] = group
    return groups


def all_groups(tree: SpecTree) -> list[str]:
    """Every endpoint group of the sources, in file order."""
    return list(dict.fromkeys(group_names(tree).values()))


def _first_example(media: dict[str, Any]) -> tuple[Any, bool]:
    examples = media.get("examples")
    if isinstance(examples, dict):
        for entry in examples.values():
            if isinstance(entry, dict) and "value" in entry:
                return entry["value"], True
    if "example" in media:
        return media["example"], True
    return None, False


class _Builder:
    def __init__(self, doc: dict[str, Any], groups: dict[tuple[str, str], str]) -> None:
        self.doc = doc
        self.reader = SchemaReader(doc)
        self.groups = groups
        self.schemes: dict[str, Any] = doc.get("components", {}).get("securitySchemes", {})

    def scheme(self, name: str) -> Scheme:
        raw = self.schemes.get(name, {})
        # Security schemes have no `deprecated` in OpenAPI; the view keeps the marker.
        deprecated = bool(raw.get("deprecated") or raw.get("x-deprecatedInMatrixVersion"))
        if raw.get("type") == "http":
            return Scheme(name, "http", "header", "Authorization", deprecated)
        return Scheme(
            name,
            str(raw.get("type", "apiKey")),
            str(raw.get("in", "query")),
            str(raw.get("name", "access_token")),
            deprecated,
        )

    def param(self, raw: Any) -> Param:
        node = self.reader.resolve(raw)
        schema = node.get("schema", {})
        resolved = self.reader.resolve(schema)
        explode = (
            node.get("in") == "query"
            and isinstance(resolved, dict)
            and resolved.get("type") == "object"
            and node.get("style", "form") == "form"
            and node.get("explode", True) is True
        )
        return Param(
            name=str(node["name"]),
            location=str(node["in"]),
            type=self.reader.type_of(schema),
            required=bool(node.get("required")),
            description=str(node.get("description") or ""),
            marks=marks_of(node),
            example=node.get("example"),
            has_example="example" in node,
            explode_object=explode,
            appservice_only=bool(node.get("x-appserviceOnly")),
            identity=node.get(IDENTITY_ASSERTION) is True,
            free_form=node.get(FREE_FORM_QUERY) is True,
        )

    def response(self, status: str, raw: Any, seen: set[str], fallback: str) -> Response:
        node = self.reader.resolve(raw)
        errcodes = [
            Errcode(str(e["errcode"]), str(e.get("description") or ""), marks_of(e))
            for e in node.get("x-errcodes") or []
        ]
        media = (node.get("content") or {}).get("application/json")
        body_type, tables, note, example, has_example = None, [], "", None, False
        if isinstance(media, dict):
            schema = media.get("schema", {})
            body_type = self.reader.type_of(schema, fallback)
            before = set(seen)
            tables = self.reader.tables(schema, fallback, seen)
            note = self.note(schema, before)
            example, has_example = _first_example(media)
        return Response(
            status, str(node.get("description") or ""), marks_of(node), errcodes,
            body_type, tables, note, example, has_example,
        )  # fmt: skip

    def note(self, schema: Any, before: set[str]) -> str:
        resolved, name = self.reader.deref(schema)
        if not isinstance(resolved, dict) or resolved.get("type") != "object":
            return ""
        if not resolved.get("properties") and not resolved.get("additionalProperties"):
            return "empty"
        return "above" if name in before else ""

    def operation(self, method: str, path: str, item: dict[str, Any], op: Any) -> Operation:
        api = str(op.get("x-api"))
        official = str(op.get("x-matrixOperationId") or op["operationId"])
        raw_params = [*(item.get("parameters") or []), *(op.get("parameters") or [])]
        result = Operation(
            operation_id=str(op["operationId"]),
            official_id=official,
            api=api,
            group=self.groups.get((api, official), "other_" + _SUFFIX.get(api, "x")),
            method=method.upper(),
            path=path,
            summary=str(op.get("summary") or ""),
            description=str(op.get("description") or ""),
            marks=marks_of(op),
            security=[[self.scheme(n) for n in req] for req in op.get("security") or []],
            legacy_paths=[str(p) for p in op.get("x-legacyPaths") or []],
            params=[self.param(p) for p in raw_params],
            no_identity_reason=" ".join(str(op.get(NO_IDENTITY_ASSERTION) or "").split()),
        )
        seen: set[str] = set()
        body = self.reader.resolve(op.get("requestBody"))
        media = (body or {}).get("content", {}).get("application/json") if body else None
        if isinstance(media, dict):
            fallback = f"{result.operation_id} request"
            result.body_type = self.reader.type_of(media.get("schema", {}), fallback)
            result.body_required = bool(body.get("required"))
            result.body_tables = self.reader.tables(media.get("schema", {}), fallback, seen)
            result.body_example, result.has_body_example = _first_example(media)
        for status in sorted(op.get("responses") or {}, key=str):
            fallback = f"{result.operation_id} {status} response"
            raw = op["responses"][status]
            result.responses.append(self.response(str(status), raw, seen, fallback))
        return result


def build_operations(doc: dict[str, Any], tree: SpecTree) -> list[Operation]:
    """Every operation of a bundle, in bundle order (source file order)."""
    builder = _Builder(doc, group_names(tree))
    found: list[Operation] = []
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                found.append(builder.operation(method, path, item, op))
    return found
