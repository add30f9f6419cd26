"""Each release's document states its rules, and only its own: RFC 2119 keywords in capitals
in the rules alone, the conventions paragraph, the conformance matrix, no name a later
release introduced, and the changelog the official text publishes for the release."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from codegen.docs.rules import conformance
from codegen.introduced import api_view, first_releases, later_names, later_releases_cited
from codegen.rules import KEYWORDS
from codegen.spec import Spec
from tests.docs.conftest import section

ROOT = Path(__file__).resolve().parents[2]
STATED = re.compile(r"^- _`([a-z0-9.-]+)` \(", re.M)


def _stated(rst: str) -> list[str]:
    return STATED.findall(rst)


def test_every_rule_is_stated_once_in_the_releases_it_holds_in(
    spec: Spec, documents: dict[str, str]
) -> None:
    for rel in spec.releases:
        stated = _stated(documents[rel.name])
        assert sorted(stated) == sorted(r.id for r in spec.ir.rules.release(rel)), rel.name


def test_keywords_in_capitals_appear_in_rules_only(spec: Spec, documents: dict[str, str]) -> None:
    for rel in spec.releases:
        rst = documents[rel.name]
        levels = section(rst, "Requirement levels")
        assert "RFC 2119" in levels and "RFC 8174" in levels, rel.name
        rest = rst.replace(levels, "")
        for line in rest.splitlines():
            if KEYWORDS.search(line):
                is_rule = re.match(r"^- _?`[a-z0-9.-]+`_? \(", line)
                is_cell = re.match(r"^     - (MUST|SHOULD|MAY)( NOT)?$", line)
                is_count = line.startswith(f"{rel.name} has ")
                assert is_rule or is_cell or is_count, (rel.name, line)


def test_a_rule_carries_its_level_in_capitals(spec: Spec, documents: dict[str, str]) -> None:
    rst = documents["v1.19"]
    for rule in spec.ir.rules.rules("v1.19"):
        line = next(x for x in rst.splitlines() if x.startswith(f"- _`{rule.id}` ("))
        assert line.startswith(f"- _`{rule.id}` ({rule.level}, binds ")
        assert KEYWORDS.findall(line.split("): ", 1)[1]) == [rule.level], line


def test_each_endpoint_lists_the_rules_that_concern_it(
    spec: Spec, documents: dict[str, str]
) -> None:
    rst = documents["v1.13"]
    transactions = section(rst, "``PUT /_matrix/app/v1/transactions/{txnId}``")
    mine = [r.id for r in spec.ir.rules.release("v1.13") if "sendTransaction" in r.operations]
    assert "ephemeral.send" in mine and "auth.as-verifies-token" in mine
    for rule_id in mine:
        assert f"- `{rule_id}`_ (" in transactions, rule_id


def test_every_release_has_its_matrix(spec: Spec, documents: dict[str, str]) -> None:
    for rel in spec.releases:
        data = conformance(spec.ir.rules, rel)
        written = ROOT / "generated" / "docs" / "conformance" / f"{rel.name}.json"
        assert json.loads(written.read_text(encoding="utf-8")) == data, rel.name
        matrix = section(documents[rel.name], "Conformance")
        rows = [r["id"] for r in data["rules"]]
        assert [line[8:-2] for line in matrix.splitlines() if line.startswith("   * - `")] == rows
        counts = data["counts"]
        assert f"{rel.name} has {counts['rules']} rules (" in matrix
        assert counts["rules"] == sum(counts["by_level"].values()) == len(rows)


# ---------------------------------------------------------------------------------------------
# No later fact in an earlier document.


def test_the_names_of_each_release_come_from_the_markers(spec: Spec) -> None:
    first = first_releases(spec)
    # A sample of what the markers say; the test below uses every name.
    assert first["ts"] == "v1.3" and first["ping"] == "v1.7"
    assert first["M_UNRECOGNIZED"] == "v1.6" and first["M_APPSERVICE_LOGIN_UNSUPPORTED"] == "v1.17"
    assert first["receive_ephemeral"] == "v1.13" and first["MSC2409"] == "v1.13"
    assert (
        first["auth.as-verifies-token"] == "r0.1.1"
        and first["de.sorunome.msc2409.to_device"] == "unstable"
    )
    assert first["/_matrix/client/v1/appservice/{appserviceId}/ping"] == "v1.7"


def test_no_document_names_what_a_later_release_introduced(
    spec: Spec, documents: dict[str, str]
) -> None:
    first = first_releases(spec)
    leaks = {
        rel: names
        for rel, rst in documents.items()
        if (names := later_names(rst, rel, spec, first))
    }
    assert leaks == {}


@pytest.mark.parametrize(
    ("release", "text", "name"),
    [
        ("v1.16", "gets ``M_APPSERVICE_LOGIN_UNSUPPORTED`` otherwise", "M_APPSERVICE_LOGIN_UNSUPPORTED"),
        ("v1.5", '{"errcode": "M_UNRECOGNIZED"}', "M_UNRECOGNIZED"),
        ("v1.2", "with the ``ts`` query parameter", "ts"),
        ("v1.6", "see MSC2409", "MSC2409"),
    ],
)  # fmt: skip
def test_a_later_name_is_found(
    spec: Spec, documents: dict[str, str], release: str, text: str, name: str
) -> None:
    first = first_releases(spec)
    assert later_names(documents[release] + "\n" + text + "\n", release, spec, first) == {
        name: first[name]
    }


def test_a_later_name_among_the_client_server_calls_is_found(
    spec: Spec, documents: dict[str, str]
) -> None:
    """The ordinary Client-Server calls are read like the rest of the document."""
    first = first_releases(spec)
    line = spec.ir.release("r0.1.0").by_name()["getVersions"].description.split("\n")[0]
    rst = documents["r0.1.0"]
    assert line in rst
    rst = rst.replace(line, f"{line} ``allow_redirect``", 1)
    assert later_names(rst, "r0.1.0", spec, first) == {"allow_redirect": "v1.7"}


def test_no_description_cites_a_later_release(spec: Spec) -> None:
    """A "from v1.16, ..." in an older release is later behaviour that no name shows."""
    cited = {
        release.name: found
        for release in spec.releases
        if (found := later_releases_cited(api_view(spec, release.name), release.name, spec))
    }
    assert cited == {}


@pytest.mark.parametrize(
    ("release", "text", "cited"),
    [
        ("v1.2", "From v1.16, `format=event` asks for the event.", ["v1.16"]),
        ("v1.2", "Up to v1.1 it was required; v1.10 changed it.", ["v1.10"]),
        ("r0.1.0", "Synapse speaks r0.1.1, v1.1 and v1.19.", ["r0.1.1", "v1.1", "v1.19"]),
        ("v1.11", "Deprecated from v1.11, as v1.1 said it would be.", []),
    ],
)  # fmt: skip
def test_a_later_release_cited_is_found(
    spec: Spec, release: str, text: str, cited: list[str]
) -> None:
    node = {"paths": {"/x": {"get": {"summary": "x", "description": text}}}}
    assert later_releases_cited(node, release, spec) == [
        ("/paths//x/get/description", name) for name in cited
    ]


# ---------------------------------------------------------------------------------------------
# The statements the official text makes, with its levels (issue 18's examples).


def _rule_line(rst: str, rule_id: str) -> str:
    return next(x for x in rst.splitlines() if x.startswith(f"- _`{rule_id}` ("))


@pytest.mark.parametrize(
    ("release", "rule_id", "head"),
    [
        ("r0.1.0", "legacy.fall-back", "SHOULD, binds the homeserver"),
        ("v1.13", "ephemeral.send", "MUST, binds the homeserver"),
        ("v1.1", "cs.header", "SHOULD, binds the appservice"),
        ("r0.1.0", "as.passive", "MUST NOT, binds the homeserver"),
        ("v1.4", "permissions.full-control", "MUST, binds the homeserver"),
        ("v1.19", "txn.non-blocking", "MAY, binds the homeserver"),
        ("v1.19", "external-url.not-proof", "SHOULD, binds clients"),
        ("v1.4", "auth.both-match", "SHOULD, binds the appservice"),
        ("v1.19", "identity.user-in-namespace", "MUST, binds the appservice"),
    ],
)
def test_official_statements_keep_their_level(
    documents: dict[str, str], release: str, rule_id: str, head: str
) -> None:
    assert _rule_line(documents[release], rule_id).startswith(f"- _`{rule_id}` ({head}): ")


def test_implementation_behaviour_is_a_note_not_a_rule(documents: dict[str, str]) -> None:
    rst = documents["v1.19"]
    identity = section(rst, "Identity assertion")
    synapse = _rule_line(rst, "identity.synapse-asserted-user")
    assert synapse.startswith(
        "- _`identity.synapse-asserted-user` (a note on Synapse, not a rule): "
    )
    assert "``M_FORBIDDEN``" in synapse and synapse in identity
    rule = _rule_line(rst, "identity.user-in-namespace")
    assert "M_FORBIDDEN" not in rule and "registered" not in rule
    assert "has to be registered" not in identity


def test_before_v1_3_the_document_says_some_servers_may_support_timestamps(
    spec: Spec, documents: dict[str, str]
) -> None:
    for rel in spec.releases:
        massaging = section(documents[rel.name], "Timestamp massaging")
        note = "- _`ts.draft-support` (a note on some homeservers, not a rule): "
        assert (note in massaging) is (rel.index < spec.releases["v1.3"].index), rel.name
    assert "no way to choose" not in documents["v1.2"]


# ---------------------------------------------------------------------------------------------
# The changelog of each release is the official one of the Application Service API.

# (type, pull requests) of each entry of the official changelogs, as published.
OFFICIAL = {
    "r0.1.0": [], "r0.1.1": [("clarification", "1650"), ("clarification", "2037")],
    "r0.1.2": [("clarification", "2160")], "v1.1": [("clarification", "2888")],
    "v1.2": [("clarification", "3658"), ("clarification", "3674"), ("clarification", "3675")],
    "v1.3": [("feature", "1094")], "v1.4": [("breaking", "1200"), ("clarification", "1174")],
    "v1.5": [("clarification", "1305")], "v1.6": [("feature", "1347")],
    "v1.7": [("new", "1516"), ("new", "1516"), ("feature", "1516 1541"), ("clarification", "1447")],
    "v1.8": [("clarification", "1584")], "v1.9": [], "v1.10": [("clarification", "1744")],
    "v1.11": [("clarification", "1810")], "v1.12": [("clarification", "1928")],
    "v1.13": [("feature", "2018")], "v1.14": [], "v1.15": [("clarification", "2130")],
    "v1.16": [], "v1.17": [("feature", "2221"), ("feature", "2267"), ("clarification", "2213")],
    "v1.18": [("clarification", "2330")], "v1.19": [("clarification", "2351")], "unstable": [],
}  # fmt: skip


def test_the_changelogs_are_the_official_ones(spec: Spec, documents: dict[str, str]) -> None:
    for rel in spec.releases:
        mine = [e for e in spec.changelog[rel.name] if e.area == "application-service"]
        entries = sorted(
            (e.kind, " ".join(re.findall(r"#(\d+)", e.text))) for e in mine if e.kind != "note"
        )
        assert entries == sorted(OFFICIAL[rel.name]), rel.name
        changelog = section(documents[rel.name], "Changelog")
        notes = [e for e in mine if e.kind == "note"]
        assert ("No significant changes." in changelog) is (not entries and not notes), rel.name
        assert "Client-Server change:" not in changelog
    first = section(documents["r0.1.0"], "Changelog")
    assert "The first release of the Application Service API." in first
    assert "~~~" not in first.split("Other versions")[0]
