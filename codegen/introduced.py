"""The names each release introduced, derived from the sources' own version markers.

A release's view holds names in structural places (event contents aside: the events
section follows the markers of ``spec/events`` on its own): the paths and operationIds of its
operations, the names of its parameters, the properties of its schemas, the errcodes its
responses document, the enum and const values of its schemas, the login and identifier types
its examples use, the MSCs its unstable items name, and the ids and errcodes of the rules
and notes that hold in it.
A name is *introduced* by the first release whose view holds it; the changelog fragments of a
release introduce the MSCs they name. The event types, the values naming their variants
(msgtypes such as ``m.server_notice``, verification methods such as ``m.sas.v1``) and the
keys of their contents are dated by the markers of ``spec/events``
(:func:`event_first_releases`); they alone are looked for in a document's events section,
whose content keys (``body``, ``ts``) are not the API's names of the same spelling.
Descriptions are never read for names: a description
that mentions a later name is exactly what :func:`later_names` is there to find.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from codegen.changelog import APART
from codegen.keys import ERRCODES, EVENT, MATRIX_OPERATION_ID, UNSTABLE

if TYPE_CHECKING:
    from codegen.spec import Spec

__all__ = [
    "api_view",
    "event_first_releases",
    "first_releases",
    "later_names",
    "later_releases_cited",
]

_LOGIN_TYPE = re.compile(r"^m\.(login|id)\.[a-z_.]+$")
_MSC = re.compile(r"\bMSC\d{3,5}\b")
_RELEASE_NAME = re.compile(r"(?<![\w.])(?:v\d+\.\d+|r\d+\.\d+\.\d+)(?!\w|\.\d)")
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


def _closure(schemas: dict[str, Any], roots: list[Any]) -> set[str]:
    """The names of the schemas ``roots`` reach through ``$ref``s."""
    reached: set[str] = set()
    stack = list(roots)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                target = ref.rsplit("/", 1)[1]
                if target not in reached and target in schemas:
                    reached.add(target)
                    stack.append(schemas[target])
            stack.extend(item.values())
    return reached


def _api_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The bundle without the schemas only event contents use (``spec/events``): the names
    of the events section come from the event sources' own markers, not from the API's."""
    components = doc.get("components") or {}
    schemas = components.get("schemas") or {}
    contents = [k for k, v in schemas.items() if isinstance(v, dict) and EVENT in v]
    events_only = set(contents) | _closure(schemas, [schemas[k] for k in contents])
    rest = {**doc, "components": {k: v for k, v in components.items() if k != "schemas"}}
    roots = [rest, *(v for k, v in schemas.items() if k not in events_only)]
    kept = (set(schemas) - events_only) | _closure(schemas, roots)
    return {**rest, "components": {**rest["components"], "schemas": {
        k: v for k, v in schemas.items() if k in kept}}}  # fmt: skip


def _release_names(spec: Spec, name: str) -> set[str]:
    doc = spec.bundle(name)
    found = set(_names_in(_api_view(doc)))
    found |= {op.path for op in spec.ir.release(name).operations}
    for rule in spec.ir.rules.release(name):
        found |= {rule.id, *rule.errcodes}
    for entry in spec.changelog.get(name, []):
        found |= set(_MSC.findall(entry.text))
    return found


