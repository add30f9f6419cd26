"""``JsonInt``: the type of the models' integer fields.

JSON Schema calls a number an integer when its fractional part is zero, so ``1700000000000.0``
is as valid an ``origin_server_ts`` as ``1700000000000`` to :func:`validate`. Pydantic's
``StrictInt`` refuses the float, so a body the schema accepts would fail to become a model.
``JsonInt`` takes an integral float as the integer it equals and otherwise stays strict: no
strings, no booleans, no floats with a fraction.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["JsonInt"]


def _whole(value: float) -> int:
    if value.is_integer():
        return int(value)
    raise PydanticCustomError("int_type", "Input should be a valid integer")


_SCHEMA = core_schema.union_schema(
    [
        core_schema.int_schema(strict=True),
        core_schema.chain_schema(
            [
                core_schema.float_schema(strict=True),
                core_schema.no_info_plain_validator_function(_whole),
            ]
        ),
    ],
    mode="left_to_right",
    custom_error_type="int_type",
)
"""A strict integer, else a strict float that is whole: an integer (the usual case) is checked
by pydantic-core alone, without a call into Python; the error is strict int's."""


class _WholeNumber:
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _SCHEMA

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "integer"}


JsonInt = Annotated[int, _WholeNumber]
