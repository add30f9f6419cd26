"""Run the in-memory homeserver in-process for tests: a context manager and a pytest fixture.

The fixture is opt-in: a project that wants it names this module as a pytest plugin, once,
in its ``conftest.py``::

    pytest_plugins = ["matrix_appservice.homeserver.testing"]

then overrides the ``homeserver_registrations`` fixture with the registration files (or
loaded registrations) of the bridge under test (and ``homeserver_options`` for the
homeserver's keyword arguments, such as ``server_name``), and takes ``in_memory_homeserver``::

    @pytest.fixture
    def homeserver_registrations(tmp_path):
        return ["registration.yaml"]

    def test_bridge(in_memory_homeserver):
        client = HomeserverClient(in_memory_homeserver.url, AS_TOKEN)
        ...

The server listens on 127.0.0.1 at a free port and is stopped after the test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix_appservice.homeserver._memory import InMemoryHomeserver
from matrix_appservice.models import Registration
from matrix_appservice.registration import LoadedRegistration

__all__ = ["RunningHomeserver", "free_port", "in_memory_homeserver", "running_homeserver"]

try:
    import pytest
except ImportError:  # the context manager works without pytest
    pytest = None  # type: ignore[assignment]  # the fixtures below are only defined with pytest


@dataclass(frozen=True)
class RunningHomeserver:
    url: str
    """``http://127.0.0.1:PORT``, the base URL to give clients."""
    homeserver: InMemoryHomeserver
    """The handler: its ``state`` (users, rooms, events) and its ``pusher``."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_homeserver(
    registrations: Iterable[str | Path | LoadedRegistration | Registration],
    *,
    port: int | None = None,
    start_timeout: float = 10.0,
    **options: Any,
) -> Iterator[RunningHomeserver]:
    """Start an :class:`InMemoryHomeserver` (``options`` go to it), served by granian in a
    thread on 127.0.0.1; stop it on leaving. Its events are delivered to the appservices by
    a transaction pusher whose store is a temporary file (unless ``pusher_store`` or
    ``pusher`` is given)."""
    with tempfile.TemporaryDirectory(prefix="matrix-appservice-hs-") as scratch:
        if "pusher" not in options:
            options.setdefault("pusher_store", Path(scratch) / "pusher.sqlite3")
        with _serving(registrations, options, port, start_timeout) as running:
            yield running


@contextmanager
def _serving(
    registrations: Iterable[str | Path | LoadedRegistration | Registration],
    options: dict[str, Any],
    port: int | None,
    start_timeout: float,
) -> Iterator[RunningHomeserver]:
    from matrix_appservice._serving import AppServer, new_event_loop

    sock = _listening(0 if port is None else port)
    port = int(sock.getsockname()[1])
    # Built in the server's thread: the pusher's SQLite connection belongs to that thread.
    built: list[InMemoryHomeserver] = []
    failed: list[BaseException] = []
    started = threading.Event()
    stop: list[Any] = []  # the server's loop and the event that stops it

    async def serve() -> None:
        homeserver = InMemoryHomeserver(registrations, **options)
        server = AppServer(
            homeserver.app, startup=homeserver.startup, shutdown=homeserver.shutdown,
            sockets=[sock],
        )  # fmt: skip
        stopping = asyncio.Event()
        try:
            await server.start()
            built.append(homeserver)
            stop[:] = [asyncio.get_running_loop(), stopping]
            started.set()
            await stopping.wait()
        finally:
            await server.close()

    def run() -> None:
        try:
            with asyncio.Runner(loop_factory=new_event_loop) as runner:
                runner.run(serve())
        except BaseException as exc:
            failed.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=run, name="in-memory-homeserver", daemon=True)
    thread.start()
    try:
        if not started.wait(start_timeout) or not built:
            if failed:
                raise failed[0]
            raise RuntimeError(f"the in-memory homeserver did not start on port {port}")
        yield RunningHomeserver(f"http://127.0.0.1:{port}", built[0])
    finally:
        if stop:
            loop, stopping = stop
            loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=start_timeout)
        sock.close()


def _listening(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:``port``; ``OSError`` naming the port if it is taken."""
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise OSError(
            exc.errno, f"the in-memory homeserver cannot listen on 127.0.0.1:{port}: {reason}"
        ) from None
    return sock


if pytest is not None:

    @pytest.fixture
    def homeserver_registrations() -> list[str | Path | LoadedRegistration | Registration]:
        """Override with the registrations the in-memory homeserver serves."""
        raise pytest.UsageError(
            "override the homeserver_registrations fixture with your registration files"
        )

    @pytest.fixture
    def homeserver_options() -> dict[str, Any]:
        """Override with keyword arguments for :class:`InMemoryHomeserver`
        (``server_name``, ``version``, ...); none by default."""
        return {}

    @pytest.fixture
    def in_memory_homeserver(
        homeserver_registrations: list[str | Path | LoadedRegistration | Registration],
        homeserver_options: dict[str, Any],
    ) -> Iterator[RunningHomeserver]:
        """An in-memory homeserver on 127.0.0.1 at a free port, stopped after the test."""
        with running_homeserver(homeserver_registrations, **homeserver_options) as running:
            yield running
