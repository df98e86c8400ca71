"""Fixtures of the fault tests: a real Appium server (fake driver) of the module's own,
with a fault-injecting proxy in front of it (``tests/faults/_faulty.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _appium import AppiumServer, running
from _faulty import FaultProxy


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    with running(tmp_path_factory.mktemp("appium") / "appium.log") as server:
        yield server


@pytest.fixture
def faulty(appium: AppiumServer) -> Iterator[FaultProxy]:
    """The proxy in front of the module's Appium server; no fault until a test sets one."""
    proxy = FaultProxy(appium.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def own_appium(tmp_path: Path) -> Iterator[AppiumServer]:
    """A server of this test's own, for a test that kills it."""
    with running(tmp_path / "appium.log") as server:
        yield server
