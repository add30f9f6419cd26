"""Files as request and answer bodies of the homeserver clients: media uploads and downloads.

An upload's body is the file itself, not JSON. It is either bytes, sent as they are, or an
:class:`Upload`: pieces of the file and their total length, streamed without holding the
file in memory. Homeservers want the length before the body (Synapse refuses an upload
without ``Content-Length``), so an :class:`Upload` always says it, and the client sends
exactly that many bytes: pieces that add up to more or fewer raise ``ValueError``, and the
request fails rather than store a file cut short or padded.

A download's answer is a :class:`Media`: the bytes with their type and file name. The body is
read up to the client's ``max_answer_bytes`` (:meth:`MediaCalls.with_answer_limit` gives a
client with another bound); a file over the bound raises :class:`~matrix_appservice.errors.MediaTooLargeError` once
the bound is passed, without reading the rest. Nothing here does I/O: the transports send
and read.
"""

from __future__ import annotations

import copy
import io
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from typing import IO, Any, Self

from matrix_appservice._errors_base import MediaTooLargeError

__all__ = [
    "AsyncMediaCalls",
    "Media",
    "MediaCalls",
    "MediaUpload",
    "RawContent",
    "Upload",
    "media_answer",
    "prepare_upload",
]

DEFAULT_CHUNK = 64 * 1024
"""How much of a file :meth:`Upload.from_file` reads at a time."""


@dataclass(frozen=True)
class Upload:
    """A file to upload in pieces: ``chunks`` yields its bytes, ``length`` of them in all.

    The sync clients take an iterable of bytes; the async clients an iterable or an async
    iterable. The pieces are read once, as they are sent, so a request that has to be sent
    again (after a 429) cannot be: it raises ``LimitExceededError`` instead.
    """

    chunks: Iterable[bytes] | AsyncIterable[bytes] = field(repr=False)
    length: int

    def __post_init__(self) -> None:
        if isinstance(self.length, bool) or not isinstance(self.length, int) or self.length < 0:
            raise ValueError(f"an upload's length is a number of bytes >= 0, not {self.length!r}")
        if isinstance(self.chunks, (bytes, bytearray, memoryview, str)):
            raise TypeError("Upload takes pieces of the file; give bytes to the method directly")

    @classmethod
    def from_file(cls, file: IO[bytes], *, chunk_size: int = DEFAULT_CHUNK) -> Upload:
        """The rest of an open binary file, from where it is now to its end, read in pieces
        of ``chunk_size`` bytes as they are sent. The caller keeps the file open until the
        upload is done."""
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size!r}")
        start = file.tell()
        try:
            size = os.fstat(file.fileno()).st_size
        except (AttributeError, io.UnsupportedOperation):  # no descriptor (a BytesIO, say)
            size = file.seek(0, os.SEEK_END)
            file.seek(start)
        return cls(iter(lambda: file.read(chunk_size), b""), max(size - start, 0))


MediaUpload = bytes | bytearray | memoryview | Upload
"""What an upload method takes: the whole file as bytes, or an :class:`Upload`."""


@dataclass(frozen=True)
class RawContent:
    """An upload body ready for a transport: bytes, or an iterator of them, and its length."""

    body: bytes | Iterable[bytes] | AsyncIterable[bytes] = field(repr=False)
    length: int
    replayable: bool
    """Whether the same body can be sent again (bytes can; a stream is read once)."""
    problems: list[Exception] = field(default_factory=list, repr=False, compare=False)
    """What stopped a stream while it was sent (a transport may report it as a broken
    connection; the client raises this instead)."""


def _counted(chunks: Iterable[bytes], length: int, problems: list[Exception]) -> Iterator[bytes]:
    sent = 0
    for chunk in chunks:
        sent += _check_piece(chunk, sent, length, problems)
        yield bytes(chunk)
    _check_end(sent, length, problems)


async def _acounted(
    chunks: Iterable[bytes] | AsyncIterable[bytes], length: int, problems: list[Exception]
) -> AsyncIterator[bytes]:
    sent = 0
    if isinstance(chunks, AsyncIterable):
        async for chunk in chunks:
            sent += _check_piece(chunk, sent, length, problems)
            yield bytes(chunk)
    else:
        for chunk in chunks:
            sent += _check_piece(chunk, sent, length, problems)
            yield bytes(chunk)
    _check_end(sent, length, problems)


