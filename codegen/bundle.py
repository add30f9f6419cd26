"""Bundle the view of one release into a single, resolved OpenAPI 3.1 document.

Cross-file ``$ref``s become ``#/components/...`` references, titled inline schemas are
hoisted into ``components/schemas`` under their title, every path gets its base path, and
references to components absent from the release are pruned along with what uses them.
"""

from __future__ import annotations

import posixpath
from typing import Any

from codegen.errors import Loc, Problems
from codegen.keys import API, MATRIX_OPERATION_ID
from codegen.load import EVENTS_FOLDER, Map, SpecFile, SpecTree, loc_of
from codegen.versions import Release, Releases
from codegen.view import DROP, LITERAL_KEYS, apply_view, copy_map
from codegen.walk import HTTP_METHODS

__all__ = [
    "API_TITLE",
    "MAP_FILES",
    "build_bundle",
    "deref",
    "json_body_schema",
    "ref_target",
]

API_TITLE = "Matrix Application Service API"
# Definition files that are maps of named components rather than one schema.
MAP_FILES = {
    "definitions/parameters.yaml": "parameters",
    "definitions/responses.yaml": "responses",
    "definitions/security.yaml": "securitySchemes",
}
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_ONE = (
    "items", "additionalProperties", "not", "if", "then", "else", "contains",
    "propertyNames", "unevaluatedItems", "unevaluatedProperties",
)  # fmt: skip
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def deref(doc: dict[str, Any], node: Any) -> Any:
    """Follow ``#/components/<kind>/<name>`` references in a bundle to the node itself."""
    while isinstance(node, dict) and "$ref" in node:
        _, _, kind, name = node["$ref"].split("/")
        node = doc["components"][kind][name]
    return node


def json_body_schema(doc: dict[str, Any], holder: Any) -> Any:
    """The JSON schema of a request body or response (following refs), or None."""
    content = (deref(doc, holder) or {}).get("content") or {}
    media = content.get("application/json")
    return None if media is None else media.get("schema")


def ref_target(tree: SpecTree, owner: str, ref: str) -> tuple[str, str] | str:
    """Resolve a source ``$ref`` to ``(component kind, name)``, or an error message."""
    path, _, fragment = ref.partition("#")
    if not path:
        return f"local reference {ref!r}: refer to a file under definitions/ instead"
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(owner), path))
    target = tree.files.get(rel)
    if target is None:
        return f"$ref {ref!r}: no such file {rel!r}"
    if rel in MAP_FILES:
        name = fragment.lstrip("/")
        if not name or "/" in name:
            return f"$ref {ref!r}: expected {rel}#/<name>"
        if not isinstance(target.data, dict) or name not in target.data:
            return f"$ref {ref!r}: {rel} has no entry {name!r}"
        return MAP_FILES[rel], name
    if not rel.startswith(("definitions/", EVENTS_FOLDER)):
        return f"$ref {ref!r}: only files under definitions/ and events/ may be referenced"
    if fragment:
        return f"$ref {ref!r}: refer to the whole schema file, without a fragment"
    title = target.data.get("title") if isinstance(target.data, dict) else None
    if not isinstance(title, str):
        return f"$ref {ref!r}: {rel} has no string 'title' to name its component"
    return "schemas", title


