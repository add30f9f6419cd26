"""``JsonInt``, the models' integer type: strict, but a whole float is the integer it equals
(JSON Schema's integer), and an integer is checked inside pydantic-core, without a call into
Python per field (a 10-event transaction has twenty such fields)."""

from __future__ import annotations

from typing import Any

import pytest
from matrix_appservice._json_int import JsonInt
from matrix_appservice.models import ClientEvent
from pydantic import BaseModel, ValidationError


class Holder(BaseModel):
    n: JsonInt
    maybe: JsonInt | None = None


@pytest.mark.parametrize(("given", "kept"), [(7, 7), (7.0, 7), (2**70, 2**70), (-3.0, -3)])
def test_integers_and_whole_floats_are_integers(given: Any, kept: int) -> None:
    value = Holder.model_validate({"n": given}).n
    assert value == kept and type(value) is int


@pytest.mark.parametrize("given", [1.5, "1", True, None, [1]])
def test_anything_else_is_strict_ints_error(given: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Holder.model_validate({"n": given})
    [error] = caught.value.errors()
    assert (error["type"], error["loc"], error["msg"]) == (
        "int_type",
        ("n",),
        "Input should be a valid integer",
    )


def test_its_json_schema_is_an_integer() -> None:
    schema = Holder.model_json_schema()["properties"]
    assert schema["n"]["type"] == "integer"
    assert {"type": "integer"} in schema["maybe"]["anyOf"]


def test_no_python_validator_runs_for_an_event_s_integers() -> None:
    """The event envelope's ``origin_server_ts`` is checked by pydantic-core alone: no
    ``function-before`` step (a Python call for every integer of every event)."""
    field = ClientEvent.__pydantic_core_schema__
    assert "origin_server_ts" in repr(field)
    assert "function-before" not in repr(field)
