"""The releases of the specification this package knows, oldest first."""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "LATEST",
    "RELEASES",
    "SPEC_REVISION",
    "UNSTABLE",
    "UnknownReleaseError",
    "release_index",
    "resolve_release",
    "schema_file",
]

SPEC_REVISION = "2e96fd8c1f4f"
"""The revision (a content hash) of the spec sources this package was generated from."""

RELEASES: tuple[str, ...] = (
    "r0.1.0",
    "r0.1.1",
    "r0.1.2",
    "v1.1",
    "v1.2",
    "v1.3",
    "v1.4",
    "v1.5",
    "v1.6",
    "v1.7",
    "v1.8",
    "v1.9",
    "v1.10",
    "v1.11",
    "v1.12",
    "v1.13",
    "v1.14",
    "v1.15",
    "v1.16",
    "v1.17",
    "v1.18",
    "v1.19",
    "unstable",
)
"""Every release, oldest first; the last is ``unstable``."""

RELEASE_DATES = MappingProxyType(
    {
        "r0.1.0": "2018-08-30",
        "r0.1.1": "2019-06-11",
        "r0.1.2": "2019-07-30",
        "v1.1": "2021-11-09",
        "v1.2": "2022-02-02",
        "v1.3": "2022-06-15",
        "v1.4": "2022-09-29",
        "v1.5": "2022-11-17",
        "v1.6": "2023-02-14",
        "v1.7": "2023-05-25",
        "v1.8": "2023-08-23",
        "v1.9": "2023-11-29",
        "v1.10": "2024-03-22",
        "v1.11": "2024-06-20",
        "v1.12": "2024-10-07",
        "v1.13": "2024-12-19",
        "v1.14": "2025-03-27",
        "v1.15": "2025-06-26",
        "v1.16": "2025-09-17",
        "v1.17": "2025-12-18",
        "v1.18": "2026-03-25",
        "v1.19": "2026-07-08",
        "unstable": None,
    }
)
"""The publication date of each release (``None`` for ``unstable``)."""

LATEST = "v1.19"
"""The newest release; the default wherever a release can be chosen."""

UNSTABLE = "unstable"

_SCHEMA_FILES = MappingProxyType(
    {
        "r0.1.0": "373e623b004e.json",
        "r0.1.1": "92fbc1620016.json",
        "r0.1.2": "92fbc1620016.json",
        "v1.1": "a069bd9df06e.json",
        "v1.2": "afcf61232cf5.json",
        "v1.3": "b0d3b7102806.json",
        "v1.4": "5fe99a8fc240.json",
        "v1.5": "32db7442b02e.json",
        "v1.6": "83abab2dab4f.json",
        "v1.7": "ef0d714f787f.json",
        "v1.8": "d9ed4dd5c5b3.json",
        "v1.9": "58dcdb3f68c2.json",
        "v1.10": "94b5b4e7ee05.json",
        "v1.11": "7154a6170110.json",
        "v1.12": "cda64dc11c8d.json",
        "v1.13": "7eb0316e402a.json",
        "v1.14": "26231b49280a.json",
        "v1.15": "2c0bfd9b15bf.json",
        "v1.16": "6bff5ec1ae8b.json",
        "v1.17": "73bbd6f0c2d2.json",
        "v1.18": "155445dfd0f3.json",
        "v1.19": "dbeeaaf317a4.json",
        "unstable": "2b743c9fc734.json",
    }
)


class UnknownReleaseError(ValueError):
    """A release name this package does not know."""


def resolve_release(version: str | None) -> str:
    """The canonical name of a release: ``None`` means the latest, ``1.13`` means ``v1.13``."""
    if version is None:
        return LATEST
    name = version if version in RELEASES else f"v{version}"
    if name not in RELEASES:
        raise UnknownReleaseError(f"unknown release {version!r}; known: {', '.join(RELEASES)}")
    return name


def release_index(version: str | None) -> int:
    """The position of a release in :data:`RELEASES` (compare releases with it)."""
    return RELEASES.index(resolve_release(version))


def schema_file(version: str | None) -> str:
    return _SCHEMA_FILES[resolve_release(version)]
