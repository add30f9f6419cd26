"""``unsigned.redacted_because`` is itself a client event: the validator, the reduced schemas
and the models check it as one, and any depth of nesting stays bounded."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from matrix_appservice import validate
from matrix_appservice.models import ClientEvent
from pydantic import ValidationError

from codegen.python.schemas import RECURSION_DEPTH, compact_release
from codegen.spec import Spec
from tests.hostile.bounded import run_python

REDACTION = {
    "event_id": "$cmVkYWN0aW9u", "type": "m.room.redaction", "sender": "@bob:example.org",
    "origin_server_ts": 1700000060000, "content": {}, "room_id": "!r:example.org",
    "redacts": "$bWVzc2FnZQ",
}  # fmt: skip
MESSAGE = {
    "event_id": "$bWVzc2FnZQ", "type": "m.room.message", "sender": "@alice:example.org",
    "origin_server_ts": 1700000000000, "content": {}, "room_id": "!r:example.org",
    "unsigned": {"redacted_because": REDACTION},
}  # fmt: skip
BECAUSE = "$.unsigned.redacted_because"


def _chain(depth: int, broken_at: int | None = None) -> dict[str, Any]:
    """An event redacted by an event redacted by ... ``depth`` levels; one may lack a sender."""
    top = copy.deepcopy(MESSAGE)
    top["unsigned"] = {}
    node = top
    for level in range(depth):
        inner = copy.deepcopy(REDACTION)
        if level == broken_at:
            del inner["sender"]
        node["unsigned"] = {"redacted_because": inner}
        node = inner
    return top


def test_a_redaction_without_sender_is_invalid_in_every_release(spec: Spec) -> None:
    for release in spec.releases:
        assert validate(MESSAGE, schema="ClientEvent", version=release.name).valid
        broken = copy.deepcopy(MESSAGE)
        del broken["unsigned"]["redacted_because"]["sender"]
        result = validate(broken, schema="ClientEvent", version=release.name)
        assert [(i.path, i.message) for i in result.errors] == [
            (BECAUSE, '"sender" is a required property')
        ], release.name
        tx = {"events": [broken]}
        result = validate(tx, request="sendTransaction", version=release.name)
        paths = [i.path for i in result.errors]
        assert paths == [f"$.events[0]{BECAUSE[1:]}"], release.name


@pytest.mark.parametrize("level", range(RECURSION_DEPTH // 2))
def test_nested_redactions_are_checked_down_to_the_unrolled_depth(level: int) -> None:
    result = validate(_chain(RECURSION_DEPTH, broken_at=level), schema="ClientEvent")
    assert [i.path for i in result.errors] == ["$" + ".unsigned.redacted_because" * (level + 1)]


def test_the_reduced_schemas_unroll_the_cycle(spec: Spec) -> None:
    defs = compact_release(spec.ir.release("v1.19"))["$defs"]
    copies = sorted(n for n in defs if n.startswith(("ClientEvent__", "UnsignedData__")))
    assert len(copies) == 2 * RECURSION_DEPTH
    last = defs[f"UnsignedData__{RECURSION_DEPTH}"]["properties"]["redacted_because"]
    assert "$ref" not in last
    first = defs["UnsignedData"]["properties"]["redacted_because"]
    assert first == {"$ref": "#/$defs/ClientEvent__1"}
    # Schemas outside the cycle are left alone.
    assert defs["Transaction"]["properties"]["events"]["items"] == {"$ref": "#/$defs/ClientEvent"}


def test_the_model_follows_the_reference() -> None:
    event = ClientEvent.model_validate(MESSAGE)
    assert event.unsigned is not None
    because = event.unsigned.redacted_because
    assert isinstance(because, ClientEvent) and because.sender == "@bob:example.org"
    assert because.redacts == "$bWVzc2FnZQ"
    broken = copy.deepcopy(MESSAGE)
    del broken["unsigned"]["redacted_because"]["sender"]
    with pytest.raises(ValidationError, match=r"unsigned\.redacted_because\.sender"):
        ClientEvent.model_validate(broken)


def test_a_chain_of_any_depth_stays_bounded() -> None:
    """Parsed payloads can nest far deeper than JSON text: the validator must not follow."""
    code = """
from matrix_appservice import validate
event = {"event_id": "$e", "type": "m.room.redaction", "sender": "@a:example.org",
         "origin_server_ts": 1, "content": {}, "room_id": "!r:example.org"}
top = node = dict(event)
for _ in range(200_000):
    inner = dict(event)
    node["unsigned"] = {"redacted_because": inner}
    node = inner
result = validate(top, schema="ClientEvent")
print(result.valid, len(result.errors))
"""
    outcome = run_python(code, timeout=60)
    outcome.check_clean(codes=[0], seconds=30, peak_mb=1500)
    assert outcome.stdout.split() == ["True", "0"]
