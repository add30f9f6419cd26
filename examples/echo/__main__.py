"""Run the echo bridge: ``python -m examples.echo --registration FILE --homeserver URL``.

It serves the appservice API on the registration's ``url`` (or ``--host``/``--port``) with
granian (the package's ``AppServer``, on uvloop when installed). Binding the port,
then the bridge's ``startup()`` (its homeserver client asks who the bot is, which also checks
the ``as_token``) come before the first request; once it listens it has the homeserver ping
it, which proves the ``hs_token`` and the ``url`` and makes the homeserver send at once what
it held back while the bridge was down. Handled transaction IDs are kept in SQLite beside the
registration (``--store`` for another place). Logs are JSON lines on standard error, without
tokens. Ctrl-C or SIGTERM stops it: the answers in progress finish, the bridge's
``shutdown()`` closes its client, then the store is closed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from urllib.parse import urlsplit

from matrix_appservice import load_registration
from matrix_appservice.errors import MatrixError, RequestFailedError
from matrix_appservice.registration import RegistrationError
from matrix_appservice.server import AppServer, configure_logging, create_app

from examples.echo.bridge import EchoBridge, StartError
from examples.echo.make_registration import DEFAULT_PREFIX

_LOG = logging.getLogger("examples.echo")


def _address(url: str | None, host: str | None, port: int | None) -> tuple[str, int]:
    parts = urlsplit(url or "")
    try:
        found = parts.port
    except ValueError:
        found = None
    host = host or parts.hostname or "127.0.0.1"
    port = port or found
    if port is None:
        raise StartError(f"the registration's url {url!r} names no port: give --port")
    return host, port


async def run(args: argparse.Namespace) -> None:
    try:
        loaded = load_registration(args.registration)
    except (OSError, RegistrationError) as exc:
        raise StartError(str(exc)) from None
    reg = loaded.model
    handler = configure_logging(args.log_level, secrets=(reg.as_token, reg.hs_token))
    _LOG.handlers[:] = [handler]
    _LOG.setLevel(args.log_level.upper())
    _LOG.propagate = False
    host, port = _address(reg.url, args.host, args.port)
    bridge = EchoBridge(args.homeserver, reg, args.prefix)
    # Without server_name the app knows the bot by its localpart: the bridge learns the
    # server's name only in startup(), from the homeserver.
    app = create_app(loaded, bridge, store=args.store)
    server = AppServer(app)
    try:
        await server.start(host, port)  # binds, then runs app and bridge start-up
    except OSError as exc:
        await server.close()
        reason = exc.strerror.lower() if exc.strerror else str(exc)
        raise StartError(f"cannot listen on {host}:{port}: {reason}") from None
    except BaseException:  # the bridge's startup() failed, or Ctrl-C meanwhile
        await server.close()
        raise
    _LOG.info("echo bridge %s for %s on %s:%d", reg.id, bridge.bot, host, server.port)
    try:
        pong = await bridge.client.ping_appservice(reg.id)
        _LOG.info("the homeserver reached us in %d ms", pong.duration_ms)
    except (MatrixError, RequestFailedError) as exc:
        _LOG.warning("the homeserver could not ping us: %s", exc)
    except BaseException:  # Ctrl-C during the ping: stop as on a signal
        await server.close()
        raise
    await server.serve_forever()  # until SIGINT or SIGTERM, then closes server, app, bridge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m examples.echo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--registration", required=True, help="the registration file")
    parser.add_argument("--homeserver", required=True, help="the homeserver's client API URL")
    parser.add_argument("--host", help="address to listen on (default: the url's host)")
    parser.add_argument("--port", type=int, help="port to listen on (default: the url's port)")
    parser.add_argument(
        "--store",
        help="memory, sqlite:PATH or postgresql://... (default: SQLite beside the registration)",
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="the puppets' localpart prefix")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    args = parser.parse_args(argv)
    try:
        import uvloop  # the [server] extra brings it
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(run(args))
    except StartError as exc:
        print(f"echo bridge: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the server listened, or during the ping
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
