"""The models' integers: strict, but a whole float is the integer it equals (JSON Schema's
integer), and an integer is checked inside pydantic-core, without a call into Python per
field (a 10-event transaction has twenty such fields). Shown on the event envelope's
``origin_server_ts`` and on the optional ``m.upload.size`` of the media configuration."""

from __future__ import annotations

from typing import Any

import pytest
from matrix_appservice.models import ClientEvent, MediaConfig
from pydantic import ValidationError

EVENT = {
    "type": "m.room.message",
    "event_id": "$e",
    "room_id": "!r:example.org",
    "sender": "@a:example.org",
    "content": {"msgtype": "m.text", "body": "hi"},
}


def _event(ts: Any) -> ClientEvent:
    return ClientEvent.model_validate({**EVENT, "origin_server_ts": ts})


@pytest.mark.parametrize(("given", "kept"), [(7, 7), (7.0, 7), (2**70, 2**70), (-3.0, -3)])
def test_integers_and_whole_floats_are_integers(given: Any, kept: int) -> None:
    for value in (
        _event(given).origin_server_ts,
        MediaConfig.model_validate({"m.upload.size": given}).m_upload_size,
    ):
        assert value == kept and type(value) is int


@pytest.mark.parametrize("given", [1.5, "1", True, None, [1]])
def test_anything_else_is_strict_ints_error(given: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        _event(given)
    [error] = caught.value.errors()
    assert (error["type"], error["loc"], error["msg"]) == (
        "int_type",
        ("origin_server_ts",),
        "Input should be a valid integer",
    )


def test_its_json_schema_is_an_integer() -> None:
    event = ClientEvent.model_json_schema()["$defs"]["ClientEvent"]
    assert event["properties"]["origin_server_ts"]["type"] == "integer"
    size = MediaConfig.model_json_schema()["properties"]["m.upload.size"]
    assert {"type": "integer"} in size["anyOf"]


def test_no_python_validator_runs_for_an_event_s_integers() -> None:
    """The event envelope's ``origin_server_ts`` is checked by pydantic-core alone: no
    ``function-before`` step (a Python call for every integer of every event)."""
    field = ClientEvent.__pydantic_core_schema__
    assert "origin_server_ts" in repr(field)
    assert "function-before" not in repr(field)
