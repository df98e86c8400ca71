"""The simulator counts what it answers, by kind, and paces commands like a real device.

Each test runs its own server: counts start from zero, and the pace's sleep is a recorder,
so the modelled time per command kind is asserted exactly instead of timed on the clock.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import NoSuchElementException
from sim_flows import DE, OPENCHAT, centre, finger, http, options, perform, tap_ticks

from harness.sim import (
    PACE_SOURCES,
    PACE_UIAUTOMATOR2,
    PACES,
    SOURCE_FIGURE_BYTES,
    Command,
    SimServer,
    hierarchy_seconds,
)
from harness.sim.pace import pace_seconds


class Sleeps:
    """A stand-in for ``time.sleep`` that records what it was asked to spend."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)

    def take(self) -> list[float]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls


@pytest.fixture
def session() -> Iterator[tuple[SimServer, webdriver.Remote]]:
    with SimServer() as server:
        driver = webdriver.Remote(server.url, options=options(DE))
        try:
            yield server, driver
        finally:
            driver.quit()


def test_counts_are_what_was_sent(session: tuple[SimServer, webdriver.Remote]) -> None:
    sim, driver = session
    assert sim.commands == Counter({"session": 1})
    assert sim.reset_commands() == Counter({"session": 1})
    _ = driver.page_source
    perform(driver, finger(*tap_ticks(540, 1200)))
    assert sim.commands == Counter({"source": 1, "actions": 1})


def test_every_kind_is_counted(session: tuple[SimServer, webdriver.Remote]) -> None:
    sim, driver = session
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    sim.reset_commands()
    driver.find_element(AppiumBy.ID, "agree").click()
    driver.find_element(AppiumBy.XPATH, "//*[@text='Sign up with phone']").click()
    phone = driver.find_element(AppiumBy.ID, "phone_input")
    phone.send_keys("1511")
    phone.clear()
    assert driver.find_elements(AppiumBy.ID, "missing") == []
    with pytest.raises(NoSuchElementException):  # a failed find is a find all the same
        driver.find_element(AppiumBy.ID, "missing")
    driver.execute_script("mobile: listSms", {})
    driver.execute_script("mobile:listSms", {})
    driver.get_screenshot_as_png()
    _ = phone.text
    http(sim, "GET", "/nowhere")
    assert sim.commands == Counter({
        "find": 5, "click": 2, "value": 1, "clear": 1, "execute:mobile: listSms": 2,
        "screenshot": 1, "other": 2,
    })
    copy = sim.commands
    copy["find"] += 10  # a copy: the server's counts do not change
    assert sim.commands["find"] == 5


def test_counting_is_thread_safe() -> None:
    with SimServer() as sim:
        def hit() -> None:
            for _ in range(25):
                http(sim, "GET", "/status")

        threads = [threading.Thread(target=hit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sim.commands == Counter({"other": 100})


def test_the_pace_sleeps_the_modelled_time_per_kind() -> None:
    sleeps = Sleeps()
    pace = PACE_UIAUTOMATOR2
    with SimServer(pace=pace, sleep=sleeps) as sim:
        driver = webdriver.Remote(sim.url, options=options(DE))
        assert sleeps.take() == [pace["session:new"]]
        driver.execute_script("mobile: activateApp", {"appId": OPENCHAT})
        _ = driver.page_source
        driver.find_element(AppiumBy.XPATH, "//*[@text='Agree']")
        agree = driver.find_element(AppiumBy.ID, "agree")
        driver.execute_script("mobile: getDisplayDensity")  # no row of its own: "execute"
        _ = agree.text  # "other"
        assert sleeps.take() == [
            pace["execute:mobile: activateApp"], pace["source"], pace["find:xpath"],
            pace["find"], pace["execute"], pace["other"],
        ]
        perform(driver, finger(*tap_ticks(*centre(driver, "agree"), hold_ms=60)))
        # the request's cost, then the gesture's own 60 ms hold (the move takes 0 ms)
        assert sleeps.take()[-2:] == [pace["actions"], 0.06]
        driver.quit()
        assert sleeps.take() == [pace["session:delete"]]


def test_sized_sources_are_priced_by_the_bytes_of_the_screen_they_read() -> None:
    pace = PACE_UIAUTOMATOR2
    source, xpath = Command("source"), Command("find", "xpath")
    assert hierarchy_seconds(pace, source, SOURCE_FIGURE_BYTES) == pytest.approx(pace["source"])
    assert hierarchy_seconds(pace, source, 0) == pytest.approx(pace["find"])
    half = hierarchy_seconds(pace, source, SOURCE_FIGURE_BYTES // 2)
    assert pace["find"] < half < pace["source"]
    assert hierarchy_seconds(pace, xpath, 0) == pytest.approx(
        pace["find"] + pace["find:xpath"] - pace["source"])
    sleeps = Sleeps()
    with SimServer(pace=pace, sleep=sleeps, sized_sources=True) as sim:
        driver = webdriver.Remote(sim.url, options=options(DE))
        driver.execute_script("mobile: activateApp", {"appId": OPENCHAT})
        sleeps.take()
        xml = driver.page_source
        driver.find_element(AppiumBy.XPATH, "//*[@text='Agree']")
        driver.find_element(AppiumBy.ID, "agree")
        size = len(json.dumps({"value": xml}, ensure_ascii=False).encode("utf-8"))
        assert sleeps.take() == pytest.approx([
            hierarchy_seconds(pace, source, size), hierarchy_seconds(pace, xpath, size),
            pace["find"]])
        assert 1_000 < size < SOURCE_FIGURE_BYTES  # the demo's screens are small
        driver.quit()


def test_latency_is_added_on_top_of_the_pace() -> None:
    sleeps = Sleeps()
    with SimServer(pace={"source": 0.25, "other": 0.125}, latency=0.5, sleep=sleeps) as sim:
        http(sim, "GET", "/status")
        status, body = http(sim, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "platformName": "Android"}}})
        assert status == 200
        http(sim, "GET", f"/session/{body['value']['sessionId']}/source")
        assert sleeps.take() == [0.625, 0.625, 0.75]  # session: no row, so "other"
    flat = Sleeps()
    with SimServer(latency=0.5, sleep=flat) as sim:
        http(sim, "GET", "/status")
        assert flat.take() == [0.5]


