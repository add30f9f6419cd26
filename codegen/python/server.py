"""What the generated appservice server needs to know of each homeserver -> appservice operation.

One entry per operation of the application-service API (newest view): the handler method's
name, its arguments (path parameters, query parameters, request body) and what a handler that
does nothing answers. The server template renders the handler base class and the dispatch
table from these entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from codegen.bundle import HTTP_METHODS, deref
from codegen.python.client import snake_case
from codegen.python.metadata import OperationMeta
from codegen.spec import Spec

__all__ = ["HandlerArg", "ServerOperation", "collect_server_operations"]

# The one operation with exactly-once semantics; the server hands it a transaction object.
_TRANSACTION = "sendTransaction"


@dataclass
class HandlerArg:
    wire: str
    """The parameter's name in the path or the query string."""
    python: str
    where: Literal["path", "query", "fields"]
    """``fields``: an object spread over the query string, one parameter per key."""
    required: bool
    description: str


@dataclass
class ServerOperation:
    name: str
    method: str
    python: str
    summary: str
    description: str
    args: list[HandlerArg] = field(default_factory=list)
    request: str | None = None
    response: str | None = None
    transaction: bool = False
    default: Literal["accept", "not_found"] = "not_found"


def _find(doc: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in HTTP_METHODS and op.get("operationId") == operation_id:
                return dict(op)
    raise KeyError(operation_id)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _of_api(operations: list[OperationMeta], api: str) -> Iterator[OperationMeta]:
    """The operations of one API; two of them on one handler method name are an error."""
    names: dict[str, str] = {}
    for meta in operations:
        if meta.api != api:
            continue
        if meta.python_name in names:
            raise ValueError(
                f"{meta.name} and {names[meta.python_name]} both map to the method {meta.python_name}"
            )
        names[meta.python_name] = meta.name
        yield meta


def collect_server_operations(spec: Spec, operations: list[OperationMeta]) -> list[ServerOperation]:
    """The application-service operations, sorted by name, with their handler signatures."""
    doc = spec.bundle(spec.releases.unstable)
    out: list[ServerOperation] = []
    for meta in _of_api(operations, "application-service"):
        op = _find(doc, meta.name)
        python = meta.python_name
        entry = ServerOperation(
            name=meta.name,
            method=meta.method,
            python=python,
            summary=meta.summary,
            description=_one_line(op.get("description", "")),
            request=meta.request,
            response=meta.responses.get("200"),
            transaction=meta.name == _TRANSACTION,
            default="accept" if meta.request else "not_found",
        )
        for param in (deref(doc, p) for p in op.get("parameters", [])):
            schema = param.get("schema", {})
            spread = param["in"] == "query" and schema.get("type") == "object"
            entry.args.append(
                HandlerArg(
                    wire=param["name"],
                    python=snake_case(param["name"]),
                    where="fields" if spread else param["in"],
                    required=bool(param.get("required")),
                    description=_one_line(param.get("description", "")),
                )
            )
        out.append(entry)
    return sorted(out, key=lambda e: e.name)
