"""The throwaway cluster: loopback only, never run as root, gone after stop."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest

from tests import pg
from tests.pg import Cluster, ClusterUnavailable

pytestmark = pytest.mark.postgres


def _postmaster_uid(cluster: Cluster) -> tuple[int, int]:
    pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
    status = Path(f"/proc/{pid}/status").read_text()
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    return pid, int(uid)


def test_listens_on_loopback_with_the_test_database(postgres: Cluster) -> None:
    with psycopg.connect(postgres.dsn()) as conn:
        settings: dict[str, str] = dict(
            conn.execute("SELECT name, setting FROM pg_settings").fetchall()
        )
        database = conn.execute("SELECT current_database()").fetchone()
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["port"] == str(postgres.port)
    assert settings["unix_socket_directories"] == str(postgres.base)
    assert database == (pg.DATABASE,)


def test_server_never_runs_as_root(postgres: Cluster) -> None:
    _, uid = _postmaster_uid(postgres)
    assert uid != 0
    assert postgres.data.stat().st_uid == uid
    if os.geteuid() == 0:
        assert postgres.owner is not None and postgres.owner.pw_uid == uid


def test_stop_ends_the_server_and_deletes_its_folder() -> None:
    try:
        cluster = pg.start_cluster()
    except ClusterUnavailable as error:
        pytest.skip(f"no PostgreSQL cluster for the tests: {error}")
    pid, _ = _postmaster_uid(cluster)
    cluster.stop()
    assert not cluster.base.exists()
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", cluster.port), 1):
        pass
    cluster.stop()  # a second stop is harmless


def test_missing_binaries_name_the_make_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pg, "SEARCH", tmp_path / "postgresql")
    with pytest.raises(ClusterUnavailable, match=r"make postgres"):
        pg.find_bindir()
