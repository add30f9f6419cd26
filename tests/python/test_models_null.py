"""The models and the validator agree on null: a field takes null in a model exactly when the
schema (and so ``validate()``) allows it, for every field of every model."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from matrix_appservice import OPERATIONS, models, targets, validate
from pydantic import BaseModel, TypeAdapter, ValidationError

from codegen.spec import Spec
from tests.helpers import json_path
from tests.python.cases import example_cases

# The models of the spec's schemas; the typed events (``models.typed_events``) extend the
# envelopes with fields of those models, and test_typed_events.py checks them.
MODELS: list[type[BaseModel]] = [
    m for m in (getattr(models, n) for n in models.__all__)
    if isinstance(m, type) and issubclass(m, BaseModel)
    and m.__module__ != "matrix_appservice.models.typed_events"
]  # fmt: skip
ALL_FIELDS = {(m.__name__, name) for m in MODELS for name in m.model_fields}


def _alias(model: type[BaseModel], name: str) -> str:
    return model.model_fields[name].alias or name


def _target_kwargs(target: str) -> dict[str, Any]:
    kind, name, *status = target.split(":")
    return {"response": name, "status": status[0]} if kind == "response" else {kind: name}


def _root_type(target: str) -> Any:
    kind, name, *status = target.split(":")
    if kind == "schema":
        return getattr(models, name)
    op = OPERATIONS[name]
    kind_of = op.request if kind == "request" else op.responses[int(status[0])]
    assert kind_of is not None, target
    return kind_of


def _model_places(
    value: Any, raw: Any, path: tuple[Any, ...]
) -> Iterator[tuple[type[BaseModel], tuple[Any, ...]]]:
    """Each model instance inside a parsed value, with the path of its JSON in ``raw``."""
    if isinstance(value, BaseModel):
        yield type(value), path
        for name in type(value).model_fields:
            alias = _alias(type(value), name)
            if isinstance(raw, dict) and alias in raw:
                # Deprecated fields (login's `user`, ...) warn when read; they are still fields.
                yield from _model_places(value.__dict__[name], raw[alias], (*path, alias))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _model_places(item, raw[index], (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _model_places(item, raw[key], (*path, key))


def _set(raw: Any, path: tuple[Any, ...], key: str, new: Any) -> Any:
    changed = copy.deepcopy(raw)
    node = changed
    for part in path:
        node = node[part]
    node[key] = new
    return changed


def _model_rejects(adapter: TypeAdapter[Any], payload: Any) -> bool:
    try:
        adapter.validate_python(payload)
    except ValidationError:
        return True
    return False


# Models that no example of the spec shows.
EXTRA = [
    ("login with an identity server", "response:login:200", {
        "user_id": "@a:x", "access_token": "t", "device_id": "D",
        "well_known": {"m.homeserver": {"base_url": "https://hs.x"},
                       "m.identity_server": {"base_url": "https://is.x"}},
    }),
]  # fmt: skip


def _examples_agree(spec: Spec) -> set[tuple[str, str]]:
    """Set each field to null in every model of every example; returns the fields covered."""
    covered: set[tuple[str, str]] = set()
    cases = [
        (label, target, value)
        for label, target, _, value in example_cases(spec.ir.release("unstable"))
    ]
    for label, target, value in [*cases, *EXTRA]:
        adapter: TypeAdapter[Any] = TypeAdapter(_root_type(target))
        parsed = adapter.validate_python(value)
        for model, path in _model_places(parsed, value, ()):
            for name in model.model_fields:
                alias = _alias(model, name)
                payload = _set(value, path, alias, None)
                by_model = _model_rejects(adapter, payload)
                by_validator = not validate(
                    payload, version="unstable", **_target_kwargs(target)
                ).valid
                assert by_model == by_validator, (label, json_path((*path, alias)), by_model)
                covered.add((model.__name__, name))
    return covered


def _schemas_agree() -> set[tuple[str, str]]:
    """Each field of each named schema, set to null alone."""
    covered: set[tuple[str, str]] = set()
    named = {t.split(":")[1] for t in targets("unstable") if t.startswith("schema:")}
    for model in MODELS:
        if model.__name__ not in named:
            continue
        for name in model.model_fields:
            alias = _alias(model, name)
            try:
                model.model_validate({alias: None})
                by_model = False
            except ValidationError as exc:
                by_model = any(
                    e["loc"][:1] == (alias,) and e["type"] != "missing" for e in exc.errors()
                )
            result = validate(
                {alias: None}, schema=model.__name__, version="unstable", max_errors=None
            )
            by_validator = json_path((alias,)) in {e.path for e in result.errors}
            assert by_model == by_validator, (model.__name__, alias, by_model)
            covered.add((model.__name__, name))
    return covered


def test_models_and_validator_agree_on_null_for_every_field(spec: Spec) -> None:
    covered = _examples_agree(spec) | _schemas_agree()
    assert covered == ALL_FIELDS, sorted(ALL_FIELDS - covered)


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (models.ClientEvent, {"event_id": "$e", "type": "t", "sender": "@a:x", "origin_server_ts": 1, "content": {}, "room_id": "!r:x"}, "state_key"),
        (models.UnsignedData, {}, "age"),
        (models.Transaction, {"events": []}, "ephemeral"),
        (models.Transaction, {"events": []}, "de.sorunome.msc2409.to_device"),
    ],
)  # fmt: skip
def test_optional_fields_may_be_absent_but_not_null(
    model: type[BaseModel], data: dict[str, Any], field: str
) -> None:
    absent = model.model_validate(data)
    name = next(n for n in model.model_fields if _alias(model, n) == field)
    assert getattr(absent, name) is None
    with pytest.raises(ValidationError):
        model.model_validate({**data, field: None})


def test_fields_whose_schema_allows_null_take_it() -> None:
    reg = {
        "id": "a",
        "url": None,
        "as_token": "a",
        "hs_token": "b",
        "sender_localpart": "b",
        "namespaces": {},
    }
    assert models.Registration.model_validate(reg).url is None
    assert validate(reg, registration=True, version="unstable").valid
