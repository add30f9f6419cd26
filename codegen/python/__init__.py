"""The generated Python package ``matrix_appservice``: models, metadata, clients, servers."""

from __future__ import annotations

from codegen.python.commands import add_commands
from codegen.python.emit import PACKAGE_VERSION, emit_python

__all__ = ["PACKAGE_VERSION", "add_commands", "emit_python"]
