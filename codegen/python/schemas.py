"""Compact validation schemas, one document per distinct release shape.

Each release bundle is reduced to what validation needs: the named schemas (as ``$defs``)
and one target per request body, response body, schema and the registration file.
Annotations (descriptions, examples, titles, ``x-`` keys) are dropped; releases whose
reduced document is identical share one file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from codegen.bundle import HTTP_METHODS, json_body_schema
from codegen.spec import Spec

__all__ = ["ANNOTATIONS", "compact_release", "validation_files"]

ANNOTATIONS = frozenset(
    {"description", "examples", "example", "title", "deprecated", "default", "$comment"}
)  # fmt: skip


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/components/schemas/", "#/$defs/")
            elif key in ("properties", "patternProperties", "$defs"):
                out[key] = {name: _strip(child) for name, child in value.items()}
            else:
                out[key] = _strip(value)
        return out
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def compact_release(doc: dict[str, Any]) -> dict[str, Any]:
    """The validation document of one release bundle."""
    targets: dict[str, Any] = {}
    for item in doc["paths"].values():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            name = op["operationId"]
            if "requestBody" in op:
                schema = json_body_schema(doc, op["requestBody"])
                if schema is not None:
                    targets[f"request:{name}"] = _strip(schema)
            for status, response in op["responses"].items():
                schema = json_body_schema(doc, response)
                if schema is not None:
                    targets[f"response:{name}:{status}"] = _strip(schema)
    for name in doc["components"]["schemas"]:
        targets[f"schema:{name}"] = {"$ref": f"#/$defs/{name}"}
    defs = {name: _strip(s) for name, s in doc["components"]["schemas"].items()}
    return {"$defs": defs, "targets": dict(sorted(targets.items()))}


def validation_files(spec: Spec) -> tuple[dict[str, str], dict[str, str]]:
    """(``{file name: JSON text}``, ``{release: file name}``)."""
    files: dict[str, str] = {}
    index: dict[str, str] = {}
    for release in spec.releases:
        text = json.dumps(compact_release(spec.bundle(release)), separators=(",", ":"))
        name = f"{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
        files[name] = text + "\n"
        index[release.name] = name
    return files, index
