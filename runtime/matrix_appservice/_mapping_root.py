"""Models whose JSON is an object keyed by name behave as the mapping they stand for.

A pydantic ``RootModel`` over a ``dict`` (``ThirdPartyProtocols``: protocol ID to protocol)
keeps its dict in ``.root``; :class:`MappingRoot` makes the model itself a read-only
``Mapping``: ``protocols["irc"]``, ``for name in protocols``, ``len()``, ``in``, ``.items()``,
``.keys()``, ``.values()``, ``.get()``, and equality with a dict of the same items. The models
generator puts it first among the bases of every such model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

__all__ = ["MappingRoot"]

V = TypeVar("V")


class MappingRoot(Mapping[str, V]):
    """The ``Mapping`` methods over the model's ``root`` dict."""

    __slots__ = ()

    if TYPE_CHECKING:  # the model's field; a mixin declares no field of its own
        root: dict[str, V]

    def __getitem__(self, key: str) -> V:
        return self.root[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)
