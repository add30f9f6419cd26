"""``matrix-appservice probe URL --hs-token T``: check a live appservice against the spec.

Exit statuses follow :mod:`matrix_appservice._exit`: 0 when no check failed, 1 when any did
(an unreachable URL included) or the registration's content is invalid, 2 on a usage error
(bad arguments, a registration that cannot be read), 3 when httpx is not installed.
"""

from __future__ import annotations

import argparse
import math
import sys
from urllib.parse import urlsplit

from matrix_appservice._credentials import token_problem, userinfo_problem
from matrix_appservice._exit import INVALID, NO_START, OK, USAGE, registration_failure
from matrix_appservice._exit import report as report_failure
from matrix_appservice._releases import RELEASES, UnknownReleaseError, resolve_release
from matrix_appservice.probe._report import Check

__all__ = ["DEFAULT_TIMEOUT", "add_probe_command", "run_probe_command"]

DEFAULT_TIMEOUT = 10.0


def add_probe_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "probe",
        help="check a live appservice against the spec (needs the [client] extra)",
        description=(
            "Send valid and invalid requests to the appservice at URL as its homeserver would, "
            "validate every answer against the release, and print one line per check. "
            "Exit status 1 if any check fails. The token is never printed."
        ),
    )
    p.add_argument(
        "url", metavar="URL", help="the appservice's base URL, e.g. http://127.0.0.1:9009"
    )
    p.add_argument(
        "--hs-token", metavar="T", help="the registration's hs_token (default: from --registration)"
    )
    p.add_argument(
        "--registration",
        metavar="FILE",
        help="the registration: events and queries use its namespaces",
    )
    p.add_argument(
        "--strict", action="store_true",
        help="with --registration: also refuse upper-case letters in sender_localpart and "
        "namespace regexes that can backtrack catastrophically (warnings otherwise)",
    )  # fmt: skip
    p.add_argument(
        "--version",
        default=None,
        help=f"the release to check (default: the latest); one of {', '.join(RELEASES)}",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"the limit for each check, all its requests together (default: {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument("--json", action="store_true", help="print one JSON report for tools")
    p.set_defaults(func=run_probe_command)


def _usage(message: str) -> int:
    print(f"probe: {message}", file=sys.stderr)
    return USAGE


def run_probe_command(args: argparse.Namespace) -> int:
    try:
        import httpx
    except ImportError:
        print("probe: needs httpx: pip install 'matrix-appservice[client]'", file=sys.stderr)
        return NO_START
    from matrix_appservice._http_limits import DeadlineTransport
    from matrix_appservice.probe._checks import Prober
    from matrix_appservice.probe._samples import Samples
    from matrix_appservice.registration import RegistrationError, load_registration

    try:
        release = resolve_release(args.version)
    except UnknownReleaseError as exc:
        return _usage(str(exc))
    if userinfo_problem(args.url):
        return _usage(f"URL {userinfo_problem(args.url)}")
    try:
        parts = urlsplit(args.url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return _usage(f"URL {args.url!r} cannot be read: {exc}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _usage(f"URL must be an http:// or https:// address, not {args.url!r}")
    if parts.query or parts.fragment:
        return _usage("URL takes no query or fragment: give the appservice's base URL")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        return _usage(f"--timeout must be a finite number of seconds above 0, not {args.timeout:g}")
    if args.strict and not args.registration:
        return _usage("--strict applies to --registration only")
    registration = None
    if args.registration:
        try:
            loaded = load_registration(args.registration, release, strict=args.strict)
        except RegistrationError as exc:  # its messages never quote a token
            return report_failure("probe", registration_failure(exc))
        registration = loaded.model
        for warning in loaded.warnings:
            print(f"probe: {warning}", file=sys.stderr)
    token = args.hs_token
    if token is None and registration is not None:
        token = registration.hs_token
    if token is None:
        return _usage("give --hs-token, or --registration with an hs_token")
    if token_problem(token):
        return _usage(f"the hs_token {token_problem(token)}")

    def progress(check: Check) -> None:
        sys.stderr.write("." if check.outcome != "fail" else "F")
        sys.stderr.flush()

    with httpx.Client(timeout=args.timeout, transport=DeadlineTransport()) as client:
        prober = Prober(client, args.url, token, release, Samples(registration), progress)
        report = prober.run()
    sys.stderr.write("\n")
    print(report.json() if args.json else report.text())
    return INVALID if report.failed else OK
