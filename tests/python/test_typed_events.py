"""Typed events: every example of the event sources, unknown types, the mapping view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from matrix_appservice import models, validate
from matrix_appservice.models import (
    CONTENTS,
    EPHEMERAL_EVENTS,
    ROOM_EVENTS,
    TO_DEVICE_EVENTS,
    VARIANTS,
    AnyEphemeralEvent,
    AnyRoomEvent,
    AnyToDeviceEvent,
    ClientEvent,
    EphemeralEvent,
    KeyVerificationMacContent,
    NewContent,
    RoomMemberEvent,
    RoomMessageContent,
    RoomMessageEvent,
    TextMessageContent,
    ToDeviceEvent,
    TypedTransaction,
)
from pydantic import BaseModel, TypeAdapter

from codegen.events import EventType
from codegen.spec import Spec

ROOM = TypeAdapter(AnyRoomEvent)
EPHEMERAL = TypeAdapter(AnyEphemeralEvent)
TO_DEVICE = TypeAdapter(AnyToDeviceEvent)


def _envelope(kind: str, event_type: str, content: Any) -> dict[str, Any]:
    if kind in ("message", "state"):
        event: dict[str, Any] = {
            "event_id": "$ZXhhbXBsZSBldmVudA", "room_id": "!bridgedchannel:example.org",
            "sender": "@bob:example.org", "origin_server_ts": 1700000000000, "type": event_type,
            "content": content, "unsigned": {"age": 10},
        }  # fmt: skip
        if kind == "state":
            event["state_key"] = ""
        return event
    if kind == "ephemeral":
        return {"type": event_type, "room_id": "!bridgedchannel:example.org", "content": content}
    return {
        "type": event_type, "sender": "@bob:example.org", "to_user_id": "@_irc_alice:example.org",
        "to_device_id": "IRCBRIDGEDEV", "content": content,
    }  # fmt: skip


def _parse(kind: str, event: dict[str, Any]) -> Any:
    adapter = {"message": ROOM, "state": ROOM, "ephemeral": EPHEMERAL, "to-device": TO_DEVICE}
    return adapter[kind].validate_python(event)


def _table(kind: str) -> dict[str, type[BaseModel]]:
    tables: dict[str, Any] = {"message": ROOM_EVENTS, "state": ROOM_EVENTS}
    tables |= {"ephemeral": EPHEMERAL_EVENTS, "to-device": TO_DEVICE_EVENTS}
    return tables[kind]  # type: ignore[no-any-return]


def _examples(event: EventType) -> Iterator[tuple[str | None, Any]]:
    for example in event.node.get("examples") or []:
        yield None, example
    for variant in event.variants:
        for example in variant.node.get("examples") or []:
            yield variant.value, example


def _cases(spec: Spec, release: str) -> list[tuple[str, str | None, Any]]:
    return [
        (name, variant, example)
        for event in spec.ir.release(release).events
        for variant, example in _examples(event)
        for name in event.types
    ]


def test_every_example_is_valid_content_in_each_release(spec: Spec) -> None:
    for release in spec.releases:
        checked = set()
        for name, variant, example in _cases(spec, release.name):
            result = validate(example, event=name, version=release.name)
            assert result.valid, (release.name, name, variant, example, result.errors)
            checked.add((name, variant))
        view = spec.ir.release(release.name)
        # every type and every variant of the release has an example of its own
        assert checked == {(t, None) for e in view.events for t in e.types} | {
            (t, v.value) for e in view.events for t in e.types for v in e.variants
        }


def test_every_example_parses_into_its_typed_event_and_round_trips(spec: Spec) -> None:
    parsed = set()
    for event in spec.ir.newest.events:
        for variant, example in _examples(event):
            for name in event.types:
                for kind in event.kinds:
                    raw = _envelope(kind, name, example)
                    typed = _parse(kind, raw)
                    assert type(typed) is _table(kind)[name], (name, kind)
                    key = event.variant_key
                    known = VARIANTS.get(name, ("", {}))[1]
                    value = example.get(key) if key else None
                    model = (
                        known.get(value, CONTENTS[name]) if value is not None else CONTENTS[name]
                    )
                    assert type(typed.content) is model, (name, variant, type(typed.content))
                    dumped = typed.model_dump(mode="json", by_alias=True, exclude_unset=True)
                    assert dumped == raw
                    parsed.add((name, kind))
    newest = spec.ir.newest.events
    assert parsed == {(name, kind) for e in newest for name in e.types for kind in e.kinds}


def test_every_shared_part_example_round_trips(spec: Spec) -> None:
    schemas = spec.ir.newest.doc["components"]["schemas"]
    done = 0
    for name, node in schemas.items():
        loc = getattr(node, "loc", None)
        if loc is None or "/events/parts/" not in f"/{loc.file}":
            continue
        model: type[BaseModel] = getattr(models, name)
        for example in node.get("examples") or []:
            assert (
                model.model_validate(example).model_dump(
                    mode="json", by_alias=True, exclude_unset=True
                )
                == example
            )
            done += 1
    assert done >= 10


def _message(content: Any, **extra: Any) -> dict[str, Any]:
    return _envelope("message", "m.room.message", content) | extra


def test_unknown_types_and_msgtypes_parse_and_keep_every_key() -> None:
    custom = _envelope("message", "org.example.poll.start", {"question": "lunch?", "n": [1]})
    event = ROOM.validate_python(custom)
    assert type(event) is ClientEvent and event.content == {"question": "lunch?", "n": [1]}
    message = ROOM.validate_python(_message({"msgtype": "org.example.poll", "body": "?", "x": 1}))
    assert type(message) is RoomMessageEvent and type(message.content) is RoomMessageContent
    assert message.content.model_extra == {"x": 1} and message.content["x"] == 1
    ephemeral = EPHEMERAL.validate_python({"type": "m.fully_read", "content": {"event_id": "$e"}})
    assert type(ephemeral) is EphemeralEvent and ephemeral.content == {"event_id": "$e"}
    device = TO_DEVICE.validate_python(_envelope("to-device", "org.example.ping", {"n": 1}))
    assert type(device) is ToDeviceEvent and device.content == {"n": 1}


def test_a_content_that_does_not_fit_its_type_falls_back_to_the_envelope() -> None:
    broken = ROOM.validate_python(_message({"body": "no msgtype"}))
    assert type(broken) is ClientEvent and broken.content == {"body": "no msgtype"}
    redaction = _envelope("message", "m.room.redaction", {"redacts": "$ZXhhbXBsZSBldmVudA"})
    redacted = ROOM.validate_python(_message({}, unsigned={"redacted_because": redaction}))
    assert type(redacted) is ClientEvent and redacted.content == {}
    member = _envelope("state", "m.room.member", {"membership": "join"})
    assert type(ROOM.validate_python(member)) is RoomMemberEvent
    del member["state_key"]  # a state type without a state key is no state event
    assert type(ROOM.validate_python(member)) is ClientEvent


def test_a_transaction_is_typed_and_unknown_entries_do_not_fail_it() -> None:
    body = {
        "events": [
            _message({"msgtype": "m.text", "body": "hi"}),
            _envelope("message", "org.example.custom", {"anything": True}),
            _message({"msgtype": "m.image"}),  # no body: an untyped envelope, not an error
        ],
        "ephemeral": [{"type": "m.typing", "room_id": "!r:example.org",
                       "content": {"user_ids": ["@bob:example.org"]}}],
        "de.sorunome.msc2409.to_device": [_envelope("to-device", "m.dummy", {})],
    }  # fmt: skip
    typed = TypedTransaction.model_validate(body)
    assert [type(e).__name__ for e in typed.events] == ["RoomMessageEvent", "ClientEvent"] * 1 + [
        "ClientEvent"
    ]
    assert type(typed.events[0].content) is TextMessageContent
    assert type(typed.ephemeral[0]).__name__ == "TypingEvent"  # type: ignore[index]
    to_device = typed.de_sorunome_msc2409_to_device
    assert to_device is not None and type(to_device[0]).__name__ == "DummyToDeviceEvent"
    assert typed.model_dump(by_alias=True, exclude_unset=True) == body
    assert TypedTransaction.model_validate_json(json.dumps(body)) == typed


def test_a_content_reads_as_the_mapping_it_came_from() -> None:
    raw = {
        "msgtype": "m.text", "body": "hi", "format": "org.matrix.custom.html",
        "formatted_body": "<b>hi</b>", "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
        "org.example.flag": True,
    }  # fmt: skip
    content = ROOM.validate_python(_message(raw)).content
    assert isinstance(content, TextMessageContent)
    assert content == raw and raw == content and dict(content) == raw
    assert content["body"] == "hi" and content.get("org.example.flag") is True
    assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == "$q"
    assert content.m_relates_to is not None and content.m_relates_to.m_in_reply_to is not None
    assert "m.mentions" not in content and content.get("m.mentions") is None
    assert "m_relates_to" not in content  # keys are the names on the wire
    assert len(content) == len(raw) and sorted(content) == sorted(raw)
    with pytest.raises(KeyError):
        content["m.new_content"]
    levels = ROOM.validate_python(
        _envelope("state", "m.room.power_levels", {"users": {"@bob:example.org": 100}})
    ).content
    assert levels.ban == 50 and "ban" not in levels  # a default is not a key that was sent
    mac = KeyVerificationMacContent.model_validate({"mac": {"k": "v"}, "keys": "ks"})
    assert mac["keys"] == "ks" == mac.keys_ and sorted(mac.keys()) == ["keys", "mac"]


def test_an_edit_carries_its_new_content_typed_with_every_key() -> None:
    new = {"msgtype": "m.text", "body": "fixed", "format": "org.matrix.custom.html",
           "formatted_body": "<i>fixed</i>", "m.mentions": {"room": True}}  # fmt: skip
    edit = {"msgtype": "m.text", "body": "* fixed", "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$ZXhhbXBsZSBldmVudA"}}  # fmt: skip
    content = ROOM.validate_python(_message(edit)).content
    assert isinstance(content, TextMessageContent) and isinstance(content.m_new_content, NewContent)
    assert content.m_new_content == new and content.m_new_content.body == "fixed"
    assert content.m_new_content.m_mentions is not None and content.m_new_content.m_mentions.room
    # The new content has no relation of its own (its event keeps the edit's): not a field.
    assert "m_relates_to" not in NewContent.model_fields
