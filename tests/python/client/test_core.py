"""What the clients' core decides, seen from outside: retry policies, identity parameters and
token placement per release, a retried transaction, method names and the two flavours."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tomllib

import httpx
import pytest
from matrix_appservice import OPERATIONS, RELEASES, NotInReleaseError, models
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


class Recording:
    """A peer that records every request and answers from a script (an answer, or an
    exception to raise as the transport would)."""

    def __init__(self, *script: httpx.Response | type[httpx.TransportError]) -> None:
        self.script = list(script)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, type):
            raise item("scripted failure", request=request)
        return item

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def query_names(self) -> list[str]:
        return [name for name, _ in self.seen[-1].url.params.multi_items()]


def _homeserver(release: str, peer: Recording, **options: object) -> HomeserverClient:
    return HomeserverClient("http://hs", "tok", version=release, transport=peer.transport(),
                            **options)  # type: ignore[arg-type]  # fmt: skip


def test_identity_params_per_release() -> None:
    for release in RELEASES:
        peer = Recording(httpx.Response(200, json={"event_id": "$e"}))
        with _homeserver(release, peer) as client:
            devices = OPERATIONS["sendMessage"].identity_params(release)[1:]
            if not devices:  # no device_id to assert before v1.17: refused, not dropped
                with pytest.raises(ValueError, match="has no device_id"):
                    client.as_user("@u:e", device_id="D")
            alice = client.as_user("@u:e", device_id="D" if devices else None)
            alice.send_message("!r:e", "m.room.message", "t1", {"body": "x"})
            names = peer.query_names()
            assert names[0] == "user_id", release
            assert ("device_id" in names) is (release in ("v1.17", "v1.18", "v1.19", "unstable"))
            assert ("org.matrix.msc3202.device_id" in names) is (release == "unstable")
            assert names == list(OPERATIONS["sendMessage"].identity_params(release))
            alice.request("GET", "/_matrix/client/v3/account/whoami")  # outside the spec
            assert peer.query_names() == names  # the identity parameters of sendMessage
    peer = Recording(httpx.Response(200, json={"user_id": "@x:e"}))
    with _homeserver("v1.19", peer) as client:
        client.as_user("@u:e", device_id="D").register(username="x", inhibit_login=True)
        assert peer.query_names() == []  # register takes no identity assertion
    peer = Recording(httpx.Response(200, json={"duration_ms": 1}))
    with _homeserver("unstable", peer) as client:
        client.as_user("@u:e", device_id="D").ping_appservice("irc")
        assert peer.query_names() == ["user_id", "device_id", "org.matrix.msc3202.device_id"]


def _placement(request: httpx.Request) -> tuple[bool, bool]:
    """Whether the token went in the header, and whether in the query."""
    header = request.headers.get("Authorization") == "Bearer tok"
    return header, request.url.params.get("access_token") == "tok"


def test_auth_placement_reads_the_operation_metadata() -> None:
    tx = OPERATIONS["sendTransaction"]
    for release in tx.releases:
        kinds = {s.kind for s in tx.auth(release)}
        peer = Recording(httpx.Response(200, json={}))
        with AppServiceClient("http://as", "tok", version=release,
                              transport=peer.transport()) as client:  # fmt: skip
            client.send_transaction("1", {"events": []})
        assert _placement(peer.seen[0]) == ("bearer" in kinds, kinds == {"query"}), release
    peer = Recording(httpx.Response(200, json={}))
    with AppServiceClient("http://as", "tok", version="v1.3", auth="both",
                          transport=peer.transport()) as client:  # fmt: skip
        client.send_transaction("1", {"events": []})
    assert _placement(peer.seen[0]) == (True, True)
    for mode, expected in (("auto", (True, False)), ("query", (False, True))):
        peer = Recording(httpx.Response(200, json={}))
        with _homeserver("v1.19", peer, auth=mode) as client:
            client.get_protocols()
        assert _placement(peer.seen[0]) == expected, mode


def test_an_operation_outside_the_release_is_refused_before_it_is_sent() -> None:
    peer = Recording(httpx.Response(200, json={}))
    with AppServiceClient("http://as", "tok", version="v1.6", transport=peer.transport()) as client:
        with pytest.raises(NotInReleaseError):
            client.ping()
    assert peer.seen == []


def test_a_transaction_is_retried_with_the_same_bytes_then_given_up() -> None:
    sleeps: list[float] = []
    peer = Recording(httpx.ReadTimeout, httpx.Response(503), httpx.ConnectError)
    with AppServiceClient(
        "http://as", "tok", version="v1.19", retry=RetryPolicy(initial=2, max_attempts=3),
        transport=peer.transport(), sleep=sleeps.append,
    ) as client:  # fmt: skip
        with pytest.raises(RequestFailedError, match="after 3 attempt") as failed:
            client.send_transaction("7", {"events": []})
    assert sleeps == [2, 4] and failed.value.attempts == 3
    assert [r.url.path for r in peer.seen] == ["/_matrix/app/v1/transactions/7"] * 3
    assert {r.content for r in peer.seen} == {b'{"events":[]}'}
    assert all(r.headers["Authorization"] == "Bearer tok" for r in peer.seen)
    assert "tok" not in str(failed.value)


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
