"""The tests use the package as its users do: through public names only.

A private module or name of ``matrix_appservice`` (one whose name starts with ``_``) may change
at any time, so a test that imports one, reaches for a private attribute of an object, or
patches one in place tests something users cannot rely on. The tests' own helpers are not
the package: ``self._x`` inside a test's helper class is fine.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
PACKAGE = "matrix_appservice"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for each use of a private name of the package in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == PACKAGE:
            module = node.module or ""
            if any(_private(part) for part in module.split(".")):
                yield node.lineno, f"imports the private module {module}"
            for alias in node.names:
                if _private(alias.name):
                    yield node.lineno, f"imports the private name {alias.name} from {module}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and any(_private(part) for part in parts):
                    yield node.lineno, f"imports the private module {alias.name}"
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            owner = ast.unparse(node.value)
            if owner not in ("self", "cls"):
                yield node.lineno, f"reads the private attribute {owner}.{node.attr}"
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("setattr"):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names = arg.value.split(".")
                    if any(_private(part) for part in names) and (
                        len(names) == 1 or names[0] == PACKAGE
                    ):
                        yield node.lineno, f"patches the private name {arg.value!r}"


def test_the_tests_use_only_public_names_of_the_package() -> None:
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}: {what}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, what in private_uses(ast.parse(path.read_text(), str(path)))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from matrix_appservice._serving import new_event_loop",
        "from matrix_appservice.probe._report import first_release",
        "from matrix_appservice.server import _store",
        "import matrix_appservice._json",
        "client._settings.token",
        "monkeypatch.setattr(Client, '_call', spy)",
        "monkeypatch.setattr('matrix_appservice._serving.listen', fake)",
    ],
)
def test_each_kind_of_private_use_is_found(source: str) -> None:
    assert list(private_uses(ast.parse(source)))


@pytest.mark.parametrize(
    "source",
    [
        "from matrix_appservice.rules import rules_for_check",
        "import matrix_appservice.server",
        "self._inner.close()",
        "object.__setattr__(model, 'x', 1)",
        "monkeypatch.setattr(module, 'listen', fake)",
        "from collections import _Link",
    ],
)
def test_public_uses_and_the_tests_own_helpers_pass(source: str) -> None:
    assert not list(private_uses(ast.parse(source)))