class _Bundler:
    def __init__(self, tree: SpecTree, releases: Releases, release: Release, problems: Problems):
        self.tree = tree
        self.releases = releases
        self.release = release
        self.problems = problems
        self.components: dict[str, dict[str, Any]] = {
            "schemas": {}, "parameters": {}, "responses": {}, "securitySchemes": {},
        }  # fmt: skip
        self.origins: dict[str, Loc | None] = {}

    # -- references and hoisting -------------------------------------------------------

    def _rewrite(self, node: Any, owner: str, *, schema: bool) -> Any:
        """Rewrite refs under ``node``; ``schema`` says whether ``node`` is a JSON Schema."""
        if isinstance(node, list):
            return type(node)(self._rewrite(item, owner, schema=schema) for item in node)
        if not isinstance(node, dict):
            return node
        if "$ref" in node and isinstance(node["$ref"], str):
            target = ref_target(self.tree, owner, node["$ref"])
            if isinstance(target, str):
                self.problems.add(loc_of(node), target)
                return node
            kind, name = target
            out = dict(node)
            out["$ref"] = f"#/components/{kind}/{name}"
            return self._same(node, out)
        out = {}
        for key, value in node.items():
            if key in LITERAL_KEYS or (key == "examples" and schema):
                out[key] = value
            elif schema and key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = self._same(
                    value, {k: self._child_schema(v, owner) for k, v in value.items()}
                )
            elif schema and key in _SCHEMA_ONE and isinstance(value, dict):
                out[key] = self._child_schema(value, owner)
            elif schema and key in _SCHEMA_LISTS and isinstance(value, list):
                out[key] = type(value)(self._child_schema(v, owner) for v in value)
            elif key == "schema" and not schema:
                out[key] = self._child_schema(value, owner)
            else:
                out[key] = self._rewrite(value, owner, schema=False)
        return self._same(node, out)

    def _child_schema(self, value: Any, owner: str) -> Any:
        rewritten = self._rewrite(value, owner, schema=True)
        if isinstance(rewritten, dict) and "$ref" not in rewritten:
            title = rewritten.get("title")
            if isinstance(title, str):
                self._add_component("schemas", title, rewritten, loc_of(value))
                return self._same(value, {"$ref": f"#/components/schemas/{title}"})
        return rewritten

    @staticmethod
    def _same(source: Any, items: dict[str, Any]) -> Any:
        return copy_map(source, items) if isinstance(source, Map) else items

    def _add_component(self, kind: str, name: str, node: Any, loc: Loc | None) -> None:
        existing = self.components[kind].get(name)
        if existing is not None and existing != node:
            first = self.origins.get(f"{kind}/{name}")
            self.problems.add(loc, f"two different {kind} are named {name!r} (the other: {first})")
            return
        self.components[kind][name] = node
        self.origins[f"{kind}/{name}"] = loc

    # -- building ------------------------------------------------------------------------

    def _view(self, spec: SpecFile, node: Any, *, mark_deprecated: bool = True) -> Any:
        return apply_view(node, self.releases, self.release, mark_deprecated=mark_deprecated)

    def add_definitions(self) -> None:
        for spec in self.tree.schema_files():
            kind = MAP_FILES.get(spec.rel)
            if kind is not None:
                viewed = self._view(spec, spec.data, mark_deprecated=kind != "securitySchemes")
                for name, entry in (viewed or {}).items():
                    rewritten = self._rewrite(entry, spec.rel, schema=False)
                    self._add_component(kind, name, rewritten, loc_of(entry))
                continue
            viewed = self._view(spec, spec.data)
            if viewed is None:
                continue
            title = viewed.get("title") if isinstance(viewed, dict) else None
            if not isinstance(title, str):
                self.problems.add(loc_of(spec.data), "a schema definition needs a string 'title'")
                continue
            body = self._rewrite(viewed, spec.rel, schema=True)
            body.pop("$schema", None)
            self._add_component("schemas", title, body, loc_of(spec.data))

    def add_paths(self) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
        """The bundle's paths, its tags, and its operations (in the same order)."""
        paths: dict[str, Any] = {}
        tags: list[str] = []
        operations: list[dict[str, Any]] = []
        for spec in self.tree.endpoint_files():
            viewed = self._view(spec, spec.data)
            if not isinstance(viewed, dict):
                continue
            base = _base_path(viewed)
            server = _server_for(spec.api or "")
            for key, item in (viewed.get("paths") or {}).items():
                rewritten = self._rewrite(item, spec.rel, schema=False)
                ops = [op for m, op in rewritten.items() if m in HTTP_METHODS]
                if not ops:
                    continue
                full = base + key
                for op in ops:
                    op[API] = spec.api
                    tags.extend(t for t in op.get("tags", []) if t not in tags)
                if full in paths:
                    # Two files may share a path with different methods (the PUT of a state
                    # event next to sending, its GET next to reading state); nothing else.
                    shared = paths[full]
                    twice = [m for m in rewritten if m in HTTP_METHODS and m in shared]
                    if twice or "parameters" in rewritten or "parameters" in shared:
                        what = f"{', '.join(m.upper() for m in twice)} of " if twice else ""
                        self.problems.add(loc_of(item), f"{what}path {full} is defined twice")
                        continue
                    shared.update((m, op) for m, op in rewritten.items() if m in HTTP_METHODS)
                    operations += ops
                    continue
                rewritten["servers"] = [server]
                paths[full] = rewritten
                operations += ops
        return paths, tags, operations

    def finish(
        self, paths: dict[str, Any], tags: list[str], operations: list[dict[str, Any]]
    ) -> dict[str, Any]:
        _disambiguate_operation_ids(operations)
        doc: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {
                "title": API_TITLE,
                "version": self.release.name,
                "description": (
                    "The Application Service API (homeserver to appservice) and the "
                    "Client-Server endpoints that appservices use, as of "
                    f"{'the unstable specification' if self.release.is_unstable else 'release ' + self.release.name}."
                ),
                "x-release": {
                    "name": self.release.name,
                    "date": self.release.date,
                    "status": self.release.status,
                },
            },
            "servers": [_server_for("client-server")],
            "tags": [{"name": t} for t in tags],
            "paths": paths,
            "components": {k: v for k, v in self.components.items() if v},
        }
        _prune(doc, operations, self.problems)
        return doc


