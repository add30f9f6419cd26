"""Each release's events section holds the event types, variants and content keys of that
release alone, and names no later release: what a later release added is left out of the
earlier documents, not labelled "from vX" in them. The later-name check reads the events
section too, against the names the markers of ``spec/events`` date."""

from __future__ import annotations

import re

import pytest

from codegen.introduced import event_first_releases, first_releases, later_names
from codegen.spec import Spec
from tests.docs.conftest import section

_RELEASE = re.compile(r"\b(v1\.\d+|r0\.\d+\.\d+)\b")
_HEADING = "\nEvents\n======\n"


def test_event_names_are_dated_by_the_event_sources(spec: Spec) -> None:
    events = event_first_releases(spec)
    assert events["m.room.message"] == "r0.1.0" and events["m.server_notice"] == "r0.1.1"
    assert events["m.room.tombstone"] == "r0.1.1" and events["m.room.policy"] == "v1.18"
    assert events["m.reciprocate.v1"] == "v1.1"  # a variant of m.key.verification.start
    assert events["additional_creators"] == "v1.16" and events["m.new_content"] == "v1.4"
    # Types and variant values are names of the whole document; content keys are not.
    first = first_releases(spec)
    assert first["m.room.policy"] == "v1.18" and first["m.server_notice"] == "r0.1.1"
    assert set(event_first_releases(spec, keys=False)) <= set(first)


@pytest.mark.parametrize(
    ("release", "text", "name"),
    [
        ("r0.1.0", "or ``m.server_notice``", "m.server_notice"),  # a msgtype of r0.1.1
        ("v1.17", "an ``m.room.policy`` event", "m.room.policy"),  # a type of v1.18
        ("r0.1.2", "``m.reciprocate.v1``", "m.reciprocate.v1"),  # a method of v1.1
        ("v1.15", "with ``additional_creators``", "additional_creators"),  # a key of v1.16
        ("v1.3", '{"m.new_content": {}}', "m.new_content"),  # in an example
    ],
)  # fmt: skip
def test_a_later_event_name_in_the_events_section_is_found(
    spec: Spec, documents: dict[str, str], release: str, text: str, name: str
) -> None:
    rst = documents[release]
    at = rst.index(_HEADING) + len(_HEADING)
    leaked = f"{rst[:at]}\n{text}\n{rst[at:]}"
    first = first_releases(spec)
    assert later_names(rst, release, spec, first) == {}
    assert later_names(leaked, release, spec, first) == {name: event_first_releases(spec)[name]}


def test_content_keys_are_not_read_as_the_apis_names(spec: Spec, documents: dict[str, str]) -> None:
    # ``ts`` is the API's query parameter from v1.3, and a key of receipts from the start.
    rst = documents["r0.1.0"]
    at = rst.index(_HEADING) + len(_HEADING)
    assert (
        later_names(f"{rst[:at]}\nat ``ts``\n{rst[at:]}", "r0.1.0", spec, first_releases(spec))
        == {}
    )


def test_no_events_section_names_a_later_release(spec: Spec, documents: dict[str, str]) -> None:
    names = {rel.name: rel.index for rel in spec.releases}
    later = {}
    for rel in spec.releases:
        events = section(documents[rel.name], "Events")
        named = {n for n in _RELEASE.findall(events) if names.get(n, -1) > rel.index}
        if named:
            later[rel.name] = sorted(named)
    assert later == {}


@pytest.mark.parametrize(
    ("line", "since"),
    [
        ("``m.room.policy``", "v1.18"),  # an event type
        ("``m.server_notice`` (msgtype)", "r0.1.1"),  # a msgtype
        ("``m.reciprocate.v1`` (method)", "v1.1"),  # a verification method
        ("   * - ``additional_creators``", "v1.16"),  # a content key
        ("   * - ``m.new_content``", "v1.4"),
    ],
)  # fmt: skip
def test_what_a_release_added_is_listed_from_that_release_on(
    spec: Spec, documents: dict[str, str], line: str, since: str
) -> None:
    first = spec.releases[since].index
    listed = {
        rel.name: f"\n{line}\n" in section(documents[rel.name], "Events") for rel in spec.releases
    }
    assert listed == {rel.name: rel.index >= first for rel in spec.releases}
