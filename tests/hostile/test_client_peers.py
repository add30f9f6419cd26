"""The clients against a peer that answers one byte at a time, in a child process.

``timeout`` bounds a whole call (connecting, sending, reading the answer to its last byte),
on every backend: a peer whose bytes come well inside the timeout of one read still cannot
hold a call longer than its timeout, and each retry gets one timeout more. The child runs
under a wall-clock ceiling, so a call that would never end fails the test instead of
hanging it.
"""

from __future__ import annotations

import json
import math
import sys

import pytest
from matrix_appservice.client import (
    AppServiceClient,
    AsyncAppServiceClient,
    AsyncHomeserverClient,
    HomeserverClient,
)

from tests.hostile.bounded import run_bounded
from tests.hostile.peers import serving, trickle

CALL = """
import asyncio, json, sys, time
from matrix_appservice import client as clients, errors
kind, direction, url = sys.argv[1:]
prefix = "" if kind == "sync" else "Async"
options = {"backend": "aiohttp"} if kind == "aiohttp" else {}
if direction == "homeserver":
    peer = getattr(clients, prefix + "HomeserverClient")(url, "token", timeout=1, **options)
    call = peer.get_protocols
else:  # a query: tried query_attempts=2 times
    peer = getattr(clients, prefix + "AppServiceClient")(url, "token", timeout=1, **options)
    call = lambda: peer.query_user("@u:example.org")
start = time.monotonic()
try:
    call() if kind == "sync" else asyncio.run(call())
except errors.RequestFailedError as exc:
    print(json.dumps({"error": str(exc), "attempts": exc.attempts,
                      "cause": type(exc.__cause__).__name__,
                      "seconds": time.monotonic() - start}))
"""


@pytest.mark.parametrize("kind", ["sync", "async", "aiohttp"])
@pytest.mark.parametrize("direction", ["homeserver", "appservice"])
def test_a_call_to_a_trickling_peer_ends_after_its_timeout(kind: str, direction: str) -> None:
    with serving(trickle(0.25), drain=False) as url:  # a byte every 0.25 s: no read times out
        outcome = run_bounded([sys.executable, "-c", CALL, kind, direction, url], timeout=40)
    outcome.check_clean(codes=[0], seconds=40)
    result = json.loads(outcome.stdout)
    attempts = 1 if direction == "homeserver" else 2  # each attempt with a timeout of its own
    assert result["attempts"] == attempts, result
    assert "no complete answer within 1 s" in result["error"], result
    assert result["seconds"] < 10 * attempts, result  # generous: a loaded machine is slow
    assert result["cause"] == ("ReadTimeout" if kind == "sync" else "TimeoutError"), result


@pytest.mark.parametrize(
    "cls", [AppServiceClient, AsyncAppServiceClient, HomeserverClient, AsyncHomeserverClient]
)
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -1, 0, "3"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(
    cls: type, value: object
) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        cls("http://127.0.0.1:9", "token", timeout=value)
