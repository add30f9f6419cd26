"""``matrix-appservice validate|serve|homeserver|probe ...`` (or ``python -m matrix_appservice ...``):
validate payloads, run an appservice server or an in-memory homeserver, or probe a live
appservice.

Every command exits with the statuses of :mod:`matrix_appservice._exit` (0 done, 1 invalid
input or a failed check, 2 usage error, 3 cannot start). For registration files
(``--registration``), a file that cannot be read at all (missing, a directory, a pipe or
device, no permission) is a usage error; everything about the content (size, encoding, YAML,
schema, the rules beyond it) makes it invalid. ``--strict`` also refuses upper-case letters
in ``sender_localpart`` and namespace regexes that can backtrack catastrophically, which are
warnings otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from matrix_appservice import __version__
from matrix_appservice._exit import EXIT_CODES, INVALID, OK, USAGE
from matrix_appservice._releases import (
    RELEASES,
    SPEC_REVISION,
    UnknownReleaseError,
    resolve_release,
)
from matrix_appservice._validator import (
    DEFAULT_MAX_ERRORS,
    ValidationIssue,
    ValidationResult,
    omitted,
    validator_for,
)
from matrix_appservice.homeserver._serve import add_homeserver_command
from matrix_appservice.probe._cli import add_probe_command
from matrix_appservice.registration import (
    MAX_REGISTRATION_BYTES,
    LoadedRegistration,
    Problem,
    RegistrationError,
    RegistrationReadError,
    check_registration,
    check_registrations,
    examine_registration,
    parse_registration,
)
from matrix_appservice.server._serve import add_serve_command

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
        prog=prog or program_name(None),
        description=(
            "The Matrix Application Service API from the command line: validate payloads and "
            "registration files, serve an appservice or an in-memory homeserver, probe a "
            "running appservice."
        ),
        epilog="exit status:\n"
        + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-V",
        action="version",
        version=f"matrix-appservice {__version__} (spec revision {SPEC_REVISION})",
        help="print the package version and the spec revision it was generated from, then exit",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_validate_command(sub)
    add_serve_command(sub)
    add_homeserver_command(sub)
    add_probe_command(sub)
    return parser


DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024**2
"""The most ``validate`` reads of one payload unless ``--max-bytes`` says otherwise: above the
body limit of this package's servers (``DEFAULT_MAX_BODY_BYTES``), so that any body they accept
can be checked, while a file that is not a payload (a log, a disk image) is refused unread
rather than loaded whole into memory."""


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
        "--event", metavar="TYPE", help="the content of an event of TYPE, e.g. m.room.message"
    )
    what.add_argument(
        "--registration", action="store_true", help="registration files (YAML or JSON)"
    )
    p.add_argument("--status", type=int, help="the response status, with --response")
    p.add_argument(
        "--content", action="store_true",
        help="also check the content of every event in the payload by its type",
    )  # fmt: skip
    p.add_argument(
        "--strict", action="store_true",
        help="with --registration: also refuse upper-case letters in sender_localpart and "
        "namespace regexes that can backtrack catastrophically (warnings otherwise)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON report for tools")
    p.add_argument(
        "--max-errors",
        type=_positive,
        default=DEFAULT_MAX_ERRORS,
        metavar="N",
        help=f"list at most N problems per payload (default: {DEFAULT_MAX_ERRORS})",
    )
    p.add_argument(
        "--max-bytes",
        type=_positive,
        default=None,
        metavar="N",
        help="read at most N bytes of each payload; a longer one is reported invalid unread "
        f"(default: {DEFAULT_MAX_PAYLOAD_BYTES // 1024**2} MiB; registration files have their "
        f"own {MAX_REGISTRATION_BYTES // 1024} KiB)",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=run_validate)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def _read(name: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``name`` (``-``: standard input): one more than the
    limit tells a payload that is too long without reading all of it."""
    if name == "-":
        return sys.stdin.buffer.read(limit + 1)
    with Path(name).open("rb") as file:
        return file.read(limit + 1)


def _examine_stdin(args: argparse.Namespace) -> tuple[LoadedRegistration | None, list[Problem]]:
    try:
        reg = parse_registration(sys.stdin.buffer.read(MAX_REGISTRATION_BYTES + 1), "-")
    except RegistrationError as exc:
        return None, exc.problems
    return reg, check_registration(reg, args.version, strict=args.strict)


def _registration_reports(args: argparse.Namespace) -> list[dict[str, object]]:
    """One report per file; raises :class:`RegistrationReadError` for an unreadable file."""
    reports: list[dict[str, object]] = []
    loaded = []
    for name in args.files:
        if name == "-":
            reg, problems = _examine_stdin(args)
        else:
            reg, problems = examine_registration(name, args.version, strict=args.strict)
        if reg is not None:
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
        return USAGE
    if args.content and args.registration:
        print("validate: --content applies to payloads, not registration files", file=sys.stderr)
        return USAGE
    if args.strict and not args.registration:
        print(
            "validate: --strict applies to registration files (--registration) only",
            file=sys.stderr,
        )
        return USAGE
    if args.response and args.status is None:
        print("validate: --response needs --status (e.g. --status 200)", file=sys.stderr)
        return USAGE
    if args.status is not None and not args.response:
        print("validate: --status goes with --response only", file=sys.stderr)
        return USAGE
    if args.max_bytes is not None and args.registration:
        print(
            "validate: --max-bytes applies to payloads; registration files have their own "
            f"limit of {MAX_REGISTRATION_BYTES:,} bytes",
            file=sys.stderr,
        )
        return USAGE
    if args.registration:
        try:
            reports = _registration_reports(args)
        except RegistrationReadError as exc:
            print(f"validate: {exc}", file=sys.stderr)
            return USAGE
    else:
        try:
            validator = validator_for(
                request=args.request,
                response=args.response,
                status=args.status,
                schema=args.schema,
                event=args.event,
                version=release,
                content=args.content,
            )
        except (ValueError, KeyError) as exc:
            print(f"validate: {exc}", file=sys.stderr)
            return USAGE
        limit = args.max_bytes or DEFAULT_MAX_PAYLOAD_BYTES
        reports = []
        for name in args.files:
            try:
                data = _read(name, limit)
            except OSError as exc:
                print(f"validate: {name}: {exc.strerror}", file=sys.stderr)
                return USAGE
            result: ValidationResult
            if len(data) > limit:
                too_long = ValidationIssue(
                    "$", f"longer than {limit:,} bytes, left unread (--max-bytes N reads more)",
                    "maxBytes",
                )  # fmt: skip
                result = ValidationResult(validator.target, validator.release, (too_long,))
            else:
                result = validator.validate(data, max_errors=args.max_errors)
            reports.append(
                {
                    "file": name,
                    "valid": result.valid,
                    "target": result.target,
                    "problems": [
                        {"path": e.path, "message": e.message, "keyword": e.keyword}
                        for e in result.errors
                    ],
                    "more": result.more,
                    "complete": result.complete,
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
                    print(f"  {Problem(**problem)}")
            if report.get("more"):
                print(f"  {omitted(report['more'], report['complete'])}")  # type: ignore[arg-type]
    return OK if ok else INVALID


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    if prog is None:
        prog = program_name(sys.argv[0] if argv is None and sys.argv else None)
    args = build_parser(prog).parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
