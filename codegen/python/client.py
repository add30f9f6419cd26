"""The methods of the generated HTTP clients, one per operation, read from the newest view.

Each operation becomes one method on the client of its direction: ``application-service``
operations on ``AppServiceClient`` (homeserver to appservice), ``client-server`` operations on
``HomeserverClient``. The template ``client.py.jinja`` renders every method from this
description once for the sync and once for the async class; the logic behind the methods lives
in the package's static ``_client_core`` and ``_client_plans`` modules.

Arguments, in this order: the path parameters, the request body (whole, or its required
top-level fields), the optional body fields, the query parameters (identity assertion
excluded: ``as_user()`` adds it), then keyword-only fields that have a default.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from codegen.bundle import HTTP_METHODS, deref, json_body_schema
from codegen.spec import Spec

__all__ = [
    "BODY_ARGUMENT",
    "FIELD_DEFAULTS",
    "RENAMES",
    "ClientArg",
    "ClientMethod",
    "client_methods",
    "python_name",
    "snake_case",
]

RENAMES = {
    # The official operationIds queryUserById and queryUserByID differ only in case and would
    # both become query_user_by_id; the user query of the AS API takes the shorter name, and
    # the room-alias query is named after what it asks for.
    "queryUserById": "query_user",
    "queryRoomByAlias": "query_room_alias",
}
"""Official operationId -> Python method name; every other name is its snake_case."""

BODY_ARGUMENT = {
    # Operations whose body is passed whole, as one argument (a model or a mapping), rather
    # than field by field: a transaction, and the free-form content of an event.
    "sendTransaction": "transaction",
    "sendMessage": "content",
    "setRoomStateWithKey": "content",
}

FIELD_DEFAULTS = {
    # Body fields an appservice nearly always sends the same way; a caller may override them,
    # or pass None to leave them out.
    ("register", "type"): "m.login.application_service",
    ("login", "type"): "m.login.application_service",
}

IDENTITY_PARAMS = ("user_id", "device_id")
"""Query parameters of identity assertion: set by ``as_user()``, never method arguments."""

_MODEL_OR_MAPPING = "Mapping[str, Any] | BaseModel"


def snake_case(name: str) -> str:
    """``queryUserByID`` -> ``query_user_by_id``, ``txnId`` -> ``txn_id``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    snake = re.sub(r"\W", "_", spaced).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


def python_name(matrix_name: str) -> str:
    """The client method of an operation, from its official operationId."""
    return RENAMES.get(matrix_name) or snake_case(matrix_name)


@dataclass
class ClientArg:
    name: str
    """The Python argument."""
    wire: str
    """The name in the path, the query or the body."""
    where: str
    """``path``, ``query``, ``field`` (one body field) or ``body`` (the whole body)."""
    type: str
    required: bool
    default: str | None = None
    """Python source of the default for optional arguments."""
    keyword_only: bool = False
    doc: str = ""


@dataclass
class ClientMethod:
    name: str
    operation: str
    api: str
    summary: str
    description: str
    args: list[ClientArg]
    returns: str
    models: set[str] = field(default_factory=set)

    @property
    def positional(self) -> list[ClientArg]:
        return [a for a in self.args if not a.keyword_only]

    @property
    def keyword_only(self) -> list[ClientArg]:
        return [a for a in self.args if a.keyword_only]

    @property
    def body_mode(self) -> str:
        """``none``, ``whole`` or ``fields``."""
        if any(a.where == "body" for a in self.args):
            return "whole"
        return "fields" if any(a.where == "field" for a in self.args) else "none"

    def docstring(self) -> str:
        """The method's docstring text, escaped for a triple-quoted literal."""
        parts = [self.summary.strip()]
        if self.description.strip():
            parts.append(_fill(self.description))
        documented = [a for a in self.args if a.doc]
        if documented:
            lines = ["Args:"]
            for arg in documented:
                text = textwrap.fill(
                    " ".join(arg.doc.split()),
                    width=84,
                    initial_indent=f"    {arg.name}: ",
                    subsequent_indent="        ",
                )
                lines.append(text)
            parts.append("\n".join(lines))
        text = "\n\n".join(parts)
        return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _fill(text: str) -> str:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(textwrap.fill(p, width=88) for p in paragraphs if p)


