"""The ``appservice-spec`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from codegen import generate as gen
from codegen.lint import lint
from codegen.spec import DEFAULT_SPEC_ROOT, load_spec, load_spec_or_report

__all__ = ["main"]

DEFAULT_OUT = DEFAULT_SPEC_ROOT.parent / "generated"


def _cmd_lint(args: argparse.Namespace) -> int:
    spec = load_spec(Path(args.spec))
    problems = lint(spec)
    if problems.items:
        print(problems.render(), file=sys.stderr)
    if problems:
        print(f"lint: {len(problems.errors)} error(s)", file=sys.stderr)
        return 1
    ops = sum(
        1 for item in spec.bundle(spec.releases.unstable)["paths"].values() for m in item
        if m != "servers"
    )  # fmt: skip
    print(f"lint: ok ({len(spec.releases)} releases, {ops} operations in unstable)")
    return 0


def _cmd_bundle(args: argparse.Namespace) -> int:
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
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    spec = load_spec_or_report(Path(args.spec), "generate")
    if spec is None:
        return 1
    files = gen.emit_all(spec)
    if spec.problems:
        print(spec.problems.render(), file=sys.stderr)
        return 1
    out = Path(args.out)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appservice-spec",
        description="Lint, bundle and generate from the Matrix Application Service API sources.",
    )
    parser.add_argument("--spec", default=str(DEFAULT_SPEC_ROOT), help="the spec/ folder")
    sub = parser.add_subparsers(dest="command", required=True)

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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "validate" in argv:
        # Hand everything after `validate` to the generated package's parser, unchanged.
        at = argv.index("validate")
        args = build_parser().parse_args([*argv[:at], "validate"])
        args.rest = argv[at + 1 :]
    else:
        args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
