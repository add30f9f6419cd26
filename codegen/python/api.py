"""The Python reading of the IR: names, arguments and types of every operation.

One :class:`PyOperation` per operation of the IR (:mod:`codegen.ir`) holds what the Python
emitters need beyond the IR: the method name, the name of the module-level constant in
``operations.py``, the arguments of the client method and of the handler method, and the
Python types of the bodies. The templates of ``operations.py``, ``client.py`` and both
handler modules read these records, and nothing else.

Signatures follow one rule, which ``tests/python/test_signatures.py`` checks against the IR:
path parameters, then the request body (whole, its required fields, or a file as
``content``), then required query parameters are positional; every optional argument
(header parameters included) is keyword-only; identity-assertion
parameters (``user_id``, ``device_id`` and its MSC spelling, in whichever release they
exist) are never arguments: ``as_user()`` sets them on the client, and the homeserver's
handlers receive them in ``requester``.
"""

from __future__ import annotations

import json
import keyword
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Literal

from codegen.errors import Loc, SpecError
from codegen.ir import Operation, OperationView, Param, TypeRef, deref
from codegen.load import loc_of
from codegen.spec import Spec

__all__ = [
    "BODY_ARGUMENT",
    "FIELD_DEFAULTS",
    "RAW_ANSWER",
    "RAW_ARGUMENT",
    "RENAMES",
    "Arg",
    "PyOperation",
    "constant_name",
    "py_operations",
    "py_schemes",
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
    # than field by field: a transaction, and the free-form content of an event or of
    # account data.
    "sendTransaction": "transaction",
    "sendMessage": "content",
    "setRoomStateWithKey": "content",
    "setAccountData": "content",
    "setAccountDataPerRoom": "content",
}

FIELD_DEFAULTS = {
    # Body fields an appservice nearly always sends the same way; a caller may override them,
    # or pass None to leave them out.
    ("register", "type"): "m.login.application_service",
    ("login", "type"): "m.login.application_service",
}

Where = Literal["path", "query", "header", "fields", "body", "field", "raw"]
"""``fields``: the free-form search fields of a lookup (one query parameter per key);
``body``: the whole request body; ``field``: one field of the request body; ``raw``: a
request body that is a file, not JSON (a media upload)."""

RAW_ARGUMENT = "content"
"""The argument of an operation whose request body is a file (``MediaUpload``)."""
RAW_TYPE = "MediaUpload"
RAW_ANSWER = "Media"
"""The client's answer for a success whose body is a file (a media download)."""

_MODEL_OR_MAPPING = "Mapping[str, Any] | BaseModel"


def snake_case(name: str) -> str:
    """``queryUserByID`` -> ``query_user_by_id``, ``txnId`` -> ``txn_id``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    snake = re.sub(r"\W", "_", spaced).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


def python_name(matrix_name: str) -> str:
    """The client and handler method of an operation, from its official operationId."""
    return RENAMES.get(matrix_name) or snake_case(matrix_name)


def constant_name(name: str) -> str:
    """The constant of an operation in ``operations.py``, from its bundle operationId."""
    return (RENAMES.get(name) or snake_case(name)).upper()


@dataclass(frozen=True)
class Arg:
    """One argument of a generated method."""

    name: str
    """The Python argument."""
    wire: str
    """The name in the path, the query or the body ('' for a whole body)."""
    where: Where
    type: str
    """The client's annotation (``str``, ``int | None``, ``Transaction | Mapping[str, Any]``)."""
    scalar: Literal["str", "int", "bool", "object"]
    """The JSON type of a path or query parameter, as a handler receives it."""
    required: bool
    keyword_only: bool
    default: str | None
    """Python source of the default, for optional arguments."""
    doc: str


