"""API changes between two releases, computed from their views in the IR.

Operations are matched by API and official operationId, so a path that moved (``r0`` to
``v3``) is reported as a path change, not as one operation removed and another added.
Properties are compared per schema component (``Transaction.ephemeral``) and, for inline
bodies, per operation; nested untitled objects are walked, references to other components
are not (those components are compared on their own).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from codegen.docs.schema import SchemaReader
from codegen.ir import OperationView, ReleaseView

__all__ = ["KINDS", "Change", "diff_releases", "render_json", "render_text"]

# Kinds of change, in the order the text output lists them, with their headings.
KINDS = {
    "operation": "Operations",
    "path": "Paths",
    "security": "Authentication of operations",
    "parameter": "Parameters",
    "body": "Request bodies",
    "response": "Responses",
    "errcode": "Error codes",
    "schema": "Schemas",
    "field": "Fields",
    "scheme": "Security schemes",
}
_SIGN = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True, order=True)
class Change:
    kind: str
    change: str  # added | removed | changed
    where: str
    detail: str


Row = tuple[str, bool, bool]  # type, required, deprecated


class _Side:
    """One release, with the readers the comparison needs."""

    def __init__(self, view: ReleaseView) -> None:
        self.doc = view.doc
        self.reader = SchemaReader(view.doc)
        self.ops = {key: (f"{op.method} {op.path}", op) for key, op in view.by_key().items()}

    def fields(self, schema: Any, prefix: str = "") -> dict[str, Row]:
        """``name -> (type, required, deprecated)`` for the properties of an object,
        walking into untitled nested objects (``a.b``, ``list[].c``, ``map{}.d``)."""
        rows: dict[str, Row] = {}
        if not isinstance(schema, dict) or "$ref" in schema:
            return rows
        required = set(schema.get("required") or [])
        for name, sub in (schema.get("properties") or {}).items():
            target = self.reader.resolve(sub)
            deprecated = bool(isinstance(target, dict) and target.get("deprecated"))
            rows[prefix + name] = (self.reader.type_of(sub), name in required, deprecated)
            rows.update(self.fields(sub, f"{prefix}{name}."))
            if isinstance(sub, dict):
                if isinstance(sub.get("items"), dict):
                    rows.update(self.fields(sub["items"], f"{prefix}{name}[]."))
                if isinstance(sub.get("additionalProperties"), dict):
                    rows.update(self.fields(sub["additionalProperties"], f"{prefix}{name}{{}}."))
        return rows

    def params(self, op: OperationView) -> dict[str, Row]:
        return {
            f"{p.location} {p.name}": (
                self.reader.type_of(p.schema),
                p.required,
                bool(p.node.get("deprecated")),
            )
            for p in op.params
        }

    def body(self, op: OperationView) -> tuple[Any, bool] | None:
        if op.request is None:
            return None
        return op.request.schema or {}, op.request.required

    def responses(self, op: OperationView) -> dict[str, tuple[str | None, set[str], Any]]:
        out: dict[str, tuple[str | None, set[str], Any]] = {}
        for resp in op.responses:
            schema = (resp.body.schema or {}) if resp.body is not None else None
            kind = self.reader.type_of(schema) if schema is not None else None
            out[resp.status] = (kind, {e.errcode for e in resp.errcodes}, schema)
        return out


def _describe(row: Row) -> str:
    kind, required, deprecated = row
    extras = [w for w, on in (("required", required), ("deprecated", deprecated)) if on]
    return kind + (f" ({', '.join(extras)})" if extras else "")


def _rows(
    out: list[Change], kind: str, where: str, old: dict[str, Row], new: dict[str, Row]
) -> None:
    for name in [*old, *(n for n in new if n not in old)]:
        label = f"{where}{name}"
        if name not in new:
            out.append(Change(kind, "removed", label, _describe(old[name])))
        elif name not in old:
            out.append(Change(kind, "added", label, _describe(new[name])))
        elif old[name] != new[name]:
            parts = []
            for what, a, b in zip(
                ("type", "required", "deprecated"), old[name], new[name], strict=True
            ):
                if a != b:
                    parts.append(f"{what}: {_text(a)} -> {_text(b)}")
            out.append(Change(kind, "changed", label, "; ".join(parts)))


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _shape(schema: Any) -> str:
    """A component in a few words: ``object (type, content)`` or its JSON type."""
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return f"object ({', '.join(schema['properties'])})" if schema["properties"] else "object"
    kind = schema.get("type") if isinstance(schema, dict) else None
    return str(kind) if isinstance(kind, str) else "schema"


def _security(op: OperationView) -> str:
    options = [" + ".join(req) for req in op.security]
    return " or ".join(options) if options else "none"


def _operation(out: list[Change], a: _Side, b: _Side, key: tuple[str, str]) -> None:
    (old_label, old), (label, new) = a.ops[key], b.ops[key]
    if old_label != label:
        out.append(Change("path", "changed", label, f"was {old_label}"))
    if bool(old.node.get("deprecated")) != bool(new.node.get("deprecated")):
        state = "deprecated" if new.node.get("deprecated") else "no longer deprecated"
        out.append(Change("operation", "changed", label, state))
    if _security(old) != _security(new):
        out.append(Change("security", "changed", label, f"{_security(old)} -> {_security(new)}"))
    _rows(out, "parameter", f"{label}: ", a.params(old), b.params(new))
    body_a, body_b = a.body(old), b.body(new)
    if body_a is None and body_b is not None:
        out.append(Change("body", "added", label, b.reader.type_of(body_b[0])))
    elif body_a is not None and body_b is None:
        out.append(Change("body", "removed", label, a.reader.type_of(body_a[0])))
    elif body_a is not None and body_b is not None:
        type_a, type_b = a.reader.type_of(body_a[0]), b.reader.type_of(body_b[0])
        if (type_a, body_a[1]) != (type_b, body_b[1]):
            out.append(Change("body", "changed", label, f"{type_a} -> {type_b}"))
        _rows(out, "field", f"{label} body: ", a.fields(body_a[0]), b.fields(body_b[0]))
    resp_a, resp_b = a.responses(old), b.responses(new)
    for code in sorted(set(resp_a) | set(resp_b)):
        if code not in resp_b:
            out.append(Change("response", "removed", f"{label} {code}", str(resp_a[code][0])))
        elif code not in resp_a:
            out.append(Change("response", "added", f"{label} {code}", str(resp_b[code][0])))
        else:
            (ta, ea, sa), (tb, eb, sb) = resp_a[code], resp_b[code]
            if ta != tb:
                out.append(Change("response", "changed", f"{label} {code}", f"{ta} -> {tb}"))
            out.extend(Change("errcode", "added", f"{label} {code}", e) for e in sorted(eb - ea))
            out.extend(Change("errcode", "removed", f"{label} {code}", e) for e in sorted(ea - eb))
            _rows(out, "field", f"{label} {code}: ", a.fields(sa), b.fields(sb))


def _components(out: list[Change], a: _Side, b: _Side) -> None:
    schemas_a = a.doc.get("components", {}).get("schemas", {})
    schemas_b = b.doc.get("components", {}).get("schemas", {})
    for name in [*schemas_a, *(n for n in schemas_b if n not in schemas_a)]:
        if name not in schemas_b:
            out.append(Change("schema", "removed", name, _shape(schemas_a[name])))
        elif name not in schemas_a:
            out.append(Change("schema", "added", name, _shape(schemas_b[name])))
        else:
            _rows(out, "field", f"{name}.", a.fields(schemas_a[name]), b.fields(schemas_b[name]))
    schemes_a = a.doc.get("components", {}).get("securitySchemes", {})
    schemes_b = b.doc.get("components", {}).get("securitySchemes", {})
    keys = ("type", "scheme", "in", "name", "deprecated")
    for name in [*schemes_a, *(n for n in schemes_b if n not in schemes_a)]:
        shape_a = {k: schemes_a[name].get(k) for k in keys} if name in schemes_a else None
        shape_b = {k: schemes_b[name].get(k) for k in keys} if name in schemes_b else None
        if shape_a != shape_b:
            change = "added" if shape_a is None else "removed" if shape_b is None else "changed"
            shown = {k: v for k, v in (shape_b or shape_a or {}).items() if v is not None}
            out.append(Change("scheme", change, name, json.dumps(shown)))


def diff_releases(old: ReleaseView, new: ReleaseView) -> list[Change]:
    """Every API change from ``old`` to ``new``, sorted by kind, then place."""
    a, b = _Side(old), _Side(new)
    out: list[Change] = []
    for key in [*a.ops, *(k for k in b.ops if k not in a.ops)]:
        if key not in b.ops:
            label, _ = a.ops[key]
            out.append(Change("operation", "removed", label, f"{key[1]} ({key[0]})"))
        elif key not in a.ops:
            label, _ = b.ops[key]
            out.append(Change("operation", "added", label, f"{key[1]} ({key[0]})"))
        else:
            _operation(out, a, b, key)
    _components(out, a, b)
    order = list(KINDS)
    return sorted(set(out), key=lambda c: (order.index(c.kind), c.where, c.change, c.detail))


def render_text(changes: list[Change], old: str, new: str) -> str:
    if not changes:
        return f"No API changes from {old} to {new}.\n"
    lines = [f"API changes from {old} to {new}: {len(changes)}"]
    for kind, title in KINDS.items():
        mine = [c for c in changes if c.kind == kind]
        if mine:
            lines.extend(["", f"{title}:"])
            lines.extend(f"  {_SIGN[c.change]} {c.where}: {c.detail}" for c in mine)
    return "\n".join(lines) + "\n"


def render_json(changes: list[Change]) -> str:
    return json.dumps([asdict(c) for c in changes], indent=2) + "\n"
