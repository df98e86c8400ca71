"""Fixtures for the Selenium Grid tests (the grid itself is in ``_grid``).

``grid_farm`` is one grid for the whole session (two relay nodes, `TWO_NODES`); a test
that kills a node or its Appium takes ``own_grid_farm``, or builds the layout it needs
with ``make_grid_farm``. Each grid is stopped by the fixture that started it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from _grid import TWO_NODES, Device, GridFarm, require_grid


@pytest.fixture(scope="session")
def grid_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GridFarm]:
    require_grid()
    farm = GridFarm(tmp_path_factory.mktemp("grid")).start()
    yield farm
    farm.stop()


@pytest.fixture
def make_grid_farm(tmp_path: Path) -> Iterator[Callable[..., GridFarm]]:
    """``make_grid_farm(devices=..., healthcheck_interval=...)``: a started grid of this
    test's own, stopped when the test ends."""
    require_grid()
    farms: list[GridFarm] = []

    def make(devices: Sequence[Device] = TWO_NODES, **options: int) -> GridFarm:
        farm = GridFarm(tmp_path / f"grid{len(farms)}", devices, **options)
        farms.append(farm)
        return farm.start()

    yield make
    for farm in farms:
        farm.stop()


@pytest.fixture
def own_grid_farm(make_grid_farm: Callable[..., GridFarm]) -> GridFarm:
    """A two-node grid of this test's own, for tests that kill things."""
    return make_grid_farm()
