"""The validator's limits: nesting depth, how many problems it lists and in which order, how
much of a value a message quotes, text that is not UTF-8, and exact target names."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest
from matrix_appservice import MAX_DEPTH, PayloadError, validate, validator_for

from codegen.spec import Spec
from tests.helpers import PREVIEW, json_path
from tests.python.cases import example_cases, mutations

EVENT = {
    "event_id": "$e", "type": "m.room.message", "sender": "@a:example.org",
    "origin_server_ts": 1, "content": {"body": "hi"}, "room_id": "!r:example.org",
}  # fmt: skip


def _nested(levels: int, inner: bytes = b"") -> bytes:
    return b"[" * levels + inner + b"]" * levels


# -- nesting ---------------------------------------------------------------------------------


def test_json_nested_deeper_than_the_limit_is_invalid_not_an_exception() -> None:
    for payload in (_nested(2000), _nested(2000).decode(), _nested(2000, b"1" * 30)):
        result = validate(payload, request="sendTransaction")
        assert [(e.path, e.keyword) for e in result.errors] == [("$", "json")]
        assert f"nested deeper than {MAX_DEPTH} levels" in result.errors[0].message


def test_the_depth_limit_is_exact() -> None:
    # The event's content adds levels: {"events": [ {"content": {"a": ...}} ]} is 4 deep.
    def body(levels: int) -> bytes:
        content = b'{"a":' + _nested(levels - 4) + b"}"
        event = b'{"event_id":"$e","type":"t","sender":"@a:x","origin_server_ts":1,"room_id":"!r:x","content":'
        return b'{"events":[' + event + content + b"}]}"

    assert validate(body(MAX_DEPTH), request="sendTransaction").valid
    deeper = validate(body(MAX_DEPTH + 1), request="sendTransaction")
    assert "nested deeper" in deeper.errors[0].message


def test_numbers_beyond_a_double_use_the_stdlib_parser_within_the_same_limit() -> None:
    # orjson refuses 1e400; the stdlib parser takes it, at any depth up to the limit.
    shallow = validate(_nested(MAX_DEPTH - 1, b"1e400"), request="sendTransaction")
    assert [(e.path, e.keyword) for e in shallow.errors] == [("$", "type")]
    deep = validate(_nested(MAX_DEPTH + 100, b"1e400"), request="sendTransaction")
    assert "nested deeper" in deep.errors[0].message


def test_an_integer_with_more_digits_than_python_reads_is_named_as_such() -> None:
    import sys

    limit = sys.get_int_max_str_digits()
    fits = validate(b'{"events": [], "x": -' + b"9" * limit + b"}", request="sendTransaction")
    assert fits.valid
    for digits in (limit + 1, 10_000_000):
        result = validate(
            b'{"events": [], "x": -' + b"9" * digits + b"}", request="sendTransaction"
        )
        assert [(e.path, e.keyword, e.message) for e in result.errors] == [
            ("$", "json", f"a number of {digits:,} digits at line 1 column 21 (char 20): "
                          f"more than the {limit:,} this parser reads")
        ]  # fmt: skip


@pytest.mark.parametrize("levels", [255, 256, 300, 1000])
def test_deep_invalid_payloads_report_their_problem(levels: int) -> None:
    array = validate(b'{"events":[' + _nested(levels) + b"]}", request="sendTransaction")
    assert [(e.path, e.keyword) for e in array.errors] == [("$.events[0]", "type")]
    assert array.errors[0].message == "[" * PREVIEW + '… is not of type "object"'
    objects = b'{"events":[{"content":' + b'{"a":' * levels + b"1" + b"}" * levels + b"}]}"
    result = validate(objects, request="sendTransaction")
    assert {e.path for e in result.errors} == {"$.events[0]"}
    assert len(result.errors) == 5  # the five required keys besides content


def test_parsed_payloads_of_any_depth_are_answered() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert not validate({"events": [deep]}, request="sendTransaction").valid
    assert validate(
        {"events": [{**EVENT, "content": {"a": deep}}]}, request="sendTransaction"
    ).valid


# -- how many problems, in which order, how long ----------------------------------------------


def _bad_events(count: int) -> dict[str, Any]:
    return {"events": [{**EVENT, "origin_server_ts": str(i)} for i in range(count)]}


def test_at_most_max_errors_problems_are_listed_and_the_rest_counted() -> None:
    result = validate(_bad_events(300), request="sendTransaction")
    assert len(result.errors) == 100 and result.more == 200 and result.complete
    assert result.omitted == "... and 200 more"
    small = validate(_bad_events(300), request="sendTransaction", max_errors=5)
    assert len(small.errors) == 5 and small.more == 295
    everything = validate(_bad_events(300), request="sendTransaction", max_errors=None)
    assert len(everything.errors) == 300 and everything.more == 0
    with pytest.raises(PayloadError, match=r"\.\.\. and 295 more"):
        small.raise_for_errors()
    with pytest.raises(ValueError, match="max_errors must be at least 1"):
        validate({}, request="sendTransaction", max_errors=0)


def test_counting_stops_and_says_so() -> None:
    result = validate(_bad_events(5000), request="sendTransaction", max_errors=10)
    assert len(result.errors) == 10 and not result.complete
    assert result.more == 1000 and result.omitted == "... and at least 1,000 more"


def test_problems_come_in_document_order() -> None:
    result = validate(_bad_events(12), request="sendTransaction")
    paths = [e.path for e in result.errors]
    assert paths == [f"$.events[{i}].origin_server_ts" for i in range(12)]
    # Keys count in the order they are written, not alphabetically.
    event = {
        "sender": 1,
        "type": 2,
        "event_id": 3,
        "origin_server_ts": 0,
        "content": {},
        "room_id": "!r",
    }
    result = validate({"events": [event]}, request="sendTransaction")
    assert [e.path for e in result.errors] == [
        "$.events[0].sender", "$.events[0].type", "$.events[0].event_id",
    ]  # fmt: skip


def test_values_in_messages_are_shortened() -> None:
    huge = "x" * 1_000_000
    result = validate({"events": [{**EVENT, "origin_server_ts": huge}]}, request="sendTransaction")
    message = result.errors[0].message
    assert message == '"' + "x" * (PREVIEW - 1) + '… is not of type "integer"'
    keys = validate({"events": [], **{f"k{i}" * 50: 1 for i in range(100)}}, schema="PingRequest")
    assert all(len(e.message) <= 300 for e in keys.errors)


def _messages(payload: Any, **target: Any) -> list[str]:
    return [e.message for e in validate(payload, **{"request": "sendTransaction", **target}).errors]


def test_values_and_paths_in_messages() -> None:
    assert _messages({"events": {"a": [1, None, True, 1.5, "é\n"]}}) == [
        '{"a":[1,null,true,1.5,"é\\n"]} is not of type "array"'
    ]
    [listed] = _messages({"events": [list(range(100))]})
    assert listed.startswith("[0,1,2,3,4,") and listed.endswith('… is not of type "object"')
    assert len(listed) == PREVIEW + len('… is not of type "object"')
    assert _messages({"events": 10**5000}) == ['<integer of 16610 bits> is not of type "array"']
    counts = {"a b": {"D": {"x" * 200: "no"}}}
    result = validate(
        {"events": [], "org.matrix.msc3202.device_one_time_keys_count": counts},
        request="sendTransaction", version="unstable",
    )  # fmt: skip
    [path] = [e.path for e in result.errors]
    assert path.startswith('$["org.matrix.msc3202.device_one_time_keys_count"]["a b"].D["xxx')
    assert path.endswith('x…"]') and path.rsplit("[", 1)[1].count("x") == PREVIEW


# -- text that is not UTF-8, data that is not JSON ---------------------------------------------


def test_invalid_utf8_is_reported_with_its_byte_offset() -> None:
    result = validate(b'{"events": ["\xff"]}', request="sendTransaction")
    assert [(e.path, e.keyword, e.message) for e in result.errors] == [
        ("$", "json", "not valid UTF-8: byte 0xff at offset 13")
    ]


def test_lone_surrogates_in_text_are_invalid() -> None:
    result = validate('{"a": "\ud800"}', request="sendTransaction")
    assert [e.message for e in result.errors] == [
        "not valid Unicode: lone surrogate U+D800 at character offset 7"
    ]


def test_parsed_data_that_json_cannot_hold_is_invalid() -> None:
    result = validate({"events": {1, 2}}, request="sendTransaction")
    assert result.errors[0].keyword == "json" and "not JSON data" in result.errors[0].message
    assert validator_for(request="sendTransaction").is_valid({"events": [], 1: 2}) is False


# -- target names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"request": "sendTransactio"}, "unknown request 'sendTransactio' in v1.19; did you mean 'sendTransaction'?"),
        ({"request": "p"}, "unknown request 'p' in v1.19; did you mean 'ping', 'pingAppservice' or 'postReceipt'?"),
        ({"schema": "Client"}, "unknown schema 'Client' in v1.19; did you mean 'ClientEvent', 'ClientProtocol' or 'ClientProtocolInstance'?"),
        ({"request": "queryUserById"}, "queryUserById has no request body"),
        ({"response": "sendTransactio", "status": 200}, "did you mean 'sendTransaction'?"),
        ({"request": "ping", "version": "v1.6"}, "request 'ping' does not exist in v1.6 (it exists in v1.7 to unstable)"),
        ({"schema": "Nope"}, "unknown schema 'Nope' in v1.19; known: "),
    ],
)  # fmt: skip
def test_target_names_are_exact(target: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate({}, **target)
    assert message in str(caught.value)


# -- the walk reports what jsonschema-rs reports ------------------------------------------------


def test_the_walk_finds_the_problems_jsonschema_rs_finds(spec: Spec) -> None:
    """On every invalid example mutation: the same paths and keywords, the same messages up to
    the shortened values."""
    compared = 0
    for release in ("r0.1.0", "v1.13", "unstable"):
        doc = json.loads(json.dumps(spec.bundle(release)))  # plain JSON values only
        for _label, target, spath, value in example_cases(spec.ir.release(release)):
            # jsonschema-rs on the bundled spec itself: the bundle is the root, its $ref the
            # target, so that every #/components reference resolves.
            pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in spath)
            reference = jsonschema_rs.Draft202012Validator({**doc, "$ref": "#" + quote(pointer)})
            kind, name, *status = target.split(":")
            kwargs: dict[str, Any] = (
                {kind: name} if kind != "response" else {"response": name, "status": status[0]}
            )
            ours = validator_for(version=release, **kwargs)
            for payload in [value, *mutations(value)]:
                if isinstance(payload, str) or ours.is_valid(payload):
                    continue  # text is parsed as JSON first
                got = ours.validate(payload, max_errors=None).errors
                want = list(reference.iter_errors(payload))
                # A problem two schemas share (a variant and the content it extends) is one
                # line for us, two for jsonschema-rs.
                assert {(e.path, e.keyword) for e in got} == {
                    (json_path(tuple(w.instance_path)), str(w.schema_path[-1])) for w in want
                }, (release, target, payload)
                assert len(got) == len({(e.path, e.keyword, e.message) for e in got})
                messages = sorted({e.message for e in got})
                wanted = sorted({w.message for w in want})
                for shown, full in zip(messages, wanted, strict=True):
                    head, _, tail = shown.partition("…")
                    # An object is shown in document order; jsonschema-rs sorts its keys.
                    same_start = full.startswith(head) or head.startswith("{")
                    assert shown == full or (same_start and full.endswith(tail))
                compared += 1
    assert compared > 10_000
