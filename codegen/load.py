"""Read the YAML sources, keeping the file and line of every mapping and list.

The rest of the generator works on plain ``dict``/``list`` trees. The subclasses below are
``dict`` and ``list`` with a ``loc`` attribute, so error messages can point back to the source
line of any node, even after the tree has been copied into a release view.

A file is read by :func:`codegen.source_text.read_source_text` (size, file type, encoding),
then its YAML event stream is walked once with an explicit stack, so no input can exhaust the
Python or C stack. Only what a JSON document holds is built: mappings with string keys, lists,
strings, integers, finite numbers, booleans and null. The first thing that is not stops the
walk with its line:

- anchors and aliases (``&name`` / ``*name``): an alias repeats a whole subtree, so a few
  hundred bytes can stand for billions of nodes, and the sources need none;
- nesting deeper than :data:`MAX_DEPTH` levels and more than :data:`MAX_VALUES` keys and
  values in one file;
- values YAML reads as dates or binary data, infinity and NaN, tags beyond the standard
  scalar and collection ones, merge keys (``<<``), keys that are not strings, repeated keys,
  and more than one document.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codegen.errors import Loc, Problems, SpecError
from codegen.source_text import read_source_text

__all__ = [
    "EVENTS_FOLDER",
    "MAX_DEPTH",
    "MAX_VALUES",
    "Map",
    "Seq",
    "SpecFile",
    "SpecTree",
    "load_tree",
    "load_yaml",
    "loc_of",
    "parse_yaml",
]

EVENTS_FOLDER = "events/"
"""Where the event content schemas live (``spec/events/``)."""
MAX_DEPTH = 64
"""Mappings and lists nested deeper than this are refused (the sources need 16)."""
MAX_VALUES = 10_000
"""A file with more keys and values than this is refused (the largest source has under 1,000)."""

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER: Any = yaml.resolver.Resolver()  # its methods carry no type hints
_CONSTRUCTOR: Any = yaml.constructor.SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_READ_AS = {
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
    "timestamp": "a date",
    "binary": "binary data",
    "merge": "a merge key",
    "value": "a value key",
}
_NO_ANCHORS = (
    "anchors and aliases are not allowed in the spec sources "
    "(an alias can expand a small file enormously); write the value out"
)
_NOTHING = object()


class Map(dict[str, Any]):
    """A mapping that remembers where it was written."""

    loc: Loc | None = None
    key_lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class Seq(list[Any]):
    """A list that remembers where it was written."""

    loc: Loc | None = None


def loc_of(node: object) -> Loc | None:
    """The source location of a node, when it has one."""
    return getattr(node, "loc", None)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Frame:
    node: Map | Seq
    key: str | None = None  # in a mapping: the key whose value comes next


class _Builder:
    """Builds ``Map``/``Seq`` trees from YAML events; every refusal raises ``SpecError``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stack: list[_Frame] = []
        self.root: Any = _NOTHING
        self.values = 0
        self.documents = 0

    def fail(self, line: int, message: str) -> SpecError:
        return SpecError(Loc(self.name, line), message)

    def run(self, loader: Any) -> Any:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                return None if self.root is _NOTHING else self.root
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                continue
            line = event.start_mark.line + 1
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise self.fail(line, "more than one YAML document ('---'); expected one")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self.place(self.stack.pop().node)
            elif isinstance(event, yaml.AliasEvent):
                raise self.fail(line, f"YAML alias *{_short(str(event.anchor))}: {_NO_ANCHORS}")
            else:
                self.node(event, line)

    def node(self, event: Any, line: int) -> None:
        if event.anchor is not None:
            raise self.fail(line, f"YAML anchor &{_short(str(event.anchor))}: {_NO_ANCHORS}")
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.fail(line, f"more than {MAX_VALUES:,} keys and values in one file")
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.node, Map) and top.key is None:
            top.key = self.key(top.node, event, line)
            return
        if isinstance(event, yaml.ScalarEvent):
            self.place(self.scalar(event, line))
            return
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(line, f"nested more than {MAX_DEPTH} levels deep")
        is_map = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (None, "!", _TAG + ("map" if is_map else "seq")):
            raise self.fail(line, f"the tag {_tag_name(event.tag)} is not allowed; remove it")
        node: Map | Seq = Map() if is_map else Seq()
        node.loc = Loc(self.name, line)
        self.stack.append(_Frame(node))

    def key(self, owner: Map, event: Any, line: int) -> str:
        if not isinstance(event, yaml.ScalarEvent):
            kind = "a mapping" if isinstance(event, yaml.MappingStartEvent) else "a list"
            raise self.fail(line, f"YAML error: a key is {kind}; mapping keys must be strings")
        tag = _resolve(event)
        if tag != _TAG + "str":
            what = _READ_AS.get(tag.removeprefix(_TAG), f"the tag {_tag_name(tag)}")
            raise self.fail(line, (
                f"YAML error: the key {_short(event.value)!r} is read as {what}; mapping keys "
                f"must be strings (quote it: '{_short(event.value)}')"
            ))  # fmt: skip
        key = str(event.value)
        if key in owner:
            raise self.fail(
                line,
                f"YAML error: duplicate key {key!r} (first written on line {owner.key_lines[key]})",
            )
        owner.key_lines[key] = line
        return key

    def place(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.node, Map):
            assert top.key is not None
            top.node[top.key] = value
            top.key = None
        else:
            top.node.append(value)

    def scalar(self, event: Any, line: int) -> Any:
        tag = _resolve(event)
        name = tag.removeprefix(_TAG) if tag.startswith(_TAG) else ""
        value = str(event.value)
        if name == "str":
            return value
        shown = _short(value)
        if name in ("int", "float", "bool", "null"):
            node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            try:
                result = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
            except ValueError:
                digits = sum(char.isdigit() for char in value)
                if name == "int" and digits > sys.get_int_max_str_digits():
                    raise self.fail(
                        line,
                        f"the number {shown} has more than {sys.get_int_max_str_digits():,} digits",
                    ) from None
                raise self.fail(line, f"{shown!r} cannot be read as {_READ_AS[name]}") from None
            if isinstance(result, float) and not math.isfinite(result):
                raise self.fail(line, f"{shown} is not a finite number; JSON has no such value")
            return result
        if name in _READ_AS:
            raise self.fail(line, (
                f"{shown} is read by YAML as {_READ_AS[name]}; the spec sources hold JSON values "
                f"only: write it as a quoted string ('{shown}')"
            ))  # fmt: skip
        raise self.fail(line, f"the tag {_tag_name(tag)} is not allowed; remove it")


