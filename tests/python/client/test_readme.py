"""The README's client examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO


def _examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n### Clients\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_client_examples_run() -> None:
    examples = _examples()
    assert len(examples) == 2
    outputs = []
    for code in examples:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=REPO / "runtime", timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.strip())
    assert outputs == ["delivered and known", "$sent"]