@dataclass(frozen=True)
class PyOperation:
    """One operation, as the Python emitters name and type it."""

    ir: Operation
    python: str
    """The client and handler method (``send_transaction``)."""
    constant: str
    """The module-level constant in ``operations.py`` (``SEND_TRANSACTION``)."""
    client_args: tuple[Arg, ...]
    handler_args: tuple[Arg, ...]
    request: TypeRef | None
    responses: tuple[tuple[int, TypeRef | None], ...]
    returns: str
    """The success answer's annotation (``SendEventResponse``, ``A | B``, ``None``)."""
    client_models: frozenset[str]
    """Models the client's signature refers to."""
    until: str | None
    """The first release without the operation (``None``: it is in the newest one)."""
    changed_in: tuple[tuple[str, str], ...]
    """``(release, note)`` of every change note."""
    raw_request: str | None = None
    """The media type of a request body that is a file (``application/octet-stream``)."""
    raw_responses: tuple[int, ...] = ()
    """The success statuses whose body is a file, not JSON."""

    @property
    def name(self) -> str:
        return self.ir.name

    @property
    def api(self) -> str:
        return self.ir.api

    @property
    def newest(self) -> OperationView:
        return self.ir.newest

    @property
    def summary(self) -> str:
        return self.newest.summary

    @property
    def description(self) -> str:
        return self.newest.description

    def fields(self) -> list[tuple[str, str]]:
        """``(keyword, Python literal)`` of each field of the operation's entry in
        ``operations.py`` that differs from its default, in declaration order."""
        view = self.newest
        first = self.ir.releases[0]
        out = [
            ("name", _text(self.name)),
            ("matrix_name", _text(self.ir.matrix_name)),
            ("api", _text(self.api)),
            ("method", _text(self.ir.method)),
            ("python_name", _text(self.python)),
            ("summary", _text(view.summary)),
            ("since", _text(first)),
            ("until", _text(self.until) if self.until else ""),
            ("path_history", self.path_history),
            ("auth_history", self.auth_history),
            ("request", self.request_type or ""),
            ("request_required", "" if view.request is None or view.request.required else "False"),
            ("responses", _mapping((str(c), t.python if t else "None") for c, t in self.responses)),
            ("query_params", self.query_params if view.params_in("query") else ""),
            ("query_names", literal(self.ir.query_names) if self.ir.query_names else ""),
            # derived from query_params when not given (the same names in the same order)
            ("legacy_paths", literal(view.legacy_paths) if view.legacy_paths else ""),
            ("rest_param", _text(self.rest_param) if self.rest_param else ""),
            ("rate_limited", "True" if view.rate_limited else ""),
            ("auth_optional", "True" if view.auth_optional else ""),
            ("identity_history", literal(self.identity_history)),
            (
                "no_identity_assertion",
                _text(view.no_identity_reason) if view.no_identity_reason else "",
            ),
            ("free_query_history", literal(self.free_query_history)),
            ("added_in", _text(view.added_in) if view.added_in else ""),
            ("deprecated_in", _text(view.deprecated_in) if view.deprecated_in else ""),
            ("changed_in", _mapping((_text(k), _text(v)) for k, v in self.changed_in)),
            ("errcode_spans", literal(self.errcode_spans) if self.errcode_spans else ""),
            ("raw_request", _text(self.raw_request) if self.raw_request else ""),
            ("raw_responses", literal(self.raw_responses) if self.raw_responses else ""),
        ]
        defaults = {
            "identity_history": literal([(first, ())]),
            "free_query_history": literal([(first, None)]),
            "changed_in": _mapping([]),
            "matrix_name": _text(self.name),
            "query_names": literal([p.name for p in view.params_in("query")]),
        }
        return [(k, v) for k, v in out if v and defaults.get(k) != v]

    @property
    def rest_param(self) -> str | None:
        """The path parameter that takes the rest of the path (newest release)."""
        found = [p.name for p in self.newest.params_in("path") if p.rest_of_path]
        return found[0] if found else None

    @property
    def errcode_spans(self) -> list[tuple[int, str, str, str | None]]:
        """``(status, errcode, since, until)`` for each run of releases that document an
        errcode on a response."""
        releases = [v.release.name for v in self.ir.views]
        runs: list[tuple[int, str, str, str | None]] = []
        open_runs: dict[tuple[int, str], str] = {}
        for view in self.ir.views:
            present = {(int(r.status), e.errcode) for r in view.responses for e in r.errcodes}
            for key in [k for k in open_runs if k not in present]:
                runs.append((*key, open_runs.pop(key), view.release.name))
            for response in view.responses:
                for e in response.errcodes:
                    open_runs.setdefault((int(response.status), e.errcode), view.release.name)
        runs += [(*key, since, self.until) for key, since in open_runs.items()]
        order = {name: i for i, name in enumerate(releases)}
        return sorted(runs, key=lambda r: (r[0], order[r[2]]))

    # Python literals of the histories, for ``operations.py``.

    @property
    def path_history(self) -> str:
        return literal(self.ir.history(lambda v: v.path))

    @property
    def auth_history(self) -> str:
        return literal(self.ir.history(lambda v: v.auth_schemes))

    @property
    def identity_history(self) -> list[tuple[str, tuple[str, ...]]]:
        return self.ir.history(lambda v: v.identity_params)

    @property
    def free_query_history(self) -> list[tuple[str, str | None]]:
        return self.ir.history(lambda v: v.free_query)

    @property
    def query_params(self) -> str:
        return literal([(p.name, p.required) for p in self.newest.params_in("query")])

    @property
    def transaction(self) -> bool:
        """The exactly-once operation: the server hands it a transaction object."""
        return self.name == "sendTransaction"

    @property
    def body_mode(self) -> Literal["none", "whole", "fields", "raw"]:
        if any(a.where == "raw" for a in self.client_args):
            return "raw"
        if any(a.where == "body" for a in self.client_args):
            return "whole"
        return "fields" if any(a.where == "field" for a in self.client_args) else "none"

    @property
    def answer(self) -> str:
        """What a handler returns: the type of the 200 answer (or of the first success); a
        file (``Media``) when that answer is one."""
        if 200 in self.raw_responses:
            return RAW_ANSWER
        success = [t for code, t in self.responses if 200 <= code < 300]
        chosen = dict(self.responses).get(200, success[0] if success else None)
        return chosen.python if chosen is not None else "None"

    @property
    def request_type(self) -> str | None:
        return self.request.python if self.request is not None else None

    @property
    def handler_models(self) -> frozenset[str]:
        types = [self.request, *(t for _, t in self.responses)]
        return frozenset(n for t in types if t is not None for n in t.models)

    def docstring(self, args: tuple[Arg, ...]) -> str:
        """The method's docstring text, escaped for a triple-quoted literal."""
        parts = [self.summary.strip()]
        if self.description.strip():
            parts.append(_fill(self.description))
        documented = [a for a in args if a.doc]
        if documented:
            lines = ["Args:"]
            for arg in documented:
                lines.append(
                    textwrap.fill(
                        " ".join(arg.doc.split()),
                        width=84,
                        initial_indent=f"    {arg.name}: ",
                        subsequent_indent="        ",
                    )
                )
            parts.append("\n".join(lines))
        text = "\n\n".join(parts)
        return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _text(value: str) -> str:
    """A Python string literal (JSON's escapes are Python's)."""
    return json.dumps(" ".join(value.split()) if "\n" in value else value, ensure_ascii=False)


