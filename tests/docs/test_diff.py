"""``appservice-spec diff``: API changes between two releases."""

from __future__ import annotations

import json

import pytest

from codegen.cli import main
from codegen.docs.diff import Change, diff_releases
from codegen.spec import Spec


def _diff(spec: Spec, old: str, new: str) -> list[Change]:
    return diff_releases(spec.ir.release(old), spec.ir.release(new))


def test_v1_6_to_v1_13_adds_the_ping_and_ephemeral_data(spec: Spec) -> None:
    changes = _diff(spec, "v1.6", "v1.13")
    added = {(c.kind, c.where) for c in changes if c.change == "added"}
    assert ("operation", "POST /_matrix/app/v1/ping") in added
    assert ("operation", "POST /_matrix/client/v1/appservice/{appserviceId}/ping") in added
    assert ("field", "Transaction.ephemeral") in added
    assert ("field", "Registration.receive_ephemeral") in added
    assert ("schema", "EphemeralEvent") in added
    assert not [c for c in changes if c.change == "removed" and c.kind == "operation"]


def test_text_output(spec: Spec, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "v1.6", "v1.13"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("API changes from v1.6 to v1.13: ")
    assert "\nOperations:\n  + " in out
    assert "  + POST /_matrix/app/v1/ping: ping (application-service)\n" in out
    assert "  + POST /_matrix/client/v1/appservice/{appserviceId}/ping: pingAppservice" in out
    assert "  + Transaction.ephemeral: [EphemeralEvent]\n" in out
    assert "  + Registration.receive_ephemeral: boolean\n" in out


def test_json_output(spec: Spec, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "v1.6", "v1.13", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert all(set(item) == {"kind", "change", "where", "detail"} for item in items)
    assert {
        "kind": "operation",
        "change": "added",
        "where": "POST /_matrix/app/v1/ping",
        "detail": "ping (application-service)",
    } in items
    wheres = {(i["kind"], i["change"], i["where"]) for i in items}
    assert ("field", "added", "Transaction.ephemeral") in wheres
    assert ("field", "added", "Registration.receive_ephemeral") in wheres
    assert main(["diff", "v1.6", "v1.13", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == items  # stable


def test_a_release_against_itself_is_empty(spec: Spec, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("r0.1.0", "v1.13", "unstable"):
        assert _diff(spec, name, name) == []
    assert main(["diff", "v1.13", "1.13"]) == 0
    assert capsys.readouterr().out == "No API changes from v1.13 to v1.13.\n"
    assert main(["diff", "unstable", "unstable", "--json"]) == 0
    assert capsys.readouterr().out == "[]\n"


def test_authentication_and_paths(spec: Spec) -> None:
    changes = _diff(spec, "r0.1.2", "v1.4")
    security = {c.where: c.detail for c in changes if c.kind == "security"}
    assert security["PUT /_matrix/app/v1/transactions/{txnId}"] == (
        "homeserverAccessTokenQuery -> homeserverAccessToken"
    )
    paths = {c.where: c.detail for c in changes if c.kind == "path"}
    assert paths["POST /_matrix/client/v3/register"] == "was POST /_matrix/client/r0/register"
    schemes = {(c.change, c.where) for c in changes if c.kind == "scheme"}
    assert schemes == {
        ("added", "homeserverAccessToken"),
        ("removed", "homeserverAccessTokenQuery"),
    }
    assert (
        "parameter",
        "added",
        "PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}: query ts",
    ) in {(c.kind, c.change, c.where) for c in changes}


def test_field_type_and_errcode_changes(spec: Spec) -> None:
    url = [c for c in _diff(spec, "v1.14", "v1.15") if c.where == "Registration.url"]
    assert url == [Change("field", "changed", "Registration.url", "type: string -> string or null")]
    errcodes = {
        (c.change, c.where, c.detail) for c in _diff(spec, "v1.9", "v1.10") if c.kind == "errcode"
    }
    assert ("added", "POST /_matrix/client/v3/register 401", "M_UNKNOWN_TOKEN") in errcodes
    backwards = {(c.change, c.where) for c in _diff(spec, "v1.13", "v1.6")}
    assert ("removed", "POST /_matrix/app/v1/ping") in backwards


def test_unknown_release_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "v1.6", "v2.0"]) == 2
    err = capsys.readouterr().err
    assert "diff: unknown release 'v2.0'" in err and "known releases: r0.1.0" in err


def test_errcodes_the_official_sources_list(spec: Spec) -> None:
    def added(old: str, new: str) -> set[tuple[str, str]]:
        return {
            (c.where, c.detail)
            for c in _diff(spec, old, new)
            if c.kind == "errcode" and c.change == "added"
        }

    send = "PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} 400"
    state = "PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} 400"
    assert (send, "M_DUPLICATE_ANNOTATION") in added("v1.6", "v1.7")
    assert {
        ("POST /_matrix/client/v3/login 403", "M_USER_DEACTIVATED"),
        (state, "M_BAD_ALIAS"),
        (state, "M_INVALID_PARAMETER"),
    } <= added("r0.1.2", "v1.1")
    assert (state, "M_INVALID_PARAM") in added("v1.2", "v1.3")
    assert (state.replace(" 400", " 403"), "M_INVITE_BLOCKED") in added("v1.17", "v1.18")
    unstable = {(c.kind, c.change, c.where) for c in _diff(spec, "v1.19", "unstable")}
    assert ("field", "added", "Transaction.de.sorunome.msc2409.ephemeral") in unstable
    assert (
        "parameter",
        "added",
        "GET /_matrix/client/v3/publicRooms: query org.matrix.msc3202.device_id",
    ) in unstable
