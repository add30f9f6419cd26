"""Rendered documentation: one RST document per release, HTML, and release diffs."""

from __future__ import annotations

import argparse

from codegen.spec import Spec

__all__ = ["add_commands", "emit_docs"]


def emit_docs(spec: Spec) -> dict[str, str]:
    """``docs/<release>.rst`` for every release (relative to ``generated/``)."""
    from codegen.docs.render import render_all

    return {f"docs/{name}.rst": text for name, text in render_all(spec).items()}


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``docs`` and ``diff`` subcommands."""
    from codegen.docs.commands import add_commands as add

    add(sub)
