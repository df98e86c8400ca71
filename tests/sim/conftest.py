"""Fixtures for the simulator tests: one real server on a free loopback port for the
module, and a factory of Appium sessions that are all closed after each test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from appium import webdriver
from appium.options.android import UiAutomator2Options
from sim_flows import Connect

from harness.sim import SimServer


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def connect(sim: SimServer) -> Iterator[Connect]:
    drivers: list[webdriver.Remote] = []

    def open_session(options: UiAutomator2Options) -> webdriver.Remote:
        driver = webdriver.Remote(sim.url, options=options)
        drivers.append(driver)
        return driver

    yield open_session
    for driver in drivers:
        with contextlib.suppress(Exception):  # some tests delete their session
            driver.quit()
