"""The names each release introduced, derived from the sources' own version markers.

A release's view holds names in structural places: the paths and operationIds of its
operations, the names of its parameters, the properties of its schemas, the errcodes its
responses document, the enum and const values of its schemas, the login and identifier types
its examples use, the MSCs its unstable items name, and the ids and errcodes of the rules
and notes that hold in it.
A name is *introduced* by the first release whose view holds it; the changelog fragments of a
release introduce the MSCs they name. Descriptions are never read for names: a description
that mentions a later name is exactly what :func:`later_names` is there to find.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from codegen.keys import ERRCODES, MATRIX_OPERATION_ID, UNSTABLE

if TYPE_CHECKING:
    from codegen.spec import Spec

__all__ = ["first_releases", "later_names"]

_LOGIN_TYPE = re.compile(r"^m\.(login|id)\.[a-z_.]+$")
_MSC = re.compile(r"\bMSC\d{3,5}\b")
_PLAIN = re.compile(r"^[a-z]+$")
"""A name that is also an ordinary word (``ts``, ``ping``): looked for as a literal only."""


def _names_in(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if isinstance(item, str):
            if _LOGIN_TYPE.match(item):
                yield item
            continue
        if not isinstance(item, dict):
            continue
        for key in ("operationId", MATRIX_OPERATION_ID):
            if isinstance(item.get(key), str):
                yield item[key]
        if isinstance(item.get("name"), str) and item.get("in") in ("path", "query", "header"):
            yield item["name"]
        if isinstance(item.get(UNSTABLE), str):
            yield item[UNSTABLE]
        for key, value in item.items():
            if key in ("description", "summary", "title"):
                continue
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                yield from (str(k) for k in value)
            elif key == ERRCODES and isinstance(value, list):
                yield from (
                    str(e["errcode"]) for e in value if isinstance(e, dict) and "errcode" in e
                )
            elif key in ("enum", "const"):
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str):
                        yield v
            stack.append(value)


def _release_names(spec: Spec, name: str) -> set[str]:
    doc = spec.bundle(name)
    found = set(_names_in(doc))
    found |= {str(path) for path in doc.get("paths") or {}}
    for rule in spec.ir.rules.release(name):
        found |= {rule.id, *rule.errcodes}
    for entry in spec.changelog.get(name, []):
        found |= set(_MSC.findall(entry.text))
    return found


def first_releases(spec: Spec) -> dict[str, str]:
    """``name -> the release that introduced it`` for every name of every release."""
    first: dict[str, str] = {}
    for release in spec.releases:
        for name in _release_names(spec, release.name):
            first.setdefault(name, release.name)
    return first


@lru_cache(maxsize=4096)
def _pattern(name: str) -> re.Pattern[str]:
    if _PLAIN.match(name):  # an ordinary word, or a key of event content: as a literal only
        return re.compile(rf"``{re.escape(name)}``")
    return re.compile(rf"(?<![\w./{{-]){re.escape(name)}(?![\w/{{}}-])")


def later_names(text: str, release: str, spec: Spec, first: dict[str, str]) -> dict[str, str]:
    """The names ``text`` (a document of ``release``) uses that a later release introduced,
    each with that release."""
    here = spec.releases[release].index
    found: dict[str, str] = {}
    for name, introduced in first.items():
        if spec.releases[introduced].index > here and _pattern(name).search(text):
            found[name] = introduced
    return found
