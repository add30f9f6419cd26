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

SPEC_REVISION = "8d4e01e8052b"
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
        "r0.1.0": "967dfe17cb0c.json",
        "r0.1.1": "cad89d42e9ee.json",
        "r0.1.2": "cad89d42e9ee.json",
        "v1.1": "23a3e1025829.json",
        "v1.2": "4488cc1241b7.json",
        "v1.3": "a2dcf6f4908f.json",
        "v1.4": "e8b42bf0dc75.json",
        "v1.5": "095280b6061e.json",
        "v1.6": "a6d04bf1cee5.json",
        "v1.7": "50a68988a796.json",
        "v1.8": "e2d3131bf198.json",
        "v1.9": "12d0efbe1651.json",
        "v1.10": "c3035ee3a647.json",
        "v1.11": "18ed0ce0f32d.json",
        "v1.12": "697c26b9497d.json",
        "v1.13": "a8b9b24bd452.json",
        "v1.14": "136a2512d1ef.json",
        "v1.15": "0e38459debd2.json",
        "v1.16": "75fc103e6752.json",
        "v1.17": "622ac22dfa51.json",
        "v1.18": "40f3bb30765b.json",
        "v1.19": "0c6d0f7caa3e.json",
        "unstable": "43d81364d5c5.json",
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
