"""``python/...``: the installable ``matrix-appservice`` distribution.

Emitted modules (the models, ``operations.py``, the clients, the handler modules, the
package's ``__init__``, README and ``pyproject.toml``) are rendered from the templates under
``templates/python/package`` with the records of :mod:`codegen.python.api`, then formatted.
The hand-written runtime under ``runtime/matrix_appservice`` is copied in byte for byte: it
is linted, type-checked and tested where it is written, and its links to the emitted modules
(symbolic links into ``generated/``) are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from codegen.python.api import pack, pack_words, py_operations, py_schemes, shared_fields
from codegen.python.format import format_python
from codegen.spec import Spec
from codegen.templating import environment

__all__ = ["PACKAGE_VERSION", "TEMPLATES", "emit_python", "python_env"]

PACKAGE_VERSION = "0.1.0"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "python"
RUNTIME = Path(__file__).resolve().parents[2] / "runtime" / "matrix_appservice"
_OUT = "python"
_PKG = f"{_OUT}/matrix_appservice"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _py_tuple(values: Any) -> str:
    return repr(tuple(values))


def python_env() -> jinja2.Environment:
    """The Jinja environment of the Python templates."""
    filters: dict[str, Callable[..., Any]] = {
        "oneline": _one_line,
        "pytuple": _py_tuple,
        "pack": pack,
        "words": pack_words,
    }
    return environment(TEMPLATES / "package", "python", filters)


def emit_python(spec: Spec) -> dict[str, str]:
    """Every file of the distribution, by its path under ``generated/``."""
    # Imported here: the model generator is slow to import, and the command line does not
    # need it to print a usage line.
    from codegen.python.errcodes import collect_errcodes
    from codegen.python.models import MODELS_HEADER, generate_model_modules
    from codegen.python.schemas import validation_files
    from codegen.python.split import DOCS
    from codegen.python.typed_events import TYPED_EVENTS, render_typed_events

    env = python_env()
    model_modules, exports = generate_model_modules(spec)
    typed, typed_names = render_typed_events(
        spec.ir.newest, env.get_template("typed_events.py.jinja"), model_modules, exports,
        MODELS_HEADER,
    )  # fmt: skip
    model_modules[TYPED_EVENTS] = typed
    exports[TYPED_EVENTS] = typed_names
    model_names = sorted((n for names in exports.values() for n in names), key=str.lower)
    schema_files, schema_index = validation_files(spec)
    operations = py_operations(spec)
    errcodes = collect_errcodes(spec.ir)
    appservice = [op for op in operations if op.api == "application-service"]
    homeserver = [op for op in operations if op.api == "client-server"]
    by_method = sorted(operations, key=lambda op: op.python)
    shared_values, operation_fields = shared_fields(operations)
    context = {
        "releases": list(spec.releases),
        "latest": spec.releases.latest.name,
        "schema_files": schema_index,
        "operations": operations,
        "operation_models": sorted(
            {n for op in operations for n in op.handler_models}, key=str.lower
        ),
        "schemes": py_schemes(spec),
        "shared_values": shared_values,
        "operation_fields": operation_fields,
        "model_names": model_names,
        "revision": spec.revision,
        "version": PACKAGE_VERSION,
        "appservice_methods": [op for op in by_method if op.api == "application-service"],
        "homeserver_methods": [op for op in by_method if op.api == "client-server"],
        "client_models": sorted({n for op in operations for n in op.client_models}),
        "errcodes": errcodes,
        "helpers": sorted({e.helper for e in errcodes if e.helper}),
        **rule_context(spec),
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
    for template in (
        "__init__.py",
        "_releases.py",
        "operations.py",
        "client.py",
        "errors.py",
        "rules.py",
    ):
        files[f"{_PKG}/{template}"] = env.get_template(f"{template}.jinja").render(context)
    for package, ops in (("server", appservice), ("homeserver", homeserver)):
        files[f"{_PKG}/{package}/_handler.py"] = env.get_template(
            f"{package}/_handler.py.jinja"
        ).render(
            operations=sorted(ops, key=lambda op: op.name),
            model_imports=sorted({n for op in ops for n in op.handler_models}),
        )
    for name, text in schema_files.items():
        files[f"{_PKG}/_schemas/{name}"] = text
    for rel in list(files):
        if rel.endswith(".py"):
            files[rel] = format_python(files[rel], rel.rsplit("/", 1)[1])
    return files | runtime_files()


def rule_context(spec: Spec) -> dict[str, Any]:
    """``rules``: every wording of every rule and note with its releases; ``probe_checks``:
    ``(check, rule ids)`` for every probe check a rule names; ``our_choices``: the notes on
    what this package does where the specification leaves a choice."""
    book = spec.ir.rules
    spans = []
    checks: dict[str, list[str]] = {}
    for rule_id in book.ids:
        for since, until, rule in book.history(rule_id):
            spans.append(
                {
                    "id": rule.id, "kind": rule.kind, "level": rule.level,
                    "binds": rule.binds, "by": rule.by, "text": rule.text,
                    "section": rule.section, "since": since, "until": until,
                }
            )  # fmt: skip
        for rel in spec.releases:
            found = book.get(rule_id, rel)
            for check in found.probe if found is not None else ():
                if rule_id not in checks.setdefault(check, []):
                    checks[check].append(rule_id)
    ours = [
        {"id": n.id, "refines": n.refines, "text": n.text}
        for n in book.notes(spec.releases.unstable)
        if n.by == "matrix-appservice"
    ]
    return {"rules": spans, "probe_checks": sorted(checks.items()), "our_choices": ours}


def runtime_files() -> dict[str, str]:
    """The hand-written modules, as they are written (the links to emitted ones left out)."""
    found: dict[str, str] = {}
    for folder, dirs, names in os.walk(RUNTIME):  # does not enter linked folders
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            path = Path(folder) / name
            if name.endswith(".py") and not path.is_symlink():
                rel = path.relative_to(RUNTIME).as_posix()
                found[f"{_PKG}/{rel}"] = path.read_text(encoding="utf-8")
    return found
