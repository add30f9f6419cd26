"""The loaded specification: sources, releases and one bundle per release."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from codegen.bundle import HTTP_METHODS, MAP_FILES, build_bundle, ref_target
from codegen.changelog import Entry, load_changelog
from codegen.errors import Loc, Problems
from codegen.load import SpecTree, load_tree, loc_of
from codegen.versions import Release, Releases, load_releases
from codegen.view import check_annotations

__all__ = [
    "DEFAULT_SPEC_ROOT",
    "FREE_FORM_QUERY",
    "IDENTITY_ASSERTION",
    "NO_IDENTITY_ASSERTION",
    "REST_OF_PATH",
    "NotASpecFolder",
    "Spec",
    "check_spec_root",
    "load_spec",
    "load_spec_or_report",
    "source_revision",
]

DEFAULT_SPEC_ROOT = Path(__file__).resolve().parent.parent / "spec"
_REQUIRED_OP_KEYS = ("operationId", "tags", "summary", "responses")
IDENTITY_ASSERTION = "x-identityAssertion"
# A query parameter whose object keys travel as query parameters of their own.
FREE_FORM_QUERY = "x-freeFormQuery"
NO_IDENTITY_ASSERTION = "x-noIdentityAssertion"
# A path parameter that is the rest of the path, raw "/" included (user IDs, aliases).
REST_OF_PATH = "x-restOfPath"


@dataclass
class Spec:
    root: Path
    tree: SpecTree
    releases: Releases
    problems: Problems
    changelog: dict[str, list[Entry]]
    _bundles: dict[str, dict[str, Any]] = field(default_factory=dict)

    def bundle(self, release: Release | str) -> dict[str, Any]:
        """The resolved OpenAPI document of one release (built once, then cached)."""
        rel = self.releases[release] if isinstance(release, str) else release
        if rel.name not in self._bundles:
            self._bundles[rel.name] = build_bundle(self.tree, self.releases, rel, self.problems)
        return self._bundles[rel.name]

    def bundles(self) -> dict[str, dict[str, Any]]:
        return {r.name: self.bundle(r) for r in self.releases}

    @cached_property
    def revision(self) -> str:
        """A short content hash of the sources, stable across checkouts."""
        return source_revision(self.root)


def source_revision(root: Path) -> str:
    """A short content hash of every file under ``root`` (names and bytes)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class NotASpecFolder(Exception):
    """The folder given as the sources is missing, not a folder, or has no ``versions.yaml``."""


def check_spec_root(root: Path) -> None:
    """Raise :class:`NotASpecFolder` unless ``root`` is a folder with a ``versions.yaml``."""
    if not root.exists():
        raise NotASpecFolder(f"{root}: no such folder")
    if not root.is_dir():
        raise NotASpecFolder(f"{root}: not a folder")
    if not (root / "versions.yaml").is_file():
        raise NotASpecFolder(f"{root}: not a spec folder (it has no versions.yaml file)")


def _check_sources(tree: SpecTree, releases: Releases, problems: Problems) -> None:
    """Checks on the sources themselves, before any release view is built."""
    schemes = tree.files.get("definitions/security.yaml")
    scheme_names = set(schemes.data) if schemes and isinstance(schemes.data, dict) else set()
    seen_ids: dict[tuple[str, str], Any] = {}
    identity = _identity_parameters(tree)
    for spec in tree.files.values():
        check_annotations(spec.data, releases, problems)
        _check_refs(tree, spec.rel, spec.data, problems)
    for spec in tree.endpoint_files():
        data = spec.data
        if not isinstance(data, dict):
            problems.add(loc_of(data), "an endpoint file must be a mapping")
            continue
        if data.get("openapi") != "3.1.0":
            problems.add(loc_of(data), "endpoint files must declare openapi: 3.1.0")
        for path, item in (data.get("paths") or {}).items():
            if not isinstance(item, dict):
                problems.add(loc_of(data), f"path {path}: expected a mapping of operations")
                continue
            for method, op in item.items():
                if method not in HTTP_METHODS or not isinstance(op, dict):
                    continue
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
        legacy = op.get("x-legacyPaths")
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
        added = releases.get(str(node.get("x-addedInMatrixVersion", "")))
        removed = releases.get(str(node.get("x-removedInMatrixVersion", "")))
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


def load_spec(root: Path = DEFAULT_SPEC_ROOT) -> Spec:
    """Load and check the sources under ``root``. Problems in the sources are collected, not
    raised; a ``root`` that is no spec folder at all raises :class:`NotASpecFolder`."""
    check_spec_root(root)
    problems = Problems()
    releases = load_releases(root / "versions.yaml", problems, _display(root, "versions.yaml"))
    tree = load_tree(root, problems)
    tree.files.pop("versions.yaml", None)
    for rel in MAP_FILES:
        if rel not in tree.files:
            problems.add(Loc(_display(root, rel), 0), "the file is missing")
    if not problems:
        _check_sources(tree, releases, problems)
    # Without releases every changelog folder would look unknown: report versions.yaml alone.
    changelog = load_changelog(root, releases, problems) if len(releases) else {}
    return Spec(root, tree, releases, problems, changelog)


def _display(root: Path, rel: str) -> str:
    return f"{root.name}/{rel}" if root.name else rel


def load_spec_or_report(root: Path, command: str) -> Spec | None:
    """Load for a command: print the problems to stderr and return None when there are any.
    Raises :class:`NotASpecFolder` like :func:`load_spec`."""
    spec = load_spec(root)
    if spec.problems:
        print(spec.problems.render(), file=sys.stderr)
        print(f"{command}: {len(spec.problems.errors)} problem(s) in {root}", file=sys.stderr)
        return None
    return spec