def _py_type(doc: dict[str, Any], schema: Any, models: set[str]) -> str:
    """A Python annotation for a parameter or body field of this JSON schema."""
    if not isinstance(schema, dict):
        return "Any"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        target = deref(doc, schema)
        if target.get("type") == "object" or "properties" in target:
            models.add(name)
            return f"{name} | Mapping[str, Any]"
        return _py_type(doc, target, models)
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return "Literal[" + ", ".join(f'"{v}"' for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind == "string":
        return "str"
    if kind == "integer":
        return "int"
    if kind == "boolean":
        return "bool"
    if kind == "number":
        return "float"
    if kind == "array":
        return f"Sequence[{_py_type(doc, schema.get('items'), models)}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if (
            isinstance(extra, dict)
            and extra.get("type") == "string"
            and not schema.get("properties")
        ):
            return "Mapping[str, str]"
        return _MODEL_OR_MAPPING
    return "Any"


def _model_names(type_text: str | None) -> set[str]:
    if not type_text:
        return set()
    return set(re.findall(r"\b[A-Z]\w*", type_text)) - {"Any"}


def _method(doc: dict[str, Any], op: dict[str, Any]) -> ClientMethod:
    name = op["operationId"]
    models: set[str] = set()
    params = [deref(doc, p) for p in op.get("parameters", [])]
    args: list[ClientArg] = [
        ClientArg(
            snake_case(p["name"]),
            p["name"],
            "path",
            _py_type(doc, p["schema"], models),
            True,
            doc=p.get("description", ""),
        )
        for p in params
        if p["in"] == "path"
    ]
    body = deref(doc, op.get("requestBody"))
    schema = json_body_schema(doc, body) if body else None
    optional_fields: list[ClientArg] = []
    defaulted: list[ClientArg] = []
    if schema is not None and name in BODY_ARGUMENT:
        model = _py_type(doc, schema, models)
        args.append(
            ClientArg(
                BODY_ARGUMENT[name],
                "",
                "body",
                model,
                True,
                doc=(body or {}).get("description", ""),
            )
        )
    elif schema is not None:
        target = deref(doc, schema)
        required = set(target.get("required", []))
        for wire, prop in (target.get("properties") or {}).items():
            arg = ClientArg(
                snake_case(wire),
                wire,
                "field",
                _py_type(doc, prop, models),
                wire in required,
                doc=deref(doc, prop).get("description", ""),
            )
            if (name, wire) in FIELD_DEFAULTS:
                arg.required, arg.keyword_only = False, True
                arg.default = repr(FIELD_DEFAULTS[name, wire])
                arg.type += " | None"  # None leaves the field out
                defaulted.append(arg)
            elif arg.required:
                args.append(arg)
            else:
                arg.default = "None"
                optional_fields.append(arg)
    query = [p for p in params if p["in"] == "query" and p["name"] not in IDENTITY_PARAMS]
    query_args = [
        ClientArg(
            snake_case(p["name"]),
            p["name"],
            "query",
            _py_type(doc, p["schema"], models),
            bool(p.get("required")),
            None if p.get("required") else "None",
            doc=p.get("description", ""),
        )
        for p in query
    ]
    args += [a for a in query_args if a.required]
    args += optional_fields + [a for a in query_args if not a.required] + defaulted
    for arg in args:
        if arg.default == "None":
            arg.type = f"{arg.type} | None"
    seen: set[str] = set()
    for arg in args:
        if arg.name in seen or arg.name == "self":
            raise ValueError(f"{name}: two arguments would be named {arg.name!r}")
        seen.add(arg.name)
    returns = [
        _response_type(doc, resp)
        for code, resp in op["responses"].items()
        if str(code).startswith("2")
    ]
    chosen = [r for r in returns if r]
    returns_text = " | ".join(dict.fromkeys(chosen)) if chosen else "None"
    if chosen and len(chosen) < len(returns):
        returns_text += " | None"
    for text in chosen:
        models |= _model_names(text)
    return ClientMethod(
        name=python_name(op["x-matrixOperationId"]),
        operation=name,
        api=op["x-api"],
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        args=args,
        returns=returns_text,
        models=models,
    )


def _response_type(doc: dict[str, Any], resp: Any) -> str | None:
    schema = json_body_schema(doc, resp)
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[1])
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        inner = schema["items"].get("$ref")
        return f"list[{inner.rsplit('/', 1)[1]}]" if inner else "list[Any]"
    return "dict[str, Any]"


def client_methods(spec: Spec) -> dict[str, list[ClientMethod]]:
    """``api`` -> the methods of its client, from the newest view, sorted by name."""
    doc = spec.bundle(list(spec.releases)[-1])
    found: dict[str, list[ClientMethod]] = {}
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in HTTP_METHODS:
                found.setdefault(op["x-api"], []).append(_method(doc, op))
    for api, methods in found.items():
        names = [m.name for m in methods]
        clash = {n for n in names if names.count(n) > 1}
        if clash:
            raise ValueError(f"{api}: several operations map to the method(s) {sorted(clash)}")
        methods.sort(key=lambda m: m.name)
    return found
