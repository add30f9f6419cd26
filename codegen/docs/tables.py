"""RST blocks for one release: version marks, authentication, parameter and object tables.

An instance of :class:`Blocks` is handed to the templates; every method returns a finished
block of RST (no trailing newline) that a template places at column 0.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from codegen.docs.context import Errcode, Operation, Param, Scheme
from codegen.docs.examples import example_request, token_name
from codegen.docs.rst import code_block, heading, indent, inline_literal, json_text, list_table, md
from codegen.docs.schema import Field, Marks, ObjectTable
from codegen.versions import Release, Releases

__all__ = ["Blocks"]

_WIDTHS = (22, 22, 56)


class Blocks:
    """RST helpers that know which release the document describes."""

    def __init__(self, release: Release, releases: Releases) -> None:
        self.release = release
        self.releases = releases

    # -- version marks -------------------------------------------------------------------

    def _name(self, label: str) -> str:
        found = self.releases.get(label)
        return found.name if found is not None else label

    def mark_lines(self, marks: Marks) -> list[str]:
        """``Added in v1.7``, ``Changed in v1.4: ...``; "this version" for the document's own."""
        lines: list[str] = []
        if marks.unstable:
            lines.append(f"Unstable: defined by {marks.unstable} only, not in any release.")
        if marks.off_schema:
            lines.append(f"Not in the official schema: {md(marks.off_schema)}")
        if marks.added:
            mine = self.releases.get(marks.added) == self.release
            lines.append("New in this version." if mine else f"Added in {self._name(marks.added)}.")
        for label, note in marks.changed:
            mine = self.releases.get(label) == self.release
            prefix = "Changed in this version" if mine else f"Changed in {self._name(label)}"
            lines.append(f"{prefix}: {md(note)}")
        if marks.deprecated:
            lines.append("Deprecated.")
        return lines

    def marks(self, marks: Marks) -> str:
        """A ``marks`` container with one paragraph per mark ('' when there is none)."""
        lines = self.mark_lines(marks)
        if not lines:
            return ""
        body = "\n\n".join(lines)
        return f".. container:: marks\n\n{indent(body, 3)}"

    # -- endpoints -----------------------------------------------------------------------

    def title(self, op: Operation) -> str:
        return heading(inline_literal(f"{op.method} {op.path}"), 3)

    def scheme_text(self, op: Operation, scheme: Scheme) -> str:
        token = token_name(op, scheme)
        who = inline_literal(token) if token != "access token" else "an access token"
        if token == "access token":
            who += f" (an appservice sends its {inline_literal('as_token')})"
        else:
            who = "the " + who
        if scheme.type == "http":
            where = f"in the {inline_literal('Authorization: Bearer')} header"
        elif scheme.location == "query":
            where = f"as the {inline_literal(scheme.key)} query parameter"
        else:
            where = f"in the {inline_literal(scheme.key)} header"
        return f"{who} {where}{' (deprecated)' if scheme.deprecated else ''}"

    def auth(self, op: Operation) -> str:
        """The value of the "Requires authentication" field."""
        options = [
            " together with ".join(self.scheme_text(op, s) for s in req)
            for req in op.security
            if req
        ]
        if not options:
            return "No."
        if op.auth_optional:
            return (
                "Optional: the call works without credentials, though a homeserver may "
                "require them; to authenticate, send " + "; or ".join(options) + "."
            )
        if len(options) == 1:
            return f"Yes: {options[0]}."
        return "Yes, either " + "; or ".join(options) + "."

    @staticmethod
    def identity(op: Operation) -> str:
        """The value of the "Identity assertion" field of a Client-Server endpoint."""
        if op.identity_params:
            names = ", ".join(inline_literal(p.name) for p in op.identity_params)
            return f"Yes, with {names} (see `Identity assertion`_)."
        if op.no_identity_reason:
            return f"No. {md(op.no_identity_reason)}"
        return "No."

    @staticmethod
    def _free_form_text(p: Param) -> str:
        if p.explode_object and isinstance(p.example, dict) and p.example:
            shown = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in p.example.items())
        else:
            shown = "<field>=<value>&<field>=<value>"
        sample = inline_literal("?" + shown)
        if p.explode_object:
            how = (
                "Its keys are the search fields: each is sent as a query parameter of its "
                f"own, named after the field ({sample})"
            )
        else:
            how = (
                "This release writes it as one string, but what travels is one query "
                f"parameter per search field, named after the field ({sample})"
            )
        return (
            f"{how}; there is no parameter called {inline_literal(p.name)} on the wire. The "
            "receiver takes every query parameter that is not listed here and carries no "
            "token as a search field."
        )

    @staticmethod
    def legacy(op: Operation) -> str:
        """The value of the "Legacy route" field."""
        if not op.legacy_paths:
            return "None."
        return ", ".join(f"{inline_literal(op.method + ' ' + p)}" for p in op.legacy_paths)

    def _description(self, required: bool, description: str, marks: Marks, extra: list[str]) -> str:
        parts = []
        text = md(description)
        if required:
            text = "**Required.** " + text if text else "**Required.**"
        if text:
            parts.append(text)
        parts.extend(extra)
        mark_block = self.marks(marks)
        if mark_block:
            parts.append(mark_block)
        return "\n\n".join(parts)

    def param_table(self, params: list[Param], caption: str) -> str:
        rows = []
        for p in params:
            extra = []
            if p.free_form:
                extra.append(self._free_form_text(p))
            elif p.explode_object:
                extra.append("Sent as one query parameter per key.")
            if p.appservice_only:
                extra.append("Only meaningful when an appservice calls with its ``as_token``.")
            description = self._description(p.required, p.description, p.marks, extra)
            rows.append([inline_literal(p.name), p.type, description])
        return list_table(
            ["Name", "Type", "Description"], rows, caption=caption, widths=_WIDTHS,
            classes="params",
        )  # fmt: skip

    def _field_extra(self, f: Field) -> list[str]:
        extra = []
        if f.enum:
            extra.append("One of: " + ", ".join(_literal_json(v) for v in f.enum) + ".")
        if f.const is not None:
            extra.append(f"Must be {_literal_json(f.const)}.")
        if f.has_default:
            extra.append(f"Defaults to {_literal_json(f.default)}.")
        return extra

    def object_table(self, table: ObjectTable) -> str:
        rows = [
            [
                inline_literal(f.name),
                f.type,
                self._description(f.required, f.description, f.marks, self._field_extra(f)),
            ]
            for f in table.fields
        ]
        block = list_table(["Name", "Type", "Description"], rows, widths=_WIDTHS, classes="fields")
        parts = [f".. rubric:: {table.title}\n   :class: object", md(table.description), block]
        return "\n\n".join(part for part in parts if part)

    def object_tables(self, tables: list[ObjectTable]) -> str:
        return "\n\n".join(self.object_table(t) for t in tables)

    def errcode_table(self, errcodes: list[Errcode]) -> str:
        rows = [
            [inline_literal(e.errcode), self._description(False, e.description, e.marks, [])]
            for e in errcodes
        ]
        return list_table(
            ["Error code", "Meaning"], rows, caption="Error codes", widths=(30, 70),
            classes="errcodes",
        )  # fmt: skip

    def example_request(self, op: Operation) -> str:
        return code_block("http", example_request(op))

    def json_block(self, value: Any) -> str:
        return code_block("json", json_text(value))

    # -- small inline helpers for the templates -----------------------------------------

    @staticmethod
    def literal(text: str) -> str:
        return inline_literal(text)

    @staticmethod
    def md(text: str) -> str:
        return md(text)

    @staticmethod
    def heading(text: str, level: int) -> str:
        return heading(text, level)


def _literal_json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return inline_literal(text)
