"""The appservice server and the homeserver run requests through one pipeline: the same token
rule, the same routing, body limits, JSON reading and error answers, each shown here on both
apps with the same request; and the homeserver needs no private module of the server.

Both sides serve a ping with an optional JSON body whose ``transaction_id`` must be a string:
``POST /_matrix/app/v1/ping`` on the appservice, ``POST
/_matrix/client/v1/appservice/{appserviceId}/ping`` on the homeserver.
"""

from __future__ import annotations

import ast
import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic

import pytest
from matrix_appservice.homeserver import HomeserverApp, HomeserverHandler, Requester
from matrix_appservice.models import PingAppserviceRequest, PingRequest
from matrix_appservice.server import AppServiceApp, AppServiceHandler, create_app

from tests.python.homeserver.support import loaded
from tests.python.homeserver.support import registration as hs_registration
from tests.python.server.support import asgi_request
from tests.python.server.support import registration as as_registration

RUNTIME = Path(__file__).resolve().parents[2] / "runtime" / "matrix_appservice"
LIMIT = 1000


class Pong(AppServiceHandler):
    def __init__(self, fail: BaseException | None = None, answer: Any = None) -> None:
        self.fail, self.answer = fail, answer

    async def ping(self, body: PingRequest) -> Any:
        if self.fail is not None:
            raise self.fail
        return {} if self.answer is None else self.answer


class HsPong(HomeserverHandler):
    def __init__(self, fail: BaseException | None = None, answer: Any = None) -> None:
        self.fail, self.answer = fail, answer

    async def ping_appservice(
        self, requester: Requester, appservice_id: str, body: PingAppserviceRequest
    ) -> Any:
        if self.fail is not None:
            raise self.fail
        return {"duration_ms": 1} if self.answer is None else self.answer


@dataclass(frozen=True)
class Side:
    """One of the two apps, and what it answers where the two differ by the spec."""

    name: str
    token: str
    ping: bytes
    wrong_token: tuple[int, str]

    def app(self, query_token: bool = False, **options: Any) -> Any:
        handler = options.pop("handler", None)
        options.setdefault("max_body_bytes", LIMIT)
        if self.name == "appservice":
            return create_app(
                as_registration(), handler or Pong(), store="memory", legacy_query_auth=query_token,
                **options,
            )  # fmt: skip
        version = "v1.19" if query_token else "unstable"  # the query token: until v1.19
        models = [r.model for r in loaded(hs_registration())]
        return HomeserverApp(
            models, handler or HsPong(), server_name="localhost", version=version, **options,
        )  # fmt: skip

    def handler(self, fail: BaseException | None = None, answer: Any = None) -> Any:
        return Pong(fail, answer) if self.name == "appservice" else HsPong(fail, answer)


APPSERVICE = Side("appservice", "hs-secret-7d1f0c", b"/_matrix/app/v1/ping", (403, "M_FORBIDDEN"))
HOMESERVER = Side(
    "homeserver",
    "as-secret-4c1d9e",
    b"/_matrix/client/v1/appservice/irc/ping",
    (401, "M_UNKNOWN_TOKEN"),
)
SIDES = [pytest.param(APPSERVICE, id="appservice"), pytest.param(HOMESERVER, id="homeserver")]


def _send(
    app: Any,
    method: str,
    path: bytes,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
    **scope: Any,
) -> tuple[int, dict[bytes, bytes], Any, int]:
    import orjson

    async def go() -> tuple[int, list[tuple[bytes, bytes]], bytes, int]:
        try:
            return await asgi_request(
                app, method, path, query=query, headers=headers, chunks=chunks, **scope
            )
        finally:
            await app.close()

    status, answer_headers, body, taken = asyncio.run(go())
    return status, dict(answer_headers), orjson.loads(body), taken


