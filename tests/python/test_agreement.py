"""The fast validator and a plain Draft 2020-12 validator on the bundled spec agree on every
accept/reject case, release by release."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from matrix_appservice import validator_for

from codegen.bundle_schema import bundle_registry, schema_validator
from codegen.spec import Spec
from tests.python.cases import example_cases, mutations


def _ours(target: str, release: str) -> Any:
    kind, name, *status = target.split(":")
    if kind == "response":
        return validator_for(response=name, status=status[0], version=release)
    return validator_for(version=release, **{kind: name})


def test_examples_and_mutations_agree_in_every_release(spec: Spec) -> None:
    cases = accepted = 0
    for release in spec.releases:
        doc = spec.bundle(release)
        registry = bundle_registry(doc)
        for _label, target, spath, value in example_cases(spec.ir.release(release)):
            reference = schema_validator(doc, spath, registry)
            ours = _ours(target, release.name)
            for payload in [value, *mutations(value)]:
                expected = reference.is_valid(payload)
                assert ours.is_valid(payload) is expected, (release.name, target, payload)
                assert ours.validate(payload).valid is expected
                cases += 1
                accepted += expected
    # Enough cases, with both answers well represented.
    assert cases > 20_000 and 0.05 < accepted / cases < 0.95, (cases, accepted)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5) | st.sampled_from(["m.typing", "m.receipt", "public", "@a:x", "!r:x"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(
        ["events", "ephemeral", "type", "content", "room_id", "event_id", "sender",
         "origin_server_ts", "state_key", "unsigned", "visibility", "duration_ms", "errcode",
         "id", "url", "as_token", "hs_token", "sender_localpart", "namespaces", "users",
         "regex", "exclusive", "transaction_id"]), children, max_size=6),
    max_leaves=12,
)  # fmt: skip

TARGETS = [
    ("request:sendTransaction", ("components", "schemas", "Transaction")),
    ("schema:ClientEvent", ("components", "schemas", "ClientEvent")),
    ("schema:EphemeralEvent", ("components", "schemas", "EphemeralEvent")),
    ("schema:Registration", ("components", "schemas", "Registration")),
    ("request:updateAppserviceRoomDirectoryVisibility", ("components", "schemas", "AppserviceRoomDirectoryVisibility")),
    ("response:pingAppservice:502", ("components", "schemas", "PingAppserviceFailure")),
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    payload=JSON,
    pick=st.integers(0, len(TARGETS) - 1),
    release=st.sampled_from(["v1.13", "v1.15", "unstable"]),
)
def test_random_json_agrees(spec: Spec, payload: Any, pick: int, release: str) -> None:
    target, path = TARGETS[pick]
    reference = schema_validator(spec.bundle(release), path)
    assert _ours(target, release).is_valid(payload) is reference.is_valid(payload)
