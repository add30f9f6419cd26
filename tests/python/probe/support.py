"""Running the probe in-process against an app served by uvicorn on a loopback port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from matrix_appservice.homeserver.testing import free_port

from tests.interop.asgi import serving
from tests.package_cli import main


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on 127.0.0.1 at a free port; its base URL. Stopped on exit."""
    port = free_port()
    with serving(app, port):
        yield f"http://127.0.0.1:{port}"


def write_registration(tmp_path: Path, reg: dict[str, Any]) -> Path:
    path = tmp_path / "registration.yaml"
    path.write_text(yaml.safe_dump(reg), encoding="utf-8")
    path.chmod(0o600)
    return path


def probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of ``matrix-appservice probe ARGS``."""
    code = main(["probe", *args], prog="matrix-appservice")
    out, err = capsys.readouterr()
    return code, out, err


def outcomes(out: str) -> dict[str, tuple[str, str]]:
    """Check name -> (outcome, reason) from the ``--json`` report."""
    report = json.loads(out)
    return {c["name"]: (c["outcome"], c["reason"]) for c in report["checks"]}
