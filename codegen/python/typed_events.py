"""``matrix_appservice.models.typed_events``: events whose content is typed by their type.

For every event type of the ``unstable`` view (:mod:`codegen.events`), one event class per
place the type travels (a room event, an ephemeral item, a to-device message), whose
``type`` is the type as a ``Literal`` and whose ``content`` is the type's content model; a
content with variants (``m.room.message``) is a union chosen by the variant key. The unions
of all event classes (``AnyRoomEvent``, ...) choose the class by ``type`` and fall back to
the untyped envelope (``ClientEvent``, ...) for a type they do not know, or a content that
does not fit its model, so nothing that parses today stops parsing. ``TypedTransaction`` is
the transaction with its lists typed this way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from codegen.errors import GeneratorError
from codegen.events import ENVELOPES, Envelope, EventType
from codegen.ir import ReleaseView

__all__ = [
    "ENVELOPES",
    "EventClass",
    "EventUnion",
    "render_typed_events",
    "typed_events_context",
]


TYPED_EVENTS = "typed_events"
"""The name of the module under ``matrix_appservice.models``."""


@dataclass(frozen=True)
class ContentUnion:
    """The content of a type with variants: the variants by key, then the type's own model."""

    name: str
    type: str
    key: str
    variants: tuple[str, ...]
    fallback: str


@dataclass(frozen=True)
class EventClass:
    name: str
    base: str
    types: tuple[str, ...]
    content: str
    """The annotation of ``content``: a content model, or a ``ContentUnion``'s name."""
    state: bool
    summary: str


@dataclass(frozen=True)
class EventUnion:
    envelope: Envelope
    classes: tuple[EventClass, ...] = field(default=())


def _summary(event: EventType, kind: str) -> str:
    where = {
        "message": "a room event (a message event)",
        "state": "a room event (a state event)",
        "ephemeral": "an item of a transaction's ``ephemeral`` list",
        "to-device": "a to-device message of a transaction",
    }[kind]
    names = ", ".join(f"``{t}``" for t in event.types)
    return f"{names} as {where}, with typed content."


def _content_union(event: EventType) -> ContentUnion | None:
    if not event.variants or event.variant_key is None:
        return None
    return ContentUnion(
        name=f"Any{event.stem}Content",
        type=event.name,
        key=event.variant_key,
        variants=tuple(v.schema for v in event.variants),
        fallback=event.schema,
    )


def _transaction_fields(model_texts: dict[str, str]) -> tuple[str, list[str]]:
    """The module of ``Transaction`` and its field statements that hold envelope lists,
    with the envelope replaced by the union of typed events."""
    for module, text in model_texts.items():
        tree = ast.parse(text)
        lines = text.splitlines()
        for node in tree.body:
            if not (isinstance(node, ast.ClassDef) and node.name == "Transaction"):
                continue
            found = []
            for stmt in node.body:
                if not isinstance(stmt, ast.AnnAssign) or stmt.end_lineno is None:
                    continue
                source = "\n".join(lines[stmt.lineno - 1 : stmt.end_lineno]).strip()
                replaced = source
                for env in ENVELOPES:
                    replaced = re.sub(rf"\blist\[{env.model}\]", f"list[{env.union}]", replaced)
                if replaced != source:
                    found.append(replaced)
            return module, found
    raise GeneratorError("no Transaction model among the generated models")


def typed_events_context(view: ReleaseView, model_texts: dict[str, str]) -> dict[str, object]:
    """What ``typed_events.py.jinja`` renders, from the newest release view."""
    unions = []
    content_unions = []
    contents: dict[str, str] = {}
    variants: dict[str, tuple[str, dict[str, str]]] = {}
    for event in view.events:
        union = _content_union(event)
        if union is not None:
            content_unions.append(union)
            variants[event.name] = (union.key, {v.value: v.schema for v in event.variants})
        for t in event.types:
            contents[t] = event.schema
    for env in ENVELOPES:
        classes = []
        for event in view.events:
            kinds = [k for k in event.kinds if k in env.kinds]
            if not kinds:
                continue
            union = _content_union(event)
            classes.append(
                EventClass(
                    name=event.stem + env.suffix,
                    base=env.model,
                    types=event.types,
                    content=union.name if union else event.schema,
                    state="state" in kinds,
                    summary=_summary(event, kinds[0]),
                )
            )
        if classes:
            unions.append(EventUnion(env, tuple(classes)))
    names = [c.name for u in unions for c in u.classes]
    if len(set(names)) != len(names):
        raise GeneratorError(f"two event classes would have the same name: {sorted(names)}")
    module, fields = _transaction_fields(model_texts)
    models = sorted(
        {u.envelope.model for u in unions}
        | {c.content for u in unions for c in u.classes}
        | {n for cu in content_unions for n in (*cu.variants, cu.fallback)}
        | set(contents.values())
    )
    return {
        "unions": unions,
        "content_unions": content_unions,
        "contents": contents,
        "variants": variants,
        "transaction": "Transaction",
        "transaction_module": module,
        "transaction_fields": fields,
        "imported": [m for m in models if not m.startswith("Any")],
    }


def render_typed_events(
    view: ReleaseView, template: Any, model_texts: dict[str, str],
    exports: dict[str, list[str]], header: str,
) -> tuple[str, list[str]]:  # fmt: skip
    """The module's text and its exported names."""
    context = typed_events_context(view, model_texts)
    home = {name: module for module, names in exports.items() for name in names}
    wanted = [*context["imported"], str(context["transaction"])]  # type: ignore[misc]
    missing = [n for n in wanted if n not in home]
    if missing:
        raise GeneratorError(f"typed events need models that were not generated: {missing}")
    imports: dict[str, list[str]] = {}
    for name in sorted(set(wanted)):
        imports.setdefault(home[name], []).append(name)
    unions: list[EventUnion] = context["unions"]  # type: ignore[assignment]
    content_unions: list[ContentUnion] = context["content_unions"]  # type: ignore[assignment]
    exported = sorted(
        [c.name for u in unions for c in u.classes]
        + [u.envelope.union for u in unions]
        + [u.envelope.table for u in unions]
        + [cu.name for cu in content_unions]
        + ["CONTENTS", "VARIANTS", "TypedTransaction"],
        key=str.lower,
    )
    text = template.render(
        context, header=header, imports=sorted(imports.items()), exported=exported
    )
    return str(text), exported
