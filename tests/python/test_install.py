"""``pip install ./generated/python`` into a fresh virtual environment, then use it."""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

from matrix_appservice import OPERATIONS

from tests.conftest import REPO


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_install_into_a_fresh_venv(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(
        REPO / "generated" / "python", source, ignore=shutil.ignore_patterns("__pycache__")
    )
    # Left over from an older in-tree build: it must not end up in the installed package.
    stale = source / "build" / "lib" / "matrix_appservice" / "stale.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("STALE = True\n")
    before = _files(source)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    # The build happened elsewhere: no build/, *.egg-info or anything else appeared here.
    assert _files(source) == before

    # Exactly the package's own files were installed: modules, py.typed and the schemas.
    listed = subprocess.run(
        [str(python), "-c", "import json, importlib.metadata as m; "
         "print(json.dumps([str(f) for f in m.files('matrix-appservice')]))"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    installed = sorted(
        f for f in json.loads(listed.stdout)
        if f.startswith("matrix_appservice/") and "/__pycache__/" not in f  # pip compiles these
    )  # fmt: skip
    assert installed == [f for f in before if f.startswith("matrix_appservice/")]
    assert "matrix_appservice/py.typed" in installed
    assert sum(f.startswith("matrix_appservice/_schemas/") for f in installed) > 10

    script = (
        "import matrix_appservice as m\n"
        "assert m.validate(b'{\"events\": []}', request='sendTransaction').valid\n"
        "assert not m.validate({}, registration=True).valid\n"
        "import sys, matrix_appservice.server\n"
        "assert 'granian' not in sys.modules  # the ASGI app needs no extra\n"
        "print(len(m.OPERATIONS), len(m.models.__all__), m.LATEST)\n"
    )
    used = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert used.returncode == 0, used.stderr
    count, models, latest = used.stdout.split()
    # The installed copy has every operation of the package in the repository.
    assert int(count) == len(OPERATIONS) and int(models) > 50 and latest == "v1.19"

    cli = env_dir / "bin" / "matrix-appservice"
    helped = subprocess.run([str(cli), "validate", "--help"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert helped.returncode == 0 and "--registration" in helped.stdout
    assert helped.stdout.startswith("usage: matrix-appservice validate [-h]")
    version = subprocess.run([str(cli), "-V"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0
    assert version.stdout.startswith("matrix-appservice 0.1.0 (spec revision ")
    serve = subprocess.run(
        [str(cli), "serve", "m:H", "--registration", "r.yaml"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert serve.returncode == 3 and "matrix-appservice[server]" in serve.stderr  # cannot start
