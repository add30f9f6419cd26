"""Event types: which content schema each event type has, in the sources and in a release.

A schema under ``spec/events/`` describes the ``content`` of one event type when it carries
``x-event`` (see ``spec/README.md``); the files under ``spec/events/parts/`` are shared pieces
(file information, relations, mentions) without it. ``x-event`` says:

- ``type``: the event type, or a list of types that share the content (``m.policy.rule.*``);
- ``kind``: where the type travels, one or a list of ``message`` (room events without a state
  key), ``state``, ``ephemeral`` and ``to-device``;
- ``variantKey``: on a type whose content comes in variants, the content key that names the
  variant (``msgtype`` of ``m.room.message``);
- ``variant``: on a variant's schema instead of ``kind``, the value of that key (``m.text``);
  the variant's schema extends its type's (``allOf`` with a ``$ref``) and fixes the key with
  ``const``;
- ``stateKey``: on a state event, what its state key holds.

:func:`check_event_sources` checks the sources; :func:`event_types` reads one release's bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codegen.errors import Problems
from codegen.keys import EVENT
from codegen.load import EVENTS_FOLDER, SpecTree, loc_of

__all__ = [
    "ENVELOPES",
    "KINDS",
    "PARTS_FOLDER",
    "Envelope",
    "EventType",
    "EventVariant",
    "check_event_sources",
    "event_types",
]

KINDS = ("message", "state", "ephemeral", "to-device")
"""Where an event type travels: room timelines (message and state events), a transaction's
``ephemeral`` list, and its to-device list."""
PARTS_FOLDER = EVENTS_FOLDER + "parts/"
_BASE_KEYS = frozenset({"type", "kind", "variantKey", "stateKey"})
_VARIANT_KEYS = frozenset({"type", "variant"})


@dataclass(frozen=True)
class Envelope:
    """An event format of the transactions, which kinds of event it carries, and names."""

    model: str
    """The envelope schema (``ClientEvent``): the base and fallback of its typed events."""
    kinds: tuple[str, ...]
    union: str
    """The Python union of its typed events (``AnyRoomEvent``)."""
    suffix: str
    """Appended to a content's stem to name its event class (``RoomMember`` + ``Event``)."""
    table: str
    """The Python name of the ``{type: class}`` mapping of its typed events."""
    redactable: bool = False
    """Whether an event may arrive redacted (content emptied, ``unsigned.redacted_because``)."""


ENVELOPES = (
    Envelope("ClientEvent", ("message", "state"), "AnyRoomEvent", "Event", "ROOM_EVENTS", True),
    Envelope("EphemeralEvent", ("ephemeral",), "AnyEphemeralEvent", "Event", "EPHEMERAL_EVENTS"),
    Envelope(
        "ToDeviceEvent", ("to-device",), "AnyToDeviceEvent", "ToDeviceEvent", "TO_DEVICE_EVENTS"
    ),
)
"""The envelopes, in the order documents and modules list them."""


@dataclass(frozen=True)
class EventVariant:
    """One variant of a content (one ``msgtype`` of ``m.room.message``)."""

    value: str
    schema: str
    """The variant's component name (``TextMessageContent``)."""
    node: Any


