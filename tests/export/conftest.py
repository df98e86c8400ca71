"""Fixtures: the results database of ``_data.py`` (built once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _export_data import fill

from harness.storage.store import Store


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filled database, built once (tests only read it)."""
    path = tmp_path_factory.mktemp("results") / "results.db"
    store = Store.open(str(path))
    try:
        fill(store)
    finally:
        store.close()
    return path


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(str(db_path))
    yield s
    s.close()
