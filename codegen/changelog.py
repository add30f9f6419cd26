"""Changelog fragments: ``spec/changelog/<release>/<slug>.<type>``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codegen.errors import Loc, Problems, SpecError
from codegen.source_text import read_source_text
from codegen.versions import Releases

__all__ = ["TYPES", "Entry", "load_changelog"]

# Fragment type -> section heading, in the order sections are rendered.
TYPES = {
    "breaking": "Breaking Changes",
    "deprecation": "Deprecations",
    "new": "New Endpoints",
    "removal": "Removed Endpoints",
    "feature": "Backwards Compatible Changes",
    "clarification": "Spec Clarifications",
}


@dataclass(frozen=True)
class Entry:
    release: str
    kind: str
    slug: str
    text: str

    @property
    def heading(self) -> str:
        return TYPES[self.kind]


def load_changelog(root: Path, releases: Releases, problems: Problems) -> dict[str, list[Entry]]:
    """Fragments per release name (every release has a list, maybe empty), sorted by type."""
    base = root / "changelog"
    result: dict[str, list[Entry]] = {r.name: [] for r in releases}
    if not base.is_dir():
        return result
    for folder in sorted(p for p in base.iterdir()):
        shown = f"{root.name}/changelog/{folder.name}"
        if not folder.is_dir():
            problems.add(Loc(shown, 0), "expected a folder named after a release")
            continue
        if releases.get(folder.name) is None or folder.name != releases[folder.name].name:
            problems.add(Loc(shown, 0), f"{folder.name!r} is not a release in versions.yaml")
            continue
        for path in sorted(folder.iterdir()):
            where = Loc(f"{shown}/{path.name}", 1)
            slug, _, kind = path.name.rpartition(".")
            if kind not in TYPES or not slug:
                problems.add(where, f"the type must be one of: {', '.join(TYPES)}")
                continue
            try:
                text = " ".join(read_source_text(path, where.file).split())
            except SpecError as exc:
                problems.add(exc.loc, exc.message)
                continue
            if not text:
                problems.add(where, "the fragment is empty")
                continue
            if not text.endswith((".", ".)")):
                problems.add(where, "an entry ends with a full stop")
                continue
            result[folder.name].append(Entry(folder.name, kind, slug, text))
    order = list(TYPES)
    for entries in result.values():
        entries.sort(key=lambda e: (order.index(e.kind), e.slug))
    return result
