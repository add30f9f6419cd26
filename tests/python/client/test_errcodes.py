"""The error classes are exactly the errcodes the operation metadata documents, generated
from the spec, not a hand list, each with the status the spec documents it under (raising
them is in ``test_answers``; answering them in the servers' tests). Also:
``get_protocols()`` answers a mapping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest
from matrix_appservice import errors, models
from matrix_appservice.errors import ERRCODE_CLASSES, MatrixError
from matrix_appservice.operations import OPERATIONS

from tests.python.client.conftest import Kit, Peer
from tests.python.client.test_answers import class_name

DOCUMENTED = sorted(
    {
        (op.name, status, errcode)
        for op in OPERATIONS.values()
        for release in op.releases
        for status, errcodes in op.errcodes(release).items()
        for errcode in errcodes
    }
)


def test_the_metadata_documents_the_errcodes_real_use_met() -> None:
    # Two that raised the bare MatrixError before the classes came from the spec.
    errcodes = {errcode for _, _, errcode in DOCUMENTED}
    assert {"M_USER_IN_USE", "M_UNKNOWN_DEVICE"} <= errcodes
    assert "M_USER_IN_USE" in OPERATIONS["register"].errcodes("v1.19")[400]


def test_the_classes_are_the_documented_errcodes() -> None:
    assert set(ERRCODE_CLASSES) == {errcode for _, _, errcode in DOCUMENTED}
    for errcode, cls in ERRCODE_CLASSES.items():
        assert cls.__name__ == class_name(errcode) and issubclass(cls, MatrixError)
        assert getattr(errors, cls.__name__) is cls and cls.__name__ in errors.__all__
        assert errcode in (cls.__doc__ or "") and cls.ERRCODE == errcode


def test_each_class_has_the_status_the_spec_gives_its_errcode_most() -> None:
    statuses: dict[str, Counter[int]] = {}
    for _name, status, errcode in DOCUMENTED:
        statuses.setdefault(errcode, Counter())[status] += 1
    for errcode, cls in ERRCODE_CLASSES.items():
        most = max(statuses[errcode].values())
        assert cls.STATUS == min(s for s, n in statuses[errcode].items() if n == most), errcode
        error = cls("explained")
        assert (error.status, error.errcode, error.error) == (cls.STATUS, errcode, "explained")
    assert errors.UnrecognizedError.STATUS == 404  # 404 and 405 are documented as often
    assert errors.ForbiddenError.STATUS == 403 and errors.LimitExceededError.STATUS == 429


def test_get_protocols_answers_a_mapping(kit: Kit) -> None:
    protocol = {"user_fields": ["nick"], "location_fields": ["channel"], "icon": "mxc://e/i",
                "field_types": {}, "instances": []}  # fmt: skip
    peer = Peer((200, {"irc": protocol, "xmpp": {**protocol, "user_fields": ["jid"]}}))
    protocols = kit.run(kit.homeserver(peer), "get_protocols")
    assert isinstance(protocols, models.ThirdPartyProtocols) and isinstance(protocols, Mapping)
    assert protocols["irc"].user_fields == ["nick"]
    assert isinstance(protocols["xmpp"], models.ClientProtocol)
    assert list(protocols) == ["irc", "xmpp"] and len(protocols) == 2
    assert [(name, p.user_fields) for name, p in protocols.items()] == [
        ("irc", ["nick"]),
        ("xmpp", ["jid"]),
    ]
    assert list(protocols.keys()) == ["irc", "xmpp"] and len(protocols.values()) == 2
    assert "irc" in protocols and "matrix" not in protocols and protocols.get("matrix") is None
    with pytest.raises(KeyError):
        protocols["matrix"]
    assert dict(protocols) == protocols.root
    assert protocols.model_dump(mode="json")["irc"]["user_fields"] == ["nick"]
