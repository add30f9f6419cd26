"""Lint: the sources, every release view, the OpenAPI validity of every bundle, every example."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from codegen.bundle import HTTP_METHODS
from codegen.errors import Loc, Problems
from codegen.load import loc_of
from codegen.spec import Spec

__all__ = ["BUNDLE_URI", "bundle_registry", "iter_examples", "lint", "locate", "schema_validator"]

BUNDLE_URI = "urn:matrix-appservice-spec:bundle"


def locate(doc: Any, path: Any) -> Loc | None:
    """The source location of the deepest node along ``path`` in a bundle."""
    best = loc_of(doc)
    node = doc
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        best = loc_of(node) or best
    return best


def _pointer(path: tuple[Any, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def bundle_registry(doc: dict[str, Any]) -> Registry[Any]:
    """A registry in which ``BUNDLE_URI`` is the bundle, so its ``#/components`` refs resolve."""
    resource: Resource[Any] = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(BUNDLE_URI, resource)
    return registry


def schema_validator(
    doc: dict[str, Any], path: tuple[Any, ...], registry: Registry[Any] | None = None
) -> Draft202012Validator:
    """A Draft 2020-12 validator for the schema at ``path`` inside a bundle."""
    registry = registry if registry is not None else bundle_registry(doc)
    return Draft202012Validator({"$ref": f"{BUNDLE_URI}#{_pointer(path)}"}, registry=registry)


def iter_examples(doc: dict[str, Any]) -> Iterator[tuple[str, tuple[Any, ...], Any, Any]]:
    """Yield ``(label, schema path, example value, node holding the example)``."""

    def media(prefix: str, content: Any, path: tuple[Any, ...]) -> Iterator[Any]:
        for mime, mt in (content or {}).items():
            if not isinstance(mt, dict) or "schema" not in mt:
                continue
            spath = (*path, mime, "schema")
            if "example" in mt:
                yield f"{prefix} example", spath, mt["example"], mt
            for name, ex in (mt.get("examples") or {}).items():
                if isinstance(ex, dict) and "value" in ex:
                    yield f"{prefix} example {name!r}", spath, ex["value"], ex

    def param(prefix: str, p: Any, path: tuple[Any, ...]) -> Iterator[Any]:
        if not isinstance(p, dict) or "schema" not in p:
            return
        label = f"{prefix} parameter {p.get('name')!r}"
        if "example" in p:
            yield f"{label} example", (*path, "schema"), p["example"], p
        for name, ex in (p.get("examples") or {}).items():
            if isinstance(ex, dict) and "value" in ex:
                yield f"{label} example {name!r}", (*path, "schema"), ex["value"], ex

    def schemas(node: Any, path: tuple[Any, ...]) -> Iterator[Any]:
        if isinstance(node, dict):
            if "type" in node or "properties" in node or "$ref" in node:
                listed = node.get("examples")
                for i, value in enumerate(listed if isinstance(listed, list) else []):
                    yield f"schema example #{i + 1}", path, value, node
                if "example" in node and "in" not in node and "schema" not in node:
                    yield "schema example", path, node["example"], node
            for key, child in node.items():
                if key not in ("example", "examples", "value", "enum", "const", "default"):
                    yield from schemas(child, (*path, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                yield from schemas(child, (*path, i))

    for url, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            base = ("paths", url, method)
            prefix = f"{op.get('operationId')}"
            for i, p in enumerate(op.get("parameters") or []):
                yield from param(prefix, p, (*base, "parameters", i))
            body = op.get("requestBody")
            if isinstance(body, dict):
                yield from media(
                    f"{prefix} request", body.get("content"), (*base, "requestBody", "content")
                )
            for code, resp in (op.get("responses") or {}).items():
                if isinstance(resp, dict):
                    yield from media(
                        f"{prefix} {code} response",
                        resp.get("content"),
                        (*base, "responses", code, "content"),
                    )
    components = doc.get("components", {})
    for name, p in components.get("parameters", {}).items():
        yield from param(f"parameter {name}", p, ("components", "parameters", name))
    for name, resp in components.get("responses", {}).items():
        yield from media(
            f"response {name}", resp.get("content"), ("components", "responses", name, "content")
        )
    yield from schemas(doc.get("paths", {}), ("paths",))
    yield from schemas(components.get("schemas", {}), ("components", "schemas"))


def _check_bundle(
    doc: dict[str, Any], release: str, found: dict[tuple[Loc | None, str], list[str]]
) -> None:
    try:
        errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
    except Exception as exc:
        found[(loc_of(doc), f"the bundle is not a valid OpenAPI 3.1 document: {exc}")].append(
            release
        )
        return
    for err in errors:
        path = tuple(getattr(err, "absolute_path", ()) or ())
        where = "/".join(str(p) for p in path) or "(document)"
        found[(locate(doc, path), f"OpenAPI: at {where}: {err.message}")].append(release)
    registry = bundle_registry(doc)
    for label, spath, value, holder in iter_examples(doc):
        validator = schema_validator(doc, spath, registry)
        for err in validator.iter_errors(value):
            at = err.json_path
            found[
                (
                    loc_of(holder) or locate(doc, spath),
                    f"{label} does not match its schema: at {at}: {err.message}",
                )
            ].append(release)


def lint(spec: Spec) -> Problems:
    """Every problem in the sources and in every release view, with file and line."""
    problems = spec.problems
    if problems:
        return problems
    found: dict[tuple[Loc | None, str], list[str]] = defaultdict(list)
    for release in spec.releases:
        try:
            doc = spec.bundle(release)
        except Exception as exc:
            problems.add(None, f"the view of {release.name} does not build: {exc!r}")
            continue
        _check_bundle(doc, release.name, found)
    for (loc, message), releases in found.items():
        if len(releases) == len(spec.releases):
            where = "every release"
        elif len(releases) <= 3:
            where = ", ".join(releases)
        else:
            where = f"{len(releases)} releases, {releases[0]} to {releases[-1]}"
        problems.add(loc, f"{message} (in {where})")
    return problems
