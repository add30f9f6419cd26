"""The RST building blocks, and the Markdown subset of the spec's descriptions."""

from __future__ import annotations

import pytest

from codegen.docs.html import build_html
from codegen.docs.rst import code_block, heading, list_table, md
from codegen.errors import GeneratorError


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Send `hs_token` here.", "Send ``hs_token`` here."),
        ("their `instance_id`s", "their ``instance_id``\\ s"),
        ("(`a`, `b`)", "(``a``, ``b``)"),
        ("already ``rst`` text", "already ``rst`` text"),
        ("see [the MSC](https://example.org/msc)", "see `the MSC <https://example.org/msc>`__"),
        ("Which ones:\n- one\n- two\nAfter.", "Which ones:\n\n- one\n- two\n\nAfter."),
        ("- item\n  continued\n- next", "- item\n  continued\n- next"),
        ("", ""),
    ],
)
def test_md(source: str, expected: str) -> None:
    assert md(source) == expected


def test_md_output_builds(tmp_path: object) -> None:
    text = md("A `code`s span, [a link](https://example.org) and a list:\n- a `b`\n- c")
    build_html("docs/md.rst", f"T\n=\n\n{text}\n")


def test_list_table_with_multi_line_cells_builds() -> None:
    table = list_table(
        ["Name", "Description"],
        [["``a``", "First paragraph.\n\nSecond one.\n\n- a list"], ["``b``", ""]],
        caption="Things",
        widths=(30, 70),
        classes="fields",
    )
    html = build_html("docs/table.rst", f"T\n=\n\n{table}\n")
    assert '<table class="fields' in html and "<caption>Things</caption>" in html
    with pytest.raises(GeneratorError, match="2 cells"):
        list_table(["A"], [["x", "y"]])


def test_heading_and_code_block() -> None:
    assert heading("``GET /x``", 3) == "``GET /x``\n" + "~" * 10
    assert code_block("json", '{\n  "a": 1\n}') == '.. code:: json\n\n   {\n     "a": 1\n   }'
