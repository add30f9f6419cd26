"""Every errcode the operation metadata documents raises a ``MatrixError`` subclass named for
it, in every operation and every release where it is documented, and the classes are exactly
those errcodes: generated from the spec, not a hand list. Also: ``get_protocols()`` answers a
mapping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import pytest
from matrix_appservice import client as clients
from matrix_appservice import models
from matrix_appservice._client_core import Answer, Settings, build_call, read_answer
from matrix_appservice._client_errcodes import ERRCODE_CLASSES
from matrix_appservice.errors import MatrixError
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
        assert getattr(clients, cls.__name__) is cls and cls.__name__ in clients.__all__
        assert errcode in (cls.__doc__ or "")


@pytest.mark.parametrize(("name", "status", "errcode"), DOCUMENTED)
@pytest.mark.parametrize("validate", [False, True])
def test_every_documented_errcode_raises_its_class(
    name: str, status: int, errcode: str, validate: bool
) -> None:
    op = OPERATIONS[name]
    releases = [r for r in op.releases if errcode in op.errcodes(r).get(status, ())]
    assert releases
    body = {"errcode": errcode, "error": "explained"}
    for release in releases:
        settings = Settings("t", release, "auto", validate, time.monotonic)
        plain = Settings("t", release, "auto", False, time.monotonic)  # any request body goes
        call = build_call(plain, op, path={p: "x" for p in op.path_params}, query={}, body={})
        answer = Answer(status, {}, json.dumps(body).encode())
        with pytest.raises(MatrixError) as caught:
            read_answer(call, answer, settings)
        error = caught.value
        assert type(error).__name__ == class_name(errcode), (release, type(error))
        assert type(error) is ERRCODE_CLASSES[errcode]
        assert (error.status, error.errcode, error.error) == (status, errcode, "explained")


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
