"""Operation and field descriptions follow the release: the behaviour a later release added
(issue 18's examples) is described from that release on, and not before.

The names a later release introduced are caught for every document by
``test_rules_in_documents.py``; these are the statements that name nothing new (an answer's
status, a skipped step, a narrower reading of a field), checked per release.
"""

from __future__ import annotations

import pytest

from codegen.spec import Spec
from tests.docs.conftest import section


def _description(rst: str, title: str) -> str:
    """The text of a section, on one line; for an endpoint only up to its first rubric (the
    request). "" where the release has no such section."""
    try:
        text = section(rst, title)
    except AssertionError:
        return ""
    if title.startswith("``"):
        text = text.split(".. rubric::")[0]
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("title", "phrase", "since"),
    [
        # v1.17: servers with the OAuth 2.0 API only; appservices manage devices without UIA.
        ("``POST /_matrix/client/v3/register``", "OAuth 2.0", "v1.17"),
        ("``POST /_matrix/client/v3/login``", "OAuth 2.0", "v1.17"),
        ("``PUT /_matrix/client/v3/devices/{deviceId}``", "answers 201", "v1.17"),
        ("``DELETE /_matrix/client/v3/devices/{deviceId}``", "need not send ``auth``", "v1.17"),
        ("``POST /_matrix/client/v3/delete_devices``", "need not send ``auth``", "v1.17"),
        ("``POST /_matrix/client/v3/keys/device_signing/upload``", "never needs UIA", "v1.17"),
        # The registration's fields: only local users count (v1.5); the sender_localpart
        # user's events are sent (v1.11).
        ("Registration", "Only users of this homeserver", "v1.5"),
        ("Registration", "The appservice receives events that", "v1.11"),
    ],
)  # fmt: skip
def test_a_later_behaviour_is_described_from_its_release_on(
    spec: Spec, documents: dict[str, str], title: str, phrase: str, since: str
) -> None:
    first = spec.releases[since].index
    described = {
        rel.name: phrase in _description(documents[rel.name], title) for rel in spec.releases
    }
    assert described == {rel.name: rel.index >= first for rel in spec.releases}
