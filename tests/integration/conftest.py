"""Fixtures for the real-Appium tests (the server itself is in ``_appium``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _appium import AppiumServer, running


@pytest.fixture(scope="session")
def appium_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    with running(tmp_path_factory.mktemp("appium") / "appium.log") as server:
        yield server


@pytest.fixture
def own_appium_server(tmp_path: Path) -> Iterator[AppiumServer]:
    """A server of this test's own, for tests that kill it."""
    with running(tmp_path / "appium.log") as server:
        yield server
