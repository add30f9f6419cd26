"""``matrix-appservice validate ...`` (or ``python -m matrix_appservice validate ...``):
validate payloads from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from matrix_appservice import __version__
from matrix_appservice._releases import (
    RELEASES,
    SPEC_REVISION,
    UnknownReleaseError,
    resolve_release,
)
from matrix_appservice._validator import ValidationResult, validate
from matrix_appservice.registration import (
    RegistrationError,
    check_registration,
    check_registrations,
    parse_registration,
)

__all__ = ["main"]


def program_name(argv0: str | None) -> str:
    """The name usage lines show: the script it was run as (``matrix-appservice``), or
    ``python -m matrix_appservice`` when run as a module or called with arguments."""
    name = Path(argv0).name if argv0 else ""
    if not name or name.startswith("-") or name.endswith(".py"):
        return "python -m matrix_appservice"
    return name


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or program_name(None), description="Validate Matrix appservice payloads."
    )
    parser.add_argument(
        "-V",
        action="version",
        version=f"matrix-appservice {__version__} (spec revision {SPEC_REVISION})",
        help="print the package version and the spec revision it was generated from, then exit",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_validate_command(sub)
    return parser


def add_validate_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="validate JSON payloads or registration files",
        description="Validate each FILE ('-' for standard input). Exit status 1 if any is invalid.",
    )
    p.add_argument(
        "--version",
        default=None,
        help=f"the release (default: the latest); one of {', '.join(RELEASES)}",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--request", metavar="OPERATION", help="an operation's request body, e.g. sendTransaction"
    )
    what.add_argument(
        "--response", metavar="OPERATION", help="an operation's response body (with --status)"
    )
    what.add_argument("--schema", metavar="NAME", help="a named schema, e.g. ClientEvent")
    what.add_argument(
        "--registration", action="store_true", help="registration files (YAML or JSON)"
    )
    p.add_argument("--status", type=int, help="the response status, with --response")
    p.add_argument("--json", action="store_true", help="print one JSON report for tools")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=run_validate)


def _read(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def _registration_reports(args: argparse.Namespace) -> list[dict[str, object]]:
    reports: list[dict[str, object]] = []
    loaded = []
    for name in args.files:
        try:
            reg = parse_registration(_read(name).decode("utf-8"), name)
        except RegistrationError as exc:
            reports.append(
                {"file": name, "valid": False, "problems": [vars(p) for p in exc.problems]}
            )
            continue
        problems = check_registration(reg, args.version)
        loaded.append(reg)
        reports.append(
            {
                "file": name,
                "valid": not any(p.severity == "error" for p in problems),
                "problems": [vars(p) for p in problems],
            }
        )
    for problem in check_registrations(loaded):
        report = next(r for r in reports if r["file"] == problem.file)
        report["problems"].append(vars(problem))  # type: ignore[attr-defined]
        if problem.severity == "error":
            report["valid"] = False
    return reports


def run_validate(args: argparse.Namespace) -> int:
    try:
        release = resolve_release(args.version)
    except UnknownReleaseError as exc:
        print(f"validate: {exc}", file=sys.stderr)
        return 2
    if args.response and args.status is None:
        print("validate: --response needs --status (e.g. --status 200)", file=sys.stderr)
        return 2
    if args.status is not None and not args.response:
        print("validate: --status goes with --response only", file=sys.stderr)
        return 2
    if args.registration:
        reports = _registration_reports(args)
    else:
        reports = []
        for name in args.files:
            try:
                data = _read(name)
            except OSError as exc:
                print(f"validate: {name}: {exc.strerror}", file=sys.stderr)
                return 2
            try:
                result: ValidationResult = validate(
                    data,
                    request=args.request,
                    response=args.response,
                    status=args.status,
                    schema=args.schema,
                    version=release,
                )
            except (ValueError, KeyError) as exc:
                print(f"validate: {exc}", file=sys.stderr)
                return 2
            reports.append(
                {
                    "file": name,
                    "valid": result.valid,
                    "target": result.target,
                    "problems": [
                        {"path": e.path, "message": e.message, "keyword": e.keyword}
                        for e in result.errors
                    ],
                }
            )
    ok = all(r["valid"] for r in reports)
    if args.json:
        print(json.dumps({"release": release, "valid": ok, "files": reports}, indent=2))
    else:
        for report in reports:
            status = "valid" if report["valid"] else "INVALID"
            print(f"{report['file']}: {status} ({release})")
            for problem in report["problems"]:  # type: ignore[attr-defined]
                if "path" in problem:
                    print(f"  {problem['path']}: {problem['message']}")
                else:
                    tag = "warning: " if problem["severity"] == "warning" else ""
                    print(f"  {problem['file']}:{problem['line']}: {tag}{problem['message']}")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    if prog is None:
        prog = program_name(sys.argv[0] if argv is None and sys.argv else None)
    args = build_parser(prog).parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
