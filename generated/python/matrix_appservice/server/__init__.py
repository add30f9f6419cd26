"""An ASGI server for the homeserver -> appservice API, built from a registration and a handler.

    from matrix_appservice.server import AppServiceHandler, IncomingTransaction, create_app

    class Bridge(AppServiceHandler):
        async def send_transaction(self, transaction: IncomingTransaction) -> None:
            for event in transaction.foreign_events():
                ...

    app = create_app("registration.yaml", Bridge())   # any ASGI server runs it

or from the command line (``pip install 'matrix-appservice[server]'``), served by granian
with explicit limits (:class:`AppServer`, :func:`run_app`, :class:`HTTPLimits`)::

    matrix-appservice serve mybridge:Bridge --registration registration.yaml

Each transaction ID is handled once (see :mod:`matrix_appservice.server._store` for the
stores and the retention); the answers and errors follow the spec (see
:mod:`matrix_appservice.server._app`), and a handler answers with an error by raising one of
:mod:`matrix_appservice.errors` (a client's error that escapes is answered the same way).
The app itself needs nothing beyond the base install.
Several workers behind one load balancer share a PostgreSQL store
(``store="postgresql://USER@HOST/DB"`` or :class:`PostgresTransactionStore`, extra
``[postgres]``; see :mod:`matrix_appservice.server._postgres`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrix_appservice._logs import JsonFormatter, configure_logging
from matrix_appservice._serving import AppServer, HTTPLimits, run_app
from matrix_appservice.server._app import AppServiceApp, create_app, default_store_path
from matrix_appservice.server._handler import AppServiceHandler
from matrix_appservice.server._store import (
    Claim,
    MemoryStore,
    Retention,
    SQLiteStore,
    TransactionStore,
)
from matrix_appservice.server._transactions import IncomingTransaction

if TYPE_CHECKING:
    from matrix_appservice.server._postgres import PostgresTransactionStore

__all__ = [
    "AppServer",
    "AppServiceApp",
    "AppServiceHandler",
    "Claim",
    "HTTPLimits",
    "IncomingTransaction",
    "JsonFormatter",
    "MemoryStore",
    "PostgresTransactionStore",
    "Retention",
    "SQLiteStore",
    "TransactionStore",
    "configure_logging",
    "create_app",
    "default_store_path",
    "run_app",
]


def __getattr__(name: str) -> object:
    # The PostgreSQL store needs psycopg (extra [postgres]): imported on first use only.
    if name == "PostgresTransactionStore":
        from matrix_appservice.server._postgres import PostgresTransactionStore

        return PostgresTransactionStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
