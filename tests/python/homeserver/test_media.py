"""Media kept by the in-memory homeserver: files in memory up to its body limit, answered with
their type and name, served on the endpoints of the release."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from matrix_appservice.client import Upload
from matrix_appservice.errors import (
    CannotOverwriteMediaError,
    ForbiddenError,
    NotFoundError,
    NotYetUploadedError,
    TooLargeError,
)
from matrix_appservice.operations import OPERATIONS

from tests.python.homeserver.support import AS_TOKEN, homeserver, registration

LIMIT = 1000


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


def _split(uri: str) -> tuple[str, str]:
    server, media_id = uri.removeprefix("mxc://").split("/")
    return server, media_id


def test_a_file_comes_back_with_its_type_and_name_up_to_the_announced_limit() -> None:
    async def main() -> None:
        async with homeserver(max_body_bytes=LIMIT) as (client, _hs):
            config = await client.get_config_authed()
            assert config.m_upload_size == LIMIT
            name = "café notes.txt"  # not ASCII: written with RFC 2231 in the answer
            uploaded = await client.upload_content(
                b"x" * LIMIT, content_type="text/plain", filename=name
            )
            media = await client.get_content_authed(*_split(uploaded.content_uri))
            assert (media.content, media.content_type) == (b"x" * LIMIT, "text/plain")
            assert (media.disposition, media.filename) == ("inline", name)
            with pytest.raises(TooLargeError):  # one byte over, whole or streamed
                await client.upload_content(b"x" * (LIMIT + 1), content_type="text/plain")

            async def pieces() -> Any:
                for _ in range(LIMIT + 1):
                    yield b"y"

            with pytest.raises(TooLargeError):
                await client.upload_content(Upload(pieces(), LIMIT + 1))

    run(main())


def test_a_file_that_could_run_in_a_browser_is_an_attachment_and_a_bad_name_is_dropped() -> None:
    async def main() -> None:
        async with homeserver() as (client, _hs):
            uploaded = await client.upload_content(
                b"<script>alert(1)</script>", content_type="text/html", filename="a\r\nX-Evil: 1"
            )
            server, media_id = _split(uploaded.content_uri)
            media = await client.get_content_authed(server, media_id)
            assert (media.content_type, media.disposition, media.filename) == (
                "text/html",
                "attachment",
                None,
            )

    run(main())


def test_create_then_upload_once_by_its_maker() -> None:
    async def main() -> None:
        async with homeserver() as (client, hs):
            created = await client.create_content()
            server, media_id = _split(created.content_uri)
            with pytest.raises(NotYetUploadedError):
                await client.get_content_authed(server, media_id)
            puppet = hs.state.add_user("@_irc_other:localhost").user_id
            with pytest.raises(ForbiddenError):
                await client.as_user(puppet).upload_content_to_mxc(server, media_id, b"no")
            await client.upload_content_to_mxc(server, media_id, b"yes", content_type="text/plain")
            with pytest.raises(CannotOverwriteMediaError):
                await client.upload_content_to_mxc(server, media_id, b"again")
            assert (await client.get_content_authed(server, media_id)).content == b"yes"
            with pytest.raises(NotFoundError):
                await client.upload_content_to_mxc(server, "never-made", b"x")

    run(main())


@pytest.mark.parametrize("version", ["v1.10", "v1.11"])
def test_unauthenticated_download_only_before_the_release_that_brought_authenticated_media(
    version: str,
) -> None:
    authenticated = OPERATIONS["getContentAuthed"].exists_in(version)

    async def main() -> None:
        reg = registration(url="http://appservice.invalid")  # a URL is required before v1.11
        async with homeserver(reg, version=version) as (client, hs):
            uploaded = await client.upload_content(b"pixels", content_type="image/png")
            server, media_id = _split(uploaded.content_uri)
            transport = httpx.ASGITransport(app=hs.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hs") as raw:
                # No token: the unauthenticated endpoints take none.
                answer = await raw.get(f"/_matrix/media/v3/download/{server}/{media_id}")
                thumb = await raw.get(
                    f"/_matrix/media/v3/thumbnail/{server}/{media_id}?width=8&height=8"
                )
                authed = await raw.get(
                    f"/_matrix/client/v1/media/download/{server}/{media_id}",
                    headers={"Authorization": f"Bearer {AS_TOKEN}"},
                )
            if authenticated:
                assert (answer.status_code, answer.json()["errcode"]) == (404, "M_NOT_FOUND")
                assert thumb.status_code == 404
                assert (authed.status_code, authed.content) == (200, b"pixels")
            else:
                assert (answer.status_code, answer.content) == (200, b"pixels")
                assert answer.headers["content-type"] == "image/png"
                assert (thumb.status_code, thumb.content) == (200, b"pixels")
                assert authed.status_code == 404  # no such endpoint in the release

    run(main())
