"""The generated Python package ``matrix_appservice``: models, metadata, validator."""

from __future__ import annotations

import argparse

from codegen.spec import Spec

__all__ = ["add_commands", "emit_python"]


def emit_python(spec: Spec) -> dict[str, str]:
    """``python/...``: the installable ``matrix-appservice`` distribution."""
    return {}


def add_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the ``validate`` subcommand."""
