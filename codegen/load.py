"""Read the YAML sources, keeping the file and line of every mapping and list.

The rest of the generator works on plain ``dict``/``list`` trees. The subclasses below are
``dict`` and ``list`` with a ``loc`` attribute, so error messages can point back to the source
line of any node, even after the tree has been copied into a release view.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codegen.errors import Loc, Problems, SpecError

__all__ = ["Map", "Seq", "SpecFile", "SpecTree", "load_tree", "load_yaml", "loc_of"]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that builds ``Map``/``Seq`` and refuses duplicate keys."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Map:
    loader.flatten_mapping(node)
    result = Map()
    result.loc = Loc(str(loader.name), node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"mapping keys must be strings, found {key!r}", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first written on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.loc = Loc(str(loader.name), node.start_mark.line + 1)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a ``SpecError`` naming file and line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(Loc(name, 0), f"cannot read the file: {exc.strerror}") from exc
    loader = _Loader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError(Loc(name, line), f"YAML error: {what}") from exc
    finally:
        loader.dispose()


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
