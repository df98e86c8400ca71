"""Fixtures: the results database of ``_export_data.py`` (built once per session), as a
SQLite file and, for the analyst queries, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _export_data import fill, filled_sqlite
from databases import BACKENDS, filled_database

from harness.storage.store import Store


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filled database, built once (tests only read it)."""
    return filled_sqlite(tmp_path_factory.mktemp("results") / "results.db")


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(str(db_path))
    yield s
    s.close()


@pytest.fixture(scope="session", params=BACKENDS)
def analysis_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[str]:
    """The same filled database on each backend (SQLite, PostgreSQL), built once per
    session: the analyst queries must give the same tables on both."""
    folder = tmp_path_factory.mktemp(f"results-{request.param}")
    with filled_database(request.param, folder, fill) as url:
        yield url
