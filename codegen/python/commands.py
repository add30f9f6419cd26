"""``appservice-spec validate`` and ``probe``: the generated package's own commands.

They run ``matrix_appservice``'s command line: the installed package when there is one, else
the one under ``generated/python`` of this checkout.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]


def _package_cli() -> Any:
    try:
        return importlib.import_module("matrix_appservice.__main__")
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generated" / "python"))
        return importlib.import_module("matrix_appservice.__main__")


def _run_validate(args: argparse.Namespace) -> int:
    return int(_package_cli().main(["validate", *args.rest], prog=args.prog))


def _run_probe(args: argparse.Namespace) -> int:
    return int(_package_cli().main(["probe", *args.rest], prog=args.prog))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``validate`` and ``probe``, which run the generated package's commands."""
    p = sub.add_parser(
        "validate",
        add_help=False,
        help="validate payloads or registration files with the generated package "
        "(see `appservice-spec validate --help`)",
    )
    p.set_defaults(func=_run_validate, rest=[])
    p = sub.add_parser(
        "probe",
        add_help=False,
        help="check a live appservice against the spec with the generated package "
        "(see `appservice-spec probe --help`)",
    )
    p.set_defaults(func=_run_probe, rest=[])
