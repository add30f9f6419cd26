"""The appservice's ASGI application: the shared request pipeline, the ``hs_token`` and
exactly-once transactions.

Requests go through the steps of :mod:`matrix_appservice._http_pipeline.app` (routing,
the token, the body, the handler, its answer checked). What is the appservice's own:

- the routes are the homeserver -> appservice operations of the release served, with their
  legacy paths unless ``legacy_routes=False``, under the path of the registration's ``url``;
  a parameter that the operation marks as the rest of the path (``Operation.rest_param``:
  the user ID and the alias of the two queries) takes every remaining segment;
- the token is the registration's ``hs_token``, compared in constant time: none is 401
  ``M_MISSING_TOKEN``, a wrong one (or two that differ) 403 ``M_FORBIDDEN``;
- a transaction ID is handled once: the first body handled under it wins, and every later
  copy gets the recorded answer, whatever its body (see :mod:`matrix_appservice.server._store`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from matrix_appservice._credentials import require_token as require_usable_token
from matrix_appservice._http_pipeline.answers import bad_json
from matrix_appservice._http_pipeline.app import Head, JsonApp, Query, Route
from matrix_appservice._http_pipeline.routing import Router
from matrix_appservice._http_pipeline.tokens import query_token_allowed, require_token
from matrix_appservice._releases import resolve_release
from matrix_appservice._validator import validator_for
from matrix_appservice.errors import ForbiddenError, MatrixError, UnknownError
from matrix_appservice.models import Registration
from matrix_appservice.operations import OPERATIONS
from matrix_appservice.registration import Anchoring, RegistrationSource, _checked_model
from matrix_appservice.server._handler import DISPATCH, AppServiceHandler, Dispatch
from matrix_appservice.server._store import MemoryStore, SQLiteStore, TransactionStore, open_store
from matrix_appservice.server._transactions import OptIns, OwnUsers, build_transaction, fingerprint

__all__ = ["AppServiceApp", "create_app", "default_store_path"]

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
"""32 MiB: Synapse puts at most 100 events (64 KiB each at most), 100 ephemeral items and
100 to-device messages in one transaction, which stays well below this."""

QUIRKS = (
    'Synapse sends {"transaction_id": null} to /ping when the appservice\'s own ping named '
    "no transaction; a null transaction_id is read as absent.",
    "Synapse adds the legacy top-level keys age and user_id to events; the schema allows "
    "keys it does not name, and they are kept in the event model's extra keys.",
    "Homeservers that only know the unstable names send de.sorunome.msc2409.ephemeral and "
    "org.matrix.msc3202.device_one_time_key_counts; each is read when the stable name is absent.",
    "A ping without a body is read as an empty object.",
)
"""Homeserver behaviour the server accepts although the spec does not ask for it."""

STORE_OPEN_TIMEOUT = 30.0
"""Seconds :meth:`AppServiceApp.startup` waits for the store to connect."""

_NULL_MEANS_ABSENT: Mapping[str, tuple[str, ...]] = {"ping": ("transaction_id",)}
_TRANSACTION = "sendTransaction"
_LOG = logging.getLogger("matrix_appservice.server")
_EMPTY = b"{}"
_NOWAIT_STORES = (MemoryStore, SQLiteStore)
"""Stores with ``claim_nowait`` and ``complete_nowait`` (exactly these types, not subclasses,
which may override ``claim`` and ``complete``)."""


@dataclass(frozen=True)
class _Route(Route):
    dispatch: Dispatch | None = None
    """``None`` for transactions, which the app runs itself."""


def _wrong_token(reason: str) -> MatrixError:
    return ForbiddenError(reason)


def default_store_path(registration_file: str | Path) -> Path:
    """Where ``create_app`` keeps handled transactions by default: beside the registration,
    ``registration.yaml`` -> ``registration.transactions.sqlite3``."""
    path = Path(registration_file)
    return path.with_name(f"{path.stem}.transactions.sqlite3")


class AppServiceApp(JsonApp[_Route, None]):
    """The appservice's ASGI application (homeserver -> appservice); build it with
    :func:`create_app`."""

    def __init__(
        self,
        registration: Registration,
        handler: AppServiceHandler,
        *,
        version: str,
        legacy_routes: bool,
        legacy_query_auth: bool,
        max_body_bytes: int,
        store: TransactionStore,
        owns_store: bool,
        path_prefix: str,
        server_name: str | None,
        anchoring: Anchoring,
        wait_timeout: float,
        access_log: bool,
        check_content: bool = False,
    ) -> None:
        self.registration = registration
        self.check_content = check_content
        self.handler = handler
        self.legacy_query_auth = legacy_query_auth
        self.store = store
        self.own_users = OwnUsers(registration, server_name, anchoring)
        self.opt_ins = OptIns.of(registration)
        self.path_prefix = path_prefix
        self.wait_timeout = wait_timeout
        self._owns_store = owns_store
        # Never an empty expected token: the empty "Bearer " of anyone would match it.
        self._token = require_usable_token(
            "the registration's hs_token", registration.hs_token
        ).encode()
        self._bearer = b"Bearer " + self._token
        self._next_prune = 0.0
        self._prune_task: asyncio.Task[None] | None = None
        self._started = False
        super().__init__(
            self._routes(version, legacy_routes, legacy_query_auth),
            version=version,
            max_body_bytes=max_body_bytes,
            logger=_LOG,
            party="appservice",
            access_log=access_log,
        )

    def _routes(self, version: str, legacy: bool, query_token: bool) -> Router[_Route]:
        entries = []
        for op in OPERATIONS.values():
            if op.api != "application-service" or not op.exists_in(version):
                continue
            route = _Route(
                name=op.name,
                query_token=query_token,
                reads_body=op.request is not None,
                body_required=op.request_required,
                validator=validator_for(
                    request=op.name, version=version, content=self.check_content
                )
                if op.request
                else None,
                answer=validator_for(response=op.name, status=200, version=version),
                null_means_absent=_NULL_MEANS_ABSENT.get(op.name, ()),
                dispatch=DISPATCH.get(op.name),
            )
            for template in [op.path(version), *(op.legacy_paths if legacy else ())]:
                entries.append((self.path_prefix + template, op.method, route, op.rest_param))
        # Transactions first: they are nearly all the traffic.
        entries.sort(key=lambda entry: "/transactions/" not in entry[0])
        return Router(entries)

    # -- the steps of the pipeline that are the appservice's -------------------------------------

    async def authenticate(self, route: _Route, head: Head) -> None:
        self._check_token(route, head.authorization, head.query_string)

    def _check_token(self, route: _Route, authorization: bytes | None, query_string: bytes) -> None:
        if (
            authorization is not None
            and not query_string
            and hmac.compare_digest(authorization, self._bearer)
        ):
            return  # the usual request: exactly "Bearer <token>", nothing in the query
        token = require_token(
            authorization, query_string, query_allowed=route.query_token, wrong=_wrong_token
        )
        if not hmac.compare_digest(token, self._token):
            raise ForbiddenError("Invalid access token")

    async def respond(
        self, route: _Route, caller: None, params: dict[str, str], query: Query, body: Any
    ) -> bytes:
        if route.dispatch is None:  # a transaction: the one parameter, and always a body
            return await self._transaction(params["txnId"], body)
        request = self.request(params, query, body)
        return await self.checked(route, route.dispatch(self.handler, request))

    async def _transaction(self, txn_id: str, data: Any) -> bytes:
        digest = fingerprint(data)
        deadline: float | None = None
        store = self.store
        # The memory and SQLite stores answer at once: skip the coroutines on the usual path.
        nowait = (
            store if isinstance(store, _NOWAIT_STORES) and type(store) in _NOWAIT_STORES else None
        )
        while True:
            if nowait is not None:
                claim = nowait.claim_nowait(txn_id, digest)
            else:
                claim = await store.claim(txn_id, digest)
            if claim.state == "done":
                assert claim.answer is not None
                if claim.fingerprint is not None and claim.fingerprint != digest:
                    _reused_id(txn_id)
                elif _LOG.isEnabledFor(logging.DEBUG):
                    _LOG.debug("transaction %s already handled", txn_id, extra={"txn_id": txn_id})
                return claim.answer
            if claim.state == "new":
                break
            clock = asyncio.get_running_loop().time
            if deadline is None:
                deadline = clock() + self.wait_timeout
            left = deadline - clock()
            if left <= 0:
                raise UnknownError("The transaction is still being handled", status=500)
            await store.wait(txn_id, left)
        try:
            try:
                transaction = build_transaction(txn_id, data, self.opt_ins, self.own_users)
            except ValidationError as exc:
                raise bad_json(exc) from None
            await self.handler.send_transaction(transaction)
        except MatrixError:
            await store.release(txn_id)
            raise
        except Exception:
            await store.release(txn_id)
            _LOG.exception(
                "transaction %s failed; the homeserver will retry it",
                txn_id,
                extra={"event": "transaction_failed", "txn_id": txn_id},
            )
            raise UnknownError("The transaction failed; retry it later", status=500) from None
        except BaseException:
            await store.release(txn_id)
            raise
        if nowait is None or not nowait.complete_nowait(txn_id, digest, _EMPTY):
            await store.complete(txn_id, digest, _EMPTY)
        self._maybe_prune()
        return _EMPTY

    # -- upkeep ---------------------------------------------------------------------------------

    def _maybe_prune(self) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._next_prune or (self._prune_task and not self._prune_task.done()):
            return
        self._next_prune = now + self.store.retention.prune_every
        self._prune_task = asyncio.get_running_loop().create_task(self._prune())

    async def _prune(self) -> None:
        try:
            gone = await self.store.prune()
        except Exception:
            _LOG.exception("pruning the transaction store failed", extra={"event": "prune_failed"})
        else:
            _LOG.debug("pruned %d transaction IDs", gone, extra={"event": "pruned", "count": gone})

    async def startup(self) -> None:
        """Before the first request: connect the store (one that cannot be reached fails
        here, not as a 500 on every transaction) and run the handler's ``startup``. Runs
        once; the app's lifespan and :class:`AppServer` call it."""
        if self._started:
            return
        opening = getattr(self.store, "open", None)  # the stores that connect have open()
        if opening is not None:
            await asyncio.wait_for(opening(), STORE_OPEN_TIMEOUT)
        await self.handler.startup()
        self._started = True

    async def close(self) -> None:
        """Run the handler's ``shutdown`` (when its ``startup`` ran), finish upkeep and close
        the store if the app opened it."""
        try:
            if self._started:
                self._started = False
                await self.handler.shutdown()
        finally:
            if self._prune_task is not None:
                await asyncio.gather(self._prune_task, return_exceptions=True)
            if self._owns_store:
                await self.store.close()


