"""Throwaway databases on both backends for the storage, migration and analysis tests.

``tests/postgres/with_postgres.sh`` (which ``make test`` runs the suite under) starts a
PostgreSQL cluster and exports ``HARNESS_TEST_PG``. Each test that asks for a database
gets a new, empty one: a SQLite file in its temporary folder, or a PostgreSQL database
created for it and dropped after it. Without the cluster the PostgreSQL cases are
skipped, except under ``CI=true``, where they fail: CI must measure both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from harness.storage.store import Store

BACKENDS = ("sqlite", "postgresql")


def server_url() -> str | None:
    return os.environ.get("HARNESS_TEST_PG") or None


def require_server() -> str:
    url = server_url()
    if url is None:
        message = ("no PostgreSQL test server: run the suite through "
                   "tests/postgres/with_postgres.sh (as `make test` does)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    admin_url = require_server()
    name = f"harness_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """A new, empty database of ``backend``: its path (SQLite) or URL (PostgreSQL)."""
    if backend == "sqlite":
        yield str(folder / "results.db")
        return
    with postgres_database() as url:
        yield url


@contextmanager
def filled_database(backend: str, folder: Path, fill: Callable[[Store], None]
                    ) -> Iterator[str]:
    """A new database of ``backend`` with what ``fill`` writes, artifacts in ``folder``."""
    with database(backend, folder) as url:
        store = Store.open(url, folder / "artifacts")
        try:
            fill(store)
        finally:
            store.close()
        yield url
