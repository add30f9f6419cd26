"""What the documents show of each operation of a release, read from the IR.

The IR (:mod:`codegen.ir`) gives the operations of the release; this adds what only the
documents need: type names and field tables of bodies, examples, version marks, and the
endpoint group of each operation, named after the source file that defines it
(``transactions_as``, ``register_cs``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from codegen.docs.schema import Marks, ObjectTable, SchemaReader, marks_of
from codegen.ir import IR, Body, OperationView, ReleaseView
from codegen.ir import Param as ParamView
from codegen.ir import Response as ResponseView
from codegen.keys import DEPRECATED

__all__ = [
    "Errcode",
    "Operation",
    "Param",
    "Response",
    "Scheme",
    "all_groups",
    "build_operations",
    "group_of",
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
    file_types: list[str] = field(default_factory=list)  # a body that is a file, not JSON


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
    body_file_types: list[str] = field(default_factory=list)  # a request body that is a file

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


def group_of(api: str, source: str) -> str:
    """The endpoint group of an operation defined in ``source`` (a path under ``spec/``)."""
    return f"{PurePosixPath(source).stem.replace('-', '_')}_{_SUFFIX.get(api, 'x')}"


def all_groups(ir: IR, source_order: list[str]) -> list[str]:
    """Every endpoint group, in the order of ``source_order`` (the endpoint files)."""
    api_of = {v.source: v.api for op in ir.operations for v in op.views}
    return list(dict.fromkeys(group_of(api_of[rel], rel) for rel in source_order if rel in api_of))


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
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.reader = SchemaReader(doc)
        self.schemes: dict[str, Any] = doc.get("components", {}).get("securitySchemes", {})

    def scheme(self, name: str) -> Scheme:
        raw = self.schemes.get(name, {})
        # Security schemes have no `deprecated` in OpenAPI; the view keeps the marker.
        deprecated = bool(raw.get("deprecated") or raw.get(DEPRECATED))
        if raw.get("type") == "http":
            return Scheme(name, "http", "header", "Authorization", deprecated)
        return Scheme(
            name,
            str(raw.get("type", "apiKey")),
            str(raw.get("in", "query")),
            str(raw.get("name", "access_token")),
            deprecated,
        )

    def param(self, param: ParamView) -> Param:
        node = param.node
        explode = (
            param.location == "query"
            and param.is_object
            and node.get("style", "form") == "form"
            and node.get("explode", True) is True
        )
        return Param(
            name=param.name,
            location=param.location,
            type=self.reader.type_of(param.schema),
            required=param.required,
            description=param.description,
            marks=marks_of(node),
            example=node.get("example"),
            has_example="example" in node,
            explode_object=explode,
            appservice_only=param.appservice_only,
            identity=param.identity,
            free_form=param.free_form,
        )

    def response(self, response: ResponseView, seen: set[str], fallback: str) -> Response:
        errcodes = [Errcode(e.errcode, e.description, marks_of(e.node)) for e in response.errcodes]
        body_type, tables, note, example, has_example = None, [], "", None, False
        if response.body is not None:
            schema = response.body.schema or {}
            body_type = self.reader.type_of(schema, fallback)
            before = set(seen)
            tables = self.reader.tables(schema, fallback, seen)
            note = self.note(schema, before)
            example, has_example = _first_example(response.body.media)
        files = list(response.raw.media_types) if response.raw is not None else []
        return Response(
            response.status, response.description, marks_of(response.node), errcodes,
            body_type, tables, note, example, has_example, files,
        )  # fmt: skip

    def note(self, schema: Any, before: set[str]) -> str:
        resolved, name = self.reader.deref(schema)
        if not isinstance(resolved, dict) or resolved.get("type") != "object":
            return ""
        if not resolved.get("properties") and not resolved.get("additionalProperties"):
            return "empty"
        return "above" if name in before else ""

    def operation(self, op: OperationView) -> Operation:
        result = Operation(
            operation_id=op.name,
            official_id=op.matrix_name,
            api=op.api,
            group=group_of(op.api, op.source),
            method=op.method,
            path=op.path,
            summary=op.summary,
            description=op.description,
            marks=marks_of(op.node),
            security=[[self.scheme(n) for n in req] for req in op.security],
            legacy_paths=list(op.legacy_paths),
            params=[self.param(p) for p in op.params],
            no_identity_reason=op.no_identity_reason or "",
        )
        seen: set[str] = set()
        if op.request is not None:
            body: Body = op.request
            fallback = f"{result.operation_id} request"
            result.body_type = self.reader.type_of(body.schema or {}, fallback)
            result.body_required = body.required
            result.body_tables = self.reader.tables(body.schema or {}, fallback, seen)
            result.body_example, result.has_body_example = _first_example(body.media)
        elif op.raw_request is not None:
            result.body_file_types = list(op.raw_request.media_types)
            result.body_required = op.raw_request.required
        for response in sorted(op.responses, key=lambda r: r.status):
            fallback = f"{result.operation_id} {response.status} response"
            result.responses.append(self.response(response, seen, fallback))
        return result


def build_operations(view: ReleaseView) -> list[Operation]:
    """Every operation of a release, in bundle order (source file order)."""
    builder = _Builder(view.doc)
    return [builder.operation(op) for op in view.operations]
