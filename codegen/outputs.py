"""Where the commands write: check a target before any work, and never leave half a file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["OutputError", "check_file_target", "check_folder_target", "write_text_atomic"]


class OutputError(Exception):
    """An output path that cannot be written as asked (a usage error: exit status 2)."""


def check_file_target(path: Path, flag: str) -> None:
    """``path`` can become a file: it is no folder and its folder exists."""
    if path.is_dir():
        raise OutputError(f"{flag} {path}: is a folder; name a file")
    parent = path.parent
    if not parent.exists():
        raise OutputError(f"{flag} {path}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{flag} {path}: {parent} is not a folder")


def check_folder_target(path: Path, flag: str, files: Iterable[str] = ()) -> None:
    """``path`` is or can become a folder, and each of ``files`` (relative, with ``/``) can be
    written under it: no file sits where a folder goes, and no folder where a file goes."""
    for existing in (path, *path.parents):
        if existing.exists():
            if not existing.is_dir():
                what = "is a file" if existing == path else f"is inside {existing}, a file"
                raise OutputError(f"{flag} {path}: {what}; name a folder")
            break
    for rel in files:
        target = path / rel
        if target.is_dir():
            raise OutputError(f"{flag} {path}: {target} is a folder where a file goes")
        for parent in Path(rel).parents:
            folder = path / parent
            if folder.exists() and not folder.is_dir():
                raise OutputError(f"{flag} {path}: {folder} is a file where a folder goes")


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file next to ``path``: readers see the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
