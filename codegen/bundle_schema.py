"""Draft 2020-12 validators for schemas inside a release's bundle (the reference validator).

The lint checks every example with these, and the tests use them as the reference the
generated package's validator must agree with.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["BUNDLE_URI", "bundle_registry", "schema_validator"]

BUNDLE_URI = "urn:matrix-appservice-spec:bundle"


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
