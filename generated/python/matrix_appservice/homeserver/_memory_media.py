"""The in-memory homeserver's media: files kept in memory under ``mxc://<server>/<id>``,
up to the app's body limit each (the ``m.upload.size`` it announces; larger is 413
``M_TOO_LARGE``). Thumbnails are the file itself, not scaled. As Synapse does from v1.11,
files are served on the authenticated endpoints only once the release has them; the
unauthenticated ones answer 404 ``M_NOT_FOUND``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from matrix_appservice._client_media import Media
from matrix_appservice.errors import (
    CannotOverwriteMediaError,
    ForbiddenError,
    NotFoundError,
    NotYetUploadedError,
)
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.models import (
    ContentUri,
    CreatedContent,
    MediaConfig,
    UploadContentToMxcResponse,
)
from matrix_appservice.operations import OPERATIONS

__all__ = ["MediaCalls", "MediaStore"]

_UNUSED_FOR_MS = 24 * 60 * 60 * 1000
"""How long a media ID made by ``createContent`` waits for its file."""


@dataclass
class _Entry:
    owner: str
    file: Media | None = None


@dataclass
class MediaStore:
    """Files by ``(server name, media ID)``."""

    files: dict[tuple[str, str], _Entry] = field(default_factory=dict)


class MediaCalls(MemoryBase):
    """Uploading and downloading media."""

    media: MediaStore

    def _config(self) -> MediaConfig:
        return MediaConfig.model_validate({"m.upload.size": self.app.max_body_bytes})

    async def get_config(self, requester: Requester) -> MediaConfig:
        return self._config()

    async def get_config_authed(self, requester: Requester) -> MediaConfig:
        return self._config()

    def _new_id(self, owner: str) -> str:
        media_id = secrets.token_urlsafe(18)
        self.media.files[(self.server_name, media_id)] = _Entry(owner)
        return media_id

    @staticmethod
    def _named(body: Media, filename: str | None) -> Media:
        # A name with control characters could not go back out in a header: it is dropped.
        safe = filename if filename and filename.isprintable() else None
        return replace(body, filename=safe, disposition=None)

    async def upload_content(
        self, requester: Requester, body: Media, *, filename: str | None = None
    ) -> ContentUri:
        media_id = self._new_id(requester.user_id)
        self.media.files[(self.server_name, media_id)].file = self._named(body, filename)
        return ContentUri(content_uri=f"mxc://{self.server_name}/{media_id}")

    async def create_content(self, requester: Requester) -> CreatedContent:
        media_id = self._new_id(requester.user_id)
        expires = int(self.state.clock() * 1000) + _UNUSED_FOR_MS
        return CreatedContent(
            content_uri=f"mxc://{self.server_name}/{media_id}", unused_expires_at=expires
        )

    async def upload_content_to_mxc(
        self,
        requester: Requester,
        server_name: str,
        media_id: str,
        body: Media,
        *,
        filename: str | None = None,
    ) -> UploadContentToMxcResponse:
        entry = self.media.files.get((server_name, media_id))
        if entry is None:
            raise NotFoundError(f"No media ID {media_id} was made here")
        if entry.owner != requester.user_id:
            raise ForbiddenError("Another user made this media ID")
        if entry.file is not None:
            raise CannotOverwriteMediaError("The media ID has its file already")
        entry.file = self._named(body, filename)
        return UploadContentToMxcResponse()

    def _file(self, server_name: str, media_id: str) -> Media:
        entry = self.media.files.get((server_name, media_id))
        if entry is None:
            raise NotFoundError(f"No media mxc://{server_name}/{media_id}")
        if entry.file is None:
            raise NotYetUploadedError("The file has not been uploaded yet")
        return entry.file

    def _unauthenticated(self, server_name: str, media_id: str) -> Media:
        if OPERATIONS["getContentAuthed"].exists_in(self.version):
            raise NotFoundError("Media is served on the authenticated endpoints only")
        return self._file(server_name, media_id)

    async def get_content_authed(
        self,
        requester: Requester,
        server_name: str,
        media_id: str,
        *,
        timeout_ms: int | None = None,
    ) -> Media:
        return self._file(server_name, media_id)

    async def get_content_thumbnail_authed(
        self,
        requester: Requester,
        server_name: str,
        media_id: str,
        width: int,
        height: int,
        *,
        method: str | None = None,
        timeout_ms: int | None = None,
        animated: bool | None = None,
    ) -> Media:
        return self._file(server_name, media_id)

    async def get_content(
        self,
        requester: Requester,
        server_name: str,
        media_id: str,
        *,
        allow_remote: bool | None = None,
        timeout_ms: int | None = None,
        allow_redirect: bool | None = None,
    ) -> Media:
        return self._unauthenticated(server_name, media_id)

    async def get_content_thumbnail(
        self,
        requester: Requester,
        server_name: str,
        media_id: str,
        width: int,
        height: int,
        *,
        method: str | None = None,
        allow_remote: bool | None = None,
        timeout_ms: int | None = None,
        allow_redirect: bool | None = None,
        animated: bool | None = None,
    ) -> Media:
        return self._unauthenticated(server_name, media_id)
