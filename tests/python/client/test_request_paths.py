"""``request()``'s path contract, one table of cases for every backend.

Each case is run with the sync client, the async one over httpx and the async one over
aiohttp against a loopback peer that records the request line exactly as it arrived: a
path is a template whose ``path_params`` the client percent-encodes, the query is its own
argument merged with what ``as_user()`` adds, and a raw path that could change where the
request goes is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from matrix_appservice.client import AsyncHomeserverClient, HomeserverClient

from tests.hostile.peers import Head, recorder, serving

PREFIX = "/_matrix/client/v3"


@dataclass
class Case:
    name: str
    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)
    as_user: str | None = None
    sent: str | None = None
    """The request line's target the peer must see; None when the call is refused."""
    refused: str | None = None
    """A fragment of the ValueError's text, for a call refused before sending."""


CASES = [
    Case("alias", "GET", PREFIX + "/directory/room/{alias}", {"path_params": {"alias": "#a:b"}},
         sent=PREFIX + "/directory/room/%23a%3Ab"),
    Case("segment-breakers", "GET", PREFIX + "/rooms/{roomId}/state",
         {"path_params": {"roomId": "!r/x y\r\n?z#%"}},
         sent=PREFIX + "/rooms/%21r%2Fx%20y%0D%0A%3Fz%23%25/state"),
    Case("dot-value", "GET", PREFIX + "/profile/{userId}", {"path_params": {"userId": ".."}},
         sent=PREFIX + "/profile/%2E%2E"),
    Case("empty-value", "GET", PREFIX + "/rooms/{roomId}/state/m.room.name/{stateKey}",
         {"path_params": {"roomId": "!r:e", "stateKey": ""}},
         sent=PREFIX + "/rooms/%21r%3Ae/state/m.room.name/"),
    Case("pre-encoded", "GET", PREFIX + "/rooms/%21r%3Ae/joined_members",
         sent=PREFIX + "/rooms/%21r%3Ae/joined_members"),
    Case("pre-encoded-dots", "GET", PREFIX + "/rooms/%2E%2E/state",
         sent=PREFIX + "/rooms/%2E%2E/state"),
    Case("sub-delims", "GET", PREFIX + "/x/a!$&'()*+,;=:@~b", sent=PREFIX + "/x/a!$&'()*+,;=:@~b"),
    Case("query", "GET", PREFIX + "/publicRooms", {"query": {"limit": 5, "since": "a b&c=d"}},
         sent=PREFIX + "/publicRooms?limit=5&since=a%20b%26c%3Dd"),
    Case("as-user-query", "GET", PREFIX + "/joined_rooms", {"query": {"limit": 1}},
         as_user="@bot:e", sent=PREFIX + "/joined_rooms?limit=1&user_id=%40bot%3Ae"),
    Case("as-user-template", "POST", PREFIX + "/join/{room}",
         {"path_params": {"room": "#x:e"}, "json": {}}, as_user="@bot:e",
         sent=PREFIX + "/join/%23x%3Ae?user_id=%40bot%3Ae"),
    Case("lower-case-method", "post", PREFIX + "/createRoom", {"json": {"name": "n"}},
         sent=PREFIX + "/createRoom"),
    Case("raw-query", "GET", PREFIX + "/publicRooms?limit=5", refused="'?' would start a query"),
    Case("raw-query-as-user", "GET", PREFIX + "/joined_rooms?limit=1", as_user="@bot:e",
         refused="'?' would start a query"),
    Case("raw-hash", "GET", PREFIX + "/directory/room/#a:b", refused="'#' would end the path"),
    Case("raw-space", "GET", PREFIX + "/rooms/a b", refused="cannot go into a request line"),
    Case("raw-crlf", "GET", PREFIX + "/x\r\nX-Evil: 1", refused="cannot go into a request line"),
    Case("raw-tab", "GET", PREFIX + "/x\ty", refused="cannot go into a request line"),
    Case("raw-nul", "GET", PREFIX + "/x\x00", refused="cannot go into a request line"),
    Case("raw-non-ascii", "GET", PREFIX + "/rooms/é", refused="is not a path character"),
    Case("raw-bad-escape", "GET", PREFIX + "/rooms/%zz", refused="'%' is not followed"),
    Case("raw-dot-dot", "GET", PREFIX + "/rooms/../admin", refused="'.' or '..' segment"),
    Case("raw-dot", "GET", PREFIX + "/./rooms", refused="'.' or '..' segment"),
    Case("absolute-url", "GET", "http://elsewhere.example/x", refused="takes a path on the homeserver"),
    Case("network-path", "GET", "//elsewhere.example/x", refused="takes a path on the homeserver"),
    Case("missing-param", "GET", PREFIX + "/directory/room/{alias}", refused="needs path_params['alias']"),
    Case("unused-param", "GET", PREFIX + "/joined_rooms", {"path_params": {"alias": "#a:b"}},
         refused="has no placeholder for alias"),
    Case("bad-placeholder", "GET", PREFIX + "/rooms/{room id}", refused="is not a name"),
    Case("stray-brace", "GET", PREFIX + "/rooms/{roomId", {"path_params": {"roomId": "r"}},
         refused="is not a path character"),
    Case("identity-clash", "GET", PREFIX + "/joined_rooms", {"query": {"user_id": "@other:e"}},
         as_user="@bot:e", refused="sets the query parameter user_id itself"),
    Case("bad-method", "GET /x HTTP/1.1\r\n", PREFIX + "/joined_rooms", refused="the method is a word"),
]  # fmt: skip


