"""reStructuredText building blocks: headings, list tables, literal blocks, inline markup.

The spec's descriptions are written in a small Markdown subset (``code`` spans, links,
emphasis, ``-`` lists). :func:`md` turns that subset into RST so that docutils builds the
result without a single warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from codegen.errors import GeneratorError

__all__ = [
    "HEADING_CHARS",
    "code_block",
    "heading",
    "indent",
    "inline_literal",
    "json_text",
    "list_table",
    "md",
]

# Section levels used by every document: the title (over- and underlined), then these.
HEADING_CHARS = {1: "=", 2: "-", 3: "~", 4: "^"}

# Characters that may stand right before an inline-markup start string and right after an
# end string (a simplification of the docutils rules that errs on the side of escaping).
_BEFORE_OK = set(" \t\n-:/'\"<([{")
_AFTER_OK = set(" \t\n-.,:;!?\\/'\")]}>")

_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_DOUBLE = re.compile(r"``.+?``")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def heading(text: str, level: int) -> str:
    """A section title at ``level`` (1-4), underlined to its exact length."""
    char = HEADING_CHARS[level]
    return f"{text}\n{char * len(text)}"


def indent(text: str, width: int, *, first: bool = True) -> str:
    """Indent every non-empty line by ``width`` spaces (the first too, unless ``first``)."""
    pad = " " * width
    lines = text.split("\n")
    out = [(pad + line if line.strip() else "") for line in lines]
    if not first and out:
        out[0] = lines[0]
    return "\n".join(out)


def inline_literal(text: str) -> str:
    """``text`` as an inline literal (the text may not contain two backticks in a row)."""
    if "``" in text:
        raise GeneratorError(f"cannot write {text!r} as an inline literal")
    return f"``{text}``"


def _escape_around(source: str, start: int, end: int, markup: str) -> str:
    """``markup`` with escaped spaces added where it touches a word character."""
    before = source[start - 1] if start > 0 else " "
    after = source[end] if end < len(source) else " "
    prefix = "" if before in _BEFORE_OK else "\\ "
    suffix = "" if after in _AFTER_OK else "\\ "
    return prefix + markup + suffix


def _inline(text: str) -> str:
    """Convert Markdown code spans and links in one stretch of text without ``...``."""

    def code(match: re.Match[str]) -> str:
        content = match.group(1)
        if content != content.strip():
            content = content.strip()
        return _escape_around(match.string, match.start(), match.end(), f"``{content}``")

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        return _escape_around(match.string, match.start(), match.end(), f"`{label} <{url}>`__")

    return _LINK.sub(link, _CODE_SPAN.sub(code, text))


def _separate_lists(text: str) -> str:
    """Put a blank line between a paragraph and a list that follows it directly."""
    out: list[str] = []
    in_list = False
    previous = ""
    for line in text.split("\n"):
        item = bool(_LIST_ITEM.match(line))
        if not line.strip():
            in_list = False
        elif item and previous.strip() and not in_list:
            out.append("")  # a paragraph line directly followed by a list
        elif in_list and not item and not line.startswith((" ", "\t")):
            out.append("")  # a paragraph line directly after a list
            in_list = False
        in_list = in_list or item
        out.append(line)
        previous = line
    return "\n".join(out)


def md(text: Any) -> str:
    """Convert a description written in the sources' Markdown subset to RST."""
    if not isinstance(text, str) or not text.strip():
        return ""
    parts: list[str] = []
    last = 0
    for match in _DOUBLE.finditer(text):
        parts.append(_inline(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_inline(text[last:]))
    return _separate_lists("".join(parts).strip())


def _cell(text: str) -> str:
    return text.strip() if text.strip() else "\\ "


def list_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    caption: str = "",
    widths: Sequence[int] = (),
    classes: str = "",
) -> str:
    """A ``list-table`` directive; every cell may hold several lines of RST."""
    lines = [f".. list-table::{' ' + caption if caption else ''}", "   :header-rows: 1"]
    if widths:
        lines.append(f"   :widths: {' '.join(str(w) for w in widths)}")
    if classes:
        lines.append(f"   :class: {classes}")
    lines.append("")
    for row in [list(header), *rows]:
        if len(row) != len(header):
            raise GeneratorError(f"a table row has {len(row)} cells, the header {len(header)}")
        for i, cell in enumerate(row):
            bullet = "   * - " if i == 0 else "     - "
            lines.append(bullet + indent(_cell(cell), 7, first=False))
    return "\n".join(lines)


def code_block(language: str, text: str) -> str:
    """A ``code`` directive holding ``text`` (which may contain anything)."""
    return f".. code:: {language}\n\n{indent(text.rstrip(), 3)}"


def json_text(value: Any) -> str:
    """An example value as indented JSON, keys in source order."""
    return json.dumps(value, indent=2, ensure_ascii=False)
