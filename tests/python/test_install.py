"""``pip install ./generated/python`` into a fresh virtual environment, then use it."""

from __future__ import annotations

import shutil
import subprocess
import venv
from pathlib import Path

from matrix_appservice import OPERATIONS

from tests.conftest import REPO


def test_install_into_a_fresh_venv(tmp_path: Path) -> None:
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path / "source"
    shutil.copytree(REPO / "generated" / "python", source)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    script = (
        "import matrix_appservice as m\n"
        "assert m.validate(b'{\"events\": []}', request='sendTransaction').valid\n"
        "assert not m.validate({}, registration=True).valid\n"
        "import sys, matrix_appservice.server\n"
        "assert 'uvicorn' not in sys.modules  # the ASGI app needs no extra\n"
        "print(len(m.OPERATIONS), len(m.models.__all__), m.LATEST)\n"
    )
    used = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert used.returncode == 0, used.stderr
    count, models, latest = used.stdout.split()
    # The installed copy has every operation of the package in the repository.
    assert int(count) == len(OPERATIONS) and int(models) > 50 and latest == "v1.19"
    cli = subprocess.run([str(env_dir / "bin" / "matrix-appservice"), "validate", "--help"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert cli.returncode == 0 and "--registration" in cli.stdout
    serve = subprocess.run(
        [str(env_dir / "bin" / "matrix-appservice"), "serve", "m:H", "--registration", "r.yaml"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert serve.returncode == 2 and "matrix-appservice[server]" in serve.stderr
