"""``matrix-appservice serve MODULE:HANDLER --registration FILE``: run the server.

The app is served by granian with the limits of :mod:`matrix_appservice._serving`.

``MODULE:HANDLER`` names an :class:`AppServiceHandler` subclass (built without arguments),
an instance, or a factory: any other callable, called with the registration (a
:class:`~matrix_appservice.models.Registration`), that returns a handler. The handler's
``startup()`` runs before the server listens, its ``shutdown()`` after the last answer.
Exit statuses follow :mod:`matrix_appservice._exit`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from matrix_appservice._exit import (
    NO_START,
    USAGE,
    CommandFailed,
    fail,
    load_checked_registration,
    one_line,
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
from matrix_appservice.models import Registration
from matrix_appservice.registration import LoadedRegistration
from matrix_appservice.server._app import AppServiceApp, create_app, default_store_path
from matrix_appservice.server._handler import AppServiceHandler
from matrix_appservice.server._store import describe_store

__all__ = ["add_serve_command", "load_handler", "run_serve"]

_LOG = logging.getLogger("matrix_appservice.server")


def add_serve_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run an appservice server for a handler (needs the [server] extra)",
        description=(
            "Serve the homeserver -> appservice API with the handler MODULE:NAME: an "
            "AppServiceHandler subclass (built without arguments), an instance, or a factory "
            "that takes the registration and returns a handler. The handler's startup() runs "
            "before the server listens and its shutdown() after the last answer. Host and "
            "port come from the registration's url unless given. SIGINT or SIGTERM stops it "
            "(exit status 0)."
        ),
    )
    p.add_argument("handler", metavar="MODULE:HANDLER")
    p.add_argument("--registration", required=True, metavar="FILE")
    p.add_argument(
        "--strict", action="store_true",
        help="also refuse upper-case letters in sender_localpart and namespace regexes that "
        "can backtrack catastrophically (warnings otherwise)",
    )  # fmt: skip
    p.add_argument("--host", help="the address to listen on (default: the url's host)")
    p.add_argument(
        "--port",
        type=port_number,
        help="the port to listen on, 0 for any free one (default: the url's port)",
    )
    p.add_argument(
        "--store",
        metavar="STORE",
        help="sqlite:PATH (sqlite:PATH?sync=full: every commit flushed to the disk), memory, "
        "or postgresql://USER@HOST:PORT/DB for several workers "
        "sharing one database (needs the [postgres] extra; default: sqlite: beside the "
        "registration file)",
    )
    p.add_argument(
        "--version", default=None, help=f"the release served; one of {', '.join(RELEASES)}"
    )
    p.add_argument("--server-name", help="the homeserver's name, to recognise the bot user exactly")
    p.add_argument("--no-legacy-routes", action="store_true", help="serve the v1 paths only")
    p.add_argument("--access-log", action="store_true", help="log every request (never the query)")
    p.add_argument(
        "--check-content", action="store_true",
        help="also check every event's content against the schema of its type (400 otherwise)",
    )  # fmt: skip
    add_logging_options(p)
    p.set_defaults(func=run_serve)


def _resolve(target: str) -> tuple[str, Any]:
    module_name, _, attribute = target.partition(":")
    dotted = [*module_name.split("."), *attribute.split(".")]
    if not module_name or not attribute or not all(part.isidentifier() for part in dotted):
        fail(
            f"{target!r}: expected MODULE:HANDLER with a dotted module name, e.g. "
            "mybridge.handler:Bridge (run from the folder that holds mybridge, or put it on "
            "PYTHONPATH)",
            USAGE,
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        fail(f"cannot import {module_name!r}: {one_line(exc)}", USAGE)
    except Exception as exc:  # the module's own code failed while it was imported
        fail(f"importing {module_name!r} failed: {one_line(exc)}", NO_START)
    for part in attribute.split("."):
        if not hasattr(found, part):
            fail(f"{module_name!r} has no attribute {attribute!r}", USAGE)
        found = getattr(found, part)
    return module_name, found


def load_handler(target: str, registration: Registration) -> AppServiceHandler:
    """The handler ``module:attribute`` names: an instance as it is, a subclass built without
    arguments, any other callable called with ``registration``. Raises
    :class:`~matrix_appservice._exit.CommandFailed`."""
    _, found = _resolve(target)
    secrets = (registration.as_token, registration.hs_token)
    if isinstance(found, AppServiceHandler):
        return found
    if isinstance(found, type):
        if not issubclass(found, AppServiceHandler):
            fail(f"{target} is not an AppServiceHandler subclass, instance or factory", USAGE)
        try:
            inspect.signature(found).bind()
        except TypeError:
            fail(
                f"{target} cannot be built without arguments; give a factory that takes the "
                "registration and returns the handler (e.g. mybridge:make_bridge)",
                USAGE,
            )
        except ValueError:  # no signature to look at: try it
            pass
        what = f"{target}()"
    elif callable(found):
        try:
            inspect.signature(found).bind(registration)
        except TypeError:
            fail(f"{target} must take one argument, the registration, to be a factory", USAGE)
        except ValueError:
            pass
        what = f"{target}(registration)"
    else:
        fail(f"{target} is not an AppServiceHandler subclass, instance or factory", USAGE)
    try:
        built = found() if isinstance(found, type) else found(registration)
    except Exception as exc:
        fail(f"{what} failed: {scrub(one_line(exc), secrets)}", NO_START)
    if not isinstance(built, AppServiceHandler):
        fail(f"{what} returned {type(built).__name__}, not an AppServiceHandler", USAGE)
    return built


def _address(url: str | None, host: str | None, port: int | None) -> tuple[str, int]:
    parts = urlsplit(url) if url else None
    if host is None:
        host = parts.hostname if parts and parts.hostname else "127.0.0.1"
    if port is None:
        if parts is None:
            fail("the registration's url is null: give --port", USAGE)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, port


def run_serve(args: argparse.Namespace) -> int:
    try:
        return _serve(args)
    except CommandFailed as failure:
        return report("serve", failure)


def _serve(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("granian") is None:
        fail("needs granian: pip install 'matrix-appservice[server]'", NO_START)
    try:
        release = resolve_release(args.version)
    except UnknownReleaseError as exc:
        fail(str(exc), USAGE)
    loaded = load_checked_registration(args.registration, release, strict=args.strict)
    registration = loaded.model
    host, port = _address(registration.url, args.host, args.port)
    configure_logging(
        args.log_level,
        secrets=(registration.hs_token, registration.as_token),
        format=args.log_format,
    )
    for warning in loaded.warnings:
        _LOG.warning("%s", warning, extra={"event": "registration_warning"})
    handler = load_handler(args.handler, registration)
    app = _app(args, loaded, handler, release)
    started = _Start(registration, describe_store(_store(args, loaded)), release)
    run(_run(app, host, port, started))
    return 0


def _store(args: argparse.Namespace, loaded: LoadedRegistration) -> str:
    return str(args.store or f"sqlite:{default_store_path(loaded.file)}")


def _app(
    args: argparse.Namespace, loaded: LoadedRegistration, handler: AppServiceHandler, release: str
) -> AppServiceApp:
    store = _store(args, loaded)
    try:
        return create_app(
            loaded,
            handler,
            version=release,
            legacy_routes=not args.no_legacy_routes,
            store=store,
            server_name=args.server_name,
            access_log=args.access_log,
            check_content=args.check_content,
        )
    except ImportError as exc:  # the [postgres] extra
        fail(str(exc), NO_START)
    except OSError as exc:
        fail(f"cannot open the store {describe_store(store)}: {one_line(exc)}", NO_START)
    except ValueError as exc:
        fail(str(exc), USAGE)


class _Start:
    """What the start line says once the server listens."""

    def __init__(self, registration: Registration, store: str, release: str) -> None:
        self.registration = registration
        self.store = store
        self.release = release

    def announce(self, host: str, port: int) -> None:
        url = url_of(host, port)
        _LOG.info(
            "serving appservice %s on %s",
            self.registration.id,
            url,
            extra={
                "event": "start",
                "appservice": self.registration.id,
                "url": url,
                "port": port,
                "store": self.store,
                "release": self.release,
            },
        )


async def _start_app(app: AppServiceApp, stopping: asyncio.Event) -> bool:
    """The app's start-up (store, handler hook); False when a signal came first."""
    secrets = (app.registration.as_token, app.registration.hs_token)
    try:
        return await unless_stopped(app.startup(), stopping)
    except Exception as exc:  # TimeoutError included: the store did not answer
        fail(f"start-up failed: {scrub(one_line(exc), secrets)}", NO_START)


async def _run(app: AppServiceApp, host: str, port: int, started: _Start) -> None:
    stopping = asyncio.Event()
    remove = on_stop_signals(asyncio.get_running_loop(), stopping.set)
    # The start-up runs here, between binding and serving, to report its failure.
    server = AppServer(app, startup=_nothing)
    try:
        bind(server, host, port)
        if not await _start_app(app, stopping):
            return
        await server.start()
        started.announce(host, server.port)
        await stopping.wait()
    finally:
        await _closing(server.close())
        remove()
    _LOG.info("stopped", extra={"event": "stop"})


async def _nothing() -> None:
    pass


async def _closing(closing: Awaitable[None]) -> None:
    """Close, logging (not raising) what the handler's shutdown or the store raised."""
    try:
        await closing
    except Exception:
        _LOG.exception("closing failed", extra={"event": "close_failed"})
