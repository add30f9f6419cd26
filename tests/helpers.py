"""Small readers over a release's operations (the IR) and its bundle, shared by the tests."""

from __future__ import annotations

from typing import Any

from codegen.ir import ReleaseView, deref

__all__ = ["body_schema", "deref", "errcodes", "operations", "params", "response_schema", "routes"]

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
