"""``NotNull``: the marker of an optional model field that may be absent but never null.

The spec's optional fields are absent or hold a value; JSON ``null`` is not one of their
values unless the schema lists it. In Python an absent field reads as ``None``, so the field
is typed ``X | None = None``; ``Annotated[X | None, NotNull]`` keeps that type and default but
validates input as ``X`` alone, so an explicit ``null`` is rejected as ``validate()`` rejects it.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any, get_args

from pydantic import GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import CoreSchema

__all__ = ["NotNull"]


def _without_none(source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    kept = [arg for arg in get_args(source) if arg is not type(None)]
    if not kept:
        raise TypeError(f"NotNull needs a union with None, not {source!r}")
    return handler(reduce(operator.or_, kept))


NotNull = GetPydanticSchema(_without_none)
