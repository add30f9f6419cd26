"""The problems of an invalid payload, in document order, in bounded time and memory.

jsonschema-rs answers ``is_valid`` fast on any payload, but its ``iter_errors`` collects every
error at once, each with a Python copy of the value it is about (and raises ``ValueError``
when that value is nested 256 levels or more). A payload with a million bad events would cost
gigabytes. So the
walk here follows the schema itself: it descends through ``$ref``, ``allOf``,
``if``/``then``/``else``, ``properties``, ``additionalProperties`` and ``items``, skips every
part that ``is_valid`` accepts, and asks jsonschema-rs only about one node at a time, with the
node's children left out. It stops once it has found enough. Values in messages are shown
shortened to :data:`PREVIEW` characters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

__all__ = ["PREVIEW", "Found", "Walker", "json_path", "preview"]

PREVIEW = 80
"""Values quoted in messages are cut to this many characters, with an ellipsis."""
_MESSAGE = 300  # a longer message (such as a list of unexpected keys) is cut in the middle
_MASK = "\x00value\x00"  # stands for the value in jsonschema-rs messages; replaced by a preview
_DEEPEST = 200  # schema levels the walk follows (only a recursive schema goes this deep)
_CHUNK = 1024  # array items checked at once before looking at them one by one

# Keywords the walk applies itself; the rest of a node is checked by jsonschema-rs.
_DESCENT = frozenset(
    {"$ref", "$defs", "properties", "additionalProperties", "items", "allOf", "if", "then", "else"}
)
# Keywords that need the whole value (not one with its children left out).
_WHOLE_VALUE = frozenset(
    {"enum", "const", "anyOf", "oneOf", "not", "uniqueItems", "contains", "minContains",
     "maxContains", "propertyNames", "dependentRequired", "minProperties", "maxProperties"}
)  # fmt: skip
# Keywords that change what the descent keywords apply to: a node with one of them is left
# whole to jsonschema-rs (the spec uses none of them).
_TANGLED = frozenset(
    {"patternProperties", "prefixItems", "contains", "dependentSchemas", "unevaluatedItems",
     "unevaluatedProperties", "$dynamicRef", "$recursiveRef"}
)  # fmt: skip
_ANNOTATIONS = frozenset({"$schema", "$id", "$anchor", "$comment", "format", "title"})


def preview(value: Any, limit: int = PREVIEW) -> str:
    """``value`` as compact JSON, cut to ``limit`` characters (reads only what it shows)."""
    out: list[str] = []
    size = 0
    for token in _tokens(value, limit):
        out.append(token)
        size += len(token)
        if size > limit:
            return "".join(out)[:limit] + "…"
    return "".join(out)


def _tokens(value: Any, limit: int) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            if i:
                yield ","
            yield _string(str(key), limit)
            yield ":"
            yield from _tokens(item, limit)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _tokens(item, limit)
        yield "]"
    else:
        yield _scalar(value, limit)


def _string(text: str, limit: int) -> str:
    return json.dumps(text[: limit + 1], ensure_ascii=False)


def _scalar(value: Any, limit: int) -> str:
    if isinstance(value, str):
        return _string(value, limit)
    if value is None or isinstance(value, (bool, float)):
        return json.dumps(value)
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python turns into text
            return f"<integer of {value.bit_length()} bits>"
    return repr(value)[: limit + 1]


def json_path(parts: tuple[str | int, ...]) -> str:
    """``$.events[0].content``; keys that are not identifiers are quoted and shortened."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier() and len(part) <= PREVIEW:
            out.append(f".{part}")
        else:
            shown = json.dumps(part[:PREVIEW], ensure_ascii=False)
            out.append(f'[{shown[:-1]}…"]' if len(part) > PREVIEW else f"[{shown}]")
    return "".join(out)


def _cap(message: str) -> str:
    if len(message) <= _MESSAGE:
        return message
    return message[: _MESSAGE - 61] + " … " + message[-58:]


@dataclass(frozen=True)
class Found:
    """One problem: where (``parts``, ``position`` for ordering), what and which keyword."""

    parts: tuple[str | int, ...]
    position: tuple[int, ...]
    message: str
    keyword: str


