"""What each release's document must, and must not, contain."""

from __future__ import annotations

import re

import pytest
from matrix_appservice.operations import OPERATIONS

from codegen.changelog import APART
from codegen.spec import Spec
from tests.docs.conftest import other_versions, section

AS_PING = "``POST /_matrix/app/v1/ping``"
CS_PING = "``POST /_matrix/client/v1/appservice/{appserviceId}/ping``"
TRANSACTIONS = "``PUT /_matrix/app/v1/transactions/{txnId}``"


def test_one_document_per_release(spec: Spec, documents: dict[str, str]) -> None:
    assert list(documents) == [r.name for r in spec.releases]
    for name, rst in documents.items():
        assert rst.startswith("#######################\nApplication Service API\n"), name


def test_no_ping_before_v1_7(documents: dict[str, str]) -> None:
    for name in ("r0.1.0", "v1.1", "v1.6"):
        assert not re.search(r"\bping\b", documents[name], re.I), name
        assert "/ping" not in documents[name]


def test_ping_marked_added_in_v1_7(documents: dict[str, str]) -> None:
    for ping in (AS_PING, CS_PING):
        assert "New in this version." in section(documents["v1.7"], ping)
        assert "Added in v1.7." not in section(documents["v1.7"], ping)
        assert "Added in v1.7." in section(documents["v1.13"], ping)
        assert "Added in v1.7." in section(documents["unstable"], ping)
    assert "Pinging\n-------" in documents["v1.7"]


def test_authentication_of_the_homeserver(documents: dict[str, str]) -> None:
    header = "the ``hs_token`` in the ``Authorization: Bearer`` header"
    query = "the ``hs_token`` as the ``access_token`` query parameter"
    for name in ("v1.4", "v1.13", "unstable"):
        auth = section(documents[name], TRANSACTIONS)
        assert f":Requires authentication: Yes: {header}." in auth, name
        assert query not in auth
        assert "Authorization: Bearer HS_TOKEN" in auth
    for name in ("r0.1.0", "v1.3"):
        auth = section(documents[name], TRANSACTIONS)
        assert f":Requires authentication: Yes: {query}." in auth, name
        assert "Authorization: Bearer" not in auth
        assert "?access_token=HS_TOKEN" in auth


def test_changelog_of_v1_13_mentions_ephemeral(documents: dict[str, str]) -> None:
    changelog = section(documents["v1.13"], "Changelog")
    assert "Backwards Compatible Changes\n~~~~" in changelog
    assert "``ephemeral``" in changelog and "``receive_ephemeral``" in changelog


def test_changelog_sections_follow_the_fragments(spec: Spec, documents: dict[str, str]) -> None:
    for release in spec.releases:
        changelog = section(documents[release.name], "Changelog")
        entries = spec.changelog[release.name]
        own = [e for e in entries if e.area == "application-service"]
        if not own:
            assert "No significant changes." in changelog
        for entry in entries:
            if entry.kind == "note":
                assert f"\n{entry.text}\n" in changelog
            elif entry.area == "application-service":
                assert f"- {entry.text}" in changelog
                assert f"{entry.heading}\n{'~' * len(entry.heading)}" in changelog
            else:  # apart, under its own heading
                heading = APART[entry.area]
                below = changelog[changelog.index(f"{heading}\n~~~") :]
                assert entry.text in below, entry.slug


def test_unstable_warning_only_in_unstable(documents: dict[str, str]) -> None:
    warning = (
        ".. warning::\n\n   This is the **unstable** version of the specification, not a release."
    )
    for name, rst in documents.items():
        assert (warning in rst) is (name == "unstable"), name
    assert ":Released: Not released." in documents["unstable"]


def test_version_section(spec: Spec, documents: dict[str, str]) -> None:
    for release in spec.releases:
        about = section(documents[release.name], "About this version")
        assert f":Version: {release.name}\n" in about
        assert f":Source revision: ``{spec.revision}``" in about
        if release.date:
            assert f":Released: {release.date}\n" in about


def test_every_release_lists_all_others_newest_first(spec: Spec, documents: dict[str, str]) -> None:
    newest_first = [r.name for r in reversed(spec.releases.all)]
    for name, rst in documents.items():
        assert other_versions(rst) == [n for n in newest_first if n != name], name


def test_endpoint_sections(documents: dict[str, str]) -> None:
    rst = documents["v1.13"]
    transactions = section(rst, TRANSACTIONS)
    assert ":Rate-limited: No." in transactions
    assert ":Legacy route: ``PUT /transactions/{txnId}``" in transactions
    assert ".. list-table:: Path parameters" in transactions
    assert ".. rubric:: Transaction\n" in transactions
    assert ".. code:: http\n\n   PUT /_matrix/app/v1/transactions/35 HTTP/1.1" in transactions
    assert ".. rubric:: Status code 403" in transactions
    assert "``M_FORBIDDEN``" in transactions
    ephemeral = transactions[transactions.index("   * - ``ephemeral``") :]
    assert ephemeral.index("New in this version.") < ephemeral.index("   * - ", 10)
    register = section(rst, "``POST /_matrix/client/v3/register``")
    assert ":Rate-limited: Yes." in register
    assert ".. rubric:: Status code 429" in register
    assert "Must be ``m.login.application_service``." in register