def _bearer(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {token}".encode())]


# -- the token rule ------------------------------------------------------------------------

T = "{token}"
TOKEN_CASES = [
    # (header, query string, where the query token is accepted?, outcome)
    (f"Bearer {T}", "", False, "ok"),
    (f"bearer {T}", "", False, "ok"),
    (f"  Bearer   {T}  ", "", False, "ok"),
    (None, f"access_token={T}", True, "ok"),
    (None, f"access_token={T}", False, "missing"),
    (f"Bearer {T}", f"access_token={T}", True, "ok"),
    (f"Bearer {T}", f"access_token={T}", False, "ok"),
    (f"Bearer {T}", "access_token=other-token-123", True, "wrong"),
    (f"Bearer {T}", "access_token=other-token-123", False, "wrong"),
    (None, f"access_token={T}&access_token=other-token-123", True, "wrong"),
    (None, f"access_token={T}&access_token={T}", True, "ok"),
    ("Bearer ", "", True, "missing"),
    ("Bearer    ", "access_token=", True, "missing"),
    (None, "access_token=", True, "missing"),
    (None, "access_token=%20", True, "missing"),
    ("Bearer ", f"access_token={T}", True, "ok"),
    ("Bearer other-token-123", "", True, "wrong"),
    (f"Basic {T}", "", False, "missing"),
    (None, "", True, "missing"),
]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(("header", "query", "accepted", "outcome"), TOKEN_CASES)
def test_both_apps_read_tokens_by_one_rule(
    side: Side, header: str | None, query: str, accepted: bool, outcome: str
) -> None:
    headers = (
        [] if header is None else [(b"authorization", header.format(token=side.token).encode())]
    )
    status, _, body, _ = _send(
        side.app(query_token=accepted), "POST", side.ping, headers=headers,
        query=query.format(token=side.token).encode(), chunks=[b"{}"],
    )  # fmt: skip
    expected = {
        "ok": (200, None),
        "missing": (401, "M_MISSING_TOKEN"),
        "wrong": side.wrong_token,
    }[outcome]
    assert (status, body.get("errcode")) == expected, body


@pytest.mark.parametrize("side", SIDES)
def test_a_query_token_where_it_is_not_read_is_named_in_the_answer(side: Side) -> None:
    status, _, body, _ = _send(
        side.app(), "POST", side.ping, query=f"access_token={side.token}".encode()
    )
    assert (status, body["errcode"]) == (401, "M_MISSING_TOKEN")
    assert "Authorization: Bearer header" in body["error"]


# -- routing, bodies, JSON, errors -----------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    ("hosts", "version", "answered"),
    [
        ((), "1.1", False),
        ((b"",), "1.1", False),
        ((b"a", b"b"), "1.1", False),
        ((b"a", b"a"), "1.0", False),
        ((), "1.0", True),
        ((b"a",), "1.0", True),
    ],
)
def test_a_request_needs_one_host_header(
    side: Side, hosts: tuple[bytes, ...], version: str, answered: bool
) -> None:
    status, _, body, taken = _send(
        side.app(), "POST", side.ping, headers=_bearer(side.token), chunks=[b"{}"],
        hosts=hosts, http_version=version,
    )  # fmt: skip
    if answered:
        assert status == 200, body
    else:
        assert (status, body["errcode"], taken) == (400, "M_UNKNOWN", 0)
        assert "Host header" in body["error"]


@pytest.mark.parametrize("side", SIDES)
def test_unknown_paths_and_methods_are_unrecognized(side: Side) -> None:
    auth = _bearer(side.token)
    status, _, body, _ = _send(side.app(), "POST", side.ping + b"/more", headers=auth)
    assert (status, body["errcode"]) == (404, "M_UNRECOGNIZED")
    status, headers, body, _ = _send(side.app(), "DELETE", side.ping, headers=auth)
    assert (status, body["errcode"], headers[b"allow"]) == (405, "M_UNRECOGNIZED", b"POST")