class Walker:
    """Finds the problems of payloads that fail one compiled schema (of one document)."""

    def __init__(self, root: dict[str, Any], defs: dict[str, Any]) -> None:
        self._root = root
        self._defs = defs
        self._full: dict[int, jsonschema_rs.Validator] = {}
        self._local: dict[int, tuple[jsonschema_rs.Validator | None, bool]] = {}
        self._arrays: dict[int, jsonschema_rs.Validator] = {}
        self._keep: list[Any] = []  # the nodes whose ids key the caches above

    def problems(self, payload: Any) -> Iterator[Found]:
        """The problems of ``payload`` (known to be invalid), roughly in document order."""
        found = False
        for problem in self._walk(self._root, payload, (), (), 0):
            found = True
            yield problem
        if not found:  # cannot happen with the keywords the spec uses; say something anyway
            yield Found((), (), f"{preview(payload)} does not match the schema", "schema")

    # -- compiled pieces -------------------------------------------------------------------

    def _compile(
        self, schema: dict[str, Any] | bool, mask: bool = False
    ) -> jsonschema_rs.Validator:
        if isinstance(schema, dict):
            schema = {**schema, "$defs": self._defs}
        return jsonschema_rs.Draft202012Validator(
            schema, validate_formats=False, mask=_MASK if mask else None
        )

    def _valid(self, node: dict[str, Any] | bool, value: Any) -> bool:
        if isinstance(node, bool):
            return node
        compiled = self._full.get(id(node))
        if compiled is None:
            compiled = self._full[id(node)] = self._compile(node)
            self._keep.append(node)
        return bool(compiled.is_valid(value))

    def _local_part(self, node: dict[str, Any]) -> tuple[jsonschema_rs.Validator | None, bool]:
        """The node without its descent keywords, compiled; and whether it needs the value."""
        cached = self._local.get(id(node))
        if cached is None and _TANGLED & node.keys():
            cached = self._local[id(node)] = (self._compile(node, mask=True), True)
            self._keep.append(node)
        if cached is None:
            local = {k: v for k, v in node.items() if k not in _DESCENT}
            if node.get("additionalProperties") is False:
                local["properties"] = dict.fromkeys(node.get("properties", {}), True)
                local["additionalProperties"] = False
            asserts = set(local) - _ANNOTATIONS
            compiled = self._compile(local, mask=True) if asserts else None
            cached = self._local[id(node)] = (compiled, bool(asserts & _WHOLE_VALUE))
            self._keep.append(node)
        return cached

    def _resolve(self, ref: str) -> Any:
        """The schema a local ``$ref`` such as ``#/$defs/ClientEvent`` points to."""
        target: Any = {"$defs": self._defs}
        for part in ref.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target[int(part)] if isinstance(target, list) else target[part]
        return target

    def _array_of(self, items: dict[str, Any]) -> jsonschema_rs.Validator:
        compiled = self._arrays.get(id(items))
        if compiled is None:
            compiled = self._arrays[id(items)] = self._compile({"items": items})
            self._keep.append(items)
        return compiled

    # -- the walk --------------------------------------------------------------------------

    def _walk(
        self, node: dict[str, Any] | bool, value: Any, parts: tuple[str | int, ...],
        position: tuple[int, ...], depth: int,
    ) -> Iterator[Found]:  # fmt: skip
        if isinstance(node, bool):
            if not node:
                yield Found(
                    parts, position, f"False schema does not allow {preview(value)}", "false"
                )
            return
        if depth > _DEEPEST:
            yield Found(
                parts, position, f"{preview(value)} is nested too deep to check further", "depth"
            )
            return
        yield from self._local_problems(node, value, parts, position)
        if _TANGLED & node.keys():
            return
        for key in ("$ref", "allOf", "if"):
            if key not in node:
                continue
            if key == "$ref":
                subs = [self._resolve(node["$ref"])]
            elif key == "allOf":
                subs = node["allOf"]
            else:
                branch = "then" if self._valid(node["if"], value) else "else"
                subs = [node[branch]] if branch in node else []
            for sub in subs:
                if not self._valid(sub, value):
                    yield from self._walk(sub, value, parts, position, depth + 1)
        if isinstance(value, dict):
            yield from self._walk_object(node, value, parts, position, depth)
        elif isinstance(value, list) and "items" in node:
            yield from self._walk_array(node["items"], value, parts, position, depth)

    def _local_problems(
        self, node: dict[str, Any], value: Any, parts: tuple[str | int, ...],
        position: tuple[int, ...],
    ) -> Iterator[Found]:  # fmt: skip
        compiled, whole = self._local_part(node)
        if compiled is None:
            return
        shown = value
        if not whole and isinstance(value, dict):
            # Children are checked by the walk; only the keys that ``required`` names matter.
            shown = {k: None for k in node.get("required", ()) if k in value}
            if node.get("additionalProperties") is False:
                shown = dict.fromkeys(value)
        elif not whole and isinstance(value, list):
            shown = [None] * len(value) if {"minItems", "maxItems"} & node.keys() else []
        if compiled.is_valid(shown):
            return
        try:
            errors = list(compiled.iter_errors(shown))
        except ValueError:  # jsonschema-rs cannot hand back values nested this deep
            keywords = ", ".join(sorted(set(node) - _DESCENT - _ANNOTATIONS))
            yield Found(parts, position, f"{preview(value)} does not match {keywords}", "schema")
            return
        for error in errors:
            yield Found(
                (*parts, *error.instance_path),
                (*position, *_positions(value, error.instance_path)),
                _cap(error.message.replace(_MASK, preview(_at(value, error.instance_path)), 1)),
                str(error.schema_path[-1]) if error.schema_path else "",
            )

    def _walk_object(
        self, node: dict[str, Any], value: dict[str, Any], parts: tuple[str | int, ...],
        position: tuple[int, ...], depth: int,
    ) -> Iterator[Found]:  # fmt: skip
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        if not properties and not isinstance(extra, dict):
            return
        for index, (key, item) in enumerate(value.items()):
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None and not self._valid(sub, item):
                yield from self._walk(sub, item, (*parts, key), (*position, index), depth + 1)

    def _walk_array(
        self, items: dict[str, Any] | bool, value: list[Any], parts: tuple[str | int, ...],
        position: tuple[int, ...], depth: int,
    ) -> Iterator[Found]:  # fmt: skip
        array = self._array_of(items) if isinstance(items, dict) else None
        for start in range(0, len(value), _CHUNK):
            chunk = value[start : start + _CHUNK]
            if array is not None and array.is_valid(chunk):
                continue
            for index, item in enumerate(chunk, start):
                if not self._valid(items, item):
                    yield from self._walk(
                        items, item, (*parts, index), (*position, index), depth + 1
                    )


def _at(value: Any, path: list[str | int]) -> Any:
    for step in path:
        value = value[step]
    return value


def _positions(value: Any, path: list[str | int]) -> Iterator[int]:
    """The index of each step of ``path`` in ``value``: keys count in document order."""
    for step in path:
        if isinstance(value, dict):
            yield next((i for i, key in enumerate(value) if key == step), 0)
        else:
            yield int(step)
        value = value[step]
