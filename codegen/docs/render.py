"""Render the RST document of each release from the Jinja2 templates in ``templates/docs``.

The prose template names each endpoint group with a placeholder, ``{{transactions_as_http_api}}``
and so on, and each definition with ``{{definition_registration}}``. Before rendering, every
name a template uses is checked against what this module provides: an unknown placeholder is
an error naming the template file and line. An endpoint group that no template places (a new
source file, an MSC's) is rendered in the document's "Other endpoints" section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
import yaml

from codegen.changelog import APART
from codegen.docs.context import Operation, all_groups, build_operations, group_of
from codegen.docs.events import render_events
from codegen.docs.rules import RuleBlocks
from codegen.docs.schema import SchemaReader
from codegen.docs.tables import Blocks
from codegen.errors import GeneratorError
from codegen.spec import DEFAULT_SPEC_ROOT, Spec
from codegen.templating import environment
from codegen.versions import Release

__all__ = ["DOCUMENT", "TEMPLATES", "DocsError", "Renderer", "render_all"]

TEMPLATES = DEFAULT_SPEC_ROOT.parent / "templates" / "docs"
DOCUMENT = "application_service_api.rst.j2"
ENDPOINT = "endpoint.rst.j2"
DEFINITION = "definition.rst.j2"
_BLANKS = re.compile(r"\n{3,}")


class DocsError(GeneratorError):
    """A problem in the templates or the build, with the file and line it comes from."""


@dataclass(frozen=True)
class _Use:
    name: str
    template: str
    line: int


def make_env(templates: Path) -> jinja2.Environment:
    return environment(templates, "rst")


def _shown(templates: Path) -> str:
    """How errors name the template folder: relative to the repository when inside it."""
    try:
        return templates.resolve().relative_to(TEMPLATES.parent.parent.resolve()).as_posix()
    except ValueError:
        return str(templates)


def _template_line(exc: BaseException) -> str:
    """``template:line`` of the innermost template frame of a rendering error."""
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{Path(filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _names_used(
    env: jinja2.Environment, folder: str, name: str, seen: set[str], assigned: set[str]
) -> list[_Use]:
    """Every free variable of template ``name`` and of the templates it includes; names the
    templates assign are added to ``assigned``."""
    if name in seen:
        return []
    seen.add(name)
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    try:
        ast = env.parse(source, name)
    except jinja2.TemplateSyntaxError as exc:
        raise DocsError(f"{folder}/{name}:{exc.lineno}: {exc.message}") from exc
    free = jinja2.meta.find_undeclared_variables(ast)
    # Top-level {% set %}s of a template are visible in the templates it includes.
    for assign in ast.find_all((jinja2.nodes.Assign, jinja2.nodes.AssignBlock)):
        target: jinja2.nodes.Node = getattr(assign, "target")  # noqa: B009 - both kinds have it
        names = [target] if isinstance(target, jinja2.nodes.Name) else []
        assigned.update(n.name for n in [*names, *target.find_all(jinja2.nodes.Name)])
    uses: dict[str, int] = {}
    for node in ast.find_all(jinja2.nodes.Name):
        if node.ctx == "load" and node.name in free and node.name not in uses:
            uses[node.name] = node.lineno
    found = [_Use(n, name, line) for n, line in sorted(uses.items(), key=lambda kv: kv[1])]
    for child in jinja2.meta.find_referenced_templates(ast):
        if child is not None:
            found.extend(_names_used(env, folder, child, seen, assigned))
    return found


class Renderer:
    """Renders the documents of one spec with one template folder."""

    def __init__(self, spec: Spec, templates: Path = TEMPLATES) -> None:
        self.spec = spec
        self.templates = templates
        self.env = make_env(templates)
        self.groups = all_groups(spec.ir, [f.rel for f in spec.tree.endpoint_files()])
        # An endpoint group the templates do not place is rendered under "Other endpoints",
        # headed by its file's title (a new file, an MSC's).
        self.titles = {
            group_of(f.api or "", f.rel): str((f.data.get("info") or {}).get("title") or f.rel)
            for f in spec.tree.endpoint_files()
            if isinstance(f.data, dict)
        }
        self.definitions = {
            f"definition_{PurePosixPath(f.rel).stem}": str(f.data.get("title"))
            for f in spec.tree.definition_files()
            if isinstance(f.data, dict) and isinstance(f.data.get("title"), str)
        }
        self.assigned: set[str] = set()
        self.uses = [
            use
            for use in _names_used(self.env, _shown(templates), DOCUMENT, set(), self.assigned)
            if use.name not in self.assigned
        ]

    def known(self) -> set[str]:
        names = {f"{g}_http_api" for g in self.groups} | set(self.definitions)
        return names | {"release", "releases", "revision", "changelog", "has", "has_field"}.union(
            {"since", "path_of", "blocks", "operations", "other_endpoints", "events"},
            {"rules", "other_rules", "rule_matrix"},
        )

    def check(self) -> None:
        """Unknown placeholders, and endpoint groups the templates never place, are errors."""
        known = self.known()
        folder = _shown(self.templates)
        problems = [
            f"{folder}/{u.template}:{u.line}: unknown placeholder {{{{{u.name}}}}}"
            for u in self.uses
            if u.name not in known
        ]
        if problems:
            raise DocsError("\n".join(problems))

    def render(self, release: Release) -> str:
        doc = self.spec.bundle(release)
        blocks = Blocks(release, self.spec.releases)
        rules = RuleBlocks(self.spec.ir.rules, release, self.spec.releases)
        ops = build_operations(self.spec.ir.release(release.name))
        context: dict[str, Any] = {
            "release": release,
            "releases": list(reversed(self.spec.releases.all)),
            "revision": self.spec.revision,
            "changelog": self._changelog(release),
            "blocks": blocks,
            "operations": ops,
            "rules": rules.topic,
            "other_rules": rules.remaining,
            "rule_matrix": rules.matrix,
            **self._helpers(doc, ops, release),
        }
        endpoint = self.env.get_template(ENDPOINT)
        placed = {u.name for u in self.uses}
        others: list[str] = []
        for group in self.groups:
            mine = [op for op in ops if op.group == group]
            rendered = [
                endpoint.render(
                    op=op, blocks=blocks, op_rules=rules.for_operation(op.operation_id)
                ).strip()
                for op in mine
            ]
            empty = f"*{release.name} defines no endpoint of this group.*"
            context[f"{group}_http_api"] = "\n\n".join(rendered) if rendered else empty
            if f"{group}_http_api" not in placed and rendered:
                title = self.titles.get(group, group)
                others.append(f"{title}\n{'-' * len(title)}\n\n" + "\n\n".join(rendered))
        context["other_endpoints"] = "\n\n".join(others)
        context["events"] = render_events(self.env, self.spec.ir.release(release.name), blocks)
        definition = self.env.get_template(DEFINITION)
        reader = SchemaReader(doc)
        for key, title in self.definitions.items():
            schema = doc.get("components", {}).get("schemas", {}).get(title)
            if schema is None:
                context[key] = ""
                continue
            tables = reader.tables({"$ref": f"#/components/schemas/{title}"}, title)
            examples = schema.get("examples") or []
            example = _yaml(examples[0]) if examples else ""
            context[key] = definition.render(
                title=title, schema=schema, tables=tables, example=example, blocks=blocks
            ).strip()
        text = self.env.get_template(DOCUMENT).render(context)
        missing = [r.id for r in rules.all if rules.stated.count(r.id) != 1]
        if missing:
            raise DocsError(
                f"{_shown(self.templates)}/{DOCUMENT}: the rules {', '.join(missing)} are not "
                f"stated exactly once in {release.name}: call other_rules() after every rules()"
            )
        return _BLANKS.sub("\n\n", text).strip() + "\n"

    def _changelog(self, release: Release) -> dict[str, Any]:
        """The release's changelog for the template: ``notes`` (release notes), ``sections``
        (``(heading, entries)`` of the Application Service API's own changelog), the entries
        it leaves out, ``client_server`` and ``internal``, and ``headings``, the headings of
        the sections those are shown under (by area)."""
        entries = self.spec.changelog.get(release.name, [])
        sections: dict[str, list[str]] = {}
        for entry in entries:
            if entry.area == "application-service" and entry.kind != "note":
                sections.setdefault(entry.heading, []).append(entry.text)

        def others(area: str) -> list[tuple[str, str]]:
            return [(e.heading, e.text) for e in entries if e.area == area]

        return {
            "notes": [e.text for e in entries if e.kind == "note"],
            "sections": list(sections.items()),
            "client_server": others("client-server"),
            "internal": others("internal"),
            "headings": APART,
        }

    def _helpers(self, doc: dict[str, Any], ops: list[Operation], release: Release) -> Any:
        components = doc.get("components", {})
        names = {op.operation_id for op in ops} | {op.official_id for op in ops}
        for kind in ("schemas", "parameters", "responses", "securitySchemes"):
            names |= set(components.get(kind, {}))

        def has(name: str) -> bool:
            return name in names

        def has_field(schema: str, prop: str) -> bool:
            return prop in (components.get("schemas", {}).get(schema, {}).get("properties") or {})

        def since(label: str) -> bool:
            return release.index >= self.spec.releases[label].index

        def path_of(operation_id: str) -> str:
            for op in ops:
                if op.operation_id == operation_id:
                    return op.path
            raise DocsError(f"path_of({operation_id!r}): no such operation in {release.name}")

        helpers: dict[str, Callable[..., Any]] = {
            "has": has, "has_field": has_field, "since": since, "path_of": path_of,
        }  # fmt: skip
        return helpers


def _yaml(value: Any) -> str:
    plain = _plain(value)
    return str(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=88)).rstrip()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def render_all(
    spec: Spec, templates: Path = TEMPLATES, only: list[Release] | None = None
) -> dict[str, str]:
    """``{release name: RST text}`` for every release (or the ones in ``only``)."""
    renderer = Renderer(spec, templates)
    renderer.check()
    wanted = only if only is not None else list(spec.releases)
    out: dict[str, str] = {}
    for release in wanted:
        try:
            out[release.name] = renderer.render(release)
        except jinja2.UndefinedError as exc:
            where = f"{_shown(templates)}/{_template_line(exc)}"
            raise DocsError(f"{where}: {exc.message} (rendering {release.name})") from exc
    return out
