"""Fixtures of the PostgreSQL tests: one throwaway cluster per session, a fresh table per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.pg import Cluster, ClusterUnavailable, start_cluster


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A running cluster on 127.0.0.1; stopped and deleted when the session ends."""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as error:
        pytest.skip(f"no PostgreSQL cluster for the tests: {error}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def dsn(postgres: Cluster) -> str:
    return postgres.dsn()


@pytest.fixture
def table() -> str:
    """A table name no other test uses, so tests share the cluster without seeing each other."""
    return f"txn_{uuid.uuid4().hex[:16]}"
