"""The ASGI application: routes, authentication, bodies, errors and exactly-once transactions.

A request goes through these steps, each of which may answer on its own:

1. routing on the raw path: an unknown path is 404 ``M_UNRECOGNIZED``, a known path with
   another method 405 ``M_UNRECOGNIZED`` (with ``Allow``). A parameter that the operation
   marks as the rest of the path (``Operation.rest_param``: the user ID and the alias of the
   two queries) takes every remaining segment, since homeservers such as Synapse send its
   ``/`` unencoded;
2. authentication with the registration's ``hs_token``, compared in constant time: no token
   is 401 ``M_MISSING_TOKEN``, a wrong one 403 ``M_FORBIDDEN``;
3. the body, for operations that have one: more than ``max_body_bytes`` is 413
   ``M_TOO_LARGE`` (from ``Content-Length``, or while reading a body sent without it);
   malformed JSON is 400 ``M_NOT_JSON``; JSON that breaks the release's schema is 400
   ``M_BAD_JSON`` naming the JSON path of the first problem;
4. the handler, then its answer, checked against the operation's response schema.

A transaction ID is handled once: the first body handled under it wins, and every later copy
gets the recorded answer, whatever its body (see :mod:`matrix_appservice.server._store`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import ValidationError

from matrix_appservice._credentials import require_token, require_usable
from matrix_appservice._releases import resolve_release
from matrix_appservice._validator import Validator, parse_json, validator_for
from matrix_appservice.models import Registration
from matrix_appservice.operations import OPERATIONS, Operation
from matrix_appservice.registration import (
    Anchoring,
    LoadedRegistration,
    RegistrationError,
    check_registration,
    load_registration,
)
from matrix_appservice.server._asgi import (
    Disconnected,
    Receive,
    Scope,
    Send,
    compile_path,
    decode_segment,
    find_path,
    parse_body,
    query_pairs,
    raw_path,
    read_body,
    request_headers,
    send_json,
)
from matrix_appservice.server._errors import InvalidAnswer, MatrixError, bad_json, error_body
from matrix_appservice.server._handler import DISPATCH, AppServiceHandler, Dispatch
from matrix_appservice.server._request import HandlerRequest
from matrix_appservice.server._store import MemoryStore, SQLiteStore, TransactionStore, open_store
from matrix_appservice.server._transactions import OptIns, OwnUsers, build_transaction, fingerprint

__all__ = ["DEFAULT_MAX_BODY_BYTES", "QUIRKS", "AppService", "create_app", "default_store_path"]

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
"""Seconds :meth:`AppService.startup` waits for the store to connect."""

_NULL_MEANS_ABSENT: Mapping[str, tuple[str, ...]] = {"ping": ("transaction_id",)}
_TRANSACTION = "sendTransaction"
_LOG = logging.getLogger("matrix_appservice.server")
_EMPTY = b"{}"
_FAILED = error_body("M_UNKNOWN", "The appservice failed to handle the request")


@dataclass(frozen=True)
class _Route:
    operation: Operation[Any, Any]
    params: tuple[str, ...]
    body: Validator | None
    answer: Validator | None
    dispatch: Dispatch | None
    """``None`` for transactions, which the server runs itself."""


@dataclass(frozen=True)
class _Path:
    pattern: re.Pattern[bytes]
    params: tuple[str, ...]
    methods: dict[str, _Route]
    allow: bytes
    txn_group: int
    """The regex group of ``txnId`` (0 on paths without one)."""


def default_store_path(registration_file: str | Path) -> Path:
    """Where ``create_app`` keeps handled transactions by default: beside the registration,
    ``registration.yaml`` -> ``registration.transactions.sqlite3``."""
    path = Path(registration_file)
    return path.with_name(f"{path.stem}.transactions.sqlite3")


def _load(registration: Any, version: str) -> tuple[Registration, str | None]:
    if isinstance(registration, (str, Path)):
        loaded = load_registration(registration, version)
        return loaded.model, loaded.file
    if isinstance(registration, Registration):  # not checked by the loader
        require_usable(registration)
        return registration, None
    if isinstance(registration, Mapping):
        registration = LoadedRegistration("<registration>", dict(registration))
    if isinstance(registration, LoadedRegistration):
        errors = [p for p in check_registration(registration, version) if p.severity == "error"]
        if errors:
            raise RegistrationError(errors)
        is_file = Path(registration.file).is_file()
        return registration.model, registration.file if is_file else None
    raise TypeError(
        "registration must be a file path, a LoadedRegistration, a Registration or a mapping, "
        f"not {type(registration).__name__}"
    )


class AppService:
    """The ASGI application; build it with :func:`create_app`."""

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
        own_users: OwnUsers,
        wait_timeout: float,
        access_log: bool,
        check_content: bool = False,
    ) -> None:
        self.registration = registration
        self.check_content = check_content
        self.handler = handler
        self.version = version
        self.legacy_query_auth = legacy_query_auth
        self.max_body_bytes = max_body_bytes
        self.store = store
        self.own_users = own_users
        self.opt_ins = OptIns.of(registration)
        self.path_prefix = path_prefix
        self.wait_timeout = wait_timeout
        self.access_log = access_log
        self._owns_store = owns_store
        # Never an empty expected token: the empty "Bearer " of anyone would match it.
        self._token = require_token("the registration's hs_token", registration.hs_token).encode()
        self._bearer = b"Bearer " + self._token
        self._prefix = path_prefix.encode("utf-8")
        self._paths = self._routes(legacy_routes)
        self._next_prune = 0.0
        self._prune_task: asyncio.Task[None] | None = None
        self._started = False

    def _routes(self, legacy: bool) -> list[_Path]:
        by_template: dict[str, dict[str, _Route]] = {}
        rest: dict[str, str] = {}  # template -> its parameter that is the rest of the path
        for op in OPERATIONS.values():
            if op.api != "application-service" or not op.exists_in(self.version):
                continue
            route = _Route(
                operation=op,
                params=op.path_params,
                body=(
                    validator_for(request=op.name, version=self.version, content=self.check_content)
                    if op.request
                    else None
                ),
                answer=validator_for(response=op.name, status=200, version=self.version),
                dispatch=DISPATCH.get(op.name),
            )
            templates = [op.path(self.version), *(op.legacy_paths if legacy else ())]
            for template in templates:
                by_template.setdefault(self.path_prefix + template, {})[op.method] = route
                if op.rest_param is not None:
                    rest[self.path_prefix + template] = op.rest_param
        paths = []
        # Transactions first: they are nearly all the traffic.
        for template in sorted(by_template, key=lambda t: "/transactions/" not in t):
            pattern, names = compile_path(template, rest=rest.get(template))
            methods = by_template[template]
            allow = ", ".join(sorted(methods)).encode()
            txn_group = names.index("txnId") + 1 if "txnId" in names else 0
            paths.append(_Path(pattern, names, methods, allow, txn_group))
        return paths

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    _LOG.exception("start-up failed", extra={"event": "startup_failed"})
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization, length = request_headers(scope)
        limit = self.max_body_bytes

        def body() -> Awaitable[bytes]:
            return read_body(receive, length, limit)

        try:
            status, headers, answer = await self.answer(
                scope["method"],
                raw_path(scope),
                scope.get("query_string", b""),
                authorization,
                body,
            )
        except Disconnected:
            return
        await send_json(send, status, answer, headers)

    async def answer(
        self,
        method: str,
        path: bytes,
        query_string: bytes,
        authorization: bytes | None,
        body: bytes | Callable[[], Awaitable[bytes]],
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The answer to one request, whatever server carries it: status, extra headers
        and the JSON body.

        ``path`` is the raw path (still percent-encoded, without the query string);
        ``body`` is the whole body, or a coroutine function that reads it (called only
        once the request is routed and authenticated; it may raise :class:`MatrixError`,
        413 for one, or ``Disconnected``, which is let through). Every other failure is
        an error answer, never an exception.
        """
        started = time.perf_counter() if self.access_log else 0.0
        headers: list[tuple[bytes, bytes]] = []
        try:
            status, answer = await self._respond(
                method, path, query_string, authorization, body, headers
            )
        except MatrixError as exc:
            status, answer = exc.status, exc.body()
        except Disconnected:
            raise
        except Exception:
            _LOG.exception("request failed", extra={"event": "request_failed"})
            status, answer = 500, _FAILED
        if self.access_log:
            self._log_request(method, path, status, started)
        return status, headers, answer

    def early_answer(
        self, method: str, path: bytes, query_string: bytes, authorization: bytes | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """The answer to a request refused before its body is read (an unknown path, another
        method, no token or a wrong one), or ``None`` when the request gets as far as its
        body. A server calls it once the headers are in, so that it need not take in the
        body of a request that will be refused; :meth:`answer` checks the same again."""
        started = time.perf_counter() if self.access_log else 0.0
        headers: list[tuple[bytes, bytes]] = []
        try:
            self._admit(method, path, query_string, authorization, headers)
        except MatrixError as exc:
            if self.access_log:
                self._log_request(method, path, exc.status, started)
            return exc.status, headers, exc.body()
        return None

    def _log_request(self, method: str, path: bytes, status: int, started: float) -> None:
        shown = path.decode("latin-1")
        _LOG.info(
            "%s %s %d",
            method,
            shown,
            status,
            extra={
                "event": "request",
                "method": method,
                "path": shown,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 3),
            },
        )

    async def _respond(
        self,
        method: str,
        requested: bytes,
        query_string: bytes,
        authorization: bytes | None,
        body: bytes | Callable[[], Awaitable[bytes]],
        headers: list[tuple[bytes, bytes]],
    ) -> tuple[int, bytes]:
        path, match, route = self._admit(method, requested, query_string, authorization, headers)
        if route.dispatch is None:  # a transaction: the one parameter, and always a body
            txn_id = decode_segment(match.group(path.txn_group))
            raw = body if isinstance(body, bytes) else await body()
            return 200, await self._transaction(route, txn_id, raw)
        params = {name: decode_segment(match.group(i + 1)) for i, name in enumerate(path.params)}
        if route.body is None:
            raw = b""
        else:
            raw = body if isinstance(body, bytes) else await body()
        return 200, await self._operation(route, params, query_string, raw)

    # -- steps ----------------------------------------------------------------------------------

    def _admit(
        self,
        method: str,
        requested: bytes,
        query_string: bytes,
        authorization: bytes | None,
        headers: list[tuple[bytes, bytes]],
    ) -> tuple[_Path, re.Match[bytes], _Route]:
        """The path, its match and the route of a request; raises 404 or 405
        ``M_UNRECOGNIZED`` (adding ``Allow`` to ``headers``), or 401/403 for the token."""
        found = find_path(self._paths, requested)
        if found is None:
            raise MatrixError(404, "M_UNRECOGNIZED", "Unrecognized request")
        path, match = found
        route = path.methods.get(method)
        if route is None:
            headers.append((b"allow", path.allow))
            raise MatrixError(405, "M_UNRECOGNIZED", "Unsupported method")
        self._authenticate(authorization, query_string)
        return path, match, route

    def _authenticate(self, authorization: bytes | None, query_string: bytes) -> None:
        if (
            authorization is not None
            and not query_string
            and hmac.compare_digest(authorization, self._bearer)
        ):
            return  # the usual request: exactly "Bearer <token>", nothing in the query
        header = None
        if authorization is not None:
            scheme, _, credentials = authorization.strip().partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                header = credentials.strip()
        in_query: set[bytes] = set()
        if b"access_token" in query_string:
            in_query = {
                v.encode("utf-8")
                for k, v in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
                if k == "access_token"
            }
        if header is None and not in_query:
            raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")
        if len(in_query) > 1 or (header is not None and in_query and in_query != {header}):
            raise MatrixError(
                403, "M_FORBIDDEN", "The access_token parameter and the Authorization header differ"
            )
        if header is None:
            if not self.legacy_query_auth:
                raise MatrixError(
                    401,
                    "M_MISSING_TOKEN",
                    "Send the token in an Authorization: Bearer header; "
                    "this appservice does not accept it as a query parameter",
                )
            header = next(iter(in_query))
        if not hmac.compare_digest(header, self._token):
            raise MatrixError(403, "M_FORBIDDEN", "Invalid access token")

    def _parse(self, route: _Route, raw: bytes) -> Any:
        op = route.operation
        assert route.body is not None
        return parse_body(
            raw,
            route.body,
            required=op.request_required,
            null_means_absent=_NULL_MEANS_ABSENT.get(op.name, ()),
        )

    async def _transaction(self, route: _Route, txn_id: str, raw: bytes) -> bytes:
        data = self._parse(route, raw)
        digest = fingerprint(data)
        deadline: float | None = None
        store = self.store
        # The memory store answers at once: skip the coroutines on the usual path.
        memory = store if type(store) is MemoryStore else None
        while True:
            if memory is not None:
                claim = memory.claim_nowait(txn_id, digest)
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
            if deadline is None:
                deadline = time.monotonic() + self.wait_timeout
            left = deadline - time.monotonic()
            if left <= 0:
                raise MatrixError(500, "M_UNKNOWN", "The transaction is still being handled")
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
            raise MatrixError(500, "M_UNKNOWN", "The transaction failed; retry it later") from None
        except BaseException:
            await store.release(txn_id)
            raise
        if memory is not None:
            memory.complete_nowait(txn_id, digest, _EMPTY)
        else:
            await store.complete(txn_id, digest, _EMPTY)
        self._maybe_prune()
        return _EMPTY

    async def _operation(
        self, route: _Route, params: dict[str, str], query_string: bytes, raw: bytes
    ) -> bytes:
        body = self._parse(route, raw) if route.body is not None else None
        request = HandlerRequest(params, query_pairs(query_string), body, self.version)
        assert route.dispatch is not None and route.answer is not None
        name = route.operation.name
        try:
            answer = await route.dispatch(self.handler, request)
            problem = route.answer.first_issue(parse_json(answer))
            if problem is not None:
                raise InvalidAnswer(str(problem))
        except InvalidAnswer as exc:
            _LOG.error(
                "the handler's answer to %s does not fit the spec: %s",
                name,
                exc,
                extra={"event": "invalid_answer", "operation": name},
            )
            raise MatrixError(
                500, "M_UNKNOWN", "The appservice produced an invalid answer"
            ) from None
        return answer

    # -- upkeep ---------------------------------------------------------------------------------

    def _maybe_prune(self) -> None:
        now = time.monotonic()
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
        once; the app's lifespan and :class:`HTTPServer` call it."""
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


def _legacy_query_auth(version: str) -> bool:
    op = OPERATIONS[_TRANSACTION]
    return any(scheme.kind == "query" for scheme in op.auth(version))


def create_app(
    registration: str | Path | LoadedRegistration | Registration | Mapping[str, Any],
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
) -> AppService:
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
    model, file = _load(registration, release)
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
    return AppService(
        model,
        handler,
        version=release,
        legacy_routes=legacy_routes,
        legacy_query_auth=(
            _legacy_query_auth(release) if legacy_query_auth is None else legacy_query_auth
        ),
        max_body_bytes=max_body_bytes,
        store=store,
        owns_store=owns_store,
        path_prefix=path_prefix.rstrip("/"),
        own_users=OwnUsers(model, server_name, anchoring),
        wait_timeout=wait_timeout,
        access_log=access_log,
        check_content=check_content,
    )
