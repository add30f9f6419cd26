"""The Jinja environments of the emitters: one per kind of output, all made here.

Every environment fails on an undefined name (``StrictUndefined``) and keeps a template's
final newline. ``python`` and ``rst`` write text as it is; ``html`` escapes what it inserts.
``rst`` also trims the lines of block tags, so a template reads like the document it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jinja2

__all__ = ["Kind", "environment"]

Kind = Literal["python", "rst", "html"]


def environment(
    folder: Path, kind: Kind, filters: dict[str, Callable[..., Any]] | None = None
) -> jinja2.Environment:
    """The environment for the templates under ``folder`` that make ``kind`` output."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=kind == "html",
        trim_blocks=kind == "rst",
        lstrip_blocks=kind == "rst",
    )
    env.filters.update(filters or {})
    return env
