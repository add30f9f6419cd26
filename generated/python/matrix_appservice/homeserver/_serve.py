"""``matrix-appservice homeserver --registration FILE...``: the in-memory homeserver on loopback.

``--user NAME`` (repeatable) creates a plain user at start and prints ``@NAME:SERVER TOKEN``
on standard output, one line each, once the homeserver listens: the people who talk to the
bridge under test. Exit statuses follow :mod:`matrix_appservice._exit`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import sys
import tempfile
from pathlib import Path

from matrix_appservice._exit import (
    NO_START,
    USAGE,
    CommandFailed,
    fail,
    one_line,
    registration_failure,
    report,
)
from matrix_appservice._listen import (
    add_logging_options,
    bind,
    on_stop_signals,
    port_number,
    run,
    unless_stopped,
    url_of,
)
from matrix_appservice._logs import configure_logging, scrub
from matrix_appservice._releases import RELEASES, UnknownReleaseError, resolve_release
from matrix_appservice._serving import AppServer
from matrix_appservice.errors import MatrixError
from matrix_appservice.homeserver._memory import InMemoryHomeserver
from matrix_appservice.registration import (
    LoadedRegistration,
    Problem,
    RegistrationError,
    check_registrations,
    load_registration,
)

__all__ = ["add_homeserver_command", "run_homeserver"]

_LOG = logging.getLogger("matrix_appservice.homeserver")


def add_homeserver_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "homeserver",
        help="run an in-memory homeserver for a bridge's tests (needs the [server] extra)",
        description=(
            "Serve an in-memory homeserver to the appservices of the registration files: "
            "their Client-Server calls, rooms, aliases and the plain routes a bridge calls "
            "first. Nothing is kept after it stops. SIGINT or SIGTERM stops it (exit status 0)."
        ),
    )
    p.add_argument("--registration", required=True, nargs="+", metavar="FILE")
    p.add_argument(
        "--strict", action="store_true",
        help="also refuse upper-case letters in sender_localpart and namespace regexes that "
        "can backtrack catastrophically (warnings otherwise)",
    )  # fmt: skip
    p.add_argument("--host", default="127.0.0.1", help="the address (default: 127.0.0.1)")
    p.add_argument(
        "--port",
        type=port_number,
        default=8008,
        help="the port, 0 for any free one (default: 8008)",
    )
    p.add_argument("--server-name", default="localhost", help="default: localhost")
    p.add_argument(
        "--version", default=None, help=f"the release served; one of {', '.join(RELEASES)}"
    )
    p.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME",
        help="create the plain user @NAME:SERVER and print '@NAME:SERVER TOKEN' on standard "
        "output once the homeserver listens (repeatable)",
    )
    p.add_argument(
        "--pusher-store",
        metavar="PATH",
        help="the SQLite file of the transaction pusher that delivers events to the "
        "appservices (default: a temporary file, removed when it stops)",
    )
    p.add_argument(
        "--check-content", action="store_true",
        help="refuse a sent event whose content breaks the schema of its type (400 M_BAD_JSON)",
    )  # fmt: skip
    add_logging_options(p)
    p.set_defaults(func=run_homeserver)


def run_homeserver(args: argparse.Namespace) -> int:
    try:
        if importlib.util.find_spec("granian") is None:
            fail("needs granian: pip install 'matrix-appservice[server]'", NO_START)
        with tempfile.TemporaryDirectory(prefix="matrix-appservice-hs-") as scratch:
            store = args.pusher_store or str(Path(scratch) / "pusher.sqlite3")
            return _run(args, store)
    except CommandFailed as failure:
        return report("homeserver", failure)


def _registrations(
    args: argparse.Namespace, release: str
) -> tuple[list[LoadedRegistration], list[Problem]]:
    """Every file checked as ``validate --registration`` does: each alone, then together."""
    loaded: list[LoadedRegistration] = []
    try:
        for path in args.registration:
            loaded.append(load_registration(path, release, strict=args.strict))
        together = check_registrations(loaded)
        errors = [p for p in together if p.severity == "error"]
        if errors:
            raise RegistrationError(errors)
    except RegistrationError as exc:
        raise registration_failure(exc) from None
    warnings = [w for reg in loaded for w in reg.warnings]
    return loaded, warnings + [p for p in together if p.severity == "warning"]


def _run(args: argparse.Namespace, store: str) -> int:
    try:
        release = resolve_release(args.version)
    except UnknownReleaseError as exc:
        fail(str(exc), USAGE)
    loaded, warnings = _registrations(args, release)
    secrets = [token for reg in loaded for token in (reg.model.as_token, reg.model.hs_token)]
    try:
        homeserver = InMemoryHomeserver(
            loaded, server_name=args.server_name, version=release, pusher_store=store,
            check_content=args.check_content,
        )  # fmt: skip
    except OSError as exc:
        fail(f"cannot open the pusher's store {store}: {one_line(exc)}", NO_START)
    except ValueError as exc:
        fail(scrub(one_line(exc), secrets), USAGE)
    users = _users(homeserver, args.user)
    configure_logging(args.log_level, secrets=tuple(secrets), format=args.log_format)
    for warning in warnings:
        _LOG.warning("%s", warning, extra={"event": "registration_warning"})
    # The homeserver's start-up and shut-down run in _serve, around serving.
    server = AppServer(homeserver.app, startup=_nothing, shutdown=_nothing)
    bind(server, args.host, args.port)
    run(_serve(homeserver, server, users, args, release, secrets))
    return 0


async def _nothing() -> None:
    pass


def _users(homeserver: InMemoryHomeserver, names: list[str]) -> list[tuple[str, str]]:
    made = []
    for name in names:
        try:
            token = homeserver.create_user(name)
        except MatrixError as exc:
            fail(f"--user {name}: {exc.error or exc.errcode}", USAGE)
        made.append((homeserver.state.user_id(name), token))
    return made


async def _serve(
    homeserver: InMemoryHomeserver,
    server: AppServer,
    users: list[tuple[str, str]],
    args: argparse.Namespace,
    release: str,
    secrets: list[str],
) -> None:
    stopping = asyncio.Event()
    remove = on_stop_signals(asyncio.get_running_loop(), stopping.set)
    try:
        try:
            if not await unless_stopped(homeserver.startup(), stopping):
                return
        except Exception as exc:
            fail(f"start-up failed: {scrub(one_line(exc), secrets)}", NO_START)
        await server.start()
        port = server.port
        url = url_of(args.host, port)
        _LOG.info(
            "in-memory homeserver %s on %s",
            args.server_name,
            url,
            extra={
                "event": "start",
                "url": url,
                "port": port,
                "appservices": sorted(homeserver.appservices),
                "release": release,
            },
        )
        for user_id, token in users:
            print(f"{user_id} {token}", flush=True)
        await stopping.wait()
    finally:
        try:
            await server.close()
            await homeserver.shutdown()
        finally:
            remove()
    _LOG.info("stopped", extra={"event": "stop"})
    sys.stdout.flush()
