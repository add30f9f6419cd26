"""Read a small hand-written YAML file into plain JSON values, once, in bounded time and memory.

The YAML event stream (libyaml when PyYAML has it) is walked a single time with an explicit
stack, building the values and the line of every key and item together. Only what a JSON
document can hold is kept: mappings with string keys, lists, strings, integers, finite
numbers, booleans and null. Everything else is refused with its line instead of being
constructed:

- anchors and aliases (``&name`` / ``*name``): an alias copies a whole subtree, which is how
  a few hundred bytes expand into gigabytes ("billion laughs"), and no configuration needs
  them;
- values YAML reads as dates (``2024-01-01``) or binary data, tags other than the standard
  scalar and collection ones, merge keys (``<<``);
- keys that are not strings (``1: x``, ``true: x``, a list as a key) and repeated keys;
- more than one document in the stream.

Nesting deeper than :data:`MAX_DEPTH` and more than :data:`MAX_VALUES` keys and values stop
the walk at once, so the cost is bounded by the first offending line, not by the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "MAX_VALUES", "PlainDocument", "YamlProblems", "read_plain_yaml"]

MAX_DEPTH = 32
"""Mappings and lists nested deeper than this are refused."""
MAX_VALUES = 10_000
"""A document with more keys and values than this is refused."""

Path = tuple[str | int, ...]
_TAG = "tag:yaml.org,2002:"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER: Any = yaml.resolver.Resolver()  # its methods carry no type hints
_CONSTRUCTOR: Any = yaml.constructor.SafeConstructor()
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
_MISSING = object()


class YamlProblems(Exception):
    """The text is not plain YAML; ``problems`` holds ``(line, message)`` pairs."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {message}" for line, message in problems))
        self.problems = problems


@dataclass
class PlainDocument:
    """The value of the document (``None`` when it is empty) and where each part was written."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)
    empty: bool = False
    """True when the stream holds no document at all (an empty file or only comments)."""


@dataclass
class _Frame:
    value: dict[str, Any] | list[Any] | None  # None: parsed for its syntax, then dropped
    path: Path
    is_map: bool
    key: str | None = None  # the key whose value comes next (None: drop that value)
    want_key: bool = True
    seen: dict[str, int] = field(default_factory=dict)
    as_key: bool = False  # this collection stands where a key should be


def short(text: str, limit: int = 60) -> str:
    """``text`` for a message, cut to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in(path: Path) -> str:
    return f"in {dotted(path)}" if path else "at the top level"


