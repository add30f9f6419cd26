"""The generated homeserver side: one handler method per Client-Server operation, named like
the generated client's method (``Operation.python_name``), reached through the app."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from matrix_appservice import LATEST
from matrix_appservice.homeserver import HomeserverApp, HomeserverHandler
from matrix_appservice.operations import OPERATIONS

from tests.python.homeserver.support import AS_TOKEN, loaded, registration

CLIENT_SERVER = sorted(o.name for o in OPERATIONS.values() if o.api == "client-server")
BUNDLE = Path(__file__).resolve().parents[3] / "generated" / "openapi" / f"{LATEST}.json"
AUTH = {"Authorization": f"Bearer {AS_TOKEN}"}
MODELS = [r.model for r in loaded(registration())]


def _example_bodies() -> dict[str, Any]:
    """The first request example of each operation in the bundled spec of the release."""
    found: dict[str, Any] = {}
    for item in json.loads(BUNDLE.read_text())["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            examples = list((content.get("examples") or {}).values())
            if examples:
                found[op["operationId"]] = examples[0]["value"]
    return found


EXAMPLES = _example_bodies()


def _url(op: Any) -> str:
    path = op.path(LATEST)
    for name in op.path_params:
        path = path.replace("{" + name + "}", quote(f"value-of-{name}", safe=""))
    query = "&".join(f"{name}=7" for name, required in op.query_params if required)
    return f"{path}?{query}" if query else path


def _send(app: HomeserverApp, name: str) -> httpx.Response:
    op = OPERATIONS[name]

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hs") as client:
            body = EXAMPLES.get(name, {}) if op.request is not None else None
            return await client.request(op.method, _url(op), json=body, headers=AUTH)

    return asyncio.run(go())


def test_every_client_server_operation_has_a_method() -> None:
    assert CLIENT_SERVER, "no Client-Server operation in the metadata"
    for name in CLIENT_SERVER:
        op = OPERATIONS[name]
        method = getattr(HomeserverHandler, op.python_name, None)
        assert inspect.iscoroutinefunction(method), f"{name}: no async {op.python_name}"
        params = inspect.signature(method).parameters
        assert list(params)[:2] == ["self", "requester"], name
        assert ("body" in params) == (op.request is not None), name


class Recording(HomeserverHandler):
    """Every operation's method records how it was called, then answers 500 (an exception)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        for name in CLIENT_SERVER:
            method = OPERATIONS[name].python_name
            setattr(self, method, self._recorder(method))

    def _recorder(self, method: str) -> Any:
        async def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, args, kwargs))
            raise RuntimeError("recorded")

        return record


@pytest.mark.parametrize("name", CLIENT_SERVER)
def test_a_request_reaches_the_method_named_by_the_operation(name: str) -> None:
    op = OPERATIONS[name]
    handler = Recording()
    app = HomeserverApp(MODELS, handler, server_name="localhost")
    answer = _send(app, name)
    assert answer.status_code == 500, answer.text  # the recorder's own failure
    [(method, args, _kwargs)] = handler.calls
    assert method == op.python_name
    # Positional arguments go by position (a subclass may name them as it likes), the
    # optional ones by keyword; the requester comes first.
    assert args[0].appservice_id == "irc" and args[0].user_id == "@ircbot:localhost"
    assert list(args[1 : 1 + len(op.path_params)]) == [f"value-of-{p}" for p in op.path_params]
    if op.request is not None:
        assert any(isinstance(arg, op.request) for arg in args), args


def test_a_method_not_overridden_answers_unrecognized() -> None:
    app = HomeserverApp(MODELS, HomeserverHandler(), server_name="localhost")
    unrecognized = []
    for name in CLIENT_SERVER:
        answer = _send(app, name)
        errcode = answer.json()["errcode"]
        if errcode == "M_BAD_JSON":  # the example body does not suit the release: not the point
            continue
        assert (answer.status_code, errcode) == (404, "M_UNRECOGNIZED"), name
        unrecognized.append(name)
    bodiless = [n for n in CLIENT_SERVER if OPERATIONS[n].request is None]
    assert bodiless and set(bodiless) <= set(unrecognized)
    assert len(unrecognized) == len(CLIENT_SERVER), set(CLIENT_SERVER) - set(unrecognized)
