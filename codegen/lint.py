"""Lint: the sources, every release view, the OpenAPI validity of every bundle, every example,
and what the rules refer to in each release they hold in."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from openapi_spec_validator import OpenAPIV31SpecValidator

from codegen.bundle_schema import bundle_registry, schema_validator
from codegen.errors import Loc, Problems
from codegen.examples import iter_examples
from codegen.ir import ReleaseView
from codegen.load import loc_of
from codegen.rules import check_rule_references
from codegen.spec import Spec

__all__ = ["lint", "locate"]


def locate(doc: Any, path: Any) -> Loc | None:
    """The source location of the deepest node along ``path`` in a bundle."""
    best = loc_of(doc)
    node = doc
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        best = loc_of(node) or best
    return best


def _check_release(
    view: ReleaseView, release: str, found: dict[tuple[Loc | None, str], list[str]]
) -> None:
    doc = view.doc
    try:
        errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
    except Exception as exc:
        found[(loc_of(doc), f"the bundle is not a valid OpenAPI 3.1 document: {exc}")].append(
            release
        )
        return
    for err in errors:
        path = tuple(getattr(err, "absolute_path", ()) or ())
        where = "/".join(str(p) for p in path) or "(document)"
        found[(locate(doc, path), f"OpenAPI: at {where}: {err.message}")].append(release)
    registry = bundle_registry(doc)
    for label, spath, value, holder in iter_examples(view):
        validator = schema_validator(doc, spath, registry)
        for err in validator.iter_errors(value):
            at = err.json_path
            found[
                (
                    loc_of(holder) or locate(doc, spath),
                    f"{label} does not match its schema: at {at}: {err.message}",
                )
            ].append(release)


def lint(spec: Spec) -> Problems:
    """Every problem in the sources and in every release view, with file and line."""
    problems = spec.problems
    if problems:
        return problems
    found: dict[tuple[Loc | None, str], list[str]] = defaultdict(list)
    for release in spec.releases:
        try:
            view = spec.ir.release(release.name)
        except Exception as exc:
            problems.add(None, f"the view of {release.name} does not build: {exc!r}")
            continue
        _check_release(view, release.name, found)
    for (loc, message), releases in found.items():
        if len(releases) == len(spec.releases):
            where = "every release"
        elif len(releases) <= 3:
            where = ", ".join(releases)
        else:
            where = f"{len(releases)} releases, {releases[0]} to {releases[-1]}"
        problems.add(loc, f"{message} (in {where})")
    check_rule_references(spec, problems)
    return problems
