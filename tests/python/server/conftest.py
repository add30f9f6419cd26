"""Every test of a module that uses ``support.serving`` runs over both layers: the ASGI app
called in-process and the app served by granian (``AppServer``) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.python.server import support


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if (
        "http_layer" in metafunc.fixturenames
        and getattr(metafunc.module, "serving", None) is support.serving
    ):
        metafunc.parametrize("http_layer", support.LAYERS, indirect=True)


@pytest.fixture(autouse=True)
def http_layer(request: pytest.FixtureRequest) -> Iterator[str]:
    chosen: str = getattr(request, "param", "asgi")
    support.layer = chosen
    try:
        yield chosen
    finally:
        support.layer = "asgi"
