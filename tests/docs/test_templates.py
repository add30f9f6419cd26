"""The placeholder checks of the document templates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codegen.docs.render import DOCUMENT, TEMPLATES, DocsError, Renderer, render_all
from codegen.spec import Spec


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of templates/docs that a test may break."""
    copy = tmp_path / "docs"
    shutil.copytree(TEMPLATES, copy)
    return copy


def _append(path: Path, text: str) -> int:
    """Append ``text`` to a template; returns the line it starts on."""
    old = path.read_text(encoding="utf-8")
    path.write_text(old + text, encoding="utf-8")
    return old.count("\n") + 1


def test_known_placeholders_cover_every_group(spec: Spec) -> None:
    known = Renderer(spec).known()
    for group in ("transactions_as", "ping_as", "query_user_as", "query_room_as", "protocols_as"):
        assert f"{group}_http_api" in known
    for group in ("appservice_ping_cs", "register_cs", "appservice_room_directory_cs"):
        assert f"{group}_http_api" in known
    assert "definition_registration" in known


def test_unknown_placeholder_is_an_error(spec: Spec, templates: Path) -> None:
    line = _append(templates / "_registration.rst.j2", "\n{{pong_as_http_api}}\n") + 1
    with pytest.raises(DocsError) as caught:
        render_all(spec, templates, only=[spec.releases["v1.13"]])
    assert f"docs/_registration.rst.j2:{line}: unknown placeholder {{{{pong_as_http_api}}}}" in str(
        caught.value
    )


def test_unknown_placeholder_inside_a_false_condition_is_still_an_error(
    spec: Spec, templates: Path
) -> None:
    _append(
        templates / DOCUMENT,
        '\n{% if since("unstable") %}\n{{ definition_nothing }}\n{% endif %}\n',
    )
    with pytest.raises(DocsError, match=r"unknown placeholder \{\{definition_nothing\}\}"):
        render_all(spec, templates, only=[spec.releases["r0.1.0"]])


def test_a_group_the_template_forgets_goes_to_other_endpoints(spec: Spec, templates: Path) -> None:
    path = templates / "_homeserver_side.rst.j2"
    path.write_text(path.read_text().replace("{{query_room_as_http_api}}", ""), encoding="utf-8")
    [(_, text)] = render_all(spec, templates, only=[spec.releases["v1.19"]]).items()
    other = text.split("\nOther endpoints\n===============\n", 1)[1]
    assert "/_matrix/app/v1/rooms/{roomAlias}" in other
    assert "/_matrix/app/v1/users/{userId}" not in other  # still where the template puts it


def test_an_undefined_attribute_names_template_and_line(spec: Spec, templates: Path) -> None:
    line = _append(templates / "_version.rst.j2", "\n{{ release.codename }}\n") + 1
    with pytest.raises(DocsError) as caught:
        render_all(spec, templates, only=[spec.releases["v1.7"]])
    assert f"_version.rst.j2:{line}:" in str(caught.value)
    assert "codename" in str(caught.value) and "v1.7" in str(caught.value)


def test_empty_group_renders_a_sentence(spec: Spec, templates: Path) -> None:
    _append(templates / DOCUMENT, "\nPing group\n==========\n\n{{ping_as_http_api}}\n")
    rst = render_all(spec, templates, only=[spec.releases["v1.6"]])["v1.6"]
    assert rst.rstrip().endswith("*v1.6 defines no endpoint of this group.*")
