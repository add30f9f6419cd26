"""Reading JSON Schemas inside a bundle: references, type names and object tables.

Shared by the documentation (which draws a table per object) and the release diff (which
compares the same rows between two releases).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Field", "Marks", "ObjectTable", "SchemaReader", "marks_of"]


@dataclass(frozen=True)
class Marks:
    """The version history written on one item of a release view."""

    added: str | None = None  # an annotation label: "1.7", "r0.1.1"
    changed: tuple[tuple[str, str], ...] = ()  # (label, note), oldest first
    deprecated: bool = False
    unstable: str | None = None  # the MSC of an item present in the unstable view only
    off_schema: str | None = None  # why an item the official schema leaves out is here


def marks_of(node: Any) -> Marks:
    if not isinstance(node, dict):
        return Marks()
    added = node.get("x-addedInMatrixVersion")
    changed = node.get("x-changedInMatrixVersion")
    notes = tuple((str(k), str(v)) for k, v in changed.items()) if isinstance(changed, dict) else ()
    unstable = node.get("x-unstable")
    off_schema = node.get("x-notInOfficialSchema")
    return Marks(
        added=str(added) if added is not None else None,
        changed=notes,
        deprecated=bool(node.get("deprecated")),
        unstable=str(unstable) if unstable is not None else None,
        off_schema=" ".join(str(off_schema).split()) if off_schema is not None else None,
    )


@dataclass(frozen=True)
class Field:
    """One property of an object, as a table row."""

    name: str
    type: str
    required: bool
    description: str
    marks: Marks
    enum: tuple[Any, ...] = ()
    const: Any = None
    default: Any = None
    has_default: bool = False


@dataclass
class ObjectTable:
    """The properties of one object schema (a titled component or an inline object)."""

    title: str
    description: str
    fields: list[Field] = field(default_factory=list)


class SchemaReader:
    """Answers questions about the schemas of one bundle."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """The node a ``$ref`` points to (followed to the end) and the last component name."""
        name = None
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            _, _, kind, name = ref.split("/", 3)
            node = self.doc["components"][kind][name]
        return node, name

    def resolve(self, node: Any) -> Any:
        return self.deref(node)[0]

    @staticmethod
    def is_object(schema: Any) -> bool:
        """An object with named properties: one that deserves a table of its own."""
        return isinstance(schema, dict) and isinstance(schema.get("properties"), dict)

    def type_of(self, node: Any, fallback: str = "object") -> str:
        """A short type name: ``[ClientEvent]``, ``{string: string}``, ``string or null``."""
        schema, name = self.deref(node)
        if not isinstance(schema, dict):
            return "any"
        if name is not None and self.is_object(schema):
            return name
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                kinds = [self.type_of(alt, fallback) for alt in schema[key]]
                return " or ".join(dict.fromkeys(kinds))
        kind = schema.get("type")
        if isinstance(kind, list):
            named = [self._one_type(schema, str(k), name, fallback) for k in kind if k != "null"]
            if "null" in kind:
                named.append("null")
            return " or ".join(named) if named else "null"
        if kind is None and "const" in schema:
            kind = {str: "string", bool: "boolean", int: "integer"}.get(type(schema["const"]))
        if kind is None:
            kind = (
                "object" if ("properties" in schema or "additionalProperties" in schema) else None
            )
        return self._one_type(schema, str(kind), name, fallback) if kind else "any"

    def _one_type(self, schema: dict[str, Any], kind: str, name: str | None, fallback: str) -> str:
        if kind == "array":
            items = schema.get("items")
            return f"[{self.type_of(items, fallback)}]" if items is not None else "array"
        if kind == "object":
            if self.is_object(schema):
                return name or str(schema.get("title") or fallback)
            values = schema.get("additionalProperties")
            if not isinstance(values, dict):
                patterns = schema.get("patternProperties")
                if isinstance(patterns, dict) and len(patterns) == 1:
                    values = next(iter(patterns.values()))
            if isinstance(values, dict):
                return f"{{string: {self.type_of(values, fallback)}}}"
            return name or "object"
        fmt = schema.get("format")
        return f"{kind} ({fmt})" if isinstance(fmt, str) else kind

    def nested_objects(self, node: Any, fallback: str) -> Iterator[tuple[str, Any]]:
        """The object schemas reachable from ``node`` through arrays, maps and alternatives."""
        schema, name = self.deref(node)
        if not isinstance(schema, dict):
            return
        if self.is_object(schema):
            yield (name or str(schema.get("title") or fallback)), schema
            return
        for key in ("anyOf", "oneOf"):
            for alt in schema.get(key) or []:
                yield from self.nested_objects(alt, fallback)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from self.nested_objects(schema[key], fallback)
        for value in (schema.get("patternProperties") or {}).values():
            yield from self.nested_objects(value, fallback)

    def field(self, prop: str, node: Any, required: bool, fallback: str) -> Field:
        schema, _ = self.deref(node)
        own = node if isinstance(node, dict) else {}
        target = schema if isinstance(schema, dict) else {}
        description = own.get("description") or target.get("description") or ""
        marks = marks_of(own) if "$ref" not in own else _merge(marks_of(own), marks_of(target))
        raw_enum = target.get("enum")
        enum: list[Any] = raw_enum if isinstance(raw_enum, list) else []
        return Field(
            name=prop,
            type=self.type_of(node, fallback),
            required=required,
            description=str(description),
            marks=marks,
            enum=tuple(enum),
            const=target.get("const"),
            default=target.get("default"),
            has_default="default" in target,
        )

    def tables(self, node: Any, fallback: str, seen: set[str] | None = None) -> list[ObjectTable]:
        """A table for the object at ``node`` and for every object nested in it, breadth
        first; titles already in ``seen`` are skipped (and new ones added to it)."""
        seen = set() if seen is None else seen
        queue = list(self.nested_objects(node, fallback))
        tables: list[ObjectTable] = []
        while queue:
            title, schema = queue.pop(0)
            if title in seen:
                continue
            seen.add(title)
            required = set(schema.get("required") or [])
            table = ObjectTable(title, str(schema.get("description") or ""))
            for prop, sub in schema["properties"].items():
                inner = f"{title}.{prop}"
                table.fields.append(self.field(prop, sub, prop in required, inner))
                queue.extend(self.nested_objects(sub, inner))
            tables.append(table)
        return tables


def _merge(own: Marks, target: Marks) -> Marks:
    return Marks(
        added=own.added or target.added,
        changed=own.changed or target.changed,
        deprecated=own.deprecated or target.deprecated,
        unstable=own.unstable or target.unstable,
        off_schema=own.off_schema or target.off_schema,
    )
