"""The generated models are arranged into topic modules."""

from __future__ import annotations

import importlib

import pytest
from matrix_appservice import models

from codegen.errors import GeneratorError
from codegen.python.split import _check_acyclic, module_of_source


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("events", {"ClientEvent", "UnsignedData", "EphemeralEvent", "ToDeviceEvent"}),
        ("registration", {"Registration", "Namespaces", "Namespace"}),
        ("thirdparty", {"Protocol", "ProtocolInstance", "FieldType", "Location", "ThirdPartyUser"}),
        ("appservice", {"Transaction", "PingRequest", "QueryUserResponse"}),
        (
            "client",
            {"RegisterRequest", "PingAppserviceResponse", "PublicRoomsResponse", "UserIdentifier"},
        ),
        ("errors", {"Error", "RateLimitError"}),
        ("content", {"RoomMessageContent", "TextMessageContent", "RelatesTo", "TypingContent"}),
        ("typed_events", {"RoomMessageEvent", "TypingEvent", "TypedTransaction"}),
    ],
)
def test_models_live_in_their_topic_module(module: str, names: set[str]) -> None:
    loaded = importlib.import_module(f"matrix_appservice.models.{module}")
    assert names <= set(loaded.__all__)
    for name in names:
        assert getattr(models, name) is getattr(loaded, name)
        assert getattr(loaded, name).__module__ == f"matrix_appservice.models.{module}"


def test_every_model_is_exported_once() -> None:
    seen: dict[str, str] = {}
    modules = (
        "appservice", "client", "content", "errors", "events", "registration", "thirdparty",
        "typed_events",
    )  # fmt: skip
    for module in modules:
        for name in importlib.import_module(f"matrix_appservice.models.{module}").__all__:
            assert name not in seen, (name, module, seen.get(name))
            seen[name] = module
    assert sorted(seen, key=str.lower) == list(models.__all__)


def test_cross_module_references_resolve() -> None:
    tx = models.Transaction.model_validate(
        {"events": [], "ephemeral": [{"type": "m.presence", "content": {}}]}
    )
    assert isinstance(tx.ephemeral[0], models.EphemeralEvent)  # type: ignore[index]


def test_unmapped_definitions_follow_their_users_and_cycles_are_errors() -> None:
    assert module_of_source("application-service/transactions.yaml") == "appservice"
    assert module_of_source("definitions/namespace.yaml") == "registration"
    assert module_of_source("definitions/new.yaml") is None  # placed with its first user
    with pytest.raises(GeneratorError, match="import each other: client -> events -> client"):
        _check_acyclic({"events": {"client"}, "client": {"events"}})
    _check_acyclic({"events": set(), "appservice": {"events"}})
