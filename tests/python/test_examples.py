"""Every example of the spec passes the generated models and the validator; invalid payloads
are rejected with the right JSON path."""

from __future__ import annotations

from typing import Any

import matrix_appservice
import pytest
from matrix_appservice import OPERATIONS, models, validate
from pydantic import TypeAdapter

from codegen.spec import Spec
from tests.python.cases import example_cases


def _model_for(target: str) -> Any:
    """The type the package's metadata gives a validation target."""
    kind, name, *status = target.split(":")
    if kind == "schema":
        return getattr(models, name)
    op = OPERATIONS[name]
    return op.request if kind == "request" else op.responses[int(status[0])]


def test_every_example_passes_the_validator_in_every_release(spec: Spec) -> None:
    checked = 0
    for release in spec.releases:
        for label, target, _, value in example_cases(spec.ir.release(release)):
            kind, name, *status = target.split(":")
            kwargs: dict[str, Any] = (
                {kind: name} if kind != "response" else {"response": name, "status": status[0]}
            )
            result = validate(value, version=release.name, **kwargs)
            assert result.valid, (release.name, label, result.errors)
            checked += 1
    assert checked > 1000


def test_every_example_parses_with_the_generated_models(spec: Spec) -> None:
    checked = 0
    for _label, target, _, value in example_cases(spec.ir.release("unstable")):
        kind = _model_for(target)
        assert kind is not None, target
        TypeAdapter(kind).validate_python(value)
        checked += 1
    assert checked > 100


EVENT = {
    "event_id": "$e", "type": "m.room.message", "sender": "@a:example.org",
    "origin_server_ts": 1, "content": {"body": "hi"}, "room_id": "!r:example.org",
}  # fmt: skip

INVALID: list[tuple[dict[str, Any], Any, str, str]] = [
    ({"request": "sendTransaction"}, {}, "$", "required"),
    ({"request": "sendTransaction"}, {"events": {}}, "$.events", "type"),
    ({"request": "sendTransaction"}, {"events": [{**EVENT, "origin_server_ts": "1"}]}, "$.events[0].origin_server_ts", "type"),
    ({"request": "sendTransaction"}, {"events": [{k: v for k, v in EVENT.items() if k != "room_id"}]}, "$.events[0]", "required"),
    ({"request": "sendTransaction", "version": "v1.13"}, {"events": [], "ephemeral": [{"type": "m.typing", "content": {}}]}, "$.ephemeral[0]", "required"),
    ({"request": "ping"}, {"transaction_id": 5}, "$.transaction_id", "type"),
    ({"request": "pingAppservice"}, {"transaction_id": []}, "$.transaction_id", "type"),
    ({"response": "pingAppservice", "status": 200}, {}, "$", "required"),
    ({"response": "pingAppservice", "status": 502}, {"errcode": "M_NOPE"}, "$.errcode", "enum"),
    ({"request": "updateAppserviceRoomDirectoryVisibility"}, {"visibility": "hidden"}, "$.visibility", "enum"),
    ({"response": "getProtocolMetadata", "status": 200}, {"user_fields": []}, "$", "required"),
    ({"response": "queryLocationByAlias", "status": 200}, [{"alias": "#a:x", "protocol": "irc"}], "$[0]", "required"),
    ({"response": "queryUserById", "status": 404}, {"error": "x"}, "$", "required"),
    ({"schema": "ClientEvent"}, {**EVENT, "unsigned": {"age": "old"}}, "$.unsigned.age", "type"),
    ({"registration": True}, {"id": "x"}, "$", "required"),
    ({"registration": True, "version": "v1.14"}, {"id": "a", "url": None, "as_token": "a", "hs_token": "b", "sender_localpart": "b", "namespaces": {}}, "$.url", "type"),
    ({"request": "register"}, {"type": "m.login.password"}, "$.type", "const"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "payload", "path", "keyword"), INVALID)
def test_invalid_payloads_are_rejected_with_their_path(
    target: dict[str, Any], payload: Any, path: str, keyword: str
) -> None:
    result = validate(payload, **target)
    assert not result.valid
    assert (path, keyword) in {(e.path, e.keyword) for e in result.errors}, result.errors


