"""How the PostgreSQL store plugs in: loaded on first use, a clear message without psycopg,
opened from a URI, described without its password."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from matrix_appservice.server import AppServiceHandler, PostgresTransactionStore, create_app

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
        "from matrix_appservice.server import create_app\n"
        "assert 'psycopg' not in sys.modules, 'imported early'\n"
        "from matrix_appservice.server import PostgresTransactionStore\n"
        "assert 'psycopg' in sys.modules\n"
        "print(PostgresTransactionStore.__name__)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "PostgresTransactionStore"


@pytest.mark.parametrize(
    "use",
    [
        "from matrix_appservice.server import PostgresTransactionStore",
        "from matrix_appservice.server import AppServiceHandler, create_app\n"
        "create_app({'id': 'a', 'url': None, 'as_token': 'a-token', 'hs_token': 'h-token', "
        "'sender_localpart': 'bot', 'namespaces': {}}, AppServiceHandler(), "
        "store='postgresql://h/db')",
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


REGISTRATION: dict[str, Any] = {
    "id": "bridge-7",
    "url": None,
    "as_token": "a-token",
    "hs_token": "h-token",
    "sender_localpart": "bot",
    "namespaces": {},
}


def test_a_postgres_uri_opens_the_store_without_connecting() -> None:
    for uri in ("postgresql://u@127.0.0.1:1/d", "postgres://nobody@127.0.0.1:1/none"):
        app = create_app(REGISTRATION, AppServiceHandler(), store=uri)
        assert isinstance(app.store, PostgresTransactionStore)
        assert (app.store.scope, app.store.dsn) == ("bridge-7", uri)


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
    ],
)
def test_a_store_is_shown_without_its_password(spec: str, shown: str) -> None:
    store = create_app(REGISTRATION, AppServiceHandler(), store=spec).store
    assert repr(store) == (
        f"PostgresTransactionStore({shown!r}, scope='bridge-7', "
        "table='matrix_appservice_transactions')"
    )


def test_an_unknown_store_is_named_without_a_password() -> None:
    with pytest.raises(ValueError) as raised:
        create_app(REGISTRATION, AppServiceHandler(), store="postgresq://app:s3cret@db/as")
    assert str(raised.value) == (
        "unknown store 'postgresq://app:***@db/as': use 'memory', 'sqlite:PATH' or "
        "'postgresql://USER@HOST:PORT/DATABASE'"
    )