def _reused_id(txn_id: str) -> None:
    _LOG.error(
        "transaction %s: the homeserver sent other events under a transaction ID already "
        "handled (a homeserver fault); they are not handled, and the homeserver gets the "
        "answer recorded for the first body",
        txn_id,
        extra={"event": "transaction_id_reused", "txn_id": txn_id},
    )


def create_app(
    registration: RegistrationSource,
    handler: AppServiceHandler,
    *,
    version: str | None = None,
    legacy_routes: bool = True,
    legacy_query_auth: bool | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    store: TransactionStore | str | None = None,
    server_name: str | None = None,
    path_prefix: str | None = None,
    anchoring: Anchoring = "full",
    wait_timeout: float = 50.0,
    access_log: bool = False,
    check_content: bool = False,
) -> AppServiceApp:
    """An ASGI application that serves the homeserver -> appservice API with ``handler``.

    ``registration``
        a registration file's path, a loaded or parsed registration, or a mapping; it is
        checked, and its ``hs_token`` authenticates the homeserver.
    ``version``
        the release whose paths and schemas are served (default: the latest release).
    ``legacy_routes``
        also serve the unprefixed and ``/_matrix/app/unstable`` paths that old homeservers
        fall back to.
    ``legacy_query_auth``
        accept the token as an ``access_token`` query parameter without an
        ``Authorization`` header. The default follows ``version``: on before v1.4, when
        homeservers sent it that way, off from v1.4. When both come, they must agree.
    ``max_body_bytes``
        the largest body read (default 32 MiB); larger ones are answered 413 ``M_TOO_LARGE``.
    ``store``
        where handled transaction IDs are kept: a :class:`TransactionStore`, ``"memory"``,
        ``"sqlite:PATH"`` or a ``"postgresql://..."`` URI (workers sharing one database).
        The default is an SQLite file beside the registration file (:func:`default_store_path`),
        or memory when the registration was not read from a file.
    ``server_name``
        the homeserver's name, to recognise the ``sender_localpart`` user exactly; without
        it the user is recognised by its localpart.
    ``path_prefix``
        put in front of every path (default: the path of the registration's ``url``).
    ``anchoring``
        how namespace regexes match, for recognising own users (see :class:`NamespaceMatcher`).
    ``wait_timeout``
        how long (seconds) a repeated transaction waits for the first copy to be handled
        before it is answered 500 (and retried by the homeserver).
    ``access_log``
        log one line per request (method, path without query string, status, duration).
    ``check_content``
        also check the content of every event of a transaction against the schema of its
        type in ``version``; a transaction with a content that breaks it is answered 400
        ``M_BAD_JSON`` with the JSON path (and will be retried by the homeserver, so use
        it in tests and development). Off by default: the API only defines the envelope.

    Tolerated homeserver quirks are listed in :data:`QUIRKS`.
    """
    release = resolve_release(version)
    if not isinstance(handler, AppServiceHandler):
        what = "a class" if isinstance(handler, type) else type(handler).__name__
        raise TypeError(f"handler must be an AppServiceHandler instance, not {what}")
    if max_body_bytes <= 0:
        raise ValueError("max_body_bytes must be positive")
    model, file = _checked_model(registration, release)
    owns_store = not isinstance(store, TransactionStore)
    if isinstance(store, str):
        store = open_store(store, scope=model.id)
    elif store is None:
        if file is not None:
            store = SQLiteStore(default_store_path(file), scope=model.id)
        else:
            store = MemoryStore()
    if path_prefix is None:
        path_prefix = urlsplit(model.url).path if model.url else ""
    return AppServiceApp(
        model,
        handler,
        version=release,
        legacy_routes=legacy_routes,
        legacy_query_auth=(
            query_token_allowed(OPERATIONS[_TRANSACTION], release)
            if legacy_query_auth is None
            else legacy_query_auth
        ),
        max_body_bytes=max_body_bytes,
        store=store,
        owns_store=owns_store,
        path_prefix=path_prefix.rstrip("/"),
        server_name=server_name,
        anchoring=anchoring,
        wait_timeout=wait_timeout,
        access_log=access_log,
        check_content=check_content,
    )
