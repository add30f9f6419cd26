"""The ``appservice-spec`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from codegen.errors import GeneratorError
from codegen.outputs import OutputError, check_file_target, check_folder_target, write_text_atomic
from codegen.spec import (
    DEFAULT_SPEC_ROOT,
    NotASpecFolder,
    check_spec_root,
    load_spec,
    load_spec_or_report,
    source_revision,
)

__all__ = ["PROG", "build_parser", "main", "program_name", "version_line"]

DEFAULT_OUT = DEFAULT_SPEC_ROOT.parent / "generated"
PROG = "appservice-spec"
DISTRIBUTION = "matrix-appservice-spec"


# The commands import their machinery when they run: -V, --help and usage errors stay quick.


def _cmd_lint(args: argparse.Namespace) -> int:
    spec = load_spec(Path(args.spec))
    from codegen.lint import lint

    problems = lint(spec)
    if problems.items:
        print(problems.render(), file=sys.stderr)
    if problems:
        print(f"lint: {len(problems.errors)} error(s)", file=sys.stderr)
        return 1
    ops = len(spec.ir.newest.operations)
    print(f"lint: ok ({len(spec.releases)} releases, {ops} operations in unstable)")
    return 0


def _cmd_bundle(args: argparse.Namespace) -> int:
    from codegen import generate as gen

    if args.output:
        check_file_target(Path(args.output), "-o")
    spec = load_spec_or_report(Path(args.spec), "bundle")
    if spec is None:
        return 1
    try:
        release = spec.releases[args.version]
    except KeyError as exc:
        print(f"bundle: {exc.args[0]}", file=sys.stderr)
        return 2
    text = gen.dump_json(spec.bundle(release))
    if spec.problems:
        print(spec.problems.render(), file=sys.stderr)
        return 1
    if args.output:
        write_text_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from codegen import generate as gen

    out = Path(args.out)
    check_folder_target(out, "--out")
    spec = load_spec_or_report(Path(args.spec), "generate")
    if spec is None:
        return 1
    files = gen.emit_all(spec)
    if spec.problems:
        print(spec.problems.render(), file=sys.stderr)
        return 1
    if args.check:
        diff = gen.check(files, out)
        if diff:
            sys.stdout.write(diff)
            print(
                f"generate --check: {out} differs from what the sources make; "
                "run `make generate` (never edit generated/ by hand)",
                file=sys.stderr,
            )
            return 1
        print(f"generate --check: {out} is up to date ({len(files)} files)")
        return 0
    changes = gen.write(files, out)
    print(f"generate: {len(files)} files, {len(changes)} changed")
    return 0


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Lint, bundle and generate from the Matrix Application Service API sources.",
        # Abbreviated options would hide where the command word is; see _command_at.
        allow_abbrev=False,
    )
    parser.add_argument("--spec", default=str(DEFAULT_SPEC_ROOT), help="the spec/ folder")
    parser.add_argument(
        "-V",
        dest="tool_version",
        action="store_true",
        help="print the version of this tool and the revision of the spec sources, then exit",
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("lint", help="check the sources and every release view")
    p.set_defaults(func=_cmd_lint)

    p = sub.add_parser("bundle", help="print one release as a resolved OpenAPI 3.1 document")
    p.add_argument("--version", required=True, help="a release: r0.1.0, v1.13, unstable, ...")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=_cmd_bundle)

    p = sub.add_parser("generate", help="write everything under generated/")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="the output folder")
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.set_defaults(func=_cmd_generate)

    from codegen.docs import add_commands as add_docs_commands
    from codegen.python import add_commands as add_python_commands

    add_docs_commands(sub)
    add_python_commands(sub)
    return parser


def program_name(argv0: str | None) -> str:
    """The name usage lines show: the file the command was run as, else ``appservice-spec``
    (for ``python -m codegen.cli`` and for callers that pass their own arguments)."""
    name = Path(argv0).name if argv0 else ""
    if not name or name.startswith("-") or name.endswith(".py"):
        return PROG
    return name


def version_line(spec_root: Path) -> str:
    """``appservice-spec 0.1.0 (spec revision 0123456789ab)``."""
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = "(not installed)"
    try:
        check_spec_root(spec_root)
    except NotASpecFolder as exc:
        return f"{PROG} {version} (no spec sources: {exc})"
    return f"{PROG} {version} (spec revision {source_revision(spec_root)})"


def _command_at(argv: Sequence[str]) -> int | None:
    """The position of the command word: the first argument after the top-level options."""
    at = 0
    while at < len(argv):
        arg = argv[at]
        if arg == "--":
            return at + 1 if at + 1 < len(argv) else None
        if arg == "--spec":
            at += 2  # the option and its value
        elif arg.startswith("-"):
            at += 1
        else:
            return at
    return None


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    if prog is None:
        prog = program_name(sys.argv[0] if argv is None and sys.argv else None)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    at = _command_at(argv)
    rest: list[str] = []
    if at is not None and argv[at] in ("validate", "probe"):
        # The generated package's parser reads everything after the command, --help included.
        argv, rest = argv[: at + 1], argv[at + 1 :]
    args = parser.parse_args(argv)
    if args.tool_version:
        print(version_line(Path(args.spec)))
        return 0
    if args.command is None:
        parser.error("a command is required")
    args.rest, args.prog = rest, prog
    try:
        return int(args.func(args))
    except NotASpecFolder as exc:
        print(f"{args.command}: --spec {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except GeneratorError as exc:  # a problem in the sources or templates found while emitting
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file that cannot be written (permissions, a full disk, ...)
        print(f"{args.command}: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
