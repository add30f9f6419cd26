"""Real events, as Synapse pushed them (``tests/interop/fixtures``): all typed, all valid.

The capture comes from ``tests/interop/events_capture.py`` (``python -m
tests.interop.events_capture`` writes it again); ``tests/interop/test_events_synapse.py``
checks the same against a fresh Synapse.
"""

from __future__ import annotations

from typing import Any

import pytest
from matrix_appservice import validate
from matrix_appservice.models import (
    EPHEMERAL_EVENTS,
    ROOM_EVENTS,
    TO_DEVICE_EVENTS,
    VARIANTS,
    TypedTransaction,
)

from tests.interop.events_capture import FIXTURE, arrived, load_capture

TO_DEVICE = "de.sorunome.msc2409.to_device"


def check_typed(body: dict[str, Any]) -> TypedTransaction:
    """The transaction with every entry parsed into the class of its type (and its content
    into the model of its msgtype): no fallback used, and nothing lost."""
    typed = TypedTransaction.model_validate(body)
    tables: list[tuple[list[Any], dict[str, Any]]] = [
        (typed.events, ROOM_EVENTS),
        (typed.ephemeral or [], EPHEMERAL_EVENTS),
        (typed.de_sorunome_msc2409_to_device or [], TO_DEVICE_EVENTS),
    ]
    for entries, table in tables:
        for entry in entries:
            assert type(entry) is table[entry.type], (entry.type, type(entry))
            if entry.type in VARIANTS:
                key, variants = VARIANTS[entry.type]
                assert type(entry.content) is variants[entry.content[key]], entry.content
    assert typed.model_dump(by_alias=True, exclude_unset=True) == body
    return typed


@pytest.fixture(scope="module")
def bodies() -> list[dict[str, Any]]:
    return load_capture(FIXTURE)["transactions"]


def test_the_capture_covers_every_kind_of_event(bodies: list[dict[str, Any]]) -> None:
    got = arrived(bodies)
    assert {
        "m.text",
        "m.emote",
        "m.notice",
        "m.image",
        "m.file",
        "m.audio",
        "m.video",
        "m.location",
        "m.server_notice",
        "m.key.verification.request",
    } <= got.msgtypes
    assert {
        "m.reaction",
        "m.room.redaction",
        "m.sticker",
        "m.room.encrypted",
        "m.room.create",
        "m.room.member",
        "m.room.power_levels",
        "m.space.child",
        "m.policy.rule.user",
        "m.call.invite",
        "m.key.verification.start",
    } <= got.room
    assert got.ephemeral == {"m.typing", "m.receipt", "m.presence"}
    assert {"m.room_key", "m.room.encrypted", "m.key.verification.request"} <= got.to_device
    events = [e for body in bodies for e in body["events"]]
    relations = {e["content"].get("m.relates_to", {}).get("rel_type") for e in events}
    assert {"m.replace", "m.thread", "m.annotation", "m.reference"} <= relations
    assert any("m.in_reply_to" in e["content"].get("m.relates_to", {}) for e in events)
    assert sum(len(b["events"]) for b in bodies) >= 100  # enough for bench/events.py


def test_every_real_event_is_typed_without_fallback(bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        check_typed(body)


def test_every_real_transaction_is_valid_with_its_contents(bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        result = validate(body, request="sendTransaction", content=True, version="unstable")
        assert result.valid, result.errors
        without_to_device = {k: v for k, v in body.items() if k != TO_DEVICE}
        result = validate(without_to_device, request="sendTransaction", content=True)
        assert result.valid, result.errors
