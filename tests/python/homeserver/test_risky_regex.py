"""A namespace regex that can backtrack catastrophically: refused at start unless allowed, and
when allowed, a crafted user ID it is slow on holds up no queue."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from matrix_appservice.client import RetryPolicy
from matrix_appservice.homeserver import HomeserverApp, InMemoryHomeserver, RiskyRegexError
from matrix_appservice.homeserver.pusher import Pusher
from matrix_appservice.models import Registration
from matrix_appservice.server import AppServiceHandler, create_app

from tests.python.homeserver.support import AS_TOKEN, loaded, registration

RISKY = "@_irc_(a|aa)+:localhost"  # alternatives that match the same text, repeated
CRAFTED = "@_irc_" + "a" * 60 + ":remote.test"  # every split of the a's is tried, then fails
CS = "/_matrix/client/v3"


def _reg(**changes: Any) -> dict[str, Any]:
    return registration(
        url="http://irc.test",
        namespaces={"users": [{"regex": RISKY, "exclusive": True}]},
        **changes,
    )


def test_a_risky_regex_is_refused_at_start_unless_allowed() -> None:
    with pytest.raises(RiskyRegexError) as refused:
        InMemoryHomeserver(loaded(_reg()))
    message = str(refused.value)
    assert f"registration 'irc': namespaces.users[0].regex '{RISKY}'" in message
    assert "allow_risky_regex=True" in message
    assert isinstance(refused.value, ValueError)  # what the command line reports cleanly
    hs = InMemoryHomeserver(loaded(_reg()), allow_risky_regex=True)
    assert list(hs.appservices) == ["irc"]
    model = Registration.model_validate(_reg())
    with pytest.raises(RiskyRegexError):
        HomeserverApp([model], hs, server_name="localhost")
    safe = InMemoryHomeserver(loaded(registration()))  # "@_irc_.*:localhost" is fine
    assert list(safe.appservices) == ["irc"]


class Bridge(AppServiceHandler):
    """Keeps the events that are not its own echoes, as a bridge's handler does."""

    def __init__(self) -> None:
        self.foreign: list[str] = []
        self.seen: list[str] = []

    async def send_transaction(self, transaction: Any) -> None:
        foreign = transaction.foreign_events()
        self.seen += [e.event_id for e in transaction.events]
        self.foreign += [e.event_id for e in foreign]


def _timeouts(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == logger and r.levelno == logging.ERROR and "ran out of time" in r.getMessage()
    ]


def test_a_crafted_remote_user_holds_up_no_transaction(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The remote user's events still go out, and so does everything after them; the
    pusher and the appservice each log one ERROR line naming the regex, not the user ID."""
    bridge = Bridge()
    appservice = create_app(_reg(), bridge, store="memory", server_name="localhost")
    hs = InMemoryHomeserver(
        loaded(_reg()),
        pusher_store=tmp_path / "pusher.sqlite3",
        appservice_transport=httpx.ASGITransport(app=appservice),
        allow_risky_regex=True,
    )

    async def main() -> list[str]:
        await hs.startup()
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=hs.app), base_url="http://hs"
            ) as http:
                auth = {"Authorization": f"Bearer {AS_TOKEN}"}
                made = await http.post(f"{CS}/createRoom", json={}, headers=auth)
                room = hs.state.rooms[made.json()["room_id"]]
                # As federation would bring them in: the crafted user joins and speaks.
                hs.state.set_membership(room, CRAFTED, CRAFTED, "join")
                spoken = hs.state.add_event(room, CRAFTED, "m.room.message", {"body": "hi"})
                again = hs.state.add_event(room, CRAFTED, "m.room.message", {"body": "again"})
                after = await http.put(
                    f"{CS}/rooms/{room.room_id}/send/m.room.message/t1",
                    json={"body": "later"},
                    headers=auth,
                )
                assert after.status_code == 200
                assert hs.transaction_pusher is not None
                await hs.transaction_pusher.drain(20)
                return [spoken["event_id"], again["event_id"], after.json()["event_id"]]
        finally:
            await hs.shutdown()
            await appservice.close()

    with caplog.at_level(logging.ERROR):
        spoken, again, later = asyncio.run(main())
    assert bridge.seen[-3:] == [spoken, again, later]
    assert spoken in bridge.foreign and again in bridge.foreign
    for logger in ("matrix_appservice.homeserver.pusher", "matrix_appservice.server"):
        lines = _timeouts(caplog, logger)
        assert len(lines) == 1, (logger, [r.getMessage() for r in caplog.records])
        message = lines[0].getMessage()
        assert RISKY in message and "namespaces.users" in message
        assert "a" * 60 not in message and len(message) < 300
    assert "irc" in _timeouts(caplog, "matrix_appservice.homeserver.pusher")[0].getMessage()


def test_the_router_remembers_an_identifier_its_regex_was_slow_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pusher = Pusher(
        [_reg()], store_path=tmp_path / "p.sqlite3", retry=RetryPolicy(), server_name="localhost"
    )
    event = {
        "event_id": "$1", "room_id": "!r:localhost", "sender": CRAFTED,
        "type": "m.room.member", "state_key": CRAFTED, "origin_server_ts": 1,
        "content": {"membership": "join"},
    }  # fmt: skip
    try:
        with caplog.at_level(logging.ERROR):
            assert pusher.push(event) == ()
            assert pusher.push({**event, "event_id": "$2"}) == ()
            assert pusher.push({**event, "sender": "@ircbot:localhost"}) == ("irc",)
    finally:
        pusher.store.close()
    assert len(_timeouts(caplog, "matrix_appservice.homeserver.pusher")) == 1
