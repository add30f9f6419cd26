"""HTML built with docutils: zero warnings, the index, links between versions."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docutils.core import publish_doctree

from codegen.cli import main
from codegen.docs.html import build_html, index_html
from codegen.docs.render import DocsError
from codegen.spec import Spec


def test_every_document_builds_without_warnings(
    spec: Spec, site: Path, documents: dict[str, str]
) -> None:
    # Parse each document with every message collected instead of the build's stop at the
    # first warning: no message of level INFO (1) or above may come out.
    for release in spec.releases:
        stream = io.StringIO()
        publish_doctree(
            documents[release.name],
            source_path=f"docs/{release.name}.rst",
            settings_overrides={
                "_disable_config": True, "report_level": 1, "halt_level": 5,
                "warning_stream": stream, "syntax_highlight": "none",
            },
        )  # fmt: skip
        assert stream.getvalue() == "", (release.name, stream.getvalue()[:2000])
        page = (site / f"{release.name}.html").read_text(encoding="utf-8")
        assert 'href="style.css"' in page
        assert '<h1 class="title">Application Service API</h1>' in page


@pytest.mark.parametrize(
    ("rst", "line", "message"),
    [
        ("Title\n=====\n\nText `unclosed\n", 4, "start-string without end-string"),
        ("T\n=\n\nA\n-\n\nB\n~\n\nC\n=\n\nD\n~\n", 13, "Inconsistent title style"),
        ("T\n=\n\nSee `nowhere`_.\n", 4, 'Unknown target name: "nowhere"'),
    ],
)
def test_a_warning_fails_the_build_naming_document_and_line(
    rst: str, line: int, message: str
) -> None:
    with pytest.raises(DocsError) as caught:
        build_html("docs/v1.7.rst", rst)
    text = str(caught.value)
    assert text.startswith(f"docs/v1.7.rst:{line}: (")
    assert message in text


def test_index_lists_every_release_newest_first(spec: Spec, site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<td><a href="([^"]+)\.html">', index)
    assert links == [r.name for r in reversed(spec.releases.all)]
    assert f'latest release is <a href="{spec.releases.latest.name}.html">' in index
    assert spec.revision in index


def test_index_of_some_releases_lists_only_those(spec: Spec) -> None:
    latest = spec.releases.latest.name
    index = index_html(spec.releases, spec.revision, built={"v1.2", latest, "unstable"})
    assert re.findall(r'<td><a href="([^"]+)\.html">', index) == ["unstable", latest, "v1.2"]
    assert f'latest release is <a href="{latest}.html">' in index
    assert "The versions built here" in index and "all versions" not in index


def test_pages_link_to_every_other_version(spec: Spec, site: Path) -> None:
    names = [r.name for r in spec.releases]
    for name in names:
        page = (site / f"{name}.html").read_text(encoding="utf-8")
        linked = re.findall(r'<a class="reference external" href="([^"#/]+)\.html">', page)
        assert set(linked) >= set(names) - {name}, name
        assert 'href="index.html"' in page


def test_stylesheet_is_copied(site: Path) -> None:
    css = (site / "style.css").read_text(encoding="utf-8")
    assert "table" in css and "div.marks" in css


def test_docs_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "html"
    assert main(["docs", "--version", "v1.7", "--html", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "style.css", "v1.7.html"]
    assert "1 document(s) built without warnings" in capsys.readouterr().out
    # The index links only the page that was built (and so names no latest release).
    index = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+)\.html"', index) == ["v1.7"]
    assert "latest release is" not in index and "The version built here" in index
    assert main(["docs", "--version", "v0.9"]) == 2
    assert "unknown release 'v0.9'" in capsys.readouterr().err