def _keys_in(node: Any) -> Iterator[str]:
    """The property names of a schema and of the objects inside it (not of its prose)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key in ("properties", "patternProperties") and isinstance(value, dict):
                    yield from (str(k) for k in value)
                if key not in ("description", "examples", "example"):
                    stack.append(value)


def _event_names(spec: Spec, name: str) -> tuple[set[str], set[str]]:
    """The event types of a release's view with the values naming their variants, and the
    keys of their contents (the objects inside them included)."""
    types: set[str] = set()
    contents: list[str] = []
    for event in spec.ir.release(name).events:
        types |= set(event.types) | {variant.value for variant in event.variants}
        contents += [event.schema, *(variant.schema for variant in event.variants)]
    schemas = (spec.bundle(name).get("components") or {}).get("schemas") or {}
    reached = set(contents) | _closure(schemas, [schemas[c] for c in contents])
    keys = {key for schema in reached for key in _keys_in(schemas[schema])}
    return types, keys


def event_first_releases(spec: Spec, *, keys: bool = True) -> dict[str, str]:
    """``name -> the release whose events section first has it``, for the event types, the
    values naming their variants and (unless ``keys`` is false) the keys of their contents."""
    first: dict[str, str] = {}
    for release in spec.releases:
        types, content_keys = _event_names(spec, release.name)
        for name in sorted(types | content_keys if keys else types):
            first.setdefault(name, release.name)
    return first


def first_releases(spec: Spec) -> dict[str, str]:
    """``name -> the release that introduced it`` for every name of every release, the event
    types and variant values included."""
    first: dict[str, str] = {}
    events = event_first_releases(spec, keys=False)
    for release in spec.releases:
        names = _release_names(spec, release.name) | {
            n for n, r in events.items() if r == release.name
        }
        for name in names:
            first.setdefault(name, release.name)
    return first


@lru_cache(maxsize=4096)
def _pattern(name: str) -> re.Pattern[str]:
    if _PLAIN.match(name):  # an ordinary word, or a key of event content: as a literal only
        return re.compile(rf"``{re.escape(name)}``")
    return re.compile(rf"(?<![\w./{{-]){re.escape(name)}(?![\w/{{}}-])")


@lru_cache(maxsize=4096)
def _key_pattern(name: str) -> re.Pattern[str]:
    """A content key as the events section writes one: a literal in prose, a quoted key in an
    example (``"ed25519"``, not the key id ``"ed25519:DEVICE"``)."""
    return re.compile(rf'``{re.escape(name)}``|"{re.escape(name)}"')


_EVENTS_SECTION = re.compile(r"^Events\n=+\n.*?(?=^[^\n]+\n=+\n|\Z)", re.M | re.S)
"""A document's events section, up to the next top-level section."""
_RELATED_CHANGES = re.compile(
    rf"^{re.escape(APART['client-server'])}\n~+\n.*?(?=^[^\n]+\n[-=~]+\n|\Z)", re.M | re.S
)
"""The changelog's Client-Server entries. They name only what their own release changed,
but event content keys among them share their spelling with query parameters a later
release added: ``via`` of ``m.space.child`` (v1.9) and the ``via`` of the join endpoints
(v1.12), ``format`` of the media messages (v1.10) and the ``format`` of
``getRoomStateWithKey`` (v1.16). The names of event content are dated by the event sources'
markers, not by the view this check reads, so the section is left out."""


def later_names(text: str, release: str, spec: Spec, first: dict[str, str]) -> dict[str, str]:
    """The names ``text`` (a document of ``release``) uses that a later release introduced,
    each with that release. The events section is read against the names the event sources'
    markers date (:func:`event_first_releases`: types, variant values, content keys) alone:
    its content keys (``body``, ``ts``) are not the API's names of the same spelling. The
    changelog's Client-Server entries are left out (see ``_RELATED_CHANGES``). Everything
    else, the Client-Server calls included, is read."""
    events_section = "\n".join(m.group(0) for m in _EVENTS_SECTION.finditer(text))
    for section in (_EVENTS_SECTION, _RELATED_CHANGES):
        text = section.sub("", text)
    here = spec.releases[release].index
    found: dict[str, str] = {}
    for name, introduced in first.items():
        if spec.releases[introduced].index > here and _pattern(name).search(text):
            found[name] = introduced
    types = event_first_releases(spec, keys=False)
    for name, introduced in event_first_releases(spec).items():
        pattern = _pattern(name) if name in types else _key_pattern(name)
        if spec.releases[introduced].index > here and pattern.search(events_section):
            found.setdefault(name, introduced)
    return found


def _prose(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{where}/{key}", value
            else:
                yield from _prose(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _prose(value, f"{where}/{i}")


def later_releases_cited(node: Any, release: str, spec: Spec) -> list[tuple[str, str]]:
    """``(JSON path, release)`` for each description or summary under ``node`` (a part of
    ``release``'s view) that cites a later release by name, as "from v1.16, ..." does:
    behaviour of a later release that the names alone do not show."""
    here = spec.releases[release].index
    known = {r.name: r.index for r in spec.releases}
    return [
        (where, cited)
        for where, text in _prose(node, "")
        for cited in _RELEASE_NAME.findall(text)
        if known.get(cited, -1) > here
    ]


def api_view(spec: Spec, release: str) -> dict[str, Any]:
    """``release``'s bundle without the schemas only event contents use."""
    return _api_view(spec.bundle(release))
