"""Against a real Synapse: every kind of event it pushes to an appservice is typed and valid.

``events_capture.produce`` makes Synapse push messages of every msgtype, edits, replies,
threads, reactions, redactions, stickers, calls, an in-room verification, every piece of
state, typing, receipts, presence and to-device messages. Each transaction must validate
with its contents checked, and each entry must parse into the class of its type (and its
msgtype), no fallback used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from matrix_appservice import validate

from tests.interop import events_capture
from tests.python.test_synapse_events import check_typed

pytestmark = pytest.mark.synapse


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    with events_capture.running(tmp_path_factory.mktemp("synapse")) as (server, appservice):
        sent = events_capture.produce(server.base_url)
        events_capture.wait_for_all(appservice, sent)
        yield events_capture.transactions(appservice)


def test_every_event_synapse_pushes_is_valid_with_its_content(
    bodies: list[dict[str, Any]],
) -> None:
    for body in bodies:
        result = validate(body, request="sendTransaction", content=True, version="unstable")
        assert result.valid, (result.errors, body)


def test_every_event_synapse_pushes_is_typed_without_fallback(
    bodies: list[dict[str, Any]],
) -> None:
    for body in bodies:
        check_typed(body)
    got = events_capture.arrived(bodies)
    assert len(got.room) >= 40 and len(got.msgtypes) == 10 and len(got.to_device) >= 10
