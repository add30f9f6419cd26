"""Loading the specification: the sources, the releases, one bundle per release and the IR."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen.bundle import MAP_FILES, build_bundle
from codegen.changelog import Entry, load_changelog
from codegen.checks import check_sources
from codegen.errors import Loc, Problems
from codegen.load import SpecTree, load_tree
from codegen.versions import Release, Releases, load_releases

if TYPE_CHECKING:
    from codegen.ir import IR

__all__ = [
    "DEFAULT_SPEC_ROOT",
    "NotASpecFolder",
    "Spec",
    "check_spec_root",
    "load_spec",
    "load_spec_or_report",
    "source_revision",
]

DEFAULT_SPEC_ROOT = Path(__file__).resolve().parent.parent / "spec"


@dataclass
class Spec:
    root: Path
    tree: SpecTree
    releases: Releases
    problems: Problems
    changelog: dict[str, list[Entry]]
    _bundles: dict[str, dict[str, Any]] = field(default_factory=dict)

    def bundle(self, release: Release | str) -> dict[str, Any]:
        """The resolved OpenAPI document of one release (built once, then cached)."""
        rel = self.releases[release] if isinstance(release, str) else release
        if rel.name not in self._bundles:
            self._bundles[rel.name] = build_bundle(self.tree, self.releases, rel, self.problems)
        return self._bundles[rel.name]

    def bundles(self) -> dict[str, dict[str, Any]]:
        return {r.name: self.bundle(r) for r in self.releases}

    @cached_property
    def ir(self) -> IR:
        """The operations of every release (:mod:`codegen.ir`), built once."""
        from codegen.ir import build_ir

        return build_ir(self)

    @cached_property
    def revision(self) -> str:
        """A short content hash of the sources, stable across checkouts."""
        return source_revision(self.root)


def source_revision(root: Path) -> str:
    """A short content hash of every file under ``root`` (names and bytes)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class NotASpecFolder(Exception):
    """The folder given as the sources is missing, not a folder, or has no ``versions.yaml``."""


def check_spec_root(root: Path) -> None:
    """Raise :class:`NotASpecFolder` unless ``root`` is a folder with a ``versions.yaml``."""
    if not root.exists():
        raise NotASpecFolder(f"{root}: no such folder")
    if not root.is_dir():
        raise NotASpecFolder(f"{root}: not a folder")
    if not (root / "versions.yaml").is_file():
        raise NotASpecFolder(f"{root}: not a spec folder (it has no versions.yaml file)")


def load_spec(root: Path = DEFAULT_SPEC_ROOT) -> Spec:
    """Load and check the sources under ``root``. Problems in the sources are collected, not
    raised; a ``root`` that is no spec folder at all raises :class:`NotASpecFolder`."""
    check_spec_root(root)
    problems = Problems()
    releases = load_releases(root / "versions.yaml", problems, _display(root, "versions.yaml"))
    tree = load_tree(root, problems)
    tree.files.pop("versions.yaml", None)
    for rel in MAP_FILES:
        if rel not in tree.files:
            problems.add(Loc(_display(root, rel), 0), "the file is missing")
    if not problems:
        check_sources(tree, releases, problems)
    # Without releases every changelog folder would look unknown: report versions.yaml alone.
    changelog = load_changelog(root, releases, problems) if len(releases) else {}
    return Spec(root, tree, releases, problems, changelog)


def _display(root: Path, rel: str) -> str:
    return f"{root.name}/{rel}" if root.name else rel


def load_spec_or_report(root: Path, command: str) -> Spec | None:
    """Load for a command: print the problems to stderr and return None when there are any.
    Raises :class:`NotASpecFolder` like :func:`load_spec`."""
    spec = load_spec(root)
    if spec.problems:
        print(spec.problems.render(), file=sys.stderr)
        print(f"{command}: {len(spec.problems.errors)} problem(s) in {root}", file=sys.stderr)
        return None
    return spec
