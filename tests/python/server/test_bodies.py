"""Request bodies: malformed, invalid, too large, hostile, and the tolerated quirks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from matrix_appservice.models import PingRequest, PingResponse
from matrix_appservice.server import AppServiceHandler

from tests.python.server.support import AUTH, TXN, Recorder, event, run, serving


def test_malformed_json_is_400_not_json() -> None:
    async def go() -> None:
        recorder = Recorder()
        async with serving(recorder) as (client, _):
            for raw in (b"{", b"not json", b"", b"   ", b'{"events": [}', b"\xff\xfe"):
                response = await client.put(TXN + "1", content=raw, headers=AUTH)
                assert response.status_code == 400, raw
                assert response.json()["errcode"] == "M_NOT_JSON", raw
        assert recorder.calls == 0

    run(go())


def test_schema_violation_is_400_bad_json_with_the_path() -> None:
    async def go() -> None:
        recorder = Recorder()
        async with serving(recorder) as (client, _):
            broken = event(1)
            del broken["room_id"]
            response = await client.put(
                TXN + "1", json={"events": [event(0), broken]}, headers=AUTH
            )
            assert response.status_code == 400 and response.json()["errcode"] == "M_BAD_JSON"
            assert '$.events[1]: "room_id" is a required property' in response.json()["error"]
            wrong_type = event(0, origin_server_ts="1700000000000")
            response = await client.put(TXN + "2", json={"events": [wrong_type]}, headers=AUTH)
            assert "$.events[0].origin_server_ts" in response.json()["error"]
            for body in ([], {"events": {}}, {"ephemeral": []}):
                response = await client.put(TXN + "3", json=body, headers=AUTH)
                assert response.json()["errcode"] == "M_BAD_JSON", body
        assert recorder.calls == 0

    run(go())


def test_too_large_from_content_length() -> None:
    async def go() -> None:
        async with serving(Recorder(), max_body_bytes=1000) as (client, _):
            body = {"events": [event(i) for i in range(20)]}
            response = await client.put(TXN + "1", json=body, headers=AUTH)
            assert response.status_code == 413 and response.json()["errcode"] == "M_TOO_LARGE"
            small = await client.put(TXN + "2", json={"events": [event(1)]}, headers=AUTH)
            assert small.status_code == 200

    run(go())


def test_too_large_while_streaming_reads_no_more_than_the_limit() -> None:
    limit = 10_000
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"events": ['
        while sent < 50 * limit:  # a ceiling, so that a broken server cannot hang the test
            chunk = b'{"a": 1}, ' * 100
            sent += len(chunk)
            yield chunk

    async def go() -> None:
        async with serving(Recorder(), max_body_bytes=limit) as (client, _):
            response = await client.put(TXN + "1", content=endless(), headers=AUTH)
            assert "content-length" not in response.request.headers
            assert response.status_code == 413 and response.json()["errcode"] == "M_TOO_LARGE"

    run(go())
    assert sent <= limit + 1000  # stopped at the first chunk past the limit


def test_unauthenticated_large_body_is_not_read() -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(100):
            read += 1000
            yield b" " * 1000

    async def go() -> None:
        async with serving(Recorder()) as (client, _):
            response = await client.put(TXN + "1", content=body())
            assert response.status_code == 401

    run(go())
    assert read <= 1000


def test_hostile_bodies_answer_in_bounded_time() -> None:
    async def go() -> None:
        async with serving(Recorder()) as (client, _):
            started = time.monotonic()
            deep = b'{"events": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
            response = await client.put(TXN + "1", content=deep, headers=AUTH)
            assert response.status_code == 400 and response.json()["errcode"] == "M_NOT_JSON"
            huge_int = b'{"events": [], "n": ' + b"9" * 5000 + b"}"
            response = await client.put(TXN + "2", content=huge_int, headers=AUTH)
            assert response.status_code in (200, 400)
            many = b'{"events": [' + b",".join([b"{}"] * 100_000) + b"]}"
            response = await client.put(TXN + "3", content=many, headers=AUTH)
            assert response.status_code == 400 and len(response.content) < 5000
            assert time.monotonic() - started < 60

    run(go())


def test_ping_hands_over_the_transaction_id_and_tolerates_null() -> None:
    seen: list[PingRequest] = []

    class Pinged(AppServiceHandler):
        async def ping(self, body: PingRequest) -> PingResponse:
            seen.append(body)
            return PingResponse()

    async def go() -> None:
        async with serving(Pinged()) as (client, _):
            url = "/_matrix/app/v1/ping"
            for body in ({"transaction_id": "mautrix-go_1"}, {"transaction_id": None}, {}):
                response = await client.post(url, json=body, headers=AUTH)
                assert response.status_code == 200 and response.json() == {}
            assert (await client.post(url, content=b"", headers=AUTH)).status_code == 200
            bad = await client.post(url, json={"transaction_id": 5}, headers=AUTH)
            assert bad.status_code == 400 and "$.transaction_id" in bad.json()["error"]

    run(go())
    assert [p.transaction_id for p in seen] == ["mautrix-go_1", None, None, None]
    assert all(isinstance(p, PingRequest) for p in seen)


def test_synapse_extra_event_keys_are_kept() -> None:
    async def go() -> Any:
        recorder = Recorder()
        async with serving(recorder) as (client, _):
            legacy = event(1, age=5, user_id="@alice:example.org")
            response = await client.put(TXN + "1", json={"events": [legacy]}, headers=AUTH)
            assert response.status_code == 200
        return recorder.transactions[0].events[0]

    first = run(go())
    assert first.model_extra == {"age": 5, "user_id": "@alice:example.org"}
