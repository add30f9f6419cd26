"""Every generated method's signature follows one rule, checked against the IR.

Path parameters, then the request body (whole, or its required fields; a file as
``content``), then the required query parameters are positional; every optional argument is
keyword-only (header parameters, such as an upload's ``Content-Type``, among them); no
identity-assertion parameter of any release is ever an argument. The rule holds for both
clients, sync and async, and for both handler classes (which leave out the operations whose
body is a file, and header parameters).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
import pytest
from matrix_appservice.client import (
    AppServiceClient,
    AsyncAppServiceClient,
    AsyncHomeserverClient,
    HomeserverClient,
)
from matrix_appservice.homeserver import HomeserverHandler
from matrix_appservice.server import AppServiceHandler

from codegen.ir import Operation, OperationView, deref
from codegen.python.api import (
    BODY_ARGUMENT,
    FIELD_DEFAULTS,
    RAW_ARGUMENT,
    python_name,
    snake_case,
)
from codegen.spec import Spec

CLIENTS = {
    "application-service": (AppServiceClient, AsyncAppServiceClient),
    "client-server": (HomeserverClient, AsyncHomeserverClient),
}
HANDLERS = {"application-service": AppServiceHandler, "client-server": HomeserverHandler}


def _expected(op: Operation, *, client: bool) -> tuple[list[str], list[str]]:
    """(positional, keyword-only) argument names that the rule gives ``op``."""
    view: OperationView = op.newest
    identity = op.identity_names
    params = [p for p in view.params if p.name not in identity]
    path = [snake_case(p.name) for p in params if p.location == "path"]
    kept = ("query", "header") if client else ("query",)
    query = [p for p in params if p.location in kept]

    def name(p: Any) -> str:
        return "fields" if p.free_form else snake_case(p.name)

    required_query = [name(p) for p in query if p.required]
    optional_query = [name(p) for p in query if not p.required]
    body: list[str] = []
    optional_fields: list[str] = []
    defaulted: list[str] = []
    if view.raw_request is not None:
        body = [RAW_ARGUMENT] if client else ["body"]  # the handler takes the file as a Media
    if view.request is not None:
        if not client:
            body = ["body"]
        elif op.name in BODY_ARGUMENT:
            body = [BODY_ARGUMENT[op.name]]
        else:
            schema = deref(view.doc, view.request.schema)
            required = set(schema.get("required", []))
            for wire in schema.get("properties") or {}:
                if (op.name, wire) in FIELD_DEFAULTS:
                    defaulted.append(snake_case(wire))
                elif wire in required:
                    body.append(snake_case(wire))
                else:
                    optional_fields.append(snake_case(wire))
    if client:
        return [*path, *body, *required_query], [*optional_fields, *optional_query, *defaulted]
    return [*path, *required_query, *body], optional_query


def _signature(method: Any, skip: int) -> tuple[list[str], list[str], list[inspect.Parameter]]:
    params = list(inspect.signature(method).parameters.values())[skip:]
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keyword = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    return positional, keyword, params


def test_every_client_method_follows_the_rule(spec: Spec) -> None:
    checked = 0
    for op in spec.ir.operations:
        for cls in CLIENTS[op.api]:
            method = getattr(cls, python_name(op.matrix_name))
            positional, keyword, params = _signature(method, 1)
            want_positional, want_keyword = _expected(op, client=True)
            assert positional == want_positional, (cls.__name__, op.name)
            assert keyword == want_keyword, (cls.__name__, op.name)
            assert all(p.default is inspect.Parameter.empty for p in params if p.name in positional)
            assert all(
                p.default is not inspect.Parameter.empty for p in params if p.name in keyword
            )
            checked += 1
    assert checked == 2 * len(spec.ir.operations)


def test_every_handler_method_follows_the_rule(spec: Spec) -> None:
    for op in spec.ir.operations:
        if op.name == "sendTransaction":  # the server hands it one transaction object
            continue
        cls = HANDLERS[op.api]
        skip = 2 if op.api == "client-server" else 1  # self (and the requester)
        positional, keyword, _ = _signature(getattr(cls, python_name(op.matrix_name)), skip)
        assert (positional, keyword) == _expected(op, client=False), (cls.__name__, op.name)


def test_no_identity_parameter_of_any_release_is_an_argument(spec: Spec) -> None:
    spellings = {snake_case(n) for op in spec.ir.operations for n in op.identity_names}
    assert {"user_id", "device_id", "org_matrix_msc3202_device_id"} <= spellings
    for op in spec.ir.operations:
        # A path parameter or a body field may share the name (``userId``, ``device_id``).
        allowed = {snake_case(p.name) for p in op.newest.params_in("path")}
        if op.newest.request is not None:
            schema = deref(op.newest.doc, op.newest.request.schema)
            allowed |= {snake_case(w) for w in schema.get("properties") or {}}
        for cls in (*CLIENTS[op.api], HANDLERS[op.api]):
            names = set(inspect.signature(getattr(cls, python_name(op.matrix_name))).parameters)
            assert not (names & spellings) - allowed, (cls.__name__, op.name)


def test_a_positional_timestamp_is_refused() -> None:
    """``send_message(room, type, txn, content, ts)`` once sent the timestamp as a device ID."""
    sent: list[httpx.Request] = []

    def homeserver(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"event_id": "$e"})

    content = {"msgtype": "m.text", "body": "hi"}
    with HomeserverClient(
        "http://hs.test", "as_token_0123456789", version="unstable",
        transport=httpx.MockTransport(homeserver),
    ) as client:  # fmt: skip
        bridge = client.as_user("@_irc_alice:example.org", device_id="IRC")
        with pytest.raises(TypeError, match="positional"):
            bridge.send_message("!r:e", "m.room.message", "t1", content, 1700000000000)  # type: ignore[misc]
        bridge.send_message("!r:e", "m.room.message", "t1", content, ts=1700000000000)

    async def asynchronous() -> None:
        async with AsyncHomeserverClient(
            "http://hs.test", "as_token_0123456789", version="unstable",
            transport=httpx.MockTransport(homeserver),
        ) as client:  # fmt: skip
            with pytest.raises(TypeError, match="positional"):
                await client.send_message("!r:e", "m.room.message", "t2", content, 5)  # type: ignore[misc]

    asyncio.run(asynchronous())
    [request] = sent
    assert request.url.params["ts"] == "1700000000000"
    assert request.url.params["org.matrix.msc3202.device_id"] == "IRC"
    assert request.url.params["device_id"] == "IRC"