def _call(kind: str, url: str, case: Case) -> Any:
    options = {"backend": "aiohttp"} if kind == "aiohttp" else {}
    if kind == "sync":
        with HomeserverClient(url, "as-token", **options) as client:
            actor = client.as_user(case.as_user) if case.as_user else client
            return actor.request(case.method, case.path, **case.options)

    async def main() -> Any:
        async with AsyncHomeserverClient(url, "as-token", **options) as client:
            actor = client.as_user(case.as_user) if case.as_user else client
            return await actor.request(case.method, case.path, **case.options)

    return asyncio.run(main())


@pytest.mark.parametrize("kind", ["sync", "async", "aiohttp"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_request_paths(kind: str, case: Case) -> None:
    seen: list[Head] = []
    with serving(recorder(seen)) as url:
        if case.refused is not None:
            with pytest.raises(ValueError) as caught:
                _call(kind, url, case)
            assert case.refused in str(caught.value), str(caught.value)
            assert "\n" not in str(caught.value)  # one line
            assert seen == []  # nothing left the client
            return
        assert _call(kind, url, case) == {}
    method = case.method.upper()
    assert [head.line.decode("latin-1") for head in seen] == [f"{method} {case.sent} HTTP/1.1"]


def test_a_missing_path_parameter_is_told_before_a_value_of_another_type() -> None:
    # The template is filled in one pass; what it tells about bad parameters stays in the
    # order the contract gives: a missing name first, then a value that is no string.
    sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.raw_path)
        return httpx.Response(200, json={})

    template = PREFIX + "/rooms/{roomId}/send/{eventType}/{txnId}"
    with HomeserverClient(
        "http://hs.test", "as-token", transport=httpx.MockTransport(answer)
    ) as hs:
        with pytest.raises(ValueError, match=r"needs path_params\['txnId'\]"):
            hs.request("PUT", template, path_params={"roomId": 5, "eventType": "m.x", "other": "t"})  # type: ignore[dict-item]
        with pytest.raises(TypeError, match="roomId is a string, not int"):
            hs.request("PUT", template, path_params={"roomId": 5, "eventType": "m.x", "txnId": "t"})  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="has no placeholder for other"):
            hs.request(
                "PUT", template,
                path_params={"roomId": "!r", "eventType": "m.x", "txnId": "t", "other": 1},  # type: ignore[dict-item]
            )  # fmt: skip
        assert sent == []  # nothing left the client
        hs.request(
            "PUT", template, path_params={"roomId": "!r:e", "eventType": "..", "txnId": "a/b"}
        )
    assert [raw.split(b"?")[0] for raw in sent] == [
        (PREFIX + "/rooms/%21r%3Ae/send/%2E%2E/a%2Fb").encode()
    ]