def literal(value: Any) -> str:
    """A Python literal of strings, numbers, ``None`` and tuples, with double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _mapping(items: Any) -> str:
    pairs = ", ".join(f"{k}: {v}" for k, v in items)
    return f"MappingProxyType({{{pairs}}})"


def pack(items: list[tuple[str, str]], indent: int = 4, width: int = 100) -> str:
    """``key=value`` items packed greedily into lines of at most ``width`` characters (a
    longer item gets a line of its own), each line ending in a comma."""
    lines: list[str] = []
    line = ""
    for key, value in items:
        item = f"{key}={value}," if key else f"{value},"
        if line and len(line) + 1 + len(item) > width:
            lines.append(line)
            line = ""
        line = f"{line} {item}" if line else " " * indent + item
    if line:
        lines.append(line)
    return "\n".join(lines)


SHARED_FIELDS = ("auth_history", "identity_history", "query_params", "responses", "errcode_spans")
"""The fields whose values many operations share; ``operations.py`` names each such value once."""


def shared_fields(
    operations: list[PyOperation], min_uses: int = 3
) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """The values of :data:`SHARED_FIELDS` that at least ``min_uses`` operations share, as
    ``(constant, literal)`` (``_AUTH_HISTORY_1``, ...), and each operation's fields (by its
    constant) with those values replaced by their constant."""
    uses: dict[tuple[str, str], int] = {}
    for op in operations:
        for key, value in op.fields():
            if key in SHARED_FIELDS:
                uses[(key, value)] = uses.get((key, value), 0) + 1
    names: dict[tuple[str, str], str] = {}
    for key in SHARED_FIELDS:
        common = [k for k, n in uses.items() if k[0] == key and n >= min_uses]
        for i, item in enumerate(sorted(common, key=lambda k: -uses[k]), 1):
            names[item] = f"_{key.upper()}_{i}"
    fields = {op.constant: [(k, names.get((k, v), v)) for k, v in op.fields()] for op in operations}
    return [(name, value) for (_, value), name in names.items()], fields


def pack_words(words: list[str], indent: int = 4, width: int = 100) -> str:
    """Words packed greedily into lines of at most ``width`` characters, each word followed
    by a comma (the items of a long tuple or list)."""
    return pack([("", w) for w in words], indent, width)


def _fill(text: str) -> str:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(textwrap.fill(p, width=88) for p in paragraphs if p)


def _client_type(doc: dict[str, Any], schema: Any, models: set[str]) -> str:
    """A client annotation for a parameter or body field of this JSON schema."""
    if not isinstance(schema, dict):
        return "Any"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        target = deref(doc, schema)
        if target.get("type") == "object" or "properties" in target:
            models.add(name)
            return f"{name} | Mapping[str, Any]"
        return _client_type(doc, target, models)
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return "Literal[" + ", ".join(f'"{v}"' for v in schema["enum"]) + "]"
    kind = schema.get("type")
    simple = {"string": "str", "integer": "int", "boolean": "bool", "number": "float"}
    if kind in simple:
        return simple[kind]
    if kind == "array":
        return f"Sequence[{_client_type(doc, schema.get('items'), models)}]"
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


def _scalar(param: Param) -> Literal["str", "int", "bool", "object"]:
    kind = param.json_type
    if param.is_object:
        return "object"
    return "int" if kind == "integer" else "bool" if kind == "boolean" else "str"


def _param_arg(doc: dict[str, Any], param: Param, models: set[str]) -> Arg:
    where: Where = "fields" if param.free_form else param.location
    return Arg(
        name="fields" if param.free_form else snake_case(param.name),
        wire=param.name,
        where=where,
        type=_client_type(doc, param.schema, models),
        scalar=_scalar(param),
        required=param.required or param.location == "path",
        keyword_only=False,
        default=None,
        doc=param.description,
    )


def _optional(arg: Arg, default: str = "None") -> Arg:
    annotation = (
        arg.type if default != "None" or arg.type.endswith("| None") else f"{arg.type} | None"
    )
    return Arg(arg.name, arg.wire, arg.where, annotation, arg.scalar, False, True, default, arg.doc)


def _body_args(op: OperationView, models: set[str]) -> tuple[list[Arg], list[Arg], list[Arg]]:
    """(positional, optional keyword-only, keyword-only with a default) body arguments."""
    doc = op.doc
    body = op.request
    if body is None and op.raw_request is not None:
        media = ", ".join(op.raw_request.media_types)
        content = Arg(
            RAW_ARGUMENT, "", "raw", RAW_TYPE, "object", True, False, None,
            f"The file ({media}): its bytes, or an ``Upload`` (chunks and their length) to "
            "stream it.",
        )  # fmt: skip
        return [content], [], []
    if body is None or body.schema is None:
        return [], [], []
    if op.name in BODY_ARGUMENT:
        whole = Arg(
            BODY_ARGUMENT[op.name], "", "body", _client_type(doc, body.schema, models),
            "object", True, False, None, body.description,
        )  # fmt: skip
        return [whole], [], []
    target = deref(doc, body.schema)
    required = set(target.get("required", []))
    positional: list[Arg] = []
    optional: list[Arg] = []
    defaulted: list[Arg] = []
    for wire, prop in (target.get("properties") or {}).items():
        arg = Arg(
            snake_case(wire), wire, "field", _client_type(doc, prop, models), "object",
            wire in required, False, None, str(deref(doc, prop).get("description", "")),
        )  # fmt: skip
        if (op.name, wire) in FIELD_DEFAULTS:
            defaulted.append(_optional(arg, repr(FIELD_DEFAULTS[op.name, wire])))
            defaulted[-1] = Arg(**{**vars(defaulted[-1]), "type": f"{arg.type} | None"})
        elif arg.required:
            positional.append(arg)
        else:
            optional.append(_optional(arg))
    return positional, optional, defaulted


def _where(view: OperationView) -> Loc:
    return loc_of(view.node) or Loc(view.source or "<spec>", 0)


def _check_unique(view: OperationView, args: list[Arg]) -> None:
    seen: set[str] = set()
    for arg in args:
        if arg.name in seen or arg.name in ("self", "requester"):
            raise SpecError(
                _where(view),
                f"{view.name}: two arguments of its Python methods would be named "
                f"{arg.name!r}; rename a parameter or a body field",
            )
        seen.add(arg.name)


def _returns(responses: list[tuple[int, TypeRef | None]], raw: tuple[int, ...] = ()) -> str:
    success = [t for code, t in responses if 200 <= code < 300]
    chosen = [t.python for t in success if t is not None]
    chosen += [RAW_ANSWER for code in raw if 200 <= code < 300]
    if not chosen:
        return "None"
    text = " | ".join(dict.fromkeys(chosen))
    return text + " | None" if len(chosen) < len(success) else text


def _until(op: Operation, releases: list[str]) -> str | None:
    """The release after the operation's last one; its releases must follow each other."""
    first = releases.index(op.views[0].release.name)
    if list(op.releases) != releases[first : first + len(op.views)]:
        raise SpecError(
            _where(op.newest),
            f"{op.name} exists in {', '.join(op.releases)}: an operation must exist in "
            "releases that follow each other",
        )
    end = first + len(op.views)
    return releases[end] if end < len(releases) else None


