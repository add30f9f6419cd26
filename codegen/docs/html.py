"""Build HTML from the RST documents with docutils; any docutils warning is an error.

``build_site`` writes ``<release>.html`` for every document, ``index.html`` listing those
pages, and ``style.css``. Pages link to each other with relative links, so the output
folder can be served from anywhere or opened from disk.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from docutils.core import publish_string
from docutils.utils import SystemMessage

from codegen.docs.render import TEMPLATES, DocsError
from codegen.templating import environment
from codegen.versions import Releases

__all__ = [
    "INDEX_TEMPLATE",
    "STYLESHEET",
    "build_all",
    "build_html",
    "build_site",
    "index_html",
    "site_files",
]

INDEX_TEMPLATE = "index.html.j2"
STYLESHEET = "style.css"


def _settings() -> dict[str, Any]:
    # Highlighting needs Pygments; without it docutils would warn on every code block.
    highlight = "short" if importlib.util.find_spec("pygments") else "none"
    return {
        "_disable_config": True,  # ignore docutils.conf files of the machine
        "report_level": 2,  # report warnings and worse ...
        "halt_level": 2,  # ... and stop at the first one
        "exit_status_level": 5,
        "traceback": True,
        "warning_stream": io.StringIO(),
        "input_encoding": "utf-8",
        "output_encoding": "unicode",
        "stylesheet_path": "",
        "stylesheet": STYLESHEET,
        "embed_stylesheet": False,
        "syntax_highlight": highlight,
        "file_insertion_enabled": False,
        "raw_enabled": False,
        "toc_backlinks": "none",
        "section_self_link": True,
    }


def build_html(name: str, rst: str) -> str:
    """One HTML page from one RST document. ``name`` (``docs/v1.13.rst``) is used in errors,
    which read ``docs/v1.13.rst:123: (WARNING/2) ...``."""
    try:
        html = publish_string(rst, source_path=name, writer="html5", settings_overrides=_settings())
    except SystemMessage as exc:
        raise DocsError(_message(name, rst, exc)) from exc
    return html if isinstance(html, str) else html.decode("utf-8")


def _message(name: str, rst: str, exc: SystemMessage) -> str:
    """The docutils message (``file:line: (LEVEL/n) text``) with the offending line quoted."""
    text = str(exc)
    if not text.startswith(name):
        text = f"{name}: {text}"
    where = text.split(" ", 1)[0].rstrip(":")
    line = where.rsplit(":", 1)[-1]
    lines = rst.splitlines()
    if line.isdigit() and 0 < int(line) <= len(lines):
        first, newline, rest = text.partition("\n")
        quoted = f"\n    {line} | {lines[int(line) - 1].rstrip()}"
        text = first + quoted + newline + rest
    return text


def index_html(
    releases: Releases,
    revision: str,
    templates: Path = TEMPLATES,
    built: Collection[str] | None = None,
) -> str:
    """The page that lists the releases that have a page (``built``; default every release),
    newest first, with a link to each."""
    env = environment(templates, "html")
    listed = [r for r in reversed(releases.all) if built is None or r.name in built]
    return env.get_template(INDEX_TEMPLATE).render(
        releases=listed,
        every=len(listed) == len(releases),
        latest=releases.latest if releases.latest in listed else None,
        revision=revision,
        stylesheet=STYLESHEET,
    )


def _build_one(item: tuple[str, str]) -> str:
    name, rst = item
    return build_html(f"docs/{name}.rst", rst)


def build_all(
    documents: dict[str, str],
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """``{release: HTML}``; docutils is slow, so documents are built in parallel processes.
    The first error (in release order) is raised. ``progress`` is called with each release
    name once its page is built (in release order)."""
    jobs = jobs or min(len(documents), os.cpu_count() or 1)
    items = list(documents.items())
    built: dict[str, str] = {}
    if jobs <= 1 or len(items) <= 1:
        for item in items:
            built[item[0]] = _build_one(item)
            if progress is not None:
                progress(item[0])
        return built
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for name, html in zip(documents, pool.map(_build_one, items), strict=True):
            built[name] = html
            if progress is not None:
                progress(name)
    return built


def build_site(
    documents: dict[str, str],
    releases: Releases,
    revision: str,
    out: Path,
    templates: Path = TEMPLATES,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the page of every document, an index of those pages and the stylesheet under
    ``out``; returns what it wrote. Nothing is written when a document fails to build.
    ``progress`` goes to :func:`build_all`."""
    pages = build_all(documents, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, html in pages.items():
        path = out / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    index = out / "index.html"
    index.write_text(index_html(releases, revision, templates, built=pages), encoding="utf-8")
    shutil.copyfile(templates / STYLESHEET, out / STYLESHEET)
    return [*written, index, out / STYLESHEET]


def site_files(documents: Collection[str]) -> list[str]:
    """The names ``build_site`` writes for these documents."""
    return [*(f"{name}.html" for name in documents), "index.html", STYLESHEET]
