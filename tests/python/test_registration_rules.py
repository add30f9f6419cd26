"""The registration rules of spec/rules/ that the registration checks keep, in every release
(each test is named by its rule's `checked.tests`)."""

from __future__ import annotations

import pytest
from matrix_appservice import RELEASES, check_registration, parse_registration

BASE = """\
id: bridge
url: http://127.0.0.1:9009
as_token: as_secret_1234567890
hs_token: hs_secret_1234567890
sender_localpart: bridgebot
"""


def _errors(text: str, version: str) -> list[str]:
    problems = check_registration(parse_registration(text, "reg.yaml"), version)
    return [str(p) for p in problems if p.severity == "error"]


@pytest.mark.parametrize("version", RELEASES)
def test_every_namespace_may_be_left_out(version: str) -> None:
    """namespaces.optional: `namespaces` is required, none of its three lists is."""
    assert _errors(BASE + "namespaces: {}\n", version) == []
    for kind, sigil in (("users", "@"), ("aliases", "#"), ("rooms", "!")):
        text = BASE + f"namespaces:\n  {kind}:\n    - {{regex: '{sigil}x', exclusive: false}}\n"
        assert _errors(text, version) == [], kind
    assert any("namespaces" in e for e in _errors(BASE, version))


@pytest.mark.parametrize("version", RELEASES)
def test_a_namespace_without_regex_or_exclusive_is_refused(version: str) -> None:
    """namespaces.fields: each entry gives its `regex` and `exclusive`."""
    for entry, missing in (("{exclusive: true}", "regex"), ("{regex: '@_b_.*'}", "exclusive")):
        errors = _errors(BASE + f"namespaces:\n  users:\n    - {entry}\n", version)
        assert errors == [f"reg.yaml:8: missing required key '{missing}' in namespaces.users[0]"]
