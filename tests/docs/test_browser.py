"""The built HTML in a real browser: headless Chromium (Debian's package, ``make browser``).

The pages are served over HTTP on 127.0.0.1; Chromium dumps the rendered DOM, which must
hold the endpoint tables and the links to the other versions, and writes screenshots into
``artifacts/`` (kept after the run, ignored by git).
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.spec import DEFAULT_SPEC_ROOT, Spec

pytestmark = pytest.mark.browser

ARTIFACTS = DEFAULT_SPEC_ROOT.parent / "artifacts"
PNG = b"\x89PNG\r\n\x1a\n"
TIMEOUT = 120


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed: run `make browser` (it installs Debian's chromium)")
    return found


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """Serve the built site on a free port of 127.0.0.1; stopped when the module ends."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _run(chromium: str, profile: Path, *args: str) -> str:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.parametrize("page", ["unstable", "v1.13"])
def test_rendered_page_has_endpoint_tables_and_version_links(
    chromium: str, server: str, spec: Spec, tmp_path: Path, page: str
) -> None:
    dom = _run(chromium, tmp_path / "profile", "--dump-dom", f"{server}/{page}.html")
    assert '<h1 class="title">Application Service API</h1>' in dom
    tables = re.findall(r'<table class="(params|fields|errcodes)[^"]*"', dom)
    assert len(tables) > 50 and {"params", "fields", "errcodes"} <= set(tables)
    start = dom.index('<section id="put-matrix-app-v1-transactions-txnid">')
    transactions = dom[start : dom.index("<section", start + 10)]
    params = re.search(r'<table class="params.*?</table>', transactions, re.S)
    assert params is not None and 'literal">txnId</span>' in params.group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", transactions, re.S)
    assert any("events" in row and "[ClientEvent]" in row for row in rows)
    others = [r.name for r in reversed(spec.releases.all) if r.name != page]
    start = dom.index('<section id="other-versions-of-this-specification">')
    listed = dom[start : dom.index("</section>", start)]
    links = re.findall(r'<a class="reference external" href="([^"#/]+)\.html">', listed)
    assert links == ["index", *others]
    assert ("not a release" in dom.split("About this version")[0]) is (page == "unstable")


@pytest.mark.parametrize("page", ["unstable", "v1.13", "index"])
def test_screenshot(chromium: str, server: str, tmp_path: Path, page: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"docs-{page}.png"
    target.unlink(missing_ok=True)
    _run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={target}",
        "--window-size=1280,2000",
        f"{server}/{page}.html",
    )
    data = target.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000, f"{target} is not a useful PNG"
