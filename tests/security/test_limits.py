"""Limits that keep hostile input cheap: identifiers over 255 bytes never reach a regex,
bodies are size-limited on both servers, identity assertion stays inside the namespaces, and
a registration file others can read is flagged."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import regex
import yaml
from matrix_appservice.homeserver import InMemoryHomeserver
from matrix_appservice.registration import NamespaceMatcher, load_registration
from matrix_appservice.server import AppServiceHandler, create_app

from tests.python.homeserver.support import AS_TOKEN, HS_TOKEN, loaded, registration

LONG_USER = "@_irc_" + "a" * 250 + ":localhost"  # 266 bytes, inside the regex but too long
CS = "/_matrix/client/v3"


class _Recording:
    """A compiled pattern that records every string it is asked to match."""

    def __init__(self, pattern: Any, calls: list[str]) -> None:
        self._pattern, self._calls = pattern, calls

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._pattern, name)
        if name in {"match", "fullmatch", "search"}:

            def run(value: str, *args: Any, **kwargs: Any) -> Any:
                self._calls.append(value)
                return attr(value, *args, **kwargs)

            return run
        return attr


@pytest.fixture
def regex_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    # Namespace regexes run on the regex package (for its time limit): record what reaches it.
    compile_ = regex.compile
    monkeypatch.setattr(regex, "compile", lambda *a, **k: _Recording(compile_(*a, **k), calls))
    return calls


def test_a_long_identifier_reaches_no_regex(regex_calls: list[str]) -> None:
    matcher = NamespaceMatcher(loaded(registration())[0])
    assert matcher.matches_user("@_irc_alice:localhost")
    assert regex_calls == ["@_irc_alice:localhost"]  # the recording works
    regex_calls.clear()
    for check in (matcher.matches_user, matcher.user_is_exclusive):
        assert not check(LONG_USER)
    # 255 bytes of multi-byte characters: short in characters, long in bytes
    assert not matcher.matches_alias("#_irc_" + "é" * 130 + ":localhost")
    assert regex_calls == []


def test_the_homeserver_refuses_a_long_asserted_identity_before_any_regex(
    regex_calls: list[str],
) -> None:
    hs = InMemoryHomeserver(loaded(registration()))
    regex_calls.clear()

    async def main() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=hs.app), base_url="http://hs"
        ) as http:
            return await http.get(
                f"{CS}/thirdparty/protocols",
                params={"user_id": LONG_USER},
                headers={"Authorization": f"Bearer {AS_TOKEN}"},
            )

    answer = asyncio.run(main())
    # Longer than a user ID may be: not a user ID at all, refused before any namespace.
    assert answer.status_code == 400 and answer.json()["errcode"] == "M_INVALID_PARAM"
    assert LONG_USER not in regex_calls


def test_identity_assertion_outside_the_namespaces_is_refused() -> None:
    hs = InMemoryHomeserver(loaded(registration()))
    auth = {"Authorization": f"Bearer {AS_TOKEN}"}

    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=hs.app), base_url="http://hs"
        ) as http:
            body = {"type": "m.login.application_service", "username": "_irc_bob"}
            answers = [await http.post(f"{CS}/register", json=body, headers=auth)]
            for user_id in (
                "@_irc_bob:localhost",
                "@alice:localhost",
                "@_slack_bob:localhost",
                "@_irc_bob:elsewhere",
            ):
                answers.append(
                    await http.get(
                        f"{CS}/thirdparty/protocols", params={"user_id": user_id}, headers=auth
                    )
                )
            return answers

    registered, inside, *outside = asyncio.run(main())
    assert registered.status_code == 200
    assert inside.status_code != 403  # inside the namespace the request gets through
    for answer in outside:
        assert (answer.status_code, answer.json()["errcode"]) == (403, "M_FORBIDDEN")


def _put(app: Any, path: str, body: bytes, token: str) -> httpx.Response:
    async def main() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://x"
        ) as http:
            return await http.put(
                path,
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )

    return asyncio.run(main())


def _filler(size: int) -> bytes:
    return b'{"events": [], "pad": "' + b"x" * size + b'"}'


def test_both_servers_refuse_a_body_over_the_limit_with_413() -> None:
    app = create_app(registration(), AppServiceHandler(), max_body_bytes=4096)
    path = "/_matrix/app/v1/transactions/t1"
    assert _put(app, path, _filler(1000), HS_TOKEN).status_code == 200
    big = _put(app, path, _filler(5000), HS_TOKEN)
    assert (big.status_code, big.json()["errcode"]) == (413, "M_TOO_LARGE")

    hs = InMemoryHomeserver(loaded(registration()))
    hs.app.max_body_bytes = 4096
    path = f"{CS}/directory/list/appservice/libera/!nope:localhost"
    small = _put(hs.app, path, b'{"visibility": "public"}', AS_TOKEN)
    assert small.status_code == 400  # read and answered (no such room)
    big = _put(hs.app, path, b'{"visibility": "public", "pad": "' + b"x" * 5000 + b'"}', AS_TOKEN)
    assert (big.status_code, big.json()["errcode"]) == (413, "M_TOO_LARGE")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_registration_file_others_can_read_gets_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "registration.yaml"
    path.write_text(yaml.safe_dump(registration(url="http://localhost:9009")), "utf-8")
    path.chmod(0o600)
    assert load_registration(path).warnings == []
    path.chmod(0o644)
    warnings = [w.message for w in load_registration(path).warnings]
    assert any("other users" in m and "0644" in m and "chmod 600" in m for m in warnings)

    cli = Path(sys.executable).parent / "matrix-appservice"
    out = subprocess.run(
        [str(cli), "validate", "--registration", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "other users" in out.stdout + out.stderr
    assert AS_TOKEN not in out.stdout + out.stderr and HS_TOKEN not in out.stdout + out.stderr
