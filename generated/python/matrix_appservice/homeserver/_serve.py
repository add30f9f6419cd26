"""``matrix-appservice homeserver --registration FILE...``: the in-memory homeserver on loopback."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from matrix_appservice._releases import RELEASES, UnknownReleaseError, resolve_release
from matrix_appservice.homeserver._memory import InMemoryHomeserver
from matrix_appservice.registration import RegistrationError
from matrix_appservice.server._logs import configure_logging

__all__ = ["add_homeserver_command", "run_homeserver"]

_LOG = logging.getLogger("matrix_appservice.homeserver")


def add_homeserver_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "homeserver",
        help="run an in-memory homeserver for a bridge's tests (needs the [server] extra)",
        description=(
            "Serve an in-memory homeserver to the appservices of the registration files: "
            "their Client-Server calls, rooms, aliases and the plain routes a bridge calls "
            "first. Nothing is kept after it stops. Logs are JSON lines on standard error."
        ),
    )
    p.add_argument("--registration", required=True, nargs="+", metavar="FILE")
    p.add_argument("--host", default="127.0.0.1", help="the address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8008, help="the port (default: 8008)")
    p.add_argument("--server-name", default="localhost", help="default: localhost")
    p.add_argument(
        "--version", default=None, help=f"the release served; one of {', '.join(RELEASES)}"
    )
    p.add_argument(
        "--pusher-store",
        metavar="PATH",
        help="the SQLite file of the transaction pusher that delivers events to the "
        "appservices (default: a temporary file, removed when it stops)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=run_homeserver)


def run_homeserver(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("homeserver: needs uvicorn: pip install 'matrix-appservice[server]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="matrix-appservice-hs-") as scratch:
        store = args.pusher_store or str(Path(scratch) / "pusher.sqlite3")
        return _run(uvicorn, args, store)


def _run(uvicorn: Any, args: argparse.Namespace, store: str) -> int:
    try:
        release = resolve_release(args.version)
        homeserver = InMemoryHomeserver(
            args.registration, server_name=args.server_name, version=release, pusher_store=store
        )
    except (UnknownReleaseError, ValueError, OSError) as exc:
        if isinstance(exc, RegistrationError):
            print(f"homeserver: the registrations have errors:\n{exc}", file=sys.stderr)
        else:
            print(f"homeserver: {exc}", file=sys.stderr)
        return 2
    secrets = [
        token
        for service in homeserver.appservices.values()
        for token in (service.registration.as_token, service.registration.hs_token)
    ]
    configure_logging(args.log_level, secrets=tuple(secrets))
    _LOG.info(
        "in-memory homeserver %s on %s:%d",
        args.server_name,
        args.host,
        args.port,
        extra={"event": "start", "appservices": sorted(homeserver.appservices), "release": release},
    )
    config = uvicorn.Config(
        homeserver.app,
        host=args.host,
        port=args.port,
        access_log=False,
        log_config=None,
        lifespan="on",
        server_header=False,
    )
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown
        pass
    _LOG.info("stopped", extra={"event": "stop"})
    return 0
