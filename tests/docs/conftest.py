"""Fixtures of the documentation tests: every release rendered once per session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codegen.docs.html import build_site
from codegen.docs.render import render_all
from codegen.spec import Spec

_UNDERLINE = {"=": 1, "-": 2, "~": 3}


@pytest.fixture(scope="session")
def documents(spec: Spec) -> dict[str, str]:
    """``{release: RST}`` for every release."""
    return render_all(spec)


def section(rst: str, title: str) -> str:
    """The text of the section titled ``title``, up to the next title of its level or above."""
    lines = rst.split("\n")
    for i, line in enumerate(lines[:-1]):
        under = lines[i + 1]
        if line == title and under and set(under) <= set(_UNDERLINE) and len(set(under)) == 1:
            level = _UNDERLINE[under[0]]
            end = len(lines)
            for j in range(i + 2, len(lines) - 1):
                nxt = lines[j + 1]
                if (
                    lines[j].strip()
                    and nxt
                    and len(set(nxt)) == 1
                    and nxt[0] in _UNDERLINE
                    and len(nxt) >= len(lines[j])
                    and _UNDERLINE[nxt[0]] <= level
                ):
                    end = j
                    break
            return "\n".join(lines[i:end])
    raise AssertionError(f"no section titled {title!r}")


def other_versions(rst: str) -> list[str]:
    """The release names linked from the "Other versions" section, in order."""
    text = section(rst, "Other versions of this specification")
    return re.findall(r"^- `([^ <]+) <\1\.html>`__", text, re.M)


@pytest.fixture(scope="session")
def site(spec: Spec, documents: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML of every release, the index and the stylesheet, built once per session."""
    out = tmp_path_factory.mktemp("site")
    build_site(documents, spec.releases, spec.revision, out)
    return out
