"""What ``serve`` and ``homeserver`` share: the port argument, the logging options, binding
the listening sockets (of an :class:`~matrix_appservice._serving.AppServer`) and the
signals that stop them.

Both commands bind before they say they serve, log the address they got (the real port
when ``--port 0`` asked for any), and stop cleanly on SIGINT or SIGTERM with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from matrix_appservice._exit import NO_START, fail, os_reason
from matrix_appservice._logs import LOG_FORMATS
from matrix_appservice._serving import AppServer, new_event_loop, on_stop_signals

__all__ = [
    "add_logging_options",
    "bind",
    "on_stop_signals",
    "port_number",
    "run",
    "unless_stopped",
    "url_of",
]

_T = TypeVar("_T")


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


def bind(server: AppServer, host: str, port: int) -> None:
    """:meth:`AppServer.bind`, or :class:`CommandFailed` (cannot start) naming the address."""
    try:
        server.bind(host, port)
        return
    except socket.gaierror as exc:  # a host name that does not resolve
        reason = exc.strerror or str(exc)
    except OSError as exc:
        reason = os_reason(exc)
    except UnicodeError as exc:
        reason = str(exc)
    fail(f"cannot listen on {url_of(host, port)[len('http://') :]}: {reason}", NO_START)


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


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run ``main`` on uvloop's event loop when it is installed (asyncio's otherwise)."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)
