"""The events section of a release's document: the content of every event type, by kind.

Built from the same release view as the validator's content checks and the typed models
(:mod:`codegen.events`): one entry per event type, under the first kind it travels as, with
its version marks, its state key, a table per object of its content, an example, and one
entry per variant (the msgtypes of ``m.room.message``). Objects shared by several types
(file information, relations, mentions) get their tables once, in a section of their own.
The section is rendered from ``templates/docs/_events.rst.j2`` into the ``{{events}}``
placeholder of the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

from codegen.docs.rst import inline_literal
from codegen.docs.schema import Marks, ObjectTable, SchemaReader, marks_of
from codegen.docs.tables import Blocks
from codegen.events import KINDS, PARTS_FOLDER, EventType
from codegen.ir import ReleaseView
from codegen.load import loc_of

__all__ = ["EVENTS_TEMPLATE", "DocEvent", "DocKind", "render_events"]

EVENTS_TEMPLATE = "_events.rst.j2"
_KIND_TITLES = {
    "message": "Message events",
    "state": "State events",
    "ephemeral": "Ephemeral data",
    "to-device": "To-device messages",
}
_KIND_NAMES = {
    "message": "a message event in a room",
    "state": "a state event in a room",
    "ephemeral": "an item of a transaction's ``ephemeral`` list",
    "to-device": "a to-device message",
}


@dataclass(frozen=True)
class DocVariant:
    value: str
    marks: Marks
    description: str
    tables: list[ObjectTable]
    example: Any


@dataclass(frozen=True)
class DocEvent:
    types: tuple[str, ...]
    title: str
    sent_as: str
    """Where the type travels, in words."""
    marks: Marks
    description: str
    state_key: str | None
    schema: str
    tables: list[ObjectTable]
    example: Any
    variant_key: str | None
    variants: list[DocVariant]


@dataclass(frozen=True)
class DocKind:
    kind: str
    title: str
    events: list[DocEvent]


def _is_part(node: Any) -> bool:
    loc = loc_of(node)
    return loc is not None and f"/{PARTS_FOLDER}" in f"/{loc.file}"


def _example(node: dict[str, Any]) -> Any:
    examples = node.get("examples")
    return examples[0] if isinstance(examples, list) and examples else None


def _tables(reader: SchemaReader, schema: str, seen: set[str]) -> list[ObjectTable]:
    """The tables of a content; the first one's description is the entry's own text."""
    tables = reader.tables({"$ref": f"#/components/schemas/{schema}"}, schema, seen)
    if tables and tables[0].title == schema:
        tables[0].description = ""
    return tables


def _event(reader: SchemaReader, event: EventType, seen: set[str]) -> DocEvent:
    node = event.node
    tables = _tables(reader, event.schema, seen)
    variants = [
        DocVariant(
            value=v.value,
            marks=marks_of(v.node),
            description=str(v.node.get("description") or ""),
            tables=_tables(reader, v.schema, seen),
            example=_example(v.node),
        )
        for v in event.variants
    ]
    return DocEvent(
        types=event.types,
        title=", ".join(inline_literal(t) for t in event.types),
        sent_as="; ".join(_KIND_NAMES[k] for k in event.kinds),
        marks=marks_of(node),
        description=str(node.get("description") or ""),
        state_key=event.state_key,
        schema=event.schema,
        tables=tables,
        example=_example(node),
        variant_key=event.variant_key,
        variants=variants,
    )


def event_sections(view: ReleaseView) -> tuple[list[DocKind], list[ObjectTable]]:
    """The kinds with their event types, and the tables of the shared objects."""
    reader = SchemaReader(view.doc)
    schemas = view.doc.get("components", {}).get("schemas", {})
    parts = [name for name, node in schemas.items() if _is_part(node)]
    seen = set(parts)
    kinds = []
    for kind in KINDS:
        events = [_event(reader, e, seen) for e in view.events if e.kinds[0] == kind]
        if events:
            events.sort(key=lambda e: e.types[0])
            kinds.append(DocKind(kind, _KIND_TITLES[kind], events))
    shared: list[ObjectTable] = []
    done: set[str] = set()
    for name in sorted(parts):
        shared += reader.tables({"$ref": f"#/components/schemas/{name}"}, name, done)
    return kinds, shared


def render_events(env: jinja2.Environment, view: ReleaseView, blocks: Blocks) -> str:
    """The RST of the events section of one release."""
    kinds, shared = event_sections(view)
    if not kinds:
        return ""
    return env.get_template(EVENTS_TEMPLATE).render(kinds=kinds, shared=shared, blocks=blocks)
