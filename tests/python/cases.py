"""Payload cases shared by the package tests: the spec's examples, and mutations of them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from codegen.bundle import HTTP_METHODS
from codegen.lint import iter_examples

Doc = dict[str, Any]


def target_of(doc: Doc, schema_path: tuple[Any, ...]) -> str | None:
    """The validator target of an example found at ``schema_path`` in a bundle."""
    if schema_path[:1] == ("paths",) and len(schema_path) >= 6:
        _, url, method, where, *rest = schema_path
        if method not in HTTP_METHODS:
            return None
        op_id = doc["paths"][url][method]["operationId"]
        if where == "requestBody" and rest[-1] == "schema" and len(rest) == 3:
            return f"request:{op_id}"
        if where == "responses" and rest[-1] == "schema" and len(rest) == 4:
            return f"response:{op_id}:{rest[0]}"
        return None
    if schema_path[:2] == ("components", "schemas") and len(schema_path) == 3:
        return f"schema:{schema_path[2]}"
    return None


def example_cases(doc: Doc) -> Iterator[tuple[str, str, tuple[Any, ...], Any]]:
    """``(label, target, schema path, value)`` for every example with a validator target."""
    for label, spath, value, _holder in iter_examples(doc):
        target = target_of(doc, spath)
        if target is not None:
            yield label, target, spath, value
    # Responses shared through components/responses count for every operation using them.
    for item in doc["paths"].values():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in op["responses"].items():
                ref = response.get("$ref", "")
                if not ref.startswith("#/components/responses/"):
                    continue
                name = ref.rsplit("/", 1)[1]
                media = (
                    doc["components"]["responses"][name].get("content", {}).get("application/json")
                )
                if not media or "schema" not in media:
                    continue
                spath = ("components", "responses", name, "content", "application/json", "schema")
                for key, example in media.get("examples", {}).items():
                    target = f"response:{op['operationId']}:{status}"
                    yield (
                        f"{op['operationId']} {status} response {key!r}",
                        target,
                        spath,
                        example["value"],
                    )


_WRONG = ["1", 1, 1.5, None, True, [], {}, "", {"x": []}]


def mutations(value: Any, limit: int = 60) -> Iterator[Any]:
    """Variants of a valid payload: keys removed, values of other types, extra keys."""
    produced = 0

    def walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        yield path
        if isinstance(node, dict):
            for key, child in node.items():
                yield from walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node[:2]):
                yield from walk(child, (*path, index))

    def get_parent(root: Any, path: tuple[Any, ...]) -> Any:
        for part in path[:-1]:
            root = root[part]
        return root

    for path in walk(value, ()):
        if not path:
            for wrong in _WRONG:
                yield wrong
            continue
        for wrong in _WRONG:
            variant = copy.deepcopy(value)
            get_parent(variant, path)[path[-1]] = wrong
            yield variant
            produced += 1
        if isinstance(path[-1], str):
            variant = copy.deepcopy(value)
            del get_parent(variant, path)[path[-1]]
            yield variant
        if produced > limit:
            return
