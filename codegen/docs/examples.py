"""Example HTTP requests synthesised from an operation's parameter and body examples."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from codegen.docs.context import Operation, Param, Scheme
from codegen.docs.rst import json_text

__all__ = ["example_request", "token_name"]


def token_name(op: Operation, scheme: Scheme) -> str:
    """Which secret goes into ``scheme`` for this operation."""
    if op.api == "application-service":
        return "hs_token"
    if scheme.name.startswith("appservice"):
        return "as_token"
    return "access token"


def _placeholder(op: Operation, scheme: Scheme) -> str:
    return {"hs_token": "HS_TOKEN", "as_token": "AS_TOKEN"}.get(token_name(op, scheme), "AS_TOKEN")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_pairs(param: Param) -> list[tuple[str, str]]:
    value = param.example
    if param.explode_object and isinstance(value, dict):
        return [(str(k), _text(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [(param.name, _text(v)) for v in value]
    if isinstance(value, dict):
        return [(param.name, json_text(value))]
    return [(param.name, _text(value))]


def example_request(op: Operation) -> str:
    """The request line, headers and JSON body of an example call of ``op``."""
    path = op.path
    for param in op.params_in("path"):
        if param.has_example:
            path = path.replace("{" + param.name + "}", quote(_text(param.example), safe=""))
    pairs: list[tuple[str, str]] = []
    for param in op.params_in("query"):
        if param.has_example:
            pairs.extend(_query_pairs(param))
    query = [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs]
    headers: list[str] = []
    for param in op.params_in("header"):
        if param.has_example:
            headers.append(f"{param.name}: {_text(param.example)}")
    # The first requirement that names a scheme (an optional one starts with ``{}``).
    requirement = next((req for req in op.security if req), None)
    if requirement:
        scheme = requirement[0]
        secret = _placeholder(op, scheme)
        if scheme.location == "header" and scheme.type == "http":
            headers.append(f"Authorization: Bearer {secret}")
        elif scheme.location == "header":
            headers.append(f"{scheme.key}: {secret}")
        else:
            query.insert(0, f"{scheme.key}={secret}")
    target = path + ("?" + "&".join(query) if query else "")
    lines = [f"{op.method} {target} HTTP/1.1"]
    body = ""
    if op.has_body_example:
        headers.append("Content-Type: application/json")
        body = json_text(op.body_example)
    lines.extend(headers)
    if body:
        lines.extend(["", body])
    return "\n".join(lines)
