"""How the PostgreSQL store plugs in: loaded on first use, a clear message without psycopg,
opened from a URI, described without its password."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from matrix_appservice.server import (
    PostgresTransactionStore,
    Retention,
    create_app,
    describe_store,
    open_store,
)
from matrix_appservice.server._handler import AppServiceHandler

from tests.conftest import REPO


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "runtime")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_package_and_the_server_do_not_import_the_driver() -> None:
    done = _python(
        "import sys\n"
        "import matrix_appservice, matrix_appservice.server\n"
        "from matrix_appservice.server import create_app, open_store\n"
        "assert 'psycopg' not in sys.modules, 'imported early'\n"
        "from matrix_appservice.server import PostgresTransactionStore\n"
        "assert 'psycopg' in sys.modules\n"
        "print(PostgresTransactionStore.__module__)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "matrix_appservice.server._postgres"


@pytest.mark.parametrize(
    "use",
    [
        "from matrix_appservice.server import PostgresTransactionStore",
        "from matrix_appservice.server import open_store; open_store('postgresql://h/db')",
    ],
)
def test_without_psycopg_the_message_names_the_extra(use: str) -> None:
    done = _python(f"import sys\nsys.modules['psycopg'] = None\n{use}\n")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "ImportError: PostgresTransactionStore needs psycopg 3: "
        "pip install 'matrix-appservice[postgres]'"
    )


def test_a_postgres_uri_opens_the_store_without_connecting() -> None:
    keep = Retention(max_age=60)
    store = open_store("postgres://nobody@127.0.0.1:1/none", scope="as1", retention=keep)
    assert isinstance(store, PostgresTransactionStore)
    assert (store.scope, store.retention, store.dsn) == (
        "as1",
        keep,
        "postgres://nobody@127.0.0.1:1/none",
    )
    registration: dict[str, Any] = {
        "id": "bridge-7",
        "url": None,
        "as_token": "a-token",
        "hs_token": "h-token",
        "sender_localpart": "bot",
        "namespaces": {},
    }
    app = create_app(registration, AppServiceHandler(), store="postgresql://u@127.0.0.1:1/d")
    assert isinstance(app.store, PostgresTransactionStore) and app.store.scope == "bridge-7"


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("postgresql://app:s3cret@db.example:5432/as", "postgresql://app:***@db.example:5432/as"),
        (
            "postgres://app:s3:cr@t@db/as?sslmode=require",
            "postgres://app:***@db/as?sslmode=require",
        ),
        (
            "postgresql://db/as?user=app&password=s3cret&sslmode=require",
            "postgresql://db/as?user=app&password=***&sslmode=require",
        ),
        ("postgresql://app@db/as", "postgresql://app@db/as"),
        ("postgresql://db:5432", "postgresql://db:5432"),
        ("sqlite:/var/lib/as.db", "sqlite:/var/lib/as.db"),
    ],
)
def test_a_store_is_described_without_its_password(spec: str, shown: str) -> None:
    assert describe_store(spec) == shown


def test_an_unknown_store_is_named_without_a_password() -> None:
    with pytest.raises(ValueError) as raised:
        open_store("postgresq://app:s3cret@db/as")
    assert str(raised.value) == (
        "unknown store 'postgresq://app:***@db/as': use 'memory', 'sqlite:PATH' or "
        "'postgresql://USER@HOST:PORT/DATABASE'"
    )