@dataclass(frozen=True)
class EventType:
    """An event type (or several sharing one content) as one release defines it."""

    types: tuple[str, ...]
    kinds: tuple[str, ...]
    schema: str
    """The content's component name (``RoomMessageContent``)."""
    node: Any
    """The content schema in the bundle (version marks, description, examples)."""
    variant_key: str | None = None
    variants: tuple[EventVariant, ...] = ()
    state_key: str | None = None

    @property
    def name(self) -> str:
        """The first type, which names the entry in documents (``m.policy.rule.user``)."""
        return self.types[0]

    @property
    def stem(self) -> str:
        """The content's name without ``Content`` (``RoomMessage``), for related names."""
        return self.schema.removesuffix("Content")


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def event_types(doc: dict[str, Any]) -> tuple[EventType, ...]:
    """The event types of one release's bundle, in source order (variants with their type)."""
    schemas = (doc.get("components") or {}).get("schemas") or {}
    bases: dict[str, tuple[str, dict[str, Any], Any]] = {}
    variants: dict[str, list[EventVariant]] = {}
    for name, node in schemas.items():
        meta = node.get(EVENT) if isinstance(node, dict) else None
        if not isinstance(meta, dict):
            continue
        types = _strings(meta.get("type")) or ()
        if "variant" in meta:
            for t in types:
                variants.setdefault(t, []).append(EventVariant(str(meta["variant"]), name, node))
        else:
            bases[name] = (name, meta, node)
    found = []
    for name, meta, node in bases.values():
        types = _strings(meta.get("type")) or ()
        own = [v for t in types for v in variants.get(t, [])]
        found.append(
            EventType(
                types=types,
                kinds=_strings(meta.get("kind")) or (),
                schema=name,
                node=node,
                variant_key=meta.get("variantKey"),
                variants=tuple(own),
                state_key=meta.get("stateKey"),
            )
        )
    return tuple(found)


def check_event_sources(tree: SpecTree, problems: Problems) -> None:
    """Every content schema says what it is, and the types and variants fit together."""
    bases: dict[str, tuple[str, dict[str, Any]]] = {}  # type -> (file, x-event)
    variants: list[tuple[str, Any, dict[str, Any]]] = []
    for spec in tree.event_files():
        data = spec.data if isinstance(spec.data, dict) else {}
        meta = data.get(EVENT)
        where = loc_of(meta) or loc_of(data)
        if spec.rel.startswith(PARTS_FOLDER):
            if meta is not None:
                problems.add(where, f"{EVENT} is for event contents, not for shared parts")
            continue
        if not isinstance(meta, dict):
            problems.add(
                where,
                f"an event content schema needs {EVENT} (type and kind); shared pieces go "
                f"under {PARTS_FOLDER}",
            )
            continue
        types = _strings(meta.get("type"))
        if types is None:
            problems.add(where, f"{EVENT}.type must be an event type or a list of them")
            continue
        allowed = _VARIANT_KEYS if "variant" in meta else _BASE_KEYS
        for key in sorted(set(meta) - allowed):
            problems.add(where, f"{EVENT}: unknown key {key!r}; expected {sorted(allowed)}")
        if "variant" in meta:
            variants.append((spec.rel, where, meta))
            continue
        kinds = _strings(meta.get("kind"))
        if kinds is None or any(k not in KINDS for k in kinds):
            problems.add(where, f"{EVENT}.kind must be one or a list of {', '.join(KINDS)}")
        for t in types:
            if t in bases:
                problems.add(where, f"event type {t} is also defined in {bases[t][0]}")
            bases[t] = (spec.rel, meta)
        if "stateKey" in meta and (kinds is None or "state" not in kinds):
            problems.add(where, f"{EVENT}.stateKey only applies to state events")
    for rel, where, meta in variants:
        _check_variant(tree, rel, where, meta, bases, problems)


def _check_variant(
    tree: SpecTree, rel: str, where: Any, meta: dict[str, Any],
    bases: dict[str, tuple[str, dict[str, Any]]], problems: Problems,
) -> None:  # fmt: skip
    value = meta.get("variant")
    if not isinstance(value, str) or not value:
        problems.add(where, f"{EVENT}.variant must be a string (the value of the variant key)")
        return
    for t in _strings(meta.get("type")) or ():
        base = bases.get(t)
        if base is None:
            problems.add(where, f"variant {value} of {t}: no schema defines the type {t}")
            continue
        key = base[1].get("variantKey")
        if not isinstance(key, str):
            problems.add(where, f"variant {value} of {t}: {base[0]} names no variantKey")
            continue
        data = tree.files[rel].data
        prop = (data.get("properties") or {}).get(key) if isinstance(data, dict) else None
        if not isinstance(prop, dict) or prop.get("const") != value:
            problems.add(
                where, f"variant {value} of {t}: the schema must fix {key} with const: {value}"
            )
