"""Hostile requests against the in-memory homeserver and the appservice server, each run in a
child process with a ceiling on time and memory: every answer is the documented 4xx (never a
500, never a traceback), and what a refused request carried is not stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.hostile.bounded import run_python

SECONDS = 20.0
PEAK_MB = 400.0

HOMESERVER = """
import asyncio, json, sys
import httpx
from matrix_appservice.homeserver import InMemoryHomeserver
from matrix_appservice.registration import LoadedRegistration

REG = {{"id": "irc", "url": None, "as_token": "as-hostile-1", "hs_token": "hs-hostile-1",
        "sender_localpart": "ircbot",
        "namespaces": {{"users": [{{"regex": "@_irc_.*:localhost", "exclusive": True}}]}}}}
AS = {{"Authorization": "Bearer as-hostile-1"}}
CASE = {case!r}

async def main():
    hs = InMemoryHomeserver([LoadedRegistration("<irc>", REG)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hs.app), base_url="http://hs") as http:
        async def call(method, path, body=None, raw=None, **query):
            query.setdefault("user_id", "@_irc_alice:localhost")
            return await http.request(method, "/_matrix/client/v3" + path, json=body,
                                      content=raw, params=query, headers=AS)
        await call("POST", "/register", {{"type": "m.login.application_service",
                                          "username": "_irc_alice"}}, user_id="@ircbot:localhost")
        room = (await call("POST", "/createRoom", {{}})).json()["room_id"]
        before = len(hs.state.events), len(hs.pusher.events), len(hs.state.rooms)
        send = f"/rooms/{{room}}/send/m.room.message/t1"
        answers = []
        for _ in range(3):  # the same request again, as a client retries it
            if CASE == "event over 64 KiB":
                got = await call("PUT", send, {{"body": "x" * 70_000}})
            elif CASE == "nesting 300 to 1100 levels":
                got = None
                for depth in (300, 1000, 1100):
                    raw = b'{{"a":' * depth + b"1" + b"}}" * depth
                    got = await call("PUT", send, raw=raw)
                    answers.append([depth, got.status_code, got.json().get("errcode")])
                continue
            elif CASE == "5000-digit pagination":
                got = await call("GET", f"/rooms/{{room}}/messages", dir="b", limit="9" * 5000, **{{"from": "9" * 5000}})
            elif CASE == "a list as creation_content":
                got = await call("POST", "/createRoom", {{"creation_content": list(range(100_000))}})
            elif CASE == "a 60 KB user_id":
                got = await call("PUT", send, {{"body": "x"}}, user_id="@" + "a" * 60_000 + ":localhost")
            answers.append([got.status_code, got.json().get("errcode")])
        after = len(hs.state.events), len(hs.pusher.events), len(hs.state.rooms)
        print(json.dumps({{"answers": answers, "stored": after == before}}))

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("event over 64 KiB", [[413, "M_TOO_LARGE"]] * 3),
        # orjson writes 254 levels at most; deeper than 1024 is not read as JSON at all.
        ("nesting 300 to 1100 levels", [[300, 400, "M_BAD_JSON"], [1000, 400, "M_BAD_JSON"],
                                        [1100, 400, "M_NOT_JSON"]] * 3),
        ("5000-digit pagination", [[400, "M_INVALID_PARAM"]] * 3),
        ("a list as creation_content", [[400, "M_BAD_JSON"]] * 3),
        ("a 60 KB user_id", [[400, "M_INVALID_PARAM"]] * 3),
    ],
)  # fmt: skip
def test_hostile_requests_to_the_homeserver_store_nothing(case: str, expected: list[Any]) -> None:
    outcome = run_python(HOMESERVER.format(case=case), timeout=60)
    outcome.check_clean(codes=[0], seconds=SECONDS, peak_mb=PEAK_MB)
    report = json.loads(outcome.stdout)
    assert report["answers"] == expected
    assert report["stored"], "a refused request left an event, a pushed event or a room behind"


