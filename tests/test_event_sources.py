"""The event content sources (``spec/events``): their checks, their release views, their docs."""

from __future__ import annotations

import pytest

from codegen.docs.render import render_all
from codegen.lint import lint
from codegen.spec import Spec, load_spec
from tests.conftest import Breaker

MESSAGE = "events/m.room.message.yaml"
TEXT = "events/m.room.message/m.text.yaml"
REACTION = "events/m.reaction.yaml"


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected", "where"),
    [
        (REACTION, "  kind: message\n", "  kind: timeline\n", "x-event.kind must be one or a list",
         REACTION),
        (REACTION, "  type: m.reaction\n", "  type: 7\n", "x-event.type must be an event type",
         REACTION),
        (REACTION, "  kind: message\n", "  kind: message\n  colour: red\n", "unknown key 'colour'",
         REACTION),
        (REACTION, "  type: m.reaction\n", "  type: m.sticker\n",
         "event type m.sticker is also defined in events/m.reaction.yaml", "events/m.sticker.yaml"),
        (TEXT, "    const: m.text\n", "    const: m.txt\n", "must fix msgtype with const: m.text",
         TEXT),
        (TEXT, "  type: m.room.message\n", "  type: m.room.massage\n",
         "no schema defines the type m.room.massage", TEXT),
        (MESSAGE, "  variantKey: msgtype\n", "", "events/m.room.message.yaml names no variantKey",
         "events/m.room.message/m.audio.yaml"),
        (REACTION, "x-event:\n  type: m.reaction\n  kind: message\n", "",
         "an event content schema needs x-event", REACTION),
        ("events/m.typing.yaml", "  kind: ephemeral\n", "  kind: ephemeral\n  stateKey: x\n",
         "stateKey only applies to state events", "events/m.typing.yaml"),
        ("events/parts/mentions.yaml", "type: object\n",
         "type: object\nx-event: {type: m.mentions, kind: message}\n",
         "x-event is for event contents, not for shared parts", "events/parts/mentions.yaml"),
    ],
    ids=["kind", "type", "unknown-key", "twice", "variant-const", "variant-type", "no-variant-key",
         "no-x-event", "state-key", "part"],
)  # fmt: skip
def test_broken_event_sources_are_named_with_file_and_line(
    broken_spec: Breaker, rel: str, old: str, new: str, expected: str, where: str
) -> None:
    root, _ = broken_spec(rel, old, new)
    rendered = lint(load_spec(root)).render()
    line = next((ln for ln in rendered.splitlines() if expected in ln), rendered)
    assert line.startswith(f"spec/{where}:"), line


def test_a_new_event_type_needs_only_its_file(broken_spec: Breaker, spec: Spec) -> None:
    root, _ = broken_spec("events/m.dummy.yaml", "title: DummyContent", "title: DummyContent")
    (root / "events" / "org.example.poll.yaml").write_text(
        "$schema: https://json-schema.org/draft/2020-12/schema\n"
        "title: PollContent\n"
        "x-event: {type: org.example.poll, kind: message}\n"
        "x-unstable: MSC3381\n"
        "type: object\n"
        "properties:\n  question: {type: string}\n"
        "required: [question]\n"
        "examples:\n  - question: Lunch at noon?\n",
        encoding="utf-8",
    )
    changed = load_spec(root)
    assert lint(changed).render() == ""
    newest = {e.name: e for e in changed.ir.newest.events}
    assert newest["org.example.poll"].schema == "PollContent"
    assert "org.example.poll" not in {e.name for e in changed.ir.release("v1.19").events}


def _types(spec: Spec, release: str) -> set[str]:
    return {t for e in spec.ir.release(release).events for t in e.types}


def test_event_types_follow_their_releases(spec: Spec) -> None:
    assert "m.reaction" not in _types(spec, "v1.6") and "m.reaction" in _types(spec, "v1.7")
    assert "m.room.aliases" in _types(spec, "r0.1.2") and "m.room.aliases" not in _types(
        spec, "v1.1"
    )
    assert "m.room.tombstone" not in _types(spec, "r0.1.0")
    assert "m.room.tombstone" in _types(spec, "r0.1.1")
    message = {e.name: e for e in spec.ir.release("v1.4").events}["m.room.message"]
    assert "m.key.verification.request" not in {v.value for v in message.variants}
    message = {e.name: e for e in spec.ir.release("v1.5").events}["m.room.message"]
    assert {"m.text", "m.image", "m.key.verification.request"} <= {
        v.value for v in message.variants
    }


def test_every_type_of_the_issue_is_described(spec: Spec) -> None:
    wanted = {
        "m.room.message", "m.reaction", "m.sticker", "m.room.redaction", "m.room.encrypted",
        "m.room.create", "m.room.member", "m.room.name", "m.room.topic", "m.room.avatar",
        "m.room.canonical_alias", "m.room.join_rules", "m.room.history_visibility",
        "m.room.guest_access", "m.room.power_levels", "m.room.encryption",
        "m.room.pinned_events", "m.room.server_acl", "m.room.tombstone",
        "m.room.third_party_invite", "m.space.child", "m.space.parent", "m.policy.rule.user",
        "m.policy.rule.room", "m.policy.rule.server", "m.typing", "m.receipt", "m.presence",
        "m.room_key", "m.room_key_request", "m.forwarded_room_key", "m.room_key.withheld",
        "m.dummy", "m.secret.request", "m.secret.send", "m.key.verification.request",
        "m.key.verification.ready", "m.key.verification.start", "m.key.verification.accept",
        "m.key.verification.key", "m.key.verification.mac", "m.key.verification.cancel",
        "m.key.verification.done", "m.call.invite", "m.call.candidates", "m.call.answer",
        "m.call.hangup", "m.call.negotiate", "m.call.reject", "m.call.select_answer",
        "m.call.sdp_stream_metadata_changed",
    }  # fmt: skip
    assert wanted <= _types(spec, "v1.19")
    message = {e.name: e for e in spec.ir.release("v1.19").events}["m.room.message"]
    assert {v.value for v in message.variants} == {
        "m.text", "m.emote", "m.notice", "m.image", "m.file", "m.audio", "m.video",
        "m.location", "m.server_notice", "m.key.verification.request",
    }  # fmt: skip


def test_each_document_describes_the_events_of_its_release(spec: Spec) -> None:
    docs = render_all(spec, only=[spec.releases[r] for r in ("r0.1.0", "v1.6", "v1.7")])
    old, before, after = docs["r0.1.0"], docs["v1.6"], docs["v1.7"]
    for text in docs.values():
        assert "\nEvents\n======\n" in text
        assert "\n``m.room.member``\n~~~~~~~~~~~~~~~~~\n" in text
    assert "\n``m.room.aliases``\n" in old and "\n``m.room.aliases``\n" not in before
    assert "\n``m.reaction``\n" not in before and "\n``m.reaction``\n" in after
    reaction = after.split("\n``m.reaction``\n", 1)[1].split("\n``m.room.", 1)[0]
    assert "New in this version." in reaction and "Example content" in reaction
    mentions = after.split("Objects of several event types", 1)[1]
    assert ".. rubric:: Mentions" in mentions
    assert ".. rubric:: Mentions" not in before
    assert "\n``m.text`` (msgtype)\n^^^^^^^^^^^^^^^^^^^^\n" in after
