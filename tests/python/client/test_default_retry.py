"""The appservice client's default retry policy is bounded, and every retry is logged."""

from __future__ import annotations

import logging

import httpx
import pytest
from matrix_appservice.errors import RequestFailedError

from tests.python.client.conftest import HS_TOKEN, Kit, Peer


def test_the_default_policy_gives_up_after_eight_sends(
    kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    # The ninth send would be answered: a policy without a bound gets there.
    peer = Peer(*[httpx.ConnectTimeout] * 8, (200, {}))
    client = kit.appservice(peer)  # no retry=: the default policy
    with caplog.at_level(logging.DEBUG, logger="matrix_appservice"):
        with pytest.raises(RequestFailedError) as caught:
            kit.run(client, "send_transaction", "txn-1", {"events": []})
    assert caught.value.attempts == 8 and len(peer.requests) == 8
    assert kit.sleeps == [1, 2, 4, 8, 16, 32, 60]  # about two minutes in all
    retries = [r for r in caplog.records if "again in" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.WARNING] * 7
    assert "try 1 failed" in retries[0].getMessage()
    assert all(HS_TOKEN not in r.getMessage() for r in caplog.records)


def test_a_5xx_retry_is_logged_with_its_status(kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
    peer = Peer((503, {"errcode": "M_UNKNOWN", "error": "busy"}), (200, {}))
    client = kit.appservice(peer)
    with caplog.at_level(logging.WARNING, logger="matrix_appservice"):
        kit.run(client, "send_transaction", "txn-2", {"events": []})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "try 1 failed (503); again in 1.000 s" in warnings[0]
