"""Compact validation schemas, one document per distinct release shape.

Each release bundle is reduced to what validation needs: the named schemas (as ``$defs``)
and one target per request body, response body, schema, event content (``event:m.typing``)
and the registration file. The ``content`` entry names, for each event envelope
(``ClientEvent``), the schema that checks its content by the event's ``type``; a validator
asked to check contents puts it beside the envelope (:mod:`matrix_appservice._validator`).
Annotations (descriptions, examples, titles, ``x-`` keys) are dropped; releases whose
reduced document is identical share one file.

Schemas that refer to themselves, directly or through others (a client event's
``unsigned.redacted_because`` is a client event), are unrolled to ``RECURSION_DEPTH``
references: the compiled validator then descends a bounded number of levels whatever the
payload, so a payload nested thousands of levels deep cannot exhaust its stack. Below that
depth anything is accepted; no real payload nests redactions that deep.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from codegen.events import ENVELOPES
from codegen.ir import ReleaseView
from codegen.spec import Spec

__all__ = [
    "ANNOTATIONS",
    "CONTENT",
    "EVENTS",
    "RECURSION_DEPTH",
    "compact_release",
    "validation_files",
]

# References followed inside a cycle of schemas before the rest is accepted as is (8 is
# four nested redactions: event -> unsigned -> event ...).
RECURSION_DEPTH = 8
_DEFS = "#/$defs/"
CONTENT = "content:"
"""The prefix of the ``$defs`` that check one event type's content."""
EVENTS = "events:"
"""The prefix of the ``$defs`` that check an envelope's content by its ``type``; the
``content`` entry of a document maps each envelope to its own."""

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


def _content_defs(view: ReleaseView) -> tuple[dict[str, Any], dict[str, str]]:
    """``$defs`` that check a content by its event type (``content:m.room.message``) and an
    envelope's content by the event's ``type`` (``events:ClientEvent``); and which envelope
    each ``events:`` entry belongs to."""
    defs: dict[str, Any] = {}
    for event in view.events:
        check: dict[str, Any] = {"$ref": f"{_DEFS}{event.schema}"}
        if event.variants and event.variant_key:
            key = event.variant_key
            check = {"allOf": [check] + [
                {"if": {"properties": {key: {"const": v.value}}, "required": [key]},
                 "then": {"$ref": f"{_DEFS}{v.schema}"}}
                for v in event.variants
            ]}  # fmt: skip
        for name in event.types:
            defs[f"{CONTENT}{name}"] = check
    envelopes: dict[str, str] = {}
    schemas = view.doc["components"]["schemas"]
    for env in ENVELOPES:
        if env.model not in schemas:
            continue
        by_type = [
            {"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
             "then": {"properties": {"content": {"$ref": f"{_DEFS}{CONTENT}{name}"}}}}
            for event in view.events if set(event.kinds) & set(env.kinds)
            for name in event.types
        ]  # fmt: skip
        check = {"allOf": by_type}
        if env.redactable:  # a redacted event keeps only some of its content
            redacted = {"required": ["unsigned"],
                        "properties": {"unsigned": {"required": ["redacted_because"]}}}  # fmt: skip
            check = {"if": redacted, "else": check}
        defs[f"{EVENTS}{env.model}"] = check
        envelopes[env.model] = f"{EVENTS}{env.model}"
    return defs, envelopes


def compact_release(view: ReleaseView) -> dict[str, Any]:
    """The validation document of one release."""
    doc = view.doc
    targets: dict[str, Any] = {}
    for op in view.operations:
        if op.request is not None and op.request.schema is not None:
            targets[f"request:{op.name}"] = _strip(op.request.schema)
        for response in op.responses:
            if response.body is not None and response.body.schema is not None:
                targets[f"response:{op.name}:{response.status}"] = _strip(response.body.schema)
    for name in doc["components"]["schemas"]:
        targets[f"schema:{name}"] = {"$ref": f"#/$defs/{name}"}
    defs = {name: _strip(s) for name, s in doc["components"]["schemas"].items()}
    content_defs, envelopes = _content_defs(view)
    for name in content_defs:
        if name.startswith(CONTENT):
            targets[f"event:{name[len(CONTENT) :]}"] = {"$ref": f"{_DEFS}{name}"}
    return {
        "$defs": _unroll(defs | content_defs),
        "targets": dict(sorted(targets.items())),
        "content": envelopes,
    }


def _refs(node: Any) -> set[str]:
    """The ``$defs`` names ``node`` refers to."""
    if isinstance(node, dict):
        found = {n for v in node.values() for n in _refs(v)}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            found.add(ref[len(_DEFS) :])
        return found
    if isinstance(node, list):
        return {n for v in node for n in _refs(v)}
    return set()


def _cyclic(defs: dict[str, Any]) -> set[str]:
    """The names that can reach themselves through references."""
    graph = {name: _refs(schema) & set(defs) for name, schema in defs.items()}
    found: set[str] = set()
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            name = stack.pop()
            if name == start:
                found.add(start)
                break
            if name not in seen:
                seen.add(name)
                stack.extend(graph[name])
    return found


def _retarget(node: Any, cyclic: set[str], level: int) -> Any:
    """``node`` with references to cyclic schemas pointing at copy ``level`` (or accepting
    anything once ``level`` passes ``RECURSION_DEPTH``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS) and ref[len(_DEFS) :] in cyclic:
            rest = {k: _retarget(v, cyclic, level) for k, v in node.items() if k != "$ref"}
            if level > RECURSION_DEPTH:
                return rest
            return {**rest, "$ref": f"{_DEFS}{ref[len(_DEFS) :]}__{level}"}
        return {k: _retarget(v, cyclic, level) for k, v in node.items()}
    if isinstance(node, list):
        return [_retarget(v, cyclic, level) for v in node]
    return node


def _unroll(defs: dict[str, Any]) -> dict[str, Any]:
    """Replace every cycle of references by ``RECURSION_DEPTH`` numbered copies."""
    cyclic = _cyclic(defs)
    if not cyclic:
        return defs
    out = {name: s if name not in cyclic else _retarget(s, cyclic, 1) for name, s in defs.items()}
    for level in range(1, RECURSION_DEPTH + 1):
        for name in sorted(cyclic):
            out[f"{name}__{level}"] = _retarget(defs[name], cyclic, level + 1)
    return out


def validation_files(spec: Spec) -> tuple[dict[str, str], dict[str, str]]:
    """(``{file name: JSON text}``, ``{release: file name}``)."""
    files: dict[str, str] = {}
    index: dict[str, str] = {}
    for release in spec.releases:
        text = json.dumps(compact_release(spec.ir.release(release.name)), separators=(",", ":"))
        name = f"{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
        files[name] = text + "\n"
        index[release.name] = name
    return files, index
