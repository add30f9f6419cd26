"""Releases of the specification and how annotations name them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.errors import Loc, Problems, SpecError
from codegen.load import Map, load_yaml, loc_of

__all__ = ["Release", "Releases", "load_releases"]

_STATUSES = ("historical", "stable", "unstable")
_NAME = re.compile(r"^(r0\.\d+\.\d+|v1\.\d+|unstable)$")


@dataclass(frozen=True)
class Release:
    """One release, e.g. ``r0.1.0``, ``v1.13`` or ``unstable``."""

    name: str
    date: str | None
    status: str
    index: int  # position in release order, oldest first

    @property
    def is_unstable(self) -> bool:
        return self.status == "unstable"

    @property
    def label(self) -> str:
        """How annotations write this release: ``1.13``, ``r0.1.1`` or ``unstable``."""
        return self.name[1:] if self.name.startswith("v") else self.name

    def __str__(self) -> str:
        return self.name


class Releases:
    """The ordered list of releases, with lookups by name or annotation label."""

    def __init__(self, releases: list[Release]) -> None:
        self.all = releases
        self._by_key: dict[str, Release] = {}
        for release in releases:
            self._by_key[release.name] = release
            self._by_key[release.label] = release

    def __iter__(self) -> Any:
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    def get(self, name: str) -> Release | None:
        """Find a release by its name (``v1.7``) or annotation label (``1.7``)."""
        return self._by_key.get(name)

    def __getitem__(self, name: str) -> Release:
        release = self.get(name)
        if release is None:
            known = ", ".join(r.name for r in self.all)
            raise KeyError(f"unknown release {name!r}; known releases: {known}")
        return release

    @property
    def latest(self) -> Release:
        """The newest release that is not ``unstable``."""
        return [r for r in self.all if not r.is_unstable][-1]

    @property
    def unstable(self) -> Release:
        return [r for r in self.all if r.is_unstable][-1]


def load_releases(path: Path, problems: Problems, display: str = "spec/versions.yaml") -> Releases:
    """Read ``versions.yaml``; every problem is collected with its line."""
    try:
        data = load_yaml(path, display)
    except SpecError as exc:
        problems.add(exc.loc, exc.message)
        return Releases([])
    entries = data.get("releases") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        problems.add(Loc(display, 1), "expected a non-empty list under 'releases'")
        return Releases([])
    releases: list[Release] = []
    for entry in entries:
        loc = loc_of(entry) or Loc(display, 0)
        if not isinstance(entry, Map):
            problems.add(loc, "each release must be a mapping with name, date and status")
            continue
        name, date, status = entry.get("name"), entry.get("date"), entry.get("status")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.add(loc, f"release name {name!r} is not of the form r0.X.Y, v1.X or unstable")
            continue
        if status not in _STATUSES:
            problems.add(loc, f"release {name}: status must be one of {', '.join(_STATUSES)}")
            continue
        if date is not None and not (
            isinstance(date, str) and re.match(r"^\d{4}-\d\d-\d\d$", date)
        ):
            problems.add(loc, f"release {name}: date must be a quoted YYYY-MM-DD string or null")
            continue
        releases.append(Release(name, date, str(status), len(releases)))
    names = [r.name for r in releases]
    if len(set(names)) != len(names):
        problems.add(Loc(display, 1), "release names must be unique")
    if releases and not releases[-1].is_unstable:
        problems.add(Loc(display, 1), "the last release must be 'unstable'")
    if releases and all(r.is_unstable for r in releases):
        problems.add(Loc(display, 1), "there must be at least one release besides 'unstable'")
    return Releases(releases)