def test_nested_objects_get_one_table_each(documents: dict[str, str]) -> None:
    transactions = section(documents["v1.13"], TRANSACTIONS)
    for title in ("Transaction", "ClientEvent", "EphemeralEvent", "UnsignedData"):
        assert transactions.count(f".. rubric:: {title}\n") == 1, title
    assert "     - [ClientEvent]" in transactions
    ping = section(documents["v1.13"], CS_PING)
    assert ping.count(".. rubric:: Error\n") == 1
    assert "type ``Error``, described above." in ping


def test_registration_definition(documents: dict[str, str]) -> None:
    registration = section(documents["v1.19"], "Registration file")
    for title in ("Registration", "Namespaces", "Namespace"):
        assert f".. rubric:: {title}\n" in registration
    assert "string or null" in registration
    assert "string or null" not in section(documents["v1.14"], "Registration file")
    assert "``receive_ephemeral``" in registration
    assert "``receive_ephemeral``" not in section(documents["v1.12"], "Registration file")


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("unstable", ["de.sorunome.msc2409.to_device", "Unstable: defined by MSC4203"], []),
        ("v1.19", ["(deprecated)"], ["de.sorunome.msc2409.to_device"]),
        ("v1.17", ["``device_id``", "``M_APPSERVICE_LOGIN_UNSUPPORTED``"], []),
        ("v1.2", ["Changed in this version: Appservices can log their users in"], ["* - ``ts``"]),
        ("v1.3", ["   * - ``ts``"], []),
        (
            "r0.1.0",
            ["``POST /_matrix/client/r0/register``\n~"],
            ["``POST /_matrix/client/v3/register``\n~"],
        ),
    ],
)
def test_release_specific_content(
    documents: dict[str, str], name: str, present: list[str], absent: list[str]
) -> None:
    api = _without_events(documents[name])
    for text in present:
        assert text in api, text
    for text in absent:
        assert text not in api, text


def _without_events(rst: str) -> str:
    """The document without its events section, where ``ts`` is a receipt's field."""
    before, _, after = rst.partition("\nEvents\n======\n")
    rest = after.split("\n======", 1)
    return before + (rest[0].rsplit("\n", 1)[-1] + "\n======" + rest[1] if len(rest) == 2 else "")


def test_timestamp_massaging_appears_in_v1_3(spec: Spec, documents: dict[str, str]) -> None:
    """Nothing before v1.3 mentions ``ts``, not even in operation descriptions."""
    names = [r.name for r in spec.releases]
    for name in names:
        mentions = _without_events(documents[name]).count("``ts``")
        if names.index(name) < names.index("v1.3"):
            assert mentions == 0, name
        else:
            assert mentions > 3, name


def test_identity_assertion_of_each_client_server_endpoint(
    spec: Spec, documents: dict[str, str]
) -> None:
    heading = re.compile(r"^``(?:GET|PUT|POST|DELETE) /_matrix/(?:client|media)/[^`]+``\n~+$", re.M)
    for release in spec.releases:
        rst = documents[release.name]
        fields = re.findall(r"^:Identity assertion: (.*)$", rst, re.M)
        # Every Client-Server endpoint says it; all but registering and logging in say yes.
        assert len(fields) == len(heading.findall(rst)) > 10, release.name
        expected = "Yes, with ``user_id``"
        if release.index >= spec.releases["v1.17"].index:
            expected += ", ``device_id``"
        if release.is_unstable:
            expected += ", ``org.matrix.msc3202.device_id``"
        no = [f for f in fields if f.startswith("No.")]
        without = [
            op.name for op in OPERATIONS.values()
            if op.api == "client-server" and op.exists_in(release.name) and op.no_identity_assertion
        ]  # fmt: skip
        assert len(no) == len(without) >= 2, release.name
        assert ("``device_id``" in " ".join(no)) is ("device_id" in expected), release.name
        assert all(f == expected + " (see `Identity assertion`_)." for f in fields if f not in no)
        cs = "v3" if release.index >= spec.releases["v1.1"].index else "r0"
        register = section(rst, f"``POST /_matrix/client/{cs}/register``")
        assert ":Identity assertion: No. The account does not exist yet" in register
        public = section(rst, f"``GET /_matrix/client/{cs}/publicRooms``")
        assert ":Requires authentication: Optional: the call works without credentials" in public


def test_login_and_event_fields_in_the_tables(spec: Spec, documents: dict[str, str]) -> None:
    for release in spec.releases:
        rst = documents[release.name]
        cs = "v3" if release.index >= spec.releases["v1.1"].index else "r0"
        login = section(rst, f"``POST /_matrix/client/{cs}/login``")
        for name in ("identifier", "user", "medium", "address", "token"):
            assert f"   * - ``{name}``" in login, (release.name, name)
        assert ".. rubric:: UserIdentifier\n" in login
        assert ("``M_USER_DEACTIVATED``" in login) is (release.name not in _R0), release.name
        transactions = section(rst, TRANSACTIONS)
        # The recursive reference is drawn once, as a type name, not as an endless table.
        assert transactions.count(".. rubric:: ClientEvent\n") == 1, release.name
        assert "   * - ``redacted_because``\n     - ClientEvent\n" in transactions
        assert transactions.count("Not in the official schema:") == 2, release.name


_R0 = ("r0.1.0", "r0.1.1", "r0.1.2")