def _tag_name(tag: str) -> str:
    """``!!set`` for the standard tags, the tag itself for the others."""
    return _short("!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag)


def _resolve(event: Any) -> str:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    return str(tag)


def parse_yaml(text: str, name: str) -> Any:
    """Parse the YAML ``text`` of the file called ``name`` into ``Map``/``Seq`` trees.

    Raises ``SpecError`` with the line of the first problem (see the module documentation).
    """
    builder = _Builder(name)
    loader = _LOADER(text)
    try:
        return builder.run(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError(Loc(name, line), f"YAML error: {what}") from None
    except yaml.YAMLError as exc:  # a reader error: the text was checked, so not expected
        raise SpecError(Loc(name, 0), f"YAML error: {_short(str(exc), 200)}") from None
    finally:
        loader.dispose()


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Read and parse one YAML file; every problem is a ``SpecError`` naming file and line."""
    name = display or str(path)
    return parse_yaml(read_source_text(path, name), name)


@dataclass
class SpecFile:
    """One parsed source file."""

    rel: str  # path relative to the spec root, with forward slashes
    data: Any

    @property
    def api(self) -> str | None:
        """``application-service`` or ``client-server`` for endpoint files."""
        top = self.rel.split("/", 1)[0]
        return top if top in ("application-service", "client-server") else None


@dataclass
class SpecTree:
    """Every source file under a spec root."""

    root: Path
    files: dict[str, SpecFile] = field(default_factory=dict)

    def endpoint_files(self) -> Iterator[SpecFile]:
        for rel in sorted(self.files):
            if self.files[rel].api is not None:
                yield self.files[rel]

    def definition_files(self) -> Iterator[SpecFile]:
        for rel in sorted(self.files):
            if rel.startswith("definitions/"):
                yield self.files[rel]

    def event_files(self) -> Iterator[SpecFile]:
        """The event content schemas under ``events/`` (shared parts included)."""
        for rel in sorted(self.files):
            if rel.startswith(EVENTS_FOLDER):
                yield self.files[rel]

    def schema_files(self) -> Iterator[SpecFile]:
        """Every file whose schema becomes a component: definitions, then event contents."""
        yield from self.definition_files()
        yield from self.event_files()


def load_tree(root: Path, problems: Problems) -> SpecTree:
    """Load every ``*.yaml`` under ``root`` (changelog fragments are read elsewhere)."""
    tree = SpecTree(root)
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("changelog/"):
            continue
        display = (root.name + "/" + rel) if root.name else rel
        try:
            tree.files[rel] = SpecFile(rel, load_yaml(path, display))
        except SpecError as exc:
            problems.add(exc.loc, exc.message)
    return tree
