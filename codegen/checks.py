"""Checks on the sources themselves, before any release view is built.

Every operation has what the generator needs (``operationId``, ``tags``, ``summary``,
``responses``, ``security`` naming known schemes), operationIds are unique per API, every
``$ref`` resolves, version annotations name known releases, identity assertion is declared on
every Client-Server operation (or why not), the free-form query marker is well placed, and
the rules files are well formed (:mod:`codegen.rules`).
"""

from __future__ import annotations

from typing import Any

from codegen.bundle import ref_target
from codegen.errors import Problems
from codegen.events import check_event_sources
from codegen.keys import (
    ADDED,
    FREE_FORM_QUERY,
    IDENTITY_ASSERTION,
    LEGACY_PATHS,
    NO_IDENTITY_ASSERTION,
    REMOVED,
    REST_OF_PATH,
)
from codegen.load import SpecTree, loc_of
from codegen.rules import check_rule_files
from codegen.versions import Releases
from codegen.view import check_annotations
from codegen.walk import iter_operations

__all__ = ["check_sources"]

_REQUIRED_OP_KEYS = ("operationId", "tags", "summary", "responses")


def check_sources(tree: SpecTree, releases: Releases, problems: Problems) -> None:
    """Checks on the sources themselves, before any release view is built."""
    schemes = tree.files.get("definitions/security.yaml")
    scheme_names = set(schemes.data) if schemes and isinstance(schemes.data, dict) else set()
    seen_ids: dict[tuple[str, str], Any] = {}
    identity = _identity_parameters(tree)
    for spec in tree.files.values():
        check_annotations(spec.data, releases, problems)
        _check_refs(tree, spec.rel, spec.data, problems)
    check_event_sources(tree, problems)
    check_rule_files(tree, releases, problems)
    for spec in tree.endpoint_files():
        data = spec.data
        if not isinstance(data, dict):
            problems.add(loc_of(data), "an endpoint file must be a mapping")
            continue
        if data.get("openapi") != "3.1.0":
            problems.add(loc_of(data), "endpoint files must declare openapi: 3.1.0")

        def bad_item(path: str, _item: Any, where: Any = data) -> None:
            problems.add(loc_of(where), f"path {path}: expected a mapping of operations")

        for path, _, method, op in iter_operations(data.get("paths"), bad_item):
            where = f"{method.upper()} {path}"
            for key in _REQUIRED_OP_KEYS:
                if not op.get(key):
                    problems.add(loc_of(op), f"{where}: the operation has no {key}")
            op_id = op.get("operationId")
            if isinstance(op_id, str):
                key2 = (spec.api or "", op_id)
                if key2 in seen_ids:
                    problems.add(loc_of(op), f"{where}: operationId {op_id} is used twice")
                seen_ids[key2] = op
            for requirement in op.get("security") or []:
                for name in requirement:
                    if name not in scheme_names:
                        problems.add(loc_of(op), f"{where}: unknown security scheme {name!r}")
            if "security" not in op:
                problems.add(loc_of(op), f"{where}: the operation has no security")
            if spec.api == "client-server":
                _check_identity_assertion(tree, spec.rel, op, where, identity, problems)
            _check_rest_of_path(path, op, where, problems)
            free = [
                p
                for p in op.get("parameters") or []
                if isinstance(p, dict) and FREE_FORM_QUERY in p
            ]
            for param in free:
                if param.get("in") != "query" or param.get(FREE_FORM_QUERY) is not True:
                    problems.add(
                        loc_of(param),
                        f"{where}: {FREE_FORM_QUERY} must be true, on a query parameter",
                    )
            # Releases may rename it (searchFields -> fields), but one at a time.
            names = {p.get("name") for p in free}
            if len(free) > len(names) or any(
                _overlap(a, b, releases) for i, a in enumerate(free) for b in free[i + 1 :]
            ):
                problems.add(
                    loc_of(op),
                    f"{where}: two {FREE_FORM_QUERY} parameters exist in one release",
                )


def _check_rest_of_path(path: str, op: dict[str, Any], where: str, problems: Problems) -> None:
    """``x-restOfPath`` is true, on a path parameter that ends the path and each legacy path."""
    for param in op.get("parameters") or []:
        if not isinstance(param, dict) or REST_OF_PATH not in param:
            continue
        name = param.get("name")
        if param.get("in") != "path" or param.get(REST_OF_PATH) is not True:
            problems.add(
                loc_of(param), f"{where}: {REST_OF_PATH} must be true, on a path parameter"
            )
            continue
        legacy = op.get(LEGACY_PATHS)
        paths = [path, *(legacy if isinstance(legacy, list) else [])]
        for template in paths:
            if not str(template).endswith("{" + str(name) + "}"):
                problems.add(
                    loc_of(param),
                    f"{where}: {REST_OF_PATH} is set on {name}, which does not end the path "
                    f"{template}",
                )


def _overlap(a: dict[str, Any], b: dict[str, Any], releases: Releases) -> bool:
    """Whether two annotated items exist together in some release."""

    def span(node: dict[str, Any]) -> tuple[int, int]:
        added = releases.get(str(node.get(ADDED, "")))
        removed = releases.get(str(node.get(REMOVED, "")))
        return (added.index if added else 0, removed.index if removed else len(releases.all))

    (a0, a1), (b0, b1) = span(a), span(b)
    return a0 < b1 and b0 < a1


def _identity_parameters(tree: SpecTree) -> set[str]:
    """The reusable parameters marked ``x-identityAssertion`` (``user_id``, ``device_id``, ...)."""
    params = tree.files.get("definitions/parameters.yaml")
    data = params.data if params is not None and isinstance(params.data, dict) else {}
    return {
        name
        for name, entry in data.items()
        if isinstance(entry, dict) and entry.get(IDENTITY_ASSERTION) is True
    }


def _check_identity_assertion(
    tree: SpecTree,
    owner: str,
    op: dict[str, Any],
    where: str,
    identity: set[str],
    problems: Problems,
) -> None:
    """A Client-Server operation takes every identity-assertion parameter, or says why not."""
    used: set[str] = set()
    for param in op.get("parameters") or []:
        ref = param.get("$ref") if isinstance(param, dict) else None
        target = ref_target(tree, owner, ref) if isinstance(ref, str) else None
        if isinstance(target, tuple) and target[0] == "parameters" and target[1] in identity:
            used.add(target[1])
    reason = op.get(NO_IDENTITY_ASSERTION)
    if reason is not None:
        if not isinstance(reason, str) or not reason.strip():
            problems.add(loc_of(op), f"{where}: {NO_IDENTITY_ASSERTION} must say why, as text")
        elif used:
            problems.add(
                loc_of(op),
                f"{where}: {NO_IDENTITY_ASSERTION} is set, yet the operation takes "
                f"{', '.join(sorted(used))}",
            )
        return
    missing = sorted(identity - used)
    if missing:
        problems.add(
            loc_of(op),
            f"{where}: identity assertion applies to every Client-Server call made with an "
            f"as_token; add the parameters {', '.join(missing)} from "
            f"definitions/parameters.yaml, or say why not in {NO_IDENTITY_ASSERTION}",
        )


def _check_refs(tree: SpecTree, owner: str, node: Any, problems: Problems) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = ref_target(tree, owner, ref)
            if isinstance(target, str):
                problems.add(loc_of(node), target)
        for key, value in node.items():
            literal = key in ("example", "value") or (key == "examples" and isinstance(value, list))
            if not literal:
                _check_refs(tree, owner, value, problems)
    elif isinstance(node, list):
        for item in node:
            _check_refs(tree, owner, item, problems)
