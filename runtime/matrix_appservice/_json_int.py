"""``JsonInt``: the type of the models' integer fields.

JSON Schema calls a number an integer when its fractional part is zero, so ``1700000000000.0``
is as valid an ``origin_server_ts`` as ``1700000000000`` to :func:`validate`. Pydantic's
``StrictInt`` refuses the float, so a body the schema accepts would fail to become a model.
``JsonInt`` takes an integral float as the integer it equals and otherwise stays strict: no
strings, no booleans, no floats with a fraction.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

__all__ = ["JsonInt"]


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, Strict(), BeforeValidator(_integral)]
