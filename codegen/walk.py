"""The one walk over an OpenAPI ``paths`` object, for the sources and the bundles alike.

Every module that needs the operations of a document gets them here (the bundler, the source
checks, the IR); the emitters read the IR (:mod:`codegen.ir`) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["HTTP_METHODS", "iter_operations"]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def iter_operations(
    paths: Any, on_bad_item: Callable[[str, Any], None] | None = None
) -> Iterator[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """``(path, path item, method, operation)`` for every operation, in document order.

    A path item that is not a mapping is skipped (``on_bad_item`` hears of it); keys of a
    path item that are not HTTP methods (``parameters``, ``servers``) are not operations.
    """
    if not isinstance(paths, dict):
        return
    for url, item in paths.items():
        if not isinstance(item, dict):
            if on_bad_item is not None:
                on_bad_item(str(url), item)
            continue
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict):
                yield str(url), item, method, op
