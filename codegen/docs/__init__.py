"""Rendered documentation: one RST document per release, HTML, and release diffs."""

from __future__ import annotations

import argparse

from codegen.spec import Spec

__all__ = ["add_commands", "emit_docs"]


def emit_docs(spec: Spec) -> dict[str, str]:
    """``docs/<release>.rst`` for every release, and its conformance matrix as
    ``docs/conformance/<release>.json`` (relative to ``generated/``)."""
    from codegen.docs.render import render_all
    from codegen.docs.rules import conformance
    from codegen.generate import dump_json

    files = {f"docs/{name}.rst": text for name, text in render_all(spec).items()}
    for release in spec.releases:
        data = conformance(spec.ir.rules, release)
        files[f"docs/conformance/{release.name}.json"] = dump_json(data)
    return files


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``docs`` and ``diff`` subcommands."""
    from codegen.docs.commands import add_commands as add

    add(sub)