def test_unpaced_servers_never_sleep() -> None:
    sleeps = Sleeps()
    with SimServer(sleep=sleeps) as sim:
        driver = webdriver.Remote(sim.url, options=options(DE))
        perform(driver, finger(*tap_ticks(540, 1200, hold_ms=5000)))
        _ = driver.page_source
        driver.quit()
    assert sleeps.calls == []


def test_pace_keys_fall_back_to_the_kind_then_to_other() -> None:
    pace = {"find": 1.0, "find:xpath": 2.0, "execute": 3.0, "other": 4.0}
    assert pace_seconds(pace, Command("find", "xpath")) == 2.0
    assert pace_seconds(pace, Command("find", "id")) == 1.0
    assert pace_seconds(pace, Command("execute:mobile: shell")) == 3.0
    assert pace_seconds(pace, Command("screenshot")) == 4.0
    assert pace_seconds({}, Command("source")) == 0.0
    with pytest.raises(ValueError):
        SimServer(pace={"source": -1.0})


def test_the_uiautomator2_pace_covers_every_kind_with_a_source() -> None:
    wanted = {"session:new", "session:delete", "source", "find", "find:xpath", "click",
              "value", "clear", "actions", "screenshot", "screenshot:stream",
              "execute:mobile: getDeviceInfo",
              "execute:mobile: shell", "execute:mobile: listSms",
              "execute:mobile: activateApp", "execute:mobile: terminateApp",
              "execute:mobile: clearApp", "execute", "other"}
    assert wanted <= set(PACE_UIAUTOMATOR2)
    assert PACES["uiautomator2"] is PACE_UIAUTOMATOR2
    for figure in PACE_SOURCES:
        assert 0 < figure.seconds < 60
        assert figure.measured or re.search("assumed|derived", figure.source.lower())
        assert re.search(r"#\d+|README|lib/commands|\.md", figure.source), figure.key
    # what a real device shows: a page source costs far more than a find by id
    assert PACE_UIAUTOMATOR2["source"] > 10 * PACE_UIAUTOMATOR2["find"]


def test_the_standalone_module_takes_a_pace() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "harness.sim", "--pace", "tortoise"],
        capture_output=True, text=True, cwd=root, timeout=30,
    )
    assert done.returncode == 2 and "uiautomator2" in done.stderr
    alone = subprocess.run([sys.executable, "-m", "harness.sim", "--sized-sources"],
                           capture_output=True, text=True, cwd=root, timeout=30)
    assert alone.returncode == 2 and "--pace" in alone.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.sim", "--port", "0", "--pace", "uiautomator2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert any("Pace: uiautomator2" in line for line in lines), lines
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_a_screenshot_from_the_mjpeg_stream_is_priced_as_the_host_answers_it() -> None:
    """A session that reads screenshots from the stream (``appium:mjpegScreenshotUrl``)
    pays the host's conversion, not the device's capture; the image is still the screen."""
    sleeps = Sleeps()
    pace = PACE_UIAUTOMATOR2
    assert pace["screenshot:stream"] < pace["screenshot"] / 10
    with SimServer(pace=pace, sleep=sleeps) as sim:
        plain = webdriver.Remote(sim.url, options=options(DE))
        streamed_options = options(DE)
        streamed_options.set_capability("appium:mjpegServerPort", 7810)
        streamed_options.set_capability("appium:mjpegScreenshotUrl", "http://127.0.0.1:7810")
        streamed = webdriver.Remote(sim.url, options=streamed_options)
        try:
            sleeps.take()
            sim.reset_commands()
            device_png = plain.get_screenshot_as_png()
            stream_png = streamed.get_screenshot_as_png()
            assert sleeps.take() == [pace["screenshot"], pace["screenshot:stream"]]
            assert sim.commands == Counter({"screenshot": 2})  # counted as one kind
            assert device_png.startswith(b"\x89PNG") and stream_png.startswith(b"\x89PNG")
        finally:
            plain.quit()
            streamed.quit()
