"""Every release's document says how the third-party lookups' search fields travel: one query
parameter per field, whatever the release calls the parameter that stands for them."""

from __future__ import annotations

import pytest

from codegen.spec import Spec
from tests.docs.conftest import section

LOOKUPS = {
    "as_user": "``GET /_matrix/app/v1/thirdparty/user/{{protocol}}``",
    "as_location": "``GET /_matrix/app/v1/thirdparty/location/{{protocol}}``",
    "cs_user": "``GET /_matrix/client/{v}/thirdparty/user/{{protocol}}``",
    "cs_location": "``GET /_matrix/client/{v}/thirdparty/location/{{protocol}}``",
}
ON_THE_WIRE = "there is no parameter called ``{}`` on the wire"
RECEIVER = "The receiver takes every query parameter that is not listed here"


def _lookup(spec: Spec, documents: dict[str, str], name: str, key: str) -> str:
    prefix = "r0" if spec.releases[name].index < spec.releases["v1.1"].index else "v3"
    return section(documents[name], LOOKUPS[key].format(v=prefix))


def _names(spec: Spec) -> list[str]:
    return [r.name for r in spec.releases]


def test_the_third_party_prose_explains_the_encoding(spec: Spec, documents: dict[str, str]) -> None:
    for name in _names(spec):
        prose = section(documents[name], "Third-party networks")
        assert "Search fields travel as query parameters of their own" in prose, name
        assert "``?network=irc.libera.chat&channel=%23matrix``" in prose, name
        index = spec.releases[name].index
        if index >= spec.releases["v1.13"].index:
            assert "``style: form`` with ``explode: true``), on both" in prose, name
        elif index >= spec.releases["v1.8"].index:
            assert "names the location lookup's parameter ``searchFields``" in prose, name
        else:
            assert "a single ``fields`` parameter of type string" in prose, name


@pytest.mark.parametrize("key", sorted(LOOKUPS))
def test_every_lookup_row_says_how_to_send_and_read_the_fields(
    spec: Spec, documents: dict[str, str], key: str
) -> None:
    for name in _names(spec):
        text = _lookup(spec, documents, name, key)
        renamed = key == "cs_location" and spec.releases[name].index < spec.releases["v1.13"].index
        parameter = "searchFields" if renamed else "fields"
        assert f"   * - ``{parameter}``" in text, (name, key)
        assert ON_THE_WIRE.format(parameter) in text, (name, key)
        assert RECEIVER in text, (name, key)
        as_object = not renamed and spec.releases[name].index >= spec.releases["v1.8"].index
        if as_object:
            assert "Its keys are the search fields" in text, (name, key)
            # The example request spells the fields out as separate query parameters.
            field = "channel=%23matrix" if "location" in key else "nickname=alice"
            assert f"?network=irc.libera.chat&{field}" in text, (name, key)
        else:
            assert "This release writes it as one string" in text, (name, key)
            assert "``?<field>=<value>&<field>=<value>``" in text, (name, key)