def dotted(path: Path) -> str:
    """``namespaces.users[0].regex`` for a path; ``the document`` for the root."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


class _Walk:
    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self.lines: dict[Path, int] = {}
        self.stack: list[_Frame] = []
        self.root: Any = _MISSING
        self.count = 0
        self.documents = 0

    def fatal(self, line: int, message: str) -> YamlProblems:
        return YamlProblems([*self.problems, (line, message)])

    def run(self, loader: Any) -> PlainDocument:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                continue
            line = event.start_mark.line + 1
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise self.fatal(line, "more than one YAML document ('---'); expected one")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self.close()
            elif isinstance(event, yaml.AliasEvent):
                raise self.fatal(line, f"YAML alias *{short(str(event.anchor))}: {_NO_ANCHORS}")
            else:
                self.node(event, line)
        if self.problems:
            raise YamlProblems(self.problems)
        if self.root is _MISSING:
            return PlainDocument(None, self.lines, empty=True)
        return PlainDocument(self.root, self.lines)

    def node(self, event: Any, line: int) -> None:
        if event.anchor is not None:
            raise self.fatal(line, f"YAML anchor &{short(str(event.anchor))}: {_NO_ANCHORS}")
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.fatal(line, f"more than {MAX_VALUES} keys and values; refusing to read on")
        top = self.stack[-1] if self.stack else None
        collection = not isinstance(event, yaml.ScalarEvent)
        if collection and len(self.stack) >= MAX_DEPTH:
            raise self.fatal(line, f"nested more than {MAX_DEPTH} levels deep")
        if top is not None and top.is_map and top.want_key:
            self.key(top, event, line, collection)
            return
        keep = top is None or (top.value is not None and (not top.is_map or top.key is not None))
        path: Path = ()
        if top is None:
            self.lines[()] = line
        elif keep and top.key is not None:
            path = (*top.path, top.key)  # the key's line is already recorded
        elif keep and isinstance(top.value, list):
            path = (*top.path, len(top.value))
            self.lines[path] = line
        if collection:
            self.check_collection_tag(event, line, path)
            is_map = isinstance(event, yaml.MappingStartEvent)
            value: dict[str, Any] | list[Any] | None = ({} if is_map else []) if keep else None
            self.stack.append(_Frame(value, path, is_map))
        else:
            self.place(self.scalar(event, line, path))

    def key(self, top: _Frame, event: Any, line: int, collection: bool) -> None:
        top.want_key = False
        top.key = None
        if collection:
            kind = "a mapping" if isinstance(event, yaml.MappingStartEvent) else "a list"
            self.problems.append((line, f"a key {_in(top.path)} is {kind}; keys must be strings"))
            self.stack.append(
                _Frame(None, top.path, isinstance(event, yaml.MappingStartEvent), as_key=True)
            )
            return
        tag = _resolve(event)
        if tag != _TAG + "str":
            what = _READ_AS.get(tag.removeprefix(_TAG), f"the tag {tag}")
            self.problems.append((line, (
                f"the key {short(event.value)!r} {_in(top.path)} is read by YAML as {what}; "
                f"keys must be strings (quote it: '{short(event.value)}')"
            )))  # fmt: skip
            return
        first = top.seen.get(event.value)
        if first is not None:
            self.problems.append((line, (
                f"the key {short(event.value)!r} {_in(top.path)} is repeated "
                f"(first at line {first}); each key may appear once"
            )))  # fmt: skip
            return
        top.seen[event.value] = line
        if top.value is not None:
            top.key = event.value
            self.lines[(*top.path, event.value)] = line

    def close(self) -> None:
        frame = self.stack.pop()
        if frame.as_key:
            return  # the refused key's value follows and is dropped (``key`` left None)
        self.place(frame.value)

    def place(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if top.is_map:
            if top.value is not None and top.key is not None:
                assert isinstance(top.value, dict)
                top.value[top.key] = value
            top.want_key, top.key = True, None
        elif top.value is not None:
            assert isinstance(top.value, list)
            top.value.append(value)

    def check_collection_tag(self, event: Any, line: int, path: Path) -> None:
        plain = _TAG + ("map" if isinstance(event, yaml.MappingStartEvent) else "seq")
        if event.tag not in (None, "!", plain):
            self.problems.append(
                (line, f"{dotted(path)}: the tag {short(event.tag)} is not allowed; remove it")
            )

    def scalar(self, event: Any, line: int, path: Path) -> Any:
        tag = _resolve(event)
        name = tag.removeprefix(_TAG) if tag.startswith(_TAG) else ""
        if name == "str":
            return event.value
        where, value = dotted(path), short(event.value)
        if name in ("int", "float", "bool", "null"):
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                result = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
            except ValueError:
                self.problems.append((line, f"{where}: the number {value} has too many digits"))
                return None
            if isinstance(result, float) and not math.isfinite(result):
                self.problems.append((line, f"{where}: {value} is not a finite number"))
                return None
            return result
        if name in _READ_AS:
            self.problems.append((line, (
                f"{where}: {value} is read by YAML as {_READ_AS[name]}; "
                f"write it as a quoted string: '{value}'"
            )))  # fmt: skip
        else:
            self.problems.append((line, f"{where}: the tag {short(tag)} is not allowed; remove it"))
        return None


_NO_ANCHORS = (
    "anchors and aliases are not allowed here (an alias can expand a small file enormously)"
)


def _resolve(event: Any) -> str:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    return str(tag)


def _yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return (mark.line + 1 if mark else 1), f"YAML error: {what}"
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml counts bytes of the UTF-8 text, the pure-Python reader counts characters.
        before = (
            text.encode("utf-8")[: exc.position]
            if _LOADER is not yaml.SafeLoader
            else text[: exc.position]
        )
        newline: Any = b"\n" if isinstance(before, bytes) else "\n"
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else f"U+{ord(char):04X}"
        return before.count(
            newline
        ) + 1, f"YAML error: the character {shown} is not allowed ({exc.reason})"
    return 1, f"YAML error: {short(str(exc), 200)}"


def read_plain_yaml(text: str) -> PlainDocument:
    """Parse ``text`` into plain JSON values and a line map; raise :class:`YamlProblems`."""
    walk = _Walk()
    loader = _LOADER(text)
    try:
        return walk.run(loader)
    except yaml.YAMLError as exc:
        raise YamlProblems([*walk.problems, _yaml_error(exc, text)]) from None
    finally:
        loader.dispose()
