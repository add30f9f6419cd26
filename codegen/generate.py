"""Run every emitter and write (or compare) the ``generated/`` tree."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegen.errors import GeneratorError
from codegen.outputs import OutputError, check_folder_target
from codegen.spec import Spec

__all__ = ["EMITTERS", "check", "check_out", "dump_json", "emit_all", "write"]

Files = dict[str, str]
Emitter = Callable[[Spec], Files]


def dump_json(data: Any) -> str:
    """Deterministic JSON text: source order kept, two-space indent, final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def emit_openapi(spec: Spec) -> Files:
    """``openapi/<release>.json``: one resolved OpenAPI 3.1 document per release."""
    return {f"openapi/{name}.json": dump_json(doc) for name, doc in spec.bundles().items()}


def _emitters() -> list[Emitter]:
    from codegen.docs import emit_docs
    from codegen.python import emit_python

    return [emit_openapi, emit_python, emit_docs]


EMITTERS: list[Emitter] = _emitters()


def emit_all(spec: Spec) -> Files:
    files: Files = {}
    for emitter in EMITTERS:
        for rel, text in emitter(spec).items():
            if rel in files:
                raise GeneratorError(f"two emitters both write {rel}")
            files[rel] = text
    return dict(sorted(files.items()))


def _ignored(rel: Path) -> bool:
    """Tool caches and build output that may sit in the tree without being output."""
    return any(
        part.startswith(".")
        or part in ("__pycache__", "build", "dist")
        or part.endswith(".egg-info")
        for part in rel.parts
    )


def _existing(out: Path) -> dict[str, Path]:
    if not out.exists():
        return {}
    return {
        p.relative_to(out).as_posix(): p
        for p in sorted(out.rglob("*"))
        if p.is_file() and not _ignored(p.relative_to(out))
    }


def check_out(files: Files, out: Path) -> None:
    """Raise :class:`OutputError` unless ``files`` can all be written under ``out``.

    ``write`` removes what no emitter produced, so an existing folder with files in it must be
    an earlier output (it holds at least one path the generator writes): a mistyped ``--out``
    never empties a folder the generator did not make."""
    check_folder_target(out, "--out", files)
    if not out.is_dir() or any((out / rel).is_file() for rel in files):
        return
    entries = sorted(p.name for p in out.iterdir() if not _ignored(Path(p.name)))
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise OutputError(
            f"--out {out}: the folder holds files the generator did not make ({shown}); "
            "name a new or empty folder, or an earlier output"
        )


def write(files: Files, out: Path) -> list[str]:
    """Write ``files`` under ``out``, removing files no emitter produced; returns changes.
    Checks the whole target first (:func:`check_out`), so a conflict writes nothing."""
    check_out(files, out)
    changed: list[str] = []
    for rel, path in _existing(out).items():
        if rel not in files:
            path.unlink()
            changed.append(f"removed {rel}")
    for rel, text in files.items():
        path = out / rel
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(f"wrote {rel}")
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
        if not _ignored(folder.relative_to(out)) and not any(folder.iterdir()):
            folder.rmdir()
    return changed


def check(files: Files, out: Path, max_lines: int = 200) -> str:
    """A unified diff between ``out`` and what the generator makes now ('' when equal)."""
    lines: list[str] = []
    existing = _existing(out)
    for rel in sorted(set(existing) | set(files)):
        old = existing[rel].read_text(encoding="utf-8") if rel in existing else ""
        new = files.get(rel, "")
        if old == new:
            continue
        if rel not in files:
            lines.append(f"--- generated/{rel} exists but the generator does not make it\n")
            continue
        lines.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"generated/{rel} (committed)",
                f"generated/{rel} (expected)",
            )
        )
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... {len(lines) - max_lines} more diff lines\n"]
    return "".join(lines)
