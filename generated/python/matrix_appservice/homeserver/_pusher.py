"""The transaction pusher: one durable, ordered queue of events per appservice.

Delivery rules
--------------
- :meth:`Pusher.push` routes a room event (see :mod:`._pusher_routing`) and writes it to the
  queue of every interested appservice before returning; :meth:`Pusher.push_ephemeral` does
  the same for typing notifications, receipts and presence, for the appservices that opted in.
- Each appservice has one worker, so at most one transaction is in flight per appservice and
  transactions arrive in the order their events were pushed.
- A transaction carries at most :data:`MAX_TRANSACTION_EVENTS` items, in queue order. Its body
  is serialised once, when it is built, and stored with its ID: every retry, in this process
  or after a restart, sends the same ID and the same bytes.
- A try fails on no answer, a time-out or any status other than 2xx. The wait before the next
  try follows the ``retry`` policy (:class:`~matrix_appservice.RetryPolicy`: exponential, with
  a cap); the pusher never gives up on a transaction. A policy that runs out of delays keeps
  its last one.
- Transaction IDs are ``"1"``, ``"2"``, ... per appservice and continue after a restart
  (:mod:`._pusher_store`).
- The legacy-path fallback (an appservice that answers ``M_UNRECOGNIZED`` on the v1 path) is
  the client's: :class:`~matrix_appservice.client.AsyncAppServiceClient`.

The client needs the ``[client]`` extra (httpx); it is imported by :meth:`Pusher.start`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from matrix_appservice._client_core import Backoff
from matrix_appservice._client_retry import RetryPolicy
from matrix_appservice.homeserver._event_limits import MAX_EVENT_BYTES, encode_event
from matrix_appservice.homeserver._pusher_routing import RoomLookup, Router, opted_in
from matrix_appservice.homeserver._pusher_store import Kind, PendingTransaction, PusherStore
from matrix_appservice.models import Registration
from matrix_appservice.operations import SEND_TRANSACTION
from matrix_appservice.registration import RegistrationSource, _checked_model

if TYPE_CHECKING:
    from matrix_appservice.client import AsyncAppServiceClient

__all__ = ["MAX_EVENT_BYTES", "MAX_TRANSACTION_EVENTS", "ClientFactory", "Pusher"]

_LOG = logging.getLogger("matrix_appservice.homeserver.pusher")

MAX_TRANSACTION_EVENTS = 100
"""The most events and ephemeral items in one transaction."""

_ONE_TRY = RetryPolicy(max_attempts=1)
_IDLE_WAIT = 1.0
"""The wait between tries when the retry policy yields no delay at all."""


class ClientFactory(Protocol):
    """Makes the client that calls one appservice (``AsyncAppServiceClient`` has this shape).

    The pusher passes ``retry`` as one try per call: it does the retrying itself.
    """

    def __call__(
        self, base_url: str, hs_token: str, *, version: str | None, retry: Backoff
    ) -> AsyncAppServiceClient: ...


def _body_maker(stable: bool, unstable: bool) -> Callable[[Sequence[tuple[Kind, bytes]]], bytes]:
    """The body of a transaction: ``events`` always, the ephemeral list under the name(s) the
    registration opted in with, when there is any."""

    def make(items: Sequence[tuple[Kind, bytes]]) -> bytes:
        events = b",".join(body for kind, body in items if kind == "event")
        ephemeral = b",".join(body for kind, body in items if kind == "ephemeral")
        parts = [b'{"events":[' + events + b"]"]
        if ephemeral:
            if stable:
                parts.append(b'"ephemeral":[' + ephemeral + b"]")
            if unstable:
                parts.append(b'"de.sorunome.msc2409.ephemeral":[' + ephemeral + b"]")
        return b",".join(parts) + b"}"

    return make


async def _send_bytes(client: AsyncAppServiceClient, txn_id: str, body: bytes) -> None:
    """``send_transaction`` with these exact bytes as the body (no re-serialising)."""
    call = client._call(SEND_TRANSACTION, path={"txnId": txn_id}, query={}, body={})
    await client._run(replace(call, content=body))


@dataclass
class _Lane:
    """One appservice: its routing, its client, its worker and its state."""

    registration: Registration
    router: Router
    make_body: Callable[[Sequence[tuple[Kind, bytes]]], bytes]
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    client: AsyncAppServiceClient | None = None
    task: asyncio.Task[None] | None = None
    in_flight: int = 0

    @property
    def id(self) -> str:
        return self.registration.id


class Pusher:
    """Delivers events to appservices as transactions; see the module documentation.

    ``registrations``
        file paths, loaded registrations, :class:`Registration` models or mappings; each is
        checked. One whose ``url`` is null gets nothing (as on a homeserver).
    ``store_path``
        the SQLite file of queues, pending transactions and transaction IDs.
    ``client_factory``
        makes the client of each appservice (default:
        :class:`~matrix_appservice.client.AsyncAppServiceClient`; pass a
        ``functools.partial`` of it to set a transport or a time-out).
    ``retry``
        the waits between tries of a transaction (default: 1 s, doubling, at most 60 s).
    ``server_name``
        the homeserver's name, to recognise each appservice's own user exactly (without it,
        by localpart).
    ``aliases_of`` / ``members_of``
        a room's aliases / members, for the aliases namespaces and for rooms where a
        namespaced user is a member.
    ``version``
        the release the appservices speak (paths, where the token goes).
    ``sleep``
        the wait between tries (tests replace it).
    """

    def __init__(
        self,
        registrations: Iterable[RegistrationSource],
        *,
        store_path: str | Path,
        client_factory: ClientFactory | None = None,
        retry: Backoff | None = None,
        server_name: str | None = None,
        aliases_of: RoomLookup | None = None,
        members_of: RoomLookup | None = None,
        version: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_transaction_events: int = MAX_TRANSACTION_EVENTS,
    ) -> None:
        if not (isinstance(max_transaction_events, int) and max_transaction_events >= 1):
            raise ValueError(
                f"max_transaction_events must be an integer >= 1, not {max_transaction_events!r}"
            )
        self.retry: Backoff = retry if retry is not None else RetryPolicy()
        self.version = version
        self.max_transaction_events = max_transaction_events
        self._factory = client_factory
        self._sleep = sleep
        self._lanes: dict[str, _Lane] = {}
        for source in registrations:
            reg, _ = _checked_model(source, version)
            if reg.id in self._lanes:
                raise ValueError(f"two registrations have the id {reg.id!r}; ids must be unique")
            router = Router(
                reg, server_name=server_name, aliases_of=aliases_of, members_of=members_of
            )
            self._lanes[reg.id] = _Lane(reg, router, _body_maker(*opted_in(reg)))
        self.store = PusherStore(store_path)
        self._started = False

    @property
    def appservices(self) -> tuple[str, ...]:
        """The ids of the appservices, in the order given."""
        return tuple(self._lanes)

    def _deliverable(self) -> Iterator[_Lane]:
        return (lane for lane in self._lanes.values() if lane.registration.url is not None)

    # -- putting events in -----------------------------------------------------------------

    def _queue(self, lanes: list[_Lane], kind: Kind, body: bytes) -> tuple[str, ...]:
        self.store.enqueue([lane.id for lane in lanes], kind, body)
        for lane in lanes:
            lane.idle.clear()
            lane.wake.set()
        return tuple(lane.id for lane in lanes)

    def push(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        """Queue a room event for every interested appservice; returns their ids.

        The event is on disk when this returns. It is sent as given (serialised once).
        """
        body = encode_event(event, "an event")
        lanes = [lane for lane in self._deliverable() if lane.router.event(event)]
        return self._queue(lanes, "event", body)

    def push_ephemeral(self, item: Mapping[str, Any]) -> tuple[str, ...]:
        """Queue a typing notification, receipt or presence update for every appservice that
        opted in and is interested; returns their ids."""
        body = encode_event(item, "an ephemeral item")
        lanes = [lane for lane in self._deliverable() if lane.router.ephemeral(item)]
        return self._queue(lanes, "ephemeral", body)

    # -- running ---------------------------------------------------------------------------

    def _client(self, reg: Registration) -> AsyncAppServiceClient:
        assert reg.url is not None
        factory = self._factory
        if factory is None:
            from matrix_appservice.client import AsyncAppServiceClient

            factory = AsyncAppServiceClient
        return factory(reg.url, reg.hs_token, version=self.version, retry=_ONE_TRY)

    async def start(self) -> None:
        """Start one worker per appservice; pending transactions are sent first."""
        if self._started:
            raise RuntimeError("the pusher is already started")
        self._started = True
        for lane in self._deliverable():
            lane.client = self._client(lane.registration)
            lane.wake = asyncio.Event()
            lane.idle = asyncio.Event()
            lane.task = asyncio.create_task(self._work(lane), name=f"pusher:{lane.id}")

    async def _work(self, lane: _Lane) -> None:
        while True:
            lane.wake.clear()
            txn = self.store.pending(lane.id) or self.store.build(
                lane.id, self.max_transaction_events, lane.make_body
            )
            if txn is None:
                lane.idle.set()
                await lane.wake.wait()
                continue
            await self._deliver(lane, txn)
            self.store.acknowledge(lane.id, txn.txn_id)

    async def _deliver(self, lane: _Lane, txn: PendingTransaction) -> None:
        assert lane.client is not None
        delays = iter(self.retry.delays())
        wait = 0.0
        tries = 0
        while True:
            tries += 1
            lane.in_flight += 1
            try:
                await _send_bytes(lane.client, txn.txn_id, txn.body)
                _LOG.debug("%s: transaction %s delivered", lane.id, txn.txn_id)
                return
            except Exception as exc:  # any failure means "try again later"
                _LOG.info(
                    "%s: transaction %s, try %d failed: %s: %s",
                    lane.id, txn.txn_id, tries, type(exc).__name__, exc,
                )  # fmt: skip
            finally:
                lane.in_flight -= 1
            wait = next(delays, wait or _IDLE_WAIT)
            await self._sleep(wait)

    def backlog(self, appservice: str) -> int:
        """Queued items plus unacknowledged transactions of ``appservice``."""
        if appservice not in self._lanes:
            raise KeyError(f"no appservice with the id {appservice!r}")
        return self.store.backlog(appservice)

    def last_txn_id(self, appservice: str) -> int:
        """The last transaction ID given to ``appservice`` (0 before the first)."""
        if appservice not in self._lanes:
            raise KeyError(f"no appservice with the id {appservice!r}")
        return self.store.last_txn_id(appservice)

    async def drain(self, timeout: float) -> None:
        """Return once every queued event is acknowledged; ``TimeoutError`` after ``timeout``
        seconds, naming the appservices with a backlog."""
        if not self._started:
            raise RuntimeError("drain() needs a started pusher")
        lanes = list(self._deliverable())
        try:
            async with asyncio.timeout(timeout):
                while not all(lane.idle.is_set() for lane in lanes):
                    await asyncio.gather(*(lane.idle.wait() for lane in lanes))
        except TimeoutError:
            left = {lane.id: self.store.backlog(lane.id) for lane in lanes}
            busy = ", ".join(f"{k} ({v})" for k, v in left.items() if v)
            raise TimeoutError(f"not drained after {timeout:g} s: {busy or 'in flight'}") from None

    async def stop(self) -> None:
        """Stop the workers (a transaction in flight stays pending, and is sent again with the
        same ID and bytes by the next start) and close the store."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lane in self._lanes.values():
            lane.task = None
            if lane.client is not None:
                await lane.client.aclose()
                lane.client = None
        self.store.close()

    async def __aenter__(self) -> Pusher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
