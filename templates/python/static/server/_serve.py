"""``matrix-appservice serve MODULE:HANDLER --registration FILE``: run the server.

By default with the package's own HTTP/1.1 server (:mod:`matrix_appservice.server._http`,
httptools on uvloop); ``--http uvicorn`` runs the same app as ASGI under uvicorn."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from typing import Any
from urllib.parse import urlsplit

from matrix_appservice._releases import RELEASES, UnknownReleaseError, resolve_release
from matrix_appservice.registration import RegistrationError, load_registration
from matrix_appservice.server._app import create_app, default_store_path
from matrix_appservice.server._handler import AppServiceHandler
from matrix_appservice.server._http import run_http
from matrix_appservice.server._logs import configure_logging
from matrix_appservice.server._store import describe_store

__all__ = ["add_serve_command", "load_handler", "run_serve"]

_LOG = logging.getLogger("matrix_appservice.server")


def add_serve_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run an appservice server for a handler (needs the [server] extra)",
        description=(
            "Serve the homeserver -> appservice API with the handler MODULE:NAME (an "
            "AppServiceHandler subclass or instance). Host and port come from the "
            "registration's url unless given. Logs are JSON lines on standard error."
        ),
    )
    p.add_argument("handler", metavar="MODULE:HANDLER")
    p.add_argument("--registration", required=True, metavar="FILE")
    p.add_argument("--host", help="the address to listen on (default: the url's host)")
    p.add_argument("--port", type=int, help="the port to listen on (default: the url's port)")
    p.add_argument(
        "--store",
        metavar="STORE",
        help="sqlite:PATH, memory, or postgresql://USER@HOST:PORT/DB for several workers "
        "sharing one database (needs the [postgres] extra; default: sqlite: beside the "
        "registration file)",
    )
    p.add_argument("--version", default=None, help=f"the release served; one of {', '.join(RELEASES)}")
    p.add_argument("--server-name", help="the homeserver's name, to recognise the bot user exactly")
    p.add_argument("--no-legacy-routes", action="store_true", help="serve the v1 paths only")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="log every request (never the query)")
    p.add_argument(
        "--http",
        choices=["native", "uvicorn"],
        default="native",
        help="native: the package's HTTP/1.1 server (httptools on uvloop, the default); "
        "uvicorn: the ASGI app under uvicorn",
    )
    p.set_defaults(func=run_serve)


def load_handler(target: str) -> AppServiceHandler:
    """Import ``module:attribute`` and return a handler instance (classes are instantiated)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{target!r}: expected MODULE:HANDLER, e.g. mybridge.handler:Bridge")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}")
        found = getattr(found, part)
    if isinstance(found, type) and issubclass(found, AppServiceHandler):
        found = found()
    if not isinstance(found, AppServiceHandler):
        raise ValueError(f"{target} is not an AppServiceHandler subclass or instance")
    return found


def _address(url: str | None, host: str | None, port: int | None) -> tuple[str, int]:
    parts = urlsplit(url) if url else None
    if host is None:
        host = parts.hostname if parts and parts.hostname else "127.0.0.1"
    if port is None:
        if parts is None:
            raise ValueError("the registration's url is null: give --port")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValueError(f"the registration's url {url!r} has no valid port: give --port") from None
    return host, port


def run_serve(args: argparse.Namespace) -> int:
    needed = "httptools" if args.http == "native" else "uvicorn"
    if importlib.util.find_spec(needed) is None:
        print(f"serve: needs {needed}: pip install 'matrix-appservice[server]'", file=sys.stderr)
        return 2
    try:
        release = resolve_release(args.version)
        loaded = load_registration(args.registration, release)
        handler = load_handler(args.handler)
        host, port = _address(loaded.model.url, args.host, args.port)
    except (UnknownReleaseError, ValueError) as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    except RegistrationError as exc:
        print(f"serve: the registration has errors:\n{exc}", file=sys.stderr)
        return 2
    registration = loaded.model
    configure_logging(args.log_level, secrets=(registration.hs_token, registration.as_token))
    store = args.store or f"sqlite:{default_store_path(loaded.file)}"
    try:
        app = create_app(
            loaded,
            handler,
            version=release,
            legacy_routes=not args.no_legacy_routes,
            store=store,
            server_name=args.server_name,
            access_log=args.access_log,
        )
    except (OSError, ValueError) as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    _LOG.info(
        "serving appservice %s on %s:%d",
        registration.id,
        host,
        port,
        extra={
            "event": "start",
            "appservice": registration.id,
            "store": describe_store(store),
            "release": release,
            "http": args.http,
        },
    )
    if args.http == "native":
        try:
            run_http(app, host, port)
        except OSError as exc:
            _LOG.error(
                "cannot listen on %s:%d: %s", host, port, exc.strerror or exc, extra={"event": "bind_failed"}
            )
            return 1
        _LOG.info("stopped", extra={"event": "stop"})
        return 0
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        lifespan="on",
        server_header=False,
        # The app reads no client address: skip the X-Forwarded-For middleware on every request.
        proxy_headers=False,
    )
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown
        pass
    _LOG.info("stopped", extra={"event": "stop"})
    return 0