def _stop(problem: Exception, problems: list[Exception]) -> Exception:
    problems.append(problem)
    return problem


def _check_piece(chunk: Any, sent: int, length: int, problems: list[Exception]) -> int:
    if not isinstance(chunk, (bytes, bytearray, memoryview)):
        wrong = TypeError(f"an upload's pieces are bytes, not {type(chunk).__name__}")
        raise _stop(wrong, problems)
    size = len(chunk)
    if sent + size > length:
        message = (
            f"the upload's pieces add up to more than its length of {length} bytes; "
            "nothing more was sent"
        )
        raise _stop(ValueError(message), problems)
    return size


def _check_end(sent: int, length: int, problems: list[Exception]) -> None:
    if sent != length:
        message = (
            f"the upload's pieces add up to {sent} bytes, not its length of {length}; "
            "the request was cut short"
        )
        raise _stop(ValueError(message), problems)


def prepare_upload(content: Any, *, is_async: bool) -> RawContent:
    """The body of an upload method's call, for a sync or an async client."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        return RawContent(data, len(data), True)
    if not isinstance(content, Upload):
        raise TypeError(
            f"an upload takes bytes or an Upload (pieces and their length), "
            f"not {type(content).__name__}"
        )
    chunks, problems = content.chunks, list[Exception]()
    body: Iterable[bytes] | AsyncIterable[bytes]
    if is_async:
        body = _acounted(chunks, content.length, problems)
    elif isinstance(chunks, AsyncIterable) and not isinstance(chunks, Iterable):
        raise TypeError("a sync client cannot read an async iterable; use the async client")
    else:
        body = _counted(chunks, content.length, problems)
    return RawContent(body, content.length, False, problems)


@dataclass(frozen=True)
class Media:
    """A downloaded file: its bytes, its media type and, when it has one, its name."""

    content: bytes = field(repr=False)
    content_type: str | None
    """The ``Content-Type`` the homeserver sent (the type the file was uploaded with)."""
    disposition: str | None
    """``inline`` or ``attachment``, from ``Content-Disposition``."""
    filename: str | None
    """The file's name, from ``Content-Disposition``, when it was uploaded with one."""

    def __len__(self) -> int:
        return len(self.content)


def _disposition(header: str | None) -> tuple[str | None, str | None]:
    """``(inline or attachment, file name)`` of a ``Content-Disposition`` header, read by the
    standard library's MIME parser (quoted names and RFC 2231 ``filename*`` included)."""
    if not header:
        return None, None
    message = Message()
    message["Content-Disposition"] = header
    kind = message.get_content_disposition()
    name = message.get_filename()
    return kind, name if isinstance(name, str) else None


def media_answer(
    status: int, headers: Mapping[str, str], content: bytes, complete: bool, limit: int, what: str
) -> Media:
    """The :class:`Media` of a success answer whose body is a file."""
    if not complete:
        raise MediaTooLargeError(
            f"{what} answered {status} with a file larger than the client accepts "
            f"({limit} bytes); use with_answer_limit() for larger files",
            limit=limit,
            status=status,
        )
    kind, name = _disposition(headers.get("content-disposition"))
    return Media(content, headers.get("content-type"), kind, name)


class MediaCalls:
    """What the homeserver clients add for files: the upload body, and a bound per client."""

    _settings: Any
    _owns_pool: bool
    _is_async = False

    def _raw(self, content: MediaUpload) -> RawContent:
        return prepare_upload(content, is_async=self._is_async)

    def with_answer_limit(self, max_bytes: int) -> Self:
        """A client like this one whose answers, downloaded files included, are read up to
        ``max_bytes`` bytes. It shares this client's connections (closing it does not close
        them), identity assertion included."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be an integer of at least 1, not {max_bytes!r}")
        view = copy.copy(self)
        view._settings = replace(self._settings, max_answer_bytes=max_bytes)
        view._owns_pool = False
        return view


class AsyncMediaCalls(MediaCalls):
    _is_async = True
