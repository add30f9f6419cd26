"""The README's table of mautrix-python's event types and msgtypes stays true."""

from __future__ import annotations

import re
from pathlib import Path

from matrix_appservice import models
from matrix_appservice.models import EPHEMERAL_EVENTS, ROOM_EVENTS, TO_DEVICE_EVENTS, VARIANTS
from mautrix.types import EventType, MessageType

README = Path(__file__).resolve().parents[2] / "README.md"
_ROW = re.compile(r"^\| (msgtype )?`([^`]+)` \|[^|]*\| (.+) \|$")


def _rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- parity-table -->", 1)[1].split("<!-- /parity-table -->", 1)[0]
    rows = {}
    for line in table.splitlines():
        match = _ROW.match(line)
        if match:
            rows[("msgtype " if match.group(1) else "") + match.group(2)] = match.group(3)
    return rows


def test_every_mautrix_type_and_msgtype_has_a_row() -> None:
    # The types mautrix declares (its registry also holds those other tests look up).
    declared = [v for v in vars(EventType).values() if isinstance(v, EventType)]
    mautrix = {e.t for e in declared if e.t != "__ALL__"}
    mautrix |= {f"msgtype {m.value}" for m in MessageType}
    assert set(_rows()) == mautrix


def test_the_classes_named_are_the_ones_for_the_type() -> None:
    tables = {**ROOM_EVENTS}
    for name, row in _rows().items():
        named = re.findall(r"`(\w+(?:Event|Content))`", row)
        if name.startswith("msgtype "):
            value = name.removeprefix("msgtype ")
            if value in VARIANTS["m.room.message"][1]:
                assert named == [VARIANTS["m.room.message"][1][value].__name__], name
            else:
                assert "not a msgtype of the spec" in row, name
            continue
        classes = [tables.get(name), EPHEMERAL_EVENTS.get(name), TO_DEVICE_EVENTS.get(name)]
        expected = [c.__name__ for c in classes if c is not None]
        events = [n for n in named if n.endswith("Event") and n not in (
            "ClientEvent", "ToDeviceEvent", "EphemeralEvent")]  # fmt: skip
        assert events == expected, (name, events, expected)
        for model in named:
            assert hasattr(models, model), model
        if not expected:
            assert "no model" in row or "keys kept" in row, name