def _py_operation(op: Operation, releases: list[str], label: Any) -> PyOperation:
    view = op.newest
    doc = view.doc
    identity = op.identity_names
    models: set[str] = set()
    params = [_param_arg(doc, p, models) for p in view.params if p.name not in identity]
    path = [a for a in params if a.where == "path"]
    query = [a for a in params if a.where != "path"]
    body_positional, body_optional, body_defaulted = _body_args(view, models)
    required_query = [a for a in query if a.required]
    optional_query = [_optional(a) for a in query if not a.required]
    client = [*path, *body_positional, *required_query, *body_optional, *optional_query]
    client += body_defaulted
    _check_unique(view, client)
    responses = [(int(r.status), r.body.type if r.body else None) for r in view.responses]
    raw = tuple(int(r.status) for r in view.success if r.raw is not None and r.body is None)
    handler = [a for a in (*path, *required_query, *optional_query) if a.where != "header"]
    return PyOperation(
        ir=op,
        python=python_name(op.matrix_name),
        constant=constant_name(op.name),
        client_args=tuple(client),
        handler_args=tuple(handler),
        request=view.request.type if view.request else None,
        responses=tuple(responses),
        returns=_returns(responses, raw),
        client_models=frozenset(models | {n for _, t in responses if t for n in t.models}),
        until=_until(op, releases),
        changed_in=tuple((label(k), " ".join(v.split())) for k, v in view.changed_in),
        raw_request=view.raw_request.media_types[0] if view.raw_request else None,
        raw_responses=raw,
    )


