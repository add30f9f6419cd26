"""The sans-I/O core on its own: policies, decisions per release, and a plan driven by hand."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tomllib

import httpx
import pytest
from matrix_appservice import OPERATIONS, RELEASES, models
from matrix_appservice._client_core import (
    Answer,
    Failure,
    Outgoing,
    Settings,
    Sleep,
    auth_placement,
    build_call,
    identity_params,
)
from matrix_appservice._client_plans import LegacyRoutes, appservice_plan
from matrix_appservice._client_secrets import scrub
from matrix_appservice.client import (
    AppServiceClient,
    AsyncAppServiceClient,
    AsyncHomeserverClient,
    HomeserverClient,
    RetryPolicy,
)
from matrix_appservice.errors import RequestFailedError

from codegen.errors import SpecError
from codegen.python.api import RENAMES, py_operations, python_name, snake_case
from codegen.spec import Spec
from tests.conftest import REPO


def test_backoff_schedule_cap_and_bound() -> None:
    policy = RetryPolicy(initial=1, factor=2, cap=10, max_attempts=7)
    assert list(policy.delays()) == [1, 2, 4, 8, 10, 10]
    unbounded = RetryPolicy(initial=0.25)
    first = [d for _, d in zip(range(12), unbounded.delays(), strict=False)]
    assert first[:4] == [0.25, 0.5, 1, 2] and first[-1] == 60
    assert list(RetryPolicy(max_attempts=1).delays()) == []
    jittered = RetryPolicy(initial=10, factor=1, jitter=0.5, max_attempts=200, rng=random.Random(7))
    delays = list(jittered.delays())
    assert all(5 <= d <= 15 for d in delays) and len(set(delays)) > 100


@pytest.mark.parametrize(
    "bad", [{"initial": -1}, {"factor": 0.5}, {"max_attempts": 0}, {"jitter": 2}, {"cap": -1}]
)
def test_backoff_refuses_nonsense(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**bad)


def test_identity_params_per_release() -> None:
    send = OPERATIONS["sendMessage"]
    for release in RELEASES:
        names = identity_params(send, release)
        assert names[0] == "user_id"
        assert ("device_id" in names) is (release in ("v1.17", "v1.18", "v1.19", "unstable"))
        assert ("org.matrix.msc3202.device_id" in names) is (release == "unstable")
    assert identity_params(OPERATIONS["register"], "v1.19") == ()
    assert identity_params(OPERATIONS["pingAppservice"], "unstable") == (
        "user_id", "device_id", "org.matrix.msc3202.device_id",
    )  # fmt: skip
    assert identity_params(OPERATIONS["sendTransaction"], "v1.19") == ()
    assert identity_params(None, "v1.19") == ("user_id", "device_id")
    assert identity_params(None, "unstable") == OPERATIONS["sendMessage"].identity_params(
        "unstable"
    )


def test_auth_placement_reads_the_operation_metadata() -> None:
    tx = OPERATIONS["sendTransaction"]
    for release in tx.releases:
        kinds = {s.kind for s in tx.auth(release)}
        header, query = auth_placement(tx, release, "auto")
        assert header is ("bearer" in kinds) and (query is not None) is (kinds == {"query"})
    assert auth_placement(tx, "v1.3", "both") == (True, "access_token")
    assert auth_placement(OPERATIONS["login"], "v1.19", "auto") == (True, None)
    assert auth_placement(OPERATIONS["login"], "v1.19", "query") == (False, "access_token")


def test_scrub() -> None:
    text = "GET http://h/x?a=1&access_token=abc%2Fdef&b=2 Authorization: Bearer xyz.123"
    assert scrub(text) == (
        "GET http://h/x?a=1&access_token=<redacted>&b=2 Authorization: Bearer <redacted>"
    )
    assert scrub("token s3cr/t and s3cr%2Ft", ["s3cr/t"]) == "token <redacted> and <redacted>"


def test_a_transaction_plan_driven_by_hand() -> None:
    settings = Settings(token="tok", version="v1.19", auth="auto", validate=False,
                        clock=lambda: 0.0, retry=RetryPolicy(initial=2, max_attempts=3))  # fmt: skip
    call = build_call(settings, OPERATIONS["sendTransaction"], path={"txnId": "7"}, query={},
                      body={"events": []})  # fmt: skip
    plan = appservice_plan(call, settings, LegacyRoutes(300))
    first = next(plan)
    assert isinstance(first, Outgoing) and first.path == "/_matrix/app/v1/transactions/7"
    assert ("Authorization", "Bearer tok") in first.headers and "tok" not in repr(first)
    assert isinstance(plan.send(Failure("timeout", TimeoutError("slow"))), Sleep)
    second = plan.send(None)
    assert isinstance(second, Outgoing) and second.content == first.content == b'{"events":[]}'
    assert plan.send(Answer(503, {}, b"")) == Sleep(4)
    third = plan.send(None)
    assert isinstance(third, Outgoing)
    with pytest.raises(RequestFailedError, match="after 3 attempt"):
        plan.send(Failure("connect", ConnectionError("refused")))


def test_a_plan_refuses_a_wrong_outcome() -> None:
    settings = Settings(token="t", version="v1.19", auth="auto", validate=False, clock=float)
    call = build_call(settings, OPERATIONS["queryUserById"], path={"userId": "@u:e"}, query={})
    plan = appservice_plan(call, settings, LegacyRoutes(1))
    next(plan)
    with pytest.raises(TypeError, match="Answer or Failure"):
        plan.send(None)


def test_method_names() -> None:
    assert python_name("queryUserById") == "query_user"
    assert python_name("queryRoomByAlias") == "query_room_alias"
    assert python_name("queryUserByID") == "query_user_by_id"
    assert snake_case("updateAppserviceRoomDirectoryVisibility") == (
        "update_appservice_room_directory_visibility"
    )
    assert set(RENAMES) == {"queryUserById", "queryRoomByAlias"}
    for op in OPERATIONS.values():
        assert op.python_name == python_name(op.matrix_name)
        classes = (
            (AppServiceClient, AsyncAppServiceClient)
            if op.api == "application-service"
            else (HomeserverClient, AsyncHomeserverClient)
        )
        for cls in classes:
            assert callable(getattr(cls, op.python_name)), (cls, op.python_name)


CONTRACT = {
    AppServiceClient: "send_transaction ping query_user query_room_alias get_protocol_metadata "
    "query_location_by_protocol query_user_by_protocol query_location_by_alias query_user_by_id",
    HomeserverClient: "as_user register login ping_appservice "
    "update_appservice_room_directory_visibility get_protocols get_protocol_metadata "
    "query_location_by_protocol query_user_by_protocol query_location_by_alias "
    "query_user_by_id query_public_rooms send_message set_room_state_with_key update_device "
    "delete_device delete_devices upload_cross_signing_keys request close",
}


def test_sync_and_async_have_the_same_methods_and_docs() -> None:
    pairs = [(AppServiceClient, AsyncAppServiceClient), (HomeserverClient, AsyncHomeserverClient)]
    for sync, async_ in pairs:
        names = {n for n in vars(sync) if not n.startswith("_")}
        assert names == {n for n in vars(async_) if not n.startswith("_")}
        assert set(CONTRACT[sync].split()) <= {n for n in dir(sync) if not n.startswith("_")}
        for name in names:
            assert getattr(sync, name).__doc__ == getattr(async_, name).__doc__, name
            assert getattr(sync, name).__doc__, name


def test_the_package_imports_without_httpx() -> None:
    script = (
        "import sys\n"
        "sys.modules['httpx'] = None  # as if it were not installed\n"
        "import matrix_appservice\n"
        "assert matrix_appservice.validate(b'{\"events\": []}', request='sendTransaction').valid\n"
        "try:\n"
        "    import matrix_appservice.client\n"
        "except ImportError as exc:\n"
        "    print('client needs', exc.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO / "runtime", timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "client needs httpx"
    package = tomllib.loads((REPO / "generated" / "python" / "pyproject.toml").read_text())
    client = package["project"]["optional-dependencies"]["client"]
    assert client == ["httpx>=0.28,<1", "sniffio>=1.3"]
    assert package["project"]["optional-dependencies"]["aiohttp"] == [*client, "aiohttp>=3.10,<4"]
    assert "httpx" not in str(package["project"]["dependencies"])
    # The repository's dev install pins what the extra brings, sniffio included.
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"httpx==0.28.1", "sniffio==1.3.1"} <= set(dev["dev"])


def test_two_operations_with_one_method_name_are_an_error(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(RENAMES, "queryUserById", "query_user_by_id")
    with pytest.raises(
        SpecError,
        match=r"queryUserById and queryUserByID \(at spec/application-service/protocols.yaml:\d+\) would both be the Python",
    ) as raised:
        py_operations(spec)
    assert raised.value.loc.file.startswith("spec/application-service/")


def test_a_route_is_worked_out_once_and_says_what_the_metadata_says() -> None:
    from matrix_appservice import NotInReleaseError
    from matrix_appservice._client_core import auth_placement, identity_params, route

    modes = ("auto", "header", "query", "both")
    for op in OPERATIONS.values():
        for version in RELEASES:
            for mode in modes:
                if not op.exists_in(version):
                    with pytest.raises(NotInReleaseError):
                        route(op.name, version, mode)
                    continue
                known = route(op.name, version, mode)
                assert route(op.name, version, mode) is known
                assert known.template == op.path(version)
                assert (known.header, known.token_parameter) == auth_placement(op, version, mode)
                assert known.identity == identity_params(op, version)
                assert known.legacy == (op.legacy_paths[0] if op.legacy_paths else None)
    plain = route(None, "v1.17", "auto")
    assert (plain.template, plain.identity) == (None, ("user_id", "device_id"))


def test_the_client_imports_without_aiohttp_until_it_is_asked_for() -> None:
    script = (
        "import sys\n"
        "sys.modules['aiohttp'] = None  # as if it were not installed\n"
        "from matrix_appservice.client import AsyncHomeserverClient\n"
        "AsyncHomeserverClient('http://hs.test', 'tok')\n"
        "try:\n"
        "    AsyncHomeserverClient('http://hs.test', 'tok', backend='aiohttp')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO / "runtime", timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "pip install 'matrix-appservice[aiohttp]'" in done.stdout


def test_a_model_body_goes_out_under_its_wire_names() -> None:
    """A model's fields with MSC names travel under their wire names (by alias), and only
    the fields that were set."""
    sent: list[bytes] = []

    def appservice(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, json={})

    body = models.Transaction.model_validate(
        {"events": [], "de.sorunome.msc2409.to_device": [
            {"type": "m.dummy", "sender": "@a:e", "to_user_id": "@b:e", "to_device_id": "D",
             "content": {}}]}
    )  # fmt: skip
    with AppServiceClient(
        "http://as.test", "hs_token_0123456789ab", transport=httpx.MockTransport(appservice)
    ) as client:
        client.send_transaction("t1", body)
    wire = json.loads(sent[0])
    assert set(wire) == {"events", "de.sorunome.msc2409.to_device"}
    assert wire["de.sorunome.msc2409.to_device"][0]["to_device_id"] == "D"
