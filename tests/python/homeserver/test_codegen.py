"""The generated homeserver side: one handler method and one dispatch entry per Client-Server
operation, named like the generated client's method (``Operation.python_name``)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from matrix_appservice.homeserver import (
    DISPATCH,
    HANDLER_METHODS,
    HomeserverHandler,
    MatrixError,
    Requester,
    _handler,
)
from matrix_appservice.operations import OPERATIONS
from matrix_appservice.server._request import HandlerRequest

CLIENT_SERVER = sorted(
    o.name
    for o in OPERATIONS.values()
    # The handler takes and answers JSON; operations whose body is a file are not served yet.
    if o.api == "client-server" and not o.raw_request and not o.raw_responses
)
REQUESTER = Requester(appservice_id="irc", user_id="@_irc_a:localhost", device_id=None)


class Called(Exception):
    """Raised by a recording handler method: which method, with which arguments."""

    def __init__(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        super().__init__(name)
        self.name, self.args_, self.kwargs = name, args, kwargs


def _query(op: Any) -> list[tuple[str, str]]:
    """A value for each required query parameter (a digit string parses as text and number)."""
    return [(name, "7") for name, required in op.query_params if required]


def test_every_client_server_operation_has_a_method_and_a_dispatch_entry() -> None:
    assert CLIENT_SERVER, "no Client-Server operation in the metadata"
    assert sorted(DISPATCH) == CLIENT_SERVER
    assert dict(HANDLER_METHODS) == {n: OPERATIONS[n].python_name for n in CLIENT_SERVER}
    for name in CLIENT_SERVER:
        op = OPERATIONS[name]
        method = getattr(HomeserverHandler, op.python_name, None)
        assert inspect.iscoroutinefunction(method), f"{name}: no async {op.python_name}"
        params = inspect.signature(method).parameters
        assert list(params)[:2] == ["self", "requester"], name
        assert ("body" in params) == (op.request is not None), name


@pytest.mark.parametrize("name", CLIENT_SERVER)
def test_dispatch_calls_the_method_named_by_the_operation(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    op = OPERATIONS[name]
    monkeypatch.setattr(_handler, "_body", lambda model, request: ("body of", model))
    handler = HomeserverHandler()

    def recorder(method: str) -> Any:
        async def record(*args: Any, **kwargs: Any) -> Any:
            raise Called(method, args, kwargs)

        return record

    for other in HANDLER_METHODS.values():
        setattr(handler, other, recorder(other))
    request = HandlerRequest(path={p: f"value-of-{p}" for p in op.path_params}, query=_query(op))
    with pytest.raises(Called) as called:
        asyncio.run(DISPATCH[name](handler, REQUESTER, request))
    assert called.value.name == op.python_name
    # Positional arguments go by position (a subclass may name them as it likes), the
    # optional ones by keyword.
    args = called.value.args_
    assert args[0] is REQUESTER
    assert list(args[1 : 1 + len(op.path_params)]) == [f"value-of-{p}" for p in op.path_params]
    if op.request is not None:
        assert ("body of", op.request) in args


def test_a_method_not_overridden_answers_unrecognized() -> None:
    handler = HomeserverHandler()
    unrecognized = []
    for name in CLIENT_SERVER:
        op = OPERATIONS[name]
        request = HandlerRequest(path={p: "x" for p in op.path_params}, query=_query(op), body={})
        try:
            asyncio.run(DISPATCH[name](handler, REQUESTER, request))
        except MatrixError as exc:
            if exc.errcode == "M_BAD_JSON":  # a required field missing from {}: not the point
                continue
            assert (exc.status, exc.errcode) == (404, "M_UNRECOGNIZED"), name
        else:
            raise AssertionError(f"{name}: the base class answered")
        unrecognized.append(name)
    bodiless = [n for n in CLIENT_SERVER if OPERATIONS[n].request is None]
    assert bodiless and set(bodiless) <= set(unrecognized)
