"""Payload cases shared by the package tests: the spec's examples, and mutations of them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from codegen.examples import iter_examples
from codegen.ir import ReleaseView


def _targets(view: ReleaseView) -> dict[tuple[Any, ...], str]:
    """Bundle path of each request and response body schema -> its validator target."""
    found: dict[tuple[Any, ...], str] = {}
    for op in view.operations:
        if op.request is not None:
            found[op.request.pointer] = f"request:{op.name}"
        for response in op.responses:
            if response.body is not None:
                found[response.body.pointer] = f"response:{op.name}:{response.status}"
    return found


def example_cases(view: ReleaseView) -> Iterator[tuple[str, str, tuple[Any, ...], Any]]:
    """``(label, target, schema path, value)`` for every example with a validator target."""
    targets = _targets(view)
    for label, spath, value, _holder in iter_examples(view):
        target = (
            f"schema:{spath[2]}"
            if spath[:2] == ("components", "schemas") and len(spath) == 3
            else targets.get(spath)
        )
        if target is not None:
            yield label, target, spath, value
    # Responses shared through components/responses count for every operation using them.
    for op in view.operations:
        for response in op.responses:
            ref = op.node["responses"][response.status].get("$ref", "")
            if not ref.startswith("#/components/responses/") or response.body is None:
                continue
            name = ref.rsplit("/", 1)[1]
            spath = ("components", "responses", name, "content", "application/json", "schema")
            for key, example in (response.body.media.get("examples") or {}).items():
                yield (
                    f"{op.name} {response.status} response {key!r}",
                    f"response:{op.name}:{response.status}",
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
