"""What ``serve`` and ``homeserver`` share: the port argument, the logging options, binding
the listening sockets, and running an ASGI app under uvicorn on them.

Both commands bind before they say they serve, log the address they got (the real port
when ``--port 0`` asked for any), and stop cleanly on SIGINT or SIGTERM with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from matrix_appservice._exit import NO_START, fail, os_reason
from matrix_appservice._logs import LOG_FORMATS

__all__ = [
    "add_logging_options",
    "bind",
    "on_stop_signals",
    "port_number",
    "run",
    "serve_uvicorn",
    "unless_stopped",
    "url_of",
]

_T = TypeVar("_T")
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def port_number(text: str) -> int:
    """``--port``: a whole number from 0 (any free port) to 65535 (argparse type)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, not {text!r}")
    return int(text)


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument(
        "--log-format",
        default="auto",
        choices=LOG_FORMATS,
        help="text (for people) or json (one JSON object per line); auto, the default, is "
        "text when standard error is a terminal and json otherwise",
    )


def url_of(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 address in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address of ``host`` on ``port`` (with port 0, the port the
    first one got). Raises :class:`CommandFailed` (cannot start) when one cannot be bound."""
    where = url_of(host, port)[len("http://") :]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        fail(f"cannot listen on {where}: {getattr(exc, 'strerror', None) or exc}", NO_START)
    sockets: list[socket.socket] = []
    seen = set()
    try:
        for family, kind, proto, _, address in found:
            if (family, address[0]) in seen:
                continue
            seen.add((family, address[0]))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(2048)
            sock.setblocking(False)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        fail(f"cannot listen on {where}: {os_reason(exc)}", NO_START)
    return sockets


def on_stop_signals(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Callable[[], None]:
    """Call ``stop`` on SIGINT and SIGTERM; returns the function that removes the handlers."""
    installed = []
    for signum in _STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, stop)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # no signals in this thread
            pass

    def remove() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return remove


async def unless_stopped(work: Awaitable[_T], stopping: asyncio.Event) -> bool:
    """Await ``work`` unless ``stopping`` is set first (then ``work`` is cancelled): whether
    it finished. What ``work`` raises is raised."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return False
    task.result()
    return True


async def serve_uvicorn(
    app: Any, sockets: list[socket.socket], stopping: asyncio.Event, *, proxy_headers: bool = False
) -> None:
    """Serve the ASGI ``app`` with uvicorn on ``sockets`` until ``stopping`` is set (or uvicorn
    gets SIGINT or SIGTERM); the caller runs the app's start-up and shut-down (uvicorn's
    lifespan is off)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        access_log=False,
        log_config=None,
        lifespan="off",
        server_header=False,
        proxy_headers=proxy_headers,
    )
    server = uvicorn.Server(config)

    async def watch() -> None:
        await stopping.wait()
        server.should_exit = True

    # While it serves, uvicorn has its own SIGINT and SIGTERM handlers; afterwards it puts
    # back the caller's (see on_stop_signals) and raises the signal it got once more, which
    # only sets ``stopping`` again: the process is not killed by it.
    watcher = asyncio.ensure_future(watch())
    try:
        if not stopping.is_set():
            await server.serve(sockets=sockets)
    finally:
        watcher.cancel()


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run ``main`` on uvloop's event loop when it is installed (asyncio's otherwise)."""
    from matrix_appservice.server._http import new_event_loop

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)