APPSERVICE = """
import asyncio, json, logging
import httpx
from matrix_appservice.server import AppServiceHandler, create_app

REG = {{"id": "echo", "url": None, "as_token": "as-hostile-2", "hs_token": "hs-hostile-2",
        "sender_localpart": "echobot", "namespaces": {{}}}}
AUTH = {{"Authorization": "Bearer hs-hostile-2"}}
faults = []

class Faults(logging.Handler):
    def emit(self, record):
        faults.append(record.getMessage())

logging.getLogger("matrix_appservice.server").addHandler(Faults(logging.WARNING))

class Slow(AppServiceHandler):
    calls = 0
    async def send_transaction(self, transaction):
        Slow.calls += 1
        await asyncio.sleep(0.2)

def body(n):
    return {{"events": [{{"event_id": f"$e{{n}}-{{i}}", "room_id": "!r:x", "sender": "@u:x",
                         "type": "m.room.message", "origin_server_ts": 1, "content": {{}}}}
                        for i in range(50)]}}

async def main():
    app = create_app(REG, Slow(), store={store!r})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://as") as http:
        copies = [http.put("/_matrix/app/v1/transactions/{txn}", json=body(n % {bodies}), headers=AUTH)
                  for n in range(200)]
        answers = await asyncio.gather(*copies)
    await app.close()
    print(json.dumps({{"statuses": sorted({{a.status_code for a in answers}}), "calls": Slow.calls,
                      "faults": len(faults), "tokens_logged": any("hs-hostile-2" in f for f in faults)}}))

asyncio.run(main())
"""


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_200_racing_copies_of_many_bodies_under_one_transaction_id(
    store: str, tmp_path: Any
) -> None:
    """A homeserver that sends 200 copies of 7 different bodies under one ID at once: the
    handler runs once, every copy is answered 200, each copy with other events is logged."""
    spec = "memory" if store == "memory" else f"sqlite:{tmp_path / 'txns.sqlite3'}"
    code = APPSERVICE.format(store=spec, txn="t" * 200, bodies=7)
    outcome = run_python(code, timeout=60)
    outcome.check_clean(codes=[0], seconds=SECONDS, peak_mb=PEAK_MB)
    report = json.loads(outcome.stdout)
    assert report["statuses"] == [200] and report["calls"] == 1
    assert report["faults"] == 200 - len(range(0, 200, 7))  # the copies of the 6 other bodies
    assert not report["tokens_logged"]


ROUTING = """
import json, logging, sys
from matrix_appservice.homeserver import InMemoryHomeserver, RiskyRegexError
from matrix_appservice.homeserver.pusher import Pusher
from matrix_appservice.registration import LoadedRegistration

REG = {{"id": "irc", "url": "http://irc.test", "as_token": "as-hostile-3",
        "hs_token": "hs-hostile-3", "sender_localpart": "ircbot",
        "namespaces": {{"users": [{{"regex": "@_irc_(a|aa)+:localhost", "exclusive": True}}]}}}}
lines = []

class Lines(logging.Handler):
    def emit(self, record):
        lines.append(record.getMessage())

logging.getLogger("matrix_appservice").addHandler(Lines(logging.ERROR))
try:
    InMemoryHomeserver([LoadedRegistration("<irc>", REG)])
    refused = None
except RiskyRegexError as exc:
    refused = str(exc).splitlines()[0]
pusher = Pusher([REG], store_path={store!r}, server_name="localhost")
crafted = "@_irc_" + "a" * 60 + ":remote.test"
routed = set()
for n in range({count}):
    event = {{"event_id": f"${{n}}", "room_id": "!r:localhost", "sender": crafted,
              "type": "m.room.message", "origin_server_ts": 1, "content": {{}}}}
    routed.add(pusher.push(event))
pusher.store.close()
print(json.dumps({{"refused": refused, "routed": sorted(routed), "errors": lines}}))
"""


def test_a_crafted_sender_costs_one_time_out_not_one_per_event(tmp_path: Any) -> None:
    """1,000 events from a user ID that a risky regex is slow on: the regex runs out of time
    once (0.1 s), not 1,000 times; one ERROR line; and the risky registration is refused at
    start unless allowed."""
    code = ROUTING.format(store=str(tmp_path / "p.sqlite3"), count=1000)
    outcome = run_python(code, timeout=60)
    outcome.check_clean(codes=[0], seconds=SECONDS, peak_mb=PEAK_MB)
    report = json.loads(outcome.stdout)
    assert report["refused"] == (
        "registration 'irc': namespaces.users[0].regex '@_irc_(a|aa)+:localhost' can take "
        "exponential time to match: a repeated part has alternatives that can match the same text"
    )
    assert report["routed"] == [[]]
    assert len(report["errors"]) == 1 and "a" * 60 not in report["errors"][0]