def _base_path(viewed: dict[str, Any]) -> str:
    try:
        base = viewed["servers"][0]["variables"]["basePath"]["default"]
    except (KeyError, IndexError, TypeError):
        return ""
    return str(base)


def _server_for(api: str) -> dict[str, Any]:
    if api == "application-service":
        return {
            "url": "{scheme}://{host}",
            "description": "The appservice, at the `url` of its registration.",
            "variables": {"scheme": {"default": "http", "enum": ["http", "https"]},
                          "host": {"default": "localhost:9000"}},
        }  # fmt: skip
    return {
        "url": "{scheme}://{host}",
        "description": "The homeserver's Client-Server API.",
        "variables": {"scheme": {"default": "https", "enum": ["http", "https"]},
                      "host": {"default": "matrix.example.org"}},
    }  # fmt: skip


def _disambiguate_operation_ids(operations: list[dict[str, Any]]) -> None:
    """CS lookups share operationIds with the AS API; give the CS ones a ``client`` prefix."""
    as_ids = {op.get("operationId") for op in operations if op.get(API) == "application-service"}
    for op in operations:
        official = str(op.get("operationId"))
        op[MATRIX_OPERATION_ID] = official
        if op.get(API) == "client-server" and official in as_ids:
            op["operationId"] = "client" + official[:1].upper() + official[1:]


def _prune(doc: dict[str, Any], operations: list[dict[str, Any]], problems: Problems) -> None:
    """Drop references to absent components, then security requirements on absent schemes."""
    components = doc["components"]

    def present(ref: str) -> bool:
        parts = ref.split("/")
        return len(parts) == 4 and parts[3] in components.get(parts[2], {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/") and not present(ref):
                return DROP
            for key in list(node):
                if key in LITERAL_KEYS or (key == "examples" and isinstance(node[key], list)):
                    continue
                if walk(node[key]) is DROP:
                    del node[key]
        elif isinstance(node, list):
            node[:] = [item for item in node if walk(item) is not DROP]
        return node

    # Repeat until stable: dropping a component can leave another one dangling.
    while True:
        before = sum(len(v) for v in components.values())
        walk(components)
        walk(doc["paths"])
        if sum(len(v) for v in components.values()) == before:
            break
    schemes = components.get("securitySchemes", {})
    for op in operations:
        if "security" not in op:
            continue
        kept = [req for req in op["security"] if all(name in schemes for name in req)]
        if op["security"] and not kept:
            problems.add(loc_of(op), f"{op.get('operationId')}: no security scheme is left")
        op["security"] = kept


def build_bundle(
    tree: SpecTree, releases: Releases, release: Release, problems: Problems
) -> dict[str, Any]:
    """One resolved OpenAPI 3.1 document for ``release``; problems are collected."""
    bundler = _Bundler(tree, releases, release, problems)
    bundler.add_definitions()
    return bundler.finish(*bundler.add_paths())
