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

SPEC_REVISION = "1cc0e0eb2bb1"
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
        "r0.1.0": "7bbb290863da.json",
        "r0.1.1": "ec09405860a6.json",
        "r0.1.2": "ec09405860a6.json",
        "v1.1": "e05c2880edd6.json",
        "v1.2": "0d3c9777b6e4.json",
        "v1.3": "1c1d279f9e40.json",
        "v1.4": "b3e37f5964e6.json",
        "v1.5": "4df281e7d4ed.json",
        "v1.6": "2c5b5f2fe05e.json",
        "v1.7": "bfdb052d414a.json",
        "v1.8": "003f17abe113.json",
        "v1.9": "ad23e3dd49f1.json",
        "v1.10": "91e029cbf2ba.json",
        "v1.11": "f80db2dfefeb.json",
        "v1.12": "207c7ca98ff4.json",
        "v1.13": "1bf40e8d3955.json",
        "v1.14": "60d725464796.json",
        "v1.15": "7c3362b22d60.json",
        "v1.16": "cf58ced888a1.json",
        "v1.17": "a2f81ab4d172.json",
        "v1.18": "67e806d3c246.json",
        "v1.19": "98aae11f4f8e.json",
        "unstable": "f021f850b128.json",
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
