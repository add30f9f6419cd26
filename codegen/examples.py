"""Every example of a release: parameters, request and response bodies, and schemas.

Each comes with the bundle path of the schema it must match, so that the lint (and the tests)
can validate it with :func:`codegen.bundle_schema.schema_validator`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from codegen.ir import ReleaseView

__all__ = ["Example", "iter_examples"]

Example = tuple[str, tuple[Any, ...], Any, Any]
"""``(label, schema path in the bundle, example value, node holding the example)``."""

# Keys whose values are data, never walked for nested schemas.
_DATA_KEYS = ("example", "examples", "value", "enum", "const", "default")


def _media(prefix: str, media: Any, schema_path: tuple[Any, ...]) -> Iterator[Example]:
    if not isinstance(media, dict) or "schema" not in media:
        return
    if "example" in media:
        yield f"{prefix} example", schema_path, media["example"], media
    for name, ex in (media.get("examples") or {}).items():
        if isinstance(ex, dict) and "value" in ex:
            yield f"{prefix} example {name!r}", schema_path, ex["value"], ex


def _content(prefix: str, content: Any, path: tuple[Any, ...]) -> Iterator[Example]:
    for mime, media in (content or {}).items():
        yield from _media(prefix, media, (*path, mime, "schema"))


def _param(prefix: str, p: Any, path: tuple[Any, ...]) -> Iterator[Example]:
    if not isinstance(p, dict) or "schema" not in p:
        return
    label = f"{prefix} parameter {p.get('name')!r}"
    if "example" in p:
        yield f"{label} example", (*path, "schema"), p["example"], p
    for name, ex in (p.get("examples") or {}).items():
        if isinstance(ex, dict) and "value" in ex:
            yield f"{label} example {name!r}", (*path, "schema"), ex["value"], ex


def _schemas(node: Any, path: tuple[Any, ...]) -> Iterator[Example]:
    """The ``examples`` (and ``example``) of every schema under ``node``."""
    if isinstance(node, dict):
        if "type" in node or "properties" in node or "$ref" in node:
            listed = node.get("examples")
            for i, value in enumerate(listed if isinstance(listed, list) else []):
                yield f"schema example #{i + 1}", path, value, node
            if "example" in node and "in" not in node and "schema" not in node:
                yield "schema example", path, node["example"], node
        for key, child in node.items():
            if key not in _DATA_KEYS:
                yield from _schemas(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _schemas(child, (*path, i))


def iter_examples(view: ReleaseView) -> Iterator[Example]:
    """Every example of one release, operations first (in bundle order), then components."""
    doc = view.doc
    for op in view.operations:
        for i, raw in enumerate(op.node.get("parameters") or []):
            yield from _param(op.name, raw, (*op.pointer, "parameters", i))
        body = op.node.get("requestBody")
        if isinstance(body, dict):
            yield from _content(
                f"{op.name} request", body.get("content"), (*op.pointer, "requestBody", "content")
            )
        for code, resp in (op.node.get("responses") or {}).items():
            if isinstance(resp, dict):
                yield from _content(
                    f"{op.name} {code} response",
                    resp.get("content"),
                    (*op.pointer, "responses", code, "content"),
                )
    components = doc.get("components", {})
    for name, p in components.get("parameters", {}).items():
        yield from _param(f"parameter {name}", p, ("components", "parameters", name))
    for name, resp in components.get("responses", {}).items():
        yield from _content(
            f"response {name}", resp.get("content"), ("components", "responses", name, "content")
        )
    for op in view.operations:
        yield from _schemas(op.node, op.pointer)
    yield from _schemas(components.get("schemas", {}), ("components", "schemas"))
