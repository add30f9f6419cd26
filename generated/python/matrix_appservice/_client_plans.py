"""The state machines of the clients, as plans: retries, rate limits and legacy routes.

A plan is a generator. It yields :class:`~matrix_appservice._client_core.Outgoing` ("send
this") or :class:`~matrix_appservice._client_core.Sleep` ("wait this long"); the transport
does that and sends back an ``Answer`` or a ``Failure`` (for ``Sleep``: ``None``). The plan
returns the result of the call and raises the client's exceptions. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

from matrix_appservice._client_core import (
    Answer,
    Call,
    Failure,
    Outcome,
    Plan,
    Settings,
    Sleep,
    Step,
    is_unrecognised,
    log,
    outgoing,
    read_answer,
    retry_after,
)
from matrix_appservice._errors_base import QueryTimeoutError, RequestFailedError

__all__ = ["TRANSACTION_OPERATIONS", "LegacyRoutes", "appservice_plan", "homeserver_plan"]

TRANSACTION_OPERATIONS = frozenset({"sendTransaction"})
"""Operations retried with the backoff policy; every other AS operation is a query."""


class LegacyRoutes:
    """Which operations fell back to their legacy path, and since when (by the client's clock).

    After ``interval`` seconds the v1 path is tried again; when it answers, it is used again.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._since: dict[str, float] = {}

    def use_legacy(self, name: str, now: float) -> bool:
        since = self._since.get(name)
        return since is not None and now - since < self.interval

    def remember(self, name: str, now: float) -> None:
        self._since[name] = now

    def forget(self, name: str) -> None:
        self._since.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._since


def _exchange(
    call: Call[Any], settings: Settings, path: str
) -> Generator[Step, Outcome, Answer | Failure]:
    return _seen(call, path, (yield outgoing(call, settings, path)))


def _seen(call: Call[Any], path: str, outcome: Outcome) -> Answer | Failure:
    """What came back for a request, logged; a ``TypeError`` when it is not an outcome."""
    if isinstance(outcome, Answer):
        log.debug("%s %s -> %d", call.method, path, outcome.status)
        return outcome
    if not isinstance(outcome, Failure):
        raise TypeError(
            f"a transport must answer a request with Answer or Failure, not {outcome!r}"
        )
    log.debug("%s %s -> no answer (%s)", call.method, path, outcome.kind)
    return outcome


def _with_legacy(
    call: Call[Any], settings: Settings, routes: LegacyRoutes
) -> Generator[Step, Outcome, tuple[Answer | Failure, str]]:
    """Send a call on its v1 path, or on its legacy path when the v1 one is missing; the
    outcome and the path that gave it."""
    legacy, operation = call.legacy_path, call.operation
    if legacy is None or operation is None:
        return (yield from _exchange(call, settings, call.path)), call.path
    if routes.use_legacy(operation.name, settings.clock()):
        outcome = yield from _exchange(call, settings, legacy)
        if isinstance(outcome, Answer) and is_unrecognised(outcome):
            routes.forget(operation.name)  # the legacy route has gone too: v1 next time
        return outcome, legacy
    outcome = yield from _exchange(call, settings, call.path)
    if isinstance(outcome, Answer) and is_unrecognised(outcome):
        log.info(
            "%s: the appservice does not know %s; trying %s", operation.name, call.path, legacy
        )
        fallback = yield from _exchange(call, settings, legacy)
        if isinstance(fallback, Answer) and not is_unrecognised(fallback):
            routes.remember(operation.name, settings.clock())
        return fallback, legacy
    if isinstance(outcome, Answer) and outcome.status < 500:
        routes.forget(operation.name)
    return outcome, call.path


def _gave_up(
    call: Call[Any], failure: Failure, attempts: int, settings: Settings, *, query: bool
) -> RequestFailedError:
    cls = QueryTimeoutError if query else RequestFailedError
    reason = settings.clean(f"{type(failure.error).__name__}: {failure.error}")
    return cls(
        f"{call.what} got no answer after {attempts} attempt(s): {reason}", attempts=attempts
    )


def appservice_plan(call: Call[Any], settings: Settings, routes: LegacyRoutes) -> Plan:
    """Homeserver to appservice: legacy fallback; transactions retried with the backoff
    policy (connection errors, timeouts, 5xx), queries tried ``query_attempts`` times."""
    transaction = call.operation is not None and call.operation.name in TRANSACTION_OPERATIONS
    delays = iter(settings.retry.delays()) if transaction and settings.retry is not None else None
    attempts = 0
    while True:
        attempts += 1
        outcome, path = yield from _with_legacy(call, settings, routes)
        answered = call if path == call.path else replace(call, path=path)
        if isinstance(outcome, Answer) and outcome.status < 500:
            return read_answer(answered, outcome, settings)
        if transaction:
            wait = next(delays, None) if delays is not None else None
        else:
            wait = 0.0 if attempts < settings.query_attempts else None
        if wait is None:
            if isinstance(outcome, Answer):
                return read_answer(answered, outcome, settings)
            raise _gave_up(
                answered, outcome, attempts, settings, query=not transaction
            ) from outcome.error
        failed = outcome.status if isinstance(outcome, Answer) else outcome.kind
        log.warning("%s: try %d failed (%s); again in %.3f s", call.what, attempts, failed, wait)
        if wait > 0:
            yield Sleep(wait)


def homeserver_plan(call: Call[Any], settings: Settings) -> Plan:
    """Appservice to homeserver: one send, and 429 answers retried after the wait the
    homeserver asks for (at most ``rate_limit_retries`` times, never longer than
    ``max_retry_after`` seconds; otherwise ``LimitExceededError``)."""
    retries = 0
    while True:
        # _exchange written out: one generator less on every call.
        outcome = _seen(call, call.path, (yield outgoing(call, settings, call.path)))
        if isinstance(outcome, Failure):
            if call.upload_problems:  # the file's pieces broke the request, not the network
                raise call.upload_problems[0]
            raise _gave_up(call, outcome, retries + 1, settings, query=False) from outcome.error
        if outcome.status == 429 and retries < settings.rate_limit_retries and call.replayable:
            wait = retry_after(outcome)
            if wait <= settings.max_retry_after:
                retries += 1
                log.warning("%s: rate-limited; again in %.3f s", call.what, wait)
                yield Sleep(wait)
                continue
        return read_answer(call, outcome, settings)