def py_operations(spec: Spec) -> list[PyOperation]:
    """Every operation of the IR, with its Python names, arguments and types."""
    releases = [r.name for r in spec.releases]

    def label(text: str) -> str:
        found = spec.releases.get(text)
        return found.name if found else text

    out = [_py_operation(op, releases, label) for op in spec.ir.operations]
    for kind, key in (("constant", lambda o: o.constant), ("method", lambda o: (o.api, o.python))):
        seen: dict[Any, PyOperation] = {}
        for op in out:
            first = seen.get(key(op))
            if first is not None:
                raise SpecError(
                    _where(op.newest),
                    f"{op.name} and {first.name} (at {_where(first.newest)}) would both be the "
                    f"Python {kind} {key(op)!r}; give one of them another operationId",
                )
            seen[key(op)] = op
    return out


@dataclass(frozen=True)
class PyScheme:
    """A security scheme, as ``operations.py`` lists it."""

    name: str
    kind: Literal["bearer", "query"]
    param: str | None
    since: str
    until: str | None
    deprecated_in: str | None


def py_schemes(spec: Spec) -> list[PyScheme]:
    """Every security scheme of any release, with the releases that have it."""
    releases = [r.name for r in spec.releases]
    found: dict[str, list[str]] = {}
    last: dict[str, Any] = {}
    for view in spec.ir.releases:
        for name, scheme in view.doc["components"]["securitySchemes"].items():
            found.setdefault(name, []).append(view.release.name)
            last[name] = scheme
    out = []
    for name in sorted(found):
        scheme = last[name]
        end = releases.index(found[name][-1]) + 1
        deprecated = spec.releases.get(str(scheme.get("x-deprecatedInMatrixVersion", "")))
        out.append(
            PyScheme(
                name=name,
                kind="bearer" if scheme["type"] == "http" else "query",
                param=scheme.get("name") if scheme["type"] == "apiKey" else None,
                since=found[name][0],
                until=releases[end] if end < len(releases) else None,
                deprecated_in=deprecated.name if deprecated else None,
            )
        )
    return out
