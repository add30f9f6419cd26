"""Event content models read like the JSON object they came from.

Before contents were typed, ``event.content`` was a plain ``dict``; code wrote
``content["body"]``, ``content.get("msgtype")``, ``"url" in content`` and compared a content
with a dict. :class:`EventContent`, the base of every content model (and of the objects
nested in one), keeps all of that working: the model is also a read-only ``Mapping`` keyed
by the names on the wire (``content["m.relates_to"]``, not the attribute name
``m_relates_to``). The keys are the fields the event carried (a field left out is not a key,
even when it has a default) and the keys no field names, in that order; a nested object is
its model, which is a mapping too. Equality with any mapping compares the items, so
``content == {"msgtype": "m.text", "body": "hi"}`` holds for a parsed ``m.text`` message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ContentMapping", "EventContent"]

_WIRE: dict[type[Any], tuple[dict[str, str], dict[str, str]]] = {}


def _names(cls: type[BaseModel]) -> tuple[dict[str, str], dict[str, str]]:
    """``({wire name: field}, {field: wire name})`` of a model class (computed once)."""
    found = _WIRE.get(cls)
    if found is None:
        if not cls.__pydantic_complete__:  # aliases inside unresolved annotations are unknown
            cls.model_rebuild()
        to_field = {(info.alias or name): name for name, info in cls.model_fields.items()}
        found = _WIRE[cls] = (to_field, {field: wire for wire, field in to_field.items()})
    return found


class ContentMapping(Mapping[str, Any]):
    """The ``Mapping`` methods over a model's fields (by wire name) and its extra keys."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        assert isinstance(self, BaseModel)
        name = _names(type(self))[0].get(key)
        if name is not None:
            if name in self.__pydantic_fields_set__:
                return getattr(self, name)
            raise KeyError(key)
        extra = self.__pydantic_extra__
        if extra is not None and key in extra:
            return extra[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        assert isinstance(self, BaseModel)
        wire = _names(type(self))[1]
        fields_set = self.__pydantic_fields_set__
        for name in wire:
            if name in fields_set:
                yield wire[name]
        if self.__pydantic_extra__:
            yield from self.__pydantic_extra__

    def __len__(self) -> int:
        assert isinstance(self, BaseModel)
        wire = _names(type(self))[1]
        return sum(1 for name in self.__pydantic_fields_set__ if name in wire) + len(
            self.__pydantic_extra__ or ()
        )


class EventContent(ContentMapping, BaseModel):  # type: ignore[misc]  # iterates over keys
    """The base of the event content models: a pydantic model that is also a ``Mapping``.

    A content model's validator is built when the model is first used on its own (the event
    unions build what they need when first used), which keeps importing the package quick.
    It serializes under the names on the wire; ``model_dump(exclude_unset=True)`` gives back
    the JSON object it was made from.
    """

    model_config = ConfigDict(defer_build=True, serialize_by_alias=True)
