"""The README's table of mautrix ``IntentAPI`` methods and their counterparts here is true:
every ``IntentAPI`` name in it is a method of mautrix's ``IntentAPI``, every name on the right
is a method of both homeserver clients, and every typed call of the everyday set appears."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from matrix_appservice.client import AsyncHomeserverClient, HomeserverClient
from matrix_appservice.operations import OPERATIONS

IntentAPI = pytest.importorskip("mautrix.appservice").IntentAPI

README = Path(__file__).resolve().parent.parent / "README.md"
_CALL = re.compile(r"`([a-z_0-9]+)\(")


def _rows() -> list[tuple[list[str], list[str]]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("| `IntentAPI` (mautrix")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        left, right = line.split(" | ", 1)
        rows.append((_CALL.findall(left), _CALL.findall(right)))
    return rows


def test_every_name_in_the_table_exists_on_its_side() -> None:
    rows = _rows()
    assert len(rows) > 40
    for theirs, ours in rows:
        assert theirs and ours, (theirs, ours)
        for name in theirs:
            assert callable(getattr(IntentAPI, name, None)), f"IntentAPI has no {name}()"
        for name in ours:
            for cls in (HomeserverClient, AsyncHomeserverClient):
                assert callable(getattr(cls, name, None)), f"{cls.__name__} has no {name}()"


def test_the_table_names_every_typed_client_server_call_a_bridge_makes() -> None:
    named = {name for _, ours in _rows() for name in ours}
    outside = {"register", "login", "ping_appservice", "update_device", "request"}
    everyday = {
        op.python_name for op in OPERATIONS.values()
        if op.api == "client-server" and op.until is None
        and not op.deprecated_in and op.name not in ("getVersions",)
    }  # fmt: skip
    # The lookups, the public room list, the room directory of networks and device deletion
    # have no IntentAPI counterpart; every other call of the spec is in the table.
    no_counterpart = {
        "get_protocols", "get_protocol_metadata", "query_location_by_alias",
        "query_location_by_protocol", "query_user_by_id", "query_user_by_protocol",
        "query_public_rooms", "get_public_rooms", "update_appservice_room_directory_visibility",
        "delete_device", "delete_devices", "get_local_aliases",
    }  # fmt: skip
    missing = everyday - named - no_counterpart - outside
    assert not missing, sorted(missing)
