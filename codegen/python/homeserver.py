"""What the generated homeserver app needs to know of each Client-Server extension operation.

One entry per ``client-server`` operation (newest view): the handler method's name, its
arguments (path parameters, query parameters other than the identity-assertion ones, the
request body) and the model of its 200 answer. The homeserver template renders the handler
base class and the dispatch table from these entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codegen.bundle import deref
from codegen.python.client import snake_case
from codegen.python.metadata import OperationMeta
from codegen.python.server import _find, _of_api, _one_line
from codegen.spec import Spec

__all__ = ["HomeserverArg", "HomeserverOperation", "collect_homeserver_operations"]


@dataclass
class HomeserverArg:
    wire: str
    python: str
    where: Literal["path", "query", "fields"]
    """``fields``: an object spread over the query string, one parameter per key."""
    kind: Literal["str", "int"]
    required: bool
    description: str


@dataclass
class HomeserverOperation:
    name: str
    method: str
    python: str
    summary: str
    description: str
    args: list[HomeserverArg] = field(default_factory=list)
    request: str | None = None
    response: str | None = None


def collect_homeserver_operations(
    spec: Spec, operations: list[OperationMeta]
) -> list[HomeserverOperation]:
    """The Client-Server operations, sorted by name, with their handler signatures."""
    doc = spec.bundle(spec.releases.unstable)
    out: list[HomeserverOperation] = []
    for meta in _of_api(operations, "client-server"):
        op = _find(doc, meta.name)
        python = meta.python_name
        identity = {name for _, params in meta.identity for name in params}
        entry = HomeserverOperation(
            name=meta.name,
            method=meta.method,
            python=python,
            summary=meta.summary,
            description=_one_line(op.get("description", "")),
            request=meta.request,
            response=meta.responses.get("200"),
        )
        for param in (deref(doc, p) for p in op.get("parameters", [])):
            if param["in"] not in ("path", "query") or param["name"] in identity:
                continue
            schema = param.get("schema", {})
            spread = param["in"] == "query" and schema.get("type") == "object"
            entry.args.append(
                HomeserverArg(
                    wire=param["name"],
                    python=snake_case(param["name"]),
                    where="fields" if spread else param["in"],
                    kind="int" if schema.get("type") == "integer" else "str",
                    required=bool(param.get("required")),
                    description=_one_line(param.get("description", "")),
                )
            )
        # Required arguments first, so that optional ones can default to None.
        entry.args.sort(key=lambda a: not (a.required or a.where != "query"))
        out.append(entry)
    return sorted(out, key=lambda e: e.name)
