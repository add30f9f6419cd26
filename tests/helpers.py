"""Small readers over a release's operations (the IR) and its bundle, shared by the tests."""

from __future__ import annotations

import json
from typing import Any

from codegen.ir import ReleaseView, deref

__all__ = [
    "PREVIEW",
    "body_schema",
    "deref",
    "errcodes",
    "json_path",
    "operations",
    "params",
    "response_schema",
    "routes",
]

Doc = dict[str, Any]


def operations(view: ReleaseView) -> dict[str, tuple[str, str, Any]]:
    """operationId -> (METHOD, full path, the operation object in the bundle)."""
    return {op.name: (op.method, op.path, op.node) for op in view.operations}


def routes(view: ReleaseView) -> set[tuple[str, str]]:
    return {(op.method, op.path) for op in view.operations}


def params(doc: Doc, op: Any) -> dict[str, Any]:
    """name -> parameter object (resolved)."""
    return {p["name"]: p for p in (deref(doc, raw) for raw in op.get("parameters", []))}


def body_schema(doc: Doc, op: Any) -> Any:
    body = deref(doc, op.get("requestBody", {}))
    return deref(doc, body.get("content", {}).get("application/json", {}).get("schema", {}))


def response_schema(doc: Doc, op: Any, code: str) -> Any:
    resp = deref(doc, op["responses"][code])
    return deref(doc, resp.get("content", {}).get("application/json", {}).get("schema", {}))


def errcodes(doc: Doc, op: Any, code: str) -> set[str]:
    resp = deref(doc, op["responses"].get(code, {}))
    return {e["errcode"] for e in resp.get("x-errcodes", [])}


def security_schemes(doc: Doc, op: Any) -> set[str]:
    return {name for req in op.get("security", []) for name in req}


PREVIEW = 80
"""How much of a value (or of a key in a path) the validator quotes, as the README says."""


def json_path(parts: tuple[str | int, ...]) -> str:
    """How the validator names a place: ``$.events[0]``, ``$["a b"]``, a long key cut to
    :data:`PREVIEW` characters with ``…``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier() and len(part) <= PREVIEW:
            out += f".{part}"
        else:
            shown = json.dumps(part[:PREVIEW], ensure_ascii=False)
            out += f'[{shown[:-1]}…"]' if len(part) > PREVIEW else f"[{shown}]"
    return out
