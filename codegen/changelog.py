"""Changelog fragments: ``spec/changelog/<release>/[<area>/]<slug>.<type>``.

A fragment directly in a release's folder is an entry of the Application Service API's own
changelog, the one the official text publishes for that release. Two sub-folders hold what
that changelog leaves out: ``client-server/`` for changes of the Client-Server API that
concern appservices, and ``internal/`` for changes to the official sources that change no
API (tooling, schema dialects). The documents show them apart from the changelog proper.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codegen.errors import Loc, Problems, SpecError
from codegen.source_text import read_source_text
from codegen.versions import Releases

__all__ = ["APART", "AREAS", "NOTE", "TYPES", "Entry", "load_changelog"]

# Fragment type -> section heading, in the order sections are rendered.
TYPES = {
    "breaking": "Breaking Changes",
    "deprecation": "Deprecations",
    "new": "New Endpoints",
    "removal": "Removed Endpoints",
    "feature": "Backwards Compatible Changes",
    "clarification": "Spec Clarifications",
}
NOTE = "note"
"""A release note: a paragraph above the sections (the official r0.1.0 changelog is one)."""
AREAS = {"": "application-service", "client-server": "client-server", "internal": "internal"}
"""Folder under a release -> area of its fragments."""
APART = {
    "client-server": "Related Client-Server changes",
    "internal": "Changes to the official sources",
}
"""Area the changelog proper leaves out -> heading of the section a document shows it under."""


@dataclass(frozen=True)
class Entry:
    release: str
    kind: str
    slug: str
    text: str
    area: str = "application-service"

    @property
    def heading(self) -> str:
        return TYPES.get(self.kind, "")


def _read_folder(
    folder: Path, shown: str, release: str, area: str, problems: Problems
) -> list[Entry]:
    entries: list[Entry] = []
    for path in sorted(folder.iterdir()):
        if area == "application-service" and path.is_dir() and path.name in AREAS:
            continue  # read on its own
        where = Loc(f"{shown}/{path.name}", 1)
        slug, _, kind = path.name.rpartition(".")
        allowed = [*TYPES, NOTE] if area == "application-service" else list(TYPES)
        if kind not in allowed or not slug:
            problems.add(where, f"the type must be one of: {', '.join(allowed)}")
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
        entries.append(Entry(release, kind, slug, text, area))
    return entries


def load_changelog(root: Path, releases: Releases, problems: Problems) -> dict[str, list[Entry]]:
    """Fragments per release name (every release has a list, maybe empty), sorted by area,
    then type (the release note first)."""
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
        for sub, area in AREAS.items():
            path = folder / sub if sub else folder
            if path.is_dir():
                where = f"{shown}/{sub}" if sub else shown
                result[folder.name] += _read_folder(path, where, folder.name, area, problems)
    order = [NOTE, *TYPES]
    areas = list(AREAS.values())
    for entries in result.values():
        entries.sort(key=lambda e: (areas.index(e.area), order.index(e.kind), e.slug))
    return result
