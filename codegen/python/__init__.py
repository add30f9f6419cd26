"""The generated Python package ``matrix_appservice``: models, metadata, validator."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen.spec import Spec

if TYPE_CHECKING:
    import jinja2

    from codegen.python.metadata import OperationMeta

__all__ = ["PACKAGE_VERSION", "add_commands", "emit_python", "format_python"]

PACKAGE_VERSION = "0.1.0"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "python"
_OUT = "python"
_PKG = f"{_OUT}/matrix_appservice"


def _ruff() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]  # ships no types

    return str(find_ruff_bin())


def format_python(text: str, name: str) -> str:
    """Sort imports and format with the pinned ruff, isolated from any local config."""
    common = [
        "--isolated", "--line-length", "100", "--target-version", "py311",
        "--config", "lint.isort.known-first-party = ['matrix_appservice']",
    ]  # fmt: skip
    sorted_imports = subprocess.run(
        [_ruff(), "check", *common, "--select", "I,UP,F401", "--fix-only", "--exit-zero",
         "--stdin-filename", name, "-"],
        input=text, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return subprocess.run(
        [_ruff(), "format", *common, "--stdin-filename", name, "-"],
        input=sorted_imports, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def _env() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "package"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def emit_python(spec: Spec) -> dict[str, str]:
    """``python/...``: the installable ``matrix-appservice`` distribution."""
    # Imported here so that the command line (which registers `validate` from this module)
    # does not load the model generator to print a usage line.
    from codegen.python.client import client_methods
    from codegen.python.errcodes import collect_errcodes
    from codegen.python.metadata import collect_operations, collect_schemes
    from codegen.python.models import MODELS_HEADER, generate_model_modules
    from codegen.python.schemas import validation_files
    from codegen.python.split import DOCS

    env = _env()
    model_modules, exports = generate_model_modules(spec)
    model_names = sorted((n for names in exports.values() for n in names), key=str.lower)
    schema_files, schema_index = validation_files(spec)
    methods = client_methods(spec)
    operations = collect_operations(spec)
    errcodes = collect_errcodes(operations)
    context = {
        "releases": list(spec.releases),
        "latest": spec.releases.latest.name,
        "schema_files": schema_index,
        "operations": operations,
        "schemes": collect_schemes(spec),
        "model_names": model_names,
        "revision": spec.revision,
        "version": PACKAGE_VERSION,
        "appservice_methods": methods["application-service"],
        "homeserver_methods": methods["client-server"],
        "client_models": sorted({n for ms in methods.values() for m in ms for n in m.models}),
        "errcodes": errcodes,
        "helpers": sorted({e.helper for e in errcodes if e.helper}),
    }
    files: dict[str, str] = {
        f"{_PKG}/models/{module}.py": text for module, text in model_modules.items()
    }
    files[f"{_PKG}/models/__init__.py"] = env.get_template("models_init.py.jinja").render(
        header=MODELS_HEADER,
        modules=[(m, DOCS[m]) for m in sorted(model_modules)],
        exports=sorted(exports.items()),
        all_names=model_names,
    )
    files |= {
        f"{_PKG}/py.typed": "",
        f"{_OUT}/pyproject.toml": env.get_template("pyproject.toml.jinja").render(context),
        f"{_OUT}/README.md": env.get_template("README.md.jinja").render(context),
    }
    templates = ("__init__.py", "_releases.py", "operations.py", "client.py", "_client_errcodes.py")
    for template in templates:
        files[f"{_PKG}/{template}"] = env.get_template(f"{template}.jinja").render(context)
    files[f"{_PKG}/server/_handler.py"] = _render_server(env, spec, operations)
    files[f"{_PKG}/homeserver/_handler.py"] = _render_homeserver(env, spec, operations)
    static_root = TEMPLATES / "static"
    for static in sorted(static_root.rglob("*.py")):
        rel = static.relative_to(static_root).as_posix()
        files[f"{_PKG}/{rel}"] = static.read_text(encoding="utf-8")
    for name, text in schema_files.items():
        files[f"{_PKG}/_schemas/{name}"] = text
    for rel in list(files):
        if rel.endswith(".py"):
            files[rel] = format_python(files[rel], rel.rsplit("/", 1)[1])
    return files


def _render_server(env: jinja2.Environment, spec: Spec, operations: list[OperationMeta]) -> str:
    """``server/_handler.py``: the handler base class and the dispatch table."""
    from codegen.python.server import collect_server_operations

    server_ops = collect_server_operations(spec, operations)
    models = {
        name
        for op in server_ops
        for typed in (op.request, op.response)
        if typed
        for name in re.findall(r"[A-Z]\w*", typed)
    }
    return env.get_template("server/_handler.py.jinja").render(
        operations=server_ops, model_imports=sorted(models)
    )


def _render_homeserver(env: jinja2.Environment, spec: Spec, operations: list[OperationMeta]) -> str:
    """``homeserver/_handler.py``: the Client-Server handler base class and its dispatch."""
    from codegen.python.homeserver import collect_homeserver_operations

    ops = collect_homeserver_operations(spec, operations)
    models = {
        name
        for op in ops
        for typed in (op.request, op.response)
        if typed
        for name in re.findall(r"[A-Z]\w*", typed)
    }
    return env.get_template("homeserver/_handler.py.jinja").render(
        operations=ops, model_imports=sorted(models)
    )


def _package_cli() -> Any:
    import importlib

    try:
        package_cli = importlib.import_module("matrix_appservice.__main__")
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generated" / "python"))
        package_cli = importlib.import_module("matrix_appservice.__main__")
    return package_cli


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
