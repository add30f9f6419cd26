"""Files as bodies (media): a request body handed to the handler as a :class:`Media`, and the
headers of an answer that is a file."""

from __future__ import annotations

from email.message import Message

from matrix_appservice._client_media import Media

__all__ = ["file_body", "file_headers"]

_DEFAULT_TYPE = "application/octet-stream"
_SAFE_INLINE = ("image/", "audio/", "video/", "text/plain")


def file_body(content: bytes, content_type: bytes | None) -> Media:
    """The uploaded file: its bytes and the ``Content-Type`` it came with (the default of
    HTTP, ``application/octet-stream``, when there is none or it is not text)."""
    try:
        kind = content_type.decode("ascii").strip() if content_type else ""
    except UnicodeDecodeError:
        kind = ""
    return Media(content, kind or _DEFAULT_TYPE, None, None)


def file_headers(media: Media) -> list[tuple[bytes, bytes]]:
    """``Content-Type`` and ``Content-Disposition`` of a file answer. Only types a browser
    shows without running anything are ``inline``; the file name is written by the standard
    library's MIME writer (RFC 2231 for names that are not ASCII)."""
    kind = media.content_type or _DEFAULT_TYPE
    disposition = media.disposition
    if disposition not in ("inline", "attachment"):
        disposition = "inline" if kind.startswith(_SAFE_INLINE) else "attachment"
    message = Message()
    if media.filename:
        message.add_header("Content-Disposition", disposition, filename=media.filename)
    else:
        message.add_header("Content-Disposition", disposition)
    header = message["Content-Disposition"]
    return [
        (b"content-type", kind.encode("latin-1", "replace")),
        (b"content-disposition", str(header).encode("utf-8")),
    ]
