"""Arrange the generated models into topic modules.

datamodel-code-generator writes one module. Each model is put into the module of the source
file its schema comes from (``MODULES``; endpoint files by their folder). Models of a
definitions file that ``MODULES`` does not name (a new one, an MSC's), and the helper models
the generator made for nested objects, go with the first model that uses them; one that
nothing uses goes to ``extensions``. Modules import what they use from each other; an import
cycle is an error, so a new source file cannot silently tangle them.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from codegen.errors import GeneratorError
from codegen.load import loc_of

__all__ = ["CONTENT", "MODULES", "module_of_source", "split_models"]

# Source file (relative to spec/) -> models module. Endpoint files are mapped by folder below.
MODULES = {
    "definitions/client_event.yaml": "events",
    "definitions/ephemeral_event.yaml": "events",
    "definitions/to_device_event.yaml": "events",
    "definitions/registration.yaml": "registration",
    "definitions/namespace.yaml": "registration",
    "definitions/protocol.yaml": "thirdparty",
    "definitions/protocol_instance.yaml": "thirdparty",
    "definitions/client_protocol.yaml": "thirdparty",
    "definitions/client_protocol_instance.yaml": "thirdparty",
    "definitions/field_type.yaml": "thirdparty",
    "definitions/location.yaml": "thirdparty",
    "definitions/user.yaml": "thirdparty",
    "client-server/third_party_lookup.yaml": "thirdparty",
    "definitions/error.yaml": "errors",
    "definitions/rate_limit_error.yaml": "errors",
    "definitions/authentication_data.yaml": "client",
    "definitions/authentication_response.yaml": "client",
    "definitions/cross_signing_key.yaml": "client",
    "definitions/public_rooms_response.yaml": "client",
    "definitions/user_identifier.yaml": "client",
    # The everyday Client-Server calls' shared bodies, used by operations rather than models.
    "definitions/avatar_url.yaml": "client",
    "definitions/content_uri.yaml": "client",
    "definitions/device_keys.yaml": "client",
    "definitions/display_name.yaml": "client",
    "definitions/initial_state_event.yaml": "client",
    "definitions/media_config.yaml": "client",
    "definitions/one_time_keys.yaml": "client",
    "definitions/room_id_response.yaml": "client",
    "definitions/third_party_signed.yaml": "client",
}
DOCS = {
    "events": "Room events, ephemeral data and to-device messages, as pushed in transactions.",
    "registration": "The registration file and its namespaces.",
    "thirdparty": "Third-party networks: protocols, their instances, locations and users.",
    "errors": "Error bodies.",
    "appservice": "Request and response bodies of the homeserver -> appservice API.",
    "client": "Request and response bodies of the Client-Server endpoints appservices use.",
    "extensions": "Definitions that no topic module holds yet (new ones, those of MSCs).",
    "content": "The content of each event type, and of each variant (msgtype) of a content.",
    "typed_events": "Events whose content is typed by their type, and their unions.",
}
FALLBACK = "extensions"
CONTENT = "content"
"""The module of the event content models: every schema under ``events/``."""
CONTENT_FOLDER = "events/"


def module_of_source(rel: str) -> str | None:
    """The module of the models of a source file; ``None``: they follow their first user."""
    if rel in MODULES:
        return MODULES[rel]
    if rel.startswith(CONTENT_FOLDER):
        return CONTENT
    if rel.startswith("application-service/"):
        return "appservice"
    if rel.startswith("client-server/"):
        return "client"
    return None


@dataclass
class _Definition:
    name: str
    text: str
    uses: set[str] = field(default_factory=set)


def _source_rel(component: Any) -> str:
    loc = loc_of(component)
    if loc is None:
        return ""
    return loc.file.split("/", 1)[1] if "/" in loc.file else loc.file


def split_models(text: str, components: dict[str, Any], header: str) -> dict[str, str]:
    """``{module name: source}`` for the topic modules (without the package ``__init__``)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    imports: list[str] = []
    definitions: list[_Definition] = []
    for node in tree.body:
        segment = "".join(lines[node.lineno - 1 : node.end_lineno])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                imports.append(segment)
        elif (name := _defined_name(node)) is not None:
            names_used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            definitions.append(_Definition(name, segment, names_used))
    names = {d.name for d in definitions}
    for d in definitions:
        d.uses = (d.uses & names) - {d.name}

    home: dict[str, str] = {}
    for name, component in components.items():
        module = module_of_source(_source_rel(component))
        if module is not None:
            home[name] = module
    # Helper models follow the first model that uses them (repeat until settled).
    for _ in range(len(definitions)):
        for d in definitions:
            if d.name in home:
                for used in sorted(d.uses):
                    home.setdefault(used, home[d.name])
    for name in names - set(home):
        home[name] = FALLBACK

    modules: dict[str, list[_Definition]] = defaultdict(list)
    for d in definitions:
        modules[home[d.name]].append(d)
    for module, defs in modules.items():
        modules[module] = _uses_first(defs)
    deps = {m: {home[u] for d in defs for u in d.uses} - {m} for m, defs in modules.items()}
    _check_acyclic(deps)

    out: dict[str, str] = {}
    for module, defs in sorted(modules.items()):
        cross = defaultdict(set)
        for d in defs:
            for used in d.uses:
                if home[used] != module:
                    cross[home[used]].add(used)
        own_imports = "".join(
            f"from matrix_appservice.models.{m} import {', '.join(sorted(ns))}\n"
            for m, ns in sorted(cross.items())
        )
        exported = ", ".join(f'"{d.name}"' for d in sorted(defs, key=lambda d: d.name.lower()))
        body = "\n\n".join(d.text.rstrip() for d in defs)
        out[module] = (
            f'{header}\n"""{DOCS[module]}"""\n\nfrom __future__ import annotations\n\n'
            f"{''.join(imports)}{own_imports}\n__all__ = [{exported}]\n\n\n{body}\n"
        )
    return out


def _uses_first(defs: list[_Definition]) -> list[_Definition]:
    """The definitions in their order, except that one comes after those of the module it
    uses (outside cycles): a model whose annotations name only models already defined is
    complete when its class is made, with its fields' aliases known."""
    by_name = {d.name: d for d in defs}
    done: dict[str, None] = {}
    visiting: set[str] = set()

    def visit(d: _Definition) -> None:
        if d.name in done or d.name in visiting:
            return
        visiting.add(d.name)
        for used in sorted(d.uses):
            if used in by_name:
                visit(by_name[used])
        visiting.discard(d.name)
        done[d.name] = None

    for d in defs:
        visit(d)
    return [by_name[name] for name in done]


def _defined_name(node: ast.stmt) -> str | None:
    """The model a top-level statement defines: a class or a type alias (not ``__all__``)."""
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        target = node.targets[0].id
        return None if target == "__all__" else target
    return None


def _check_acyclic(deps: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == 1:
            cycle = [*path[path.index(module) :], module]
            raise GeneratorError(
                f"the models modules would import each other: {' -> '.join(cycle)}; place "
                "the definitions files in MODULES of codegen/python/split.py"
            )
        if state.get(module) == 2:
            return
        state[module] = 1
        for dep in sorted(deps.get(module, ())):
            visit(dep, [*path, module])
        state[module] = 2

    for module in sorted(deps):
        visit(module, [])
