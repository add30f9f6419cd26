"""Read one source file as text, in bounded time and memory, or say clearly why not.

Every file under the spec folder goes through here before it is parsed. The file must be a
regular file (a folder, a device or a pipe named ``*.yaml`` is refused without reading it), at
most :data:`MAX_SOURCE_BYTES` long (checked before reading, and again by reading one byte more
than the limit, in case the file grows), UTF-8 (a failure names the line and the byte offset),
and free of characters YAML refuses (a NUL byte or another control character, named with its
line and byte offset). A leading UTF-8 byte order mark is dropped.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from codegen.errors import Loc, SpecError

__all__ = ["MAX_SOURCE_BYTES", "decode_source", "read_source_text"]

MAX_SOURCE_BYTES = 2 * 1024 * 1024
"""A source file larger than this is refused unread (the largest real source is under 20 KB)."""

# What YAML calls printable: tab, line feed, carriage return, the visible ASCII range, NEL, and
# the rest of Unicode except the C1 controls, surrogates and U+FFFE/U+FFFF.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_source_text(path: Path, display: str, limit: int = MAX_SOURCE_BYTES) -> str:
    """The text of ``path``; any reason not to read it raises ``SpecError`` naming ``display``."""
    where = Loc(display, 0)
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; fstat refuses it next.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SpecError(where, f"cannot read the file: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(where, "is a folder; a spec source must be a file")
        if not stat.S_ISREG(info.st_mode):
            raise SpecError(
                where,
                "is not a regular file (a device, pipe or socket); a spec source must be a file",
            )
        if info.st_size > limit:
            raise SpecError(where, _too_large(info.st_size, limit))
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise SpecError(where, f"cannot read the file: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SpecError(where, _too_large(None, limit))
    return decode_source(data, display)


def _too_large(size: int | None, limit: int) -> str:
    if size is None:  # it grew past the limit after fstat
        return f"the file has more than {limit:,} bytes, the most a spec source may have"
    return f"the file has {size:,} bytes; a spec source may have at most {limit:,} bytes"


def decode_source(data: bytes, display: str) -> str:
    """``data`` as text: UTF-8, no byte order mark, only characters YAML allows."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecError(Loc(display, 1), "the file is UTF-16; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SpecError(
            Loc(display, line),
            f"not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start} cannot be "
            "decoded; save the file as UTF-8",
        ) from None
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        at = bad.start()
        offset = len(text[:at].encode("utf-8"))
        line = text.count("\n", 0, at) + 1
        what = "a NUL byte" if bad.group() == "\0" else f"the character U+{ord(bad.group()):04X}"
        raise SpecError(
            Loc(display, line),
            f"{what} at byte offset {offset}; the sources hold printable text only",
        )
    return text.removeprefix("\ufeff")
