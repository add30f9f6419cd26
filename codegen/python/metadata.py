"""Per-operation metadata across releases: paths, auth, models and version marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codegen.bundle import HTTP_METHODS, deref, json_body_schema
from codegen.python.client import python_name
from codegen.spec import (
    FREE_FORM_QUERY,
    IDENTITY_ASSERTION,
    NO_IDENTITY_ASSERTION,
    REST_OF_PATH,
    Spec,
)
from codegen.versions import Release

__all__ = ["OperationMeta", "SchemeMeta", "collect_operations", "collect_schemes"]


@dataclass
class OperationMeta:
    name: str
    matrix_name: str
    api: str
    method: str
    summary: str
    legacy_paths: list[str]
    added_in: str | None
    deprecated_in: str | None
    changed_in: dict[str, str]
    releases: list[str] = field(default_factory=list)
    paths: list[tuple[str, str]] = field(default_factory=list)  # (since release, path)
    auth: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (since, schemes)
    request: str | None = None
    request_required: bool = False
    responses: dict[str, str | None] = field(default_factory=dict)
    rate_limited: bool = False
    path_params: list[str] = field(default_factory=list)
    query_params: list[tuple[str, bool]] = field(default_factory=list)  # (name, required)
    python_name: str = ""  # the client method (see codegen.python.client.RENAMES)
    # Every query parameter name the operation declares in any release.
    query_names: list[str] = field(default_factory=list)
    auth_optional: bool = False  # an empty security requirement: credentials are optional
    identity: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (since, names)
    no_identity_reason: str | None = None
    free_query: list[tuple[str, str | None]] = field(default_factory=list)  # (since, name)
    rest_param: str | None = None  # the path parameter that is the rest of the path
    # (since, ((status, (errcode, ...)), ...)): the x-errcodes of each response, per release.
    errcodes: list[tuple[str, tuple[tuple[int, tuple[str, ...]], ...]]] = field(
        default_factory=list
    )
    # (errcode, status, description) of every entry in any release, for docstrings.
    errcode_notes: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class SchemeMeta:
    name: str
    kind: str  # "bearer" or "query"
    param: str | None
    releases: list[str] = field(default_factory=list)
    deprecated_in: str | None = None


def _label(spec: Spec, label: str | None) -> str | None:
    if label is None:
        return None
    release = spec.releases.get(label)
    return release.name if release else label


def _type_name(schema: Any) -> str | None:
    """The Python type a JSON body maps to, as text (``Transaction``, ``list[Location]``)."""
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[1]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            names = [_type_name(choice) or "Any" for choice in schema[key]]
            return " | ".join(names)
    if schema.get("type") == "array":
        inner = _type_name(schema.get("items"))
        return f"list[{inner}]" if inner else "list[Any]"
    return "dict[str, Any]" if schema.get("type") == "object" else None


def _append(history: list[tuple[str, Any]], release: Release, value: Any) -> None:
    if not history or history[-1][1] != value:
        history.append((release.name, value))


def _errcodes(
    doc: dict[str, Any], op: dict[str, Any], notes: list[tuple[str, int, str]]
) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The errcodes each response of ``op`` documents in this view (``x-errcodes``), by
    status; every one is noted in ``notes`` with its description, once."""
    found: list[tuple[int, tuple[str, ...]]] = []
    for code, response in op["responses"].items():
        entries = deref(doc, response).get("x-errcodes") or []
        if not entries or not str(code).isdigit():
            continue
        found.append((int(code), tuple(str(e["errcode"]) for e in entries)))
        for entry in entries:
            text = " ".join(str(entry.get("description", "")).split())
            note = (str(entry["errcode"]), int(code), text)
            if note not in notes:
                notes.append(note)
    found.sort()
    return tuple(found)


def collect_operations(spec: Spec) -> list[OperationMeta]:
    """Every operation of every release, newest shape for models, history for paths/auth."""
    found: dict[str, OperationMeta] = {}
    for release in spec.releases:
        doc = spec.bundle(release)
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if method not in HTTP_METHODS:
                    continue
                meta = found.get(op["operationId"])
                if meta is None:
                    meta = found[op["operationId"]] = OperationMeta(
                        name=op["operationId"],
                        matrix_name=op["x-matrixOperationId"],
                        api=op["x-api"],
                        method=method.upper(),
                        summary="",
                        legacy_paths=[],
                        added_in=None,
                        deprecated_in=None,
                        changed_in={},
                        python_name=python_name(op["x-matrixOperationId"]),
                    )
                meta.releases.append(release.name)
                _append(meta.paths, release, path)
                _append(meta.auth, release, tuple(n for req in op.get("security", []) for n in req))
                # The newest view wins for everything that is not a history.
                meta.summary = op.get("summary", "")
                meta.legacy_paths = list(op.get("x-legacyPaths", []))
                meta.added_in = _label(spec, op.get("x-addedInMatrixVersion"))
                meta.deprecated_in = _label(spec, op.get("x-deprecatedInMatrixVersion"))
                meta.changed_in = {
                    str(_label(spec, k)): " ".join(str(v).split())
                    for k, v in op.get("x-changedInMatrixVersion", {}).items()
                }
                body = deref(doc, op.get("requestBody"))
                meta.request = _type_name(json_body_schema(doc, body)) if body else None
                meta.request_required = bool(body and body.get("required"))
                meta.responses = {
                    code: _type_name(json_body_schema(doc, resp))
                    for code, resp in op["responses"].items()
                }
                meta.rate_limited = "429" in op["responses"]
                params = [deref(doc, p) for p in op.get("parameters", [])]
                query = [p for p in params if p["in"] == "query"]
                meta.path_params = [p["name"] for p in params if p["in"] == "path"]
                rest = [p["name"] for p in params if p["in"] == "path" and p.get(REST_OF_PATH)]
                meta.rest_param = rest[0] if rest else None
                meta.query_params = [(p["name"], bool(p.get("required"))) for p in query]
                meta.query_names.extend(
                    p["name"] for p in query if p["name"] not in meta.query_names
                )
                meta.auth_optional = any(not req for req in op.get("security", []))
                _append(
                    meta.identity,
                    release,
                    tuple(p["name"] for p in query if p.get(IDENTITY_ASSERTION) is True),
                )
                reason = op.get(NO_IDENTITY_ASSERTION)
                meta.no_identity_reason = " ".join(reason.split()) if reason else None
                free = [p["name"] for p in query if p.get(FREE_FORM_QUERY) is True]
                _append(meta.free_query, release, free[0] if free else None)
                _append(meta.errcodes, release, _errcodes(doc, op, meta.errcode_notes))
    return sorted(found.values(), key=lambda m: (m.api, m.name))


def collect_schemes(spec: Spec) -> list[SchemeMeta]:
    found: dict[str, SchemeMeta] = {}
    for release in spec.releases:
        for name, scheme in spec.bundle(release)["components"]["securitySchemes"].items():
            meta = found.setdefault(
                name,
                SchemeMeta(
                    name=name,
                    kind="bearer" if scheme["type"] == "http" else "query",
                    param=scheme.get("name") if scheme["type"] == "apiKey" else None,
                ),
            )
            meta.releases.append(release.name)
            meta.deprecated_in = _label(spec, scheme.get("x-deprecatedInMatrixVersion"))
    return sorted(found.values(), key=lambda m: m.name)