@pytest.mark.parametrize("side", SIDES)
def test_a_body_past_the_limit_is_refused_and_not_read_further(side: Side) -> None:
    auth = _bearer(side.token)
    declared = [*auth, (b"content-length", b"%d" % (LIMIT + 1))]
    status, _, body, taken = _send(side.app(), "POST", side.ping, headers=declared, chunks=[b"{}"])
    assert (status, body["errcode"], taken) == (413, "M_TOO_LARGE", 0)
    chunks = [b" " * 400] * 10
    status, _, body, taken = _send(side.app(), "POST", side.ping, headers=auth, chunks=chunks)
    assert (status, body["errcode"], taken) == (413, "M_TOO_LARGE", 3)  # 1,200 bytes > 1,000
    status, _, body, taken = _send(side.app(), "POST", side.ping, chunks=chunks)
    assert (status, body["errcode"], taken) == (401, "M_MISSING_TOKEN", 0)  # never read


@pytest.mark.parametrize("side", SIDES)
def test_json_is_read_by_one_parser_and_checked_against_the_release(side: Side) -> None:
    auth = _bearer(side.token)
    for raw in (b"{", b"\xff", b"[" * 2000 + b"]" * 2000):  # too deep for the parser
        app = side.app(max_body_bytes=10_000)
        status, _, body, _ = _send(app, "POST", side.ping, headers=auth, chunks=[raw])
        assert (status, body["errcode"]) == (400, "M_NOT_JSON"), raw
    bad = b'{"transaction_id": 5}'
    status, _, body, _ = _send(side.app(), "POST", side.ping, headers=auth, chunks=[bad])
    assert (status, body["errcode"]) == (400, "M_BAD_JSON")
    assert body["error"].startswith("$.transaction_id: 5 is not of type")


@pytest.mark.parametrize("side", SIDES)
def test_unreadable_queries_and_path_segments_are_invalid_params(side: Side) -> None:
    auth = _bearer(side.token)
    status, _, body, _ = _send(side.app(), "POST", side.ping, headers=auth, query=b"x=\xff")
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    if side is HOMESERVER:  # the appservice's ping has no path parameter
        path = b"/_matrix/client/v1/appservice/%FF/ping"
        status, _, body, _ = _send(side.app(), "POST", path, headers=auth)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")


@pytest.mark.parametrize("side", SIDES)
def test_failures_and_answers_off_the_spec_are_500_unknown(
    side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    auth = _bearer(side.token)
    for handler in (side.handler(fail=RuntimeError("boom")), side.handler(answer=[])):
        app = side.app(handler=handler)
        with caplog.at_level("ERROR"):
            status, _, body, _ = _send(app, "POST", side.ping, headers=auth, chunks=[b"{}"])
        assert (status, body["errcode"]) == (500, "M_UNKNOWN")
        assert f"The {side.name} " in body["error"] or "invalid answer" in body["error"]
    assert any("does not fit the spec" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("side", SIDES)
def test_the_access_log_is_one_line_per_request_without_the_query(
    side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    app = side.app(access_log=True)
    with caplog.at_level("INFO"):
        _send(app, "POST", side.ping, query=b"access_token=secret-in-query")
    lines = [r for r in caplog.records if getattr(r, "event", None) == "request"]
    assert [r.getMessage() for r in lines] == [f"POST {side.ping.decode()} 401"]


# -- one pipeline in the code ----------------------------------------------------------------


def _imports(folder: Path) -> set[str]:
    found = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_the_homeserver_imports_no_private_module_of_the_server() -> None:
    private = sorted(
        m for m in _imports(RUNTIME / "homeserver") if m.startswith("matrix_appservice.server._")
    )
    assert private == []


def test_both_apps_are_one_pipeline() -> None:
    shared = set(AppServiceApp.__mro__) & set(HomeserverApp.__mro__) - {object, Generic}
    assert shared, "the two apps share no base class"
    for step in ("__call__", "answer", "checked"):
        assert getattr(AppServiceApp, step) is getattr(HomeserverApp, step), step