def test_registration_url_null_is_valid_from_v1_15() -> None:
    reg = {
        "id": "a",
        "url": None,
        "as_token": "a",
        "hs_token": "b",
        "sender_localpart": "b",
        "namespaces": {},
    }
    assert validate(reg, registration=True, version="v1.15").valid
    assert not validate(reg, registration=True, version="v1.14").valid


def test_bytes_text_and_parsed_agree() -> None:
    body = b'{"events": [], "ephemeral": []}'
    for payload in (body, body.decode(), memoryview(body), {"events": [], "ephemeral": []}):
        assert validate(payload, request="sendTransaction").valid


def test_malformed_json_is_reported_with_its_position() -> None:
    result = validate(b'{"events": [', request="sendTransaction")
    assert [(e.path, e.keyword) for e in result.errors] == [("$", "json")]
    assert "line 1 column 13" in result.errors[0].message


def test_integers_beyond_64_bits_are_json() -> None:
    assert validate(
        b'{"duration_ms": 123456789012345678901234567890}', response="pingAppservice", status=200
    ).valid
    assert not validate(b'{"duration_ms": NaN}', response="pingAppservice", status=200).valid


def test_unknown_targets_and_releases_are_clear() -> None:
    with pytest.raises(
        ValueError, match=r"'ping' does not exist in v1.6 \(it exists in v1.7 to unstable\)"
    ):
        validate({}, request="ping", version="1.6")
    with pytest.raises(ValueError, match=r"unknown release 'v2\.0'"):
        validate({}, request="ping", version="v2.0")
    with pytest.raises(ValueError, match="needs its status"):
        validate({}, response="ping")
    with pytest.raises(ValueError, match="exactly one"):
        validate({}, request="ping", schema="Error")
    with pytest.raises(ValueError, match="unknown schema 'Nope'"):
        validate({}, schema="Nope")


def test_raise_for_errors() -> None:
    result = validate({}, request="sendTransaction")
    with pytest.raises(
        matrix_appservice.PayloadError, match=r"\$: \"events\" is a required property"
    ):
        result.raise_for_errors()
    validate({"events": []}, request="sendTransaction").raise_for_errors()


def test_models_are_strict_and_keep_extra_keys() -> None:
    with pytest.raises(ValueError):
        models.ClientEvent.model_validate({**EVENT, "origin_server_ts": "1"})
    event = models.ClientEvent.model_validate({**EVENT, "user_id": "@a:example.org", "age": 3})
    assert event.model_extra == {"user_id": "@a:example.org", "age": 3}
    assert event.content == {"body": "hi"}
    tx = models.Transaction.model_validate_json(
        b'{"events": [], "org.matrix.msc3202.device_lists": {"changed": ["@a:x"]}}'
    )
    assert tx.org_matrix_msc3202_device_lists is not None
    assert tx.model_dump(by_alias=True, exclude_none=True)["org.matrix.msc3202.device_lists"] == {
        "changed": ["@a:x"]
    }


def test_every_operation_rejects_payloads_missing_a_required_key(spec: Spec) -> None:
    """For each operation: every example object loses each required key in turn."""
    doc = spec.bundle("unstable")
    from matrix_appservice import targets

    compact = {t for t in targets("unstable")}
    rejected: dict[str, int] = {}
    for _label, target, spath, value in example_cases(spec.ir.release("unstable")):
        if not isinstance(value, dict) or target.startswith("schema:") or target not in compact:
            continue
        schema = doc
        for part in spath:
            schema = schema[part]
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        for key in schema.get("required", []):
            if key not in value:
                continue
            broken = {k: v for k, v in value.items() if k != key}
            kind, name, *status = target.split(":")
            kwargs: dict[str, Any] = (
                {"response": name, "status": status[0]} if kind == "response" else {kind: name}
            )
            result = validate(broken, version="unstable", **kwargs)
            assert ("$", "required") in {(e.path, e.keyword) for e in result.errors}, (target, key)
            assert any(f'"{key}"' in e.message for e in result.errors), (target, key)
            op_name = name
            rejected[op_name] = rejected.get(op_name, 0) + 1
    assert set(rejected) == set(OPERATIONS), set(OPERATIONS) - set(rejected)
