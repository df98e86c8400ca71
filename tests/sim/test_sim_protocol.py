"""The simulator speaks enough W3C WebDriver / UiAutomator2 for appium-python-client.

Every test drives a real ``SimServer`` on a loopback port through the same client the
harness uses, and asserts the protocol behaviour the harness relies on: session
capabilities, locators, page source, screenshots, ``mobile:`` methods, and the exact
errors (stale element, invalid session, unknown command).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from appium.webdriver.common.appiumby import AppiumBy
from lxml import etree
from PIL import Image
from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchElementException,
    SessionNotCreatedException,
    StaleElementReferenceException,
    WebDriverException,
)
from sim_flows import (
    DE,
    GB,
    HK,
    OPENCHAT,
    Connect,
    http,
    latest_code,
    open_signup,
    options,
    tap_text,
)

from harness.sim import DEMO_APPS, LAUNCHER_PACKAGE, SimServer


def test_status_and_new_session_capabilities(sim: SimServer, connect: Connect) -> None:
    status, body = http(sim, "GET", "/status")
    assert status == 200 and body["value"]["ready"] is True
    assert sim.url == f"http://127.0.0.1:{sim.port}"
    driver = connect(options(DE, time_zone="Europe/Berlin"))
    assert driver.capabilities["platformName"] == "Android"
    assert driver.capabilities["harness:simCountry"] == "DE"
    assert driver.capabilities["appium:timeZone"] == "Europe/Berlin"
    _, session = http(sim, "GET", f"/session/{driver.session_id}")
    assert session["value"]["harness:phoneNumber"] == DE.e164


def test_non_android_platform_is_refused(connect: Connect) -> None:
    with pytest.raises(SessionNotCreatedException, match="Android"):
        connect(options(DE, platform="iOS"))


def test_launcher_source_is_uiautomator2_xml(connect: Connect) -> None:
    driver = connect(options(DE))
    source = driver.page_source
    assert source.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>")
    root = etree.fromstring(source.encode("utf-8"))
    assert root.tag == "hierarchy" and root.get("width") == "1080"
    packages = {e.get("package") for e in root.iter() if e.tag != "hierarchy"}
    assert packages == {LAUNCHER_PACKAGE}
    labels = {e.get("text") for e in root.iter("android.widget.TextView")}
    assert {"OpenChat", "真名社区", "FriendCheck"} <= labels
    for element in root.iter():
        if element.tag != "hierarchy":
            assert element.get("class") == element.tag
            assert re.fullmatch(r"\[\d+,\d+\]\[\d+,\d+\]", element.get("bounds", ""))
    # Tapping an icon launches the app, found by accessibility id (content-desc).
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "OpenChat").click()
    assert driver.query_app_state(OPENCHAT) == 4
    assert driver.find_element(AppiumBy.ID, "agree").text == "Agree"


def test_locator_strategies(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    short = driver.find_element(AppiumBy.ID, "phone_input")
    full = driver.find_element(AppiumBy.ID, f"{OPENCHAT}:id/phone_input")
    assert short.id == full.id
    by_xpath = driver.find_element(
        AppiumBy.XPATH, f'//android.widget.EditText[@resource-id="{OPENCHAT}:id/phone_input"]'
    )
    assert by_xpath.id == short.id
    assert driver.find_element(AppiumBy.XPATH, '//*[contains(@text,"code")]').tag_name in (
        "android.widget.Button",
        "android.widget.EditText",
    )
    ui = driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("Get code")')
    assert ui.get_attribute("resource-id") == f"{OPENCHAT}:id/get_code"
    contains = driver.find_element(
        AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().textContains("phone number")'
    )
    assert contains.text == "Enter your phone number"
    by_rid = driver.find_element(
        AppiumBy.ANDROID_UIAUTOMATOR, f'new UiSelector().resourceId("{OPENCHAT}:id/submit")'
    )
    assert by_rid.text == "Continue"
    desc = driver.find_element(
        AppiumBy.ANDROID_UIAUTOMATOR,
        'new UiSelector().description("Country/region code Germany +49")',
    )
    assert desc.text == "+49"
    edits = driver.find_elements(AppiumBy.CLASS_NAME, "android.widget.EditText")
    assert len(edits) == 2
    root = driver.find_element(AppiumBy.ID, "phone_root")
    assert len(root.find_elements(AppiumBy.CLASS_NAME, "android.widget.Button")) == 3
    assert root.find_element(AppiumBy.XPATH, ".//*[@text='Continue']").id == by_rid.id
    assert driver.find_elements(AppiumBy.ID, "no_such_view") == []
    with pytest.raises(NoSuchElementException):
        driver.find_element(AppiumBy.XPATH, '//*[@text="Nothing like this"]')
    with pytest.raises(WebDriverException, match=r"invalid selector|XPath"):
        driver.find_element(AppiumBy.XPATH, "//*[")


def test_implicit_wait_is_not_applied(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.implicitly_wait(5)
    assert driver.timeouts.implicit_wait == 5
    started = time.monotonic()
    with pytest.raises(NoSuchElementException):
        driver.find_element(AppiumBy.ID, "missing")
    assert time.monotonic() - started < 1


def test_element_commands(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    phone = driver.find_element(AppiumBy.ID, "phone_input")
    assert phone.text == "Phone number"  # an empty EditText reports its hint
    phone.send_keys("1511")
    phone.send_keys("15112345678")  # UiAutomator2 replaces, it does not append
    assert phone.text == "15112345678"
    assert phone.get_attribute("focused") == "true"
    assert phone.get_attribute("class") == "android.widget.EditText"
    assert phone.get_attribute("package") == OPENCHAT
    assert phone.is_displayed() and phone.is_enabled()
    rect = phone.rect
    assert rect["width"] > 0 and rect["height"] > 0
    assert phone.get_attribute("bounds") == (
        f"[{rect['x']},{rect['y']}][{rect['x'] + rect['width']},{rect['y'] + rect['height']}]"
    )
    phone.clear()
    assert phone.text == "Phone number"
    with pytest.raises(WebDriverException, match="not editable"):
        driver.find_element(AppiumBy.ID, "submit").send_keys("x")


def test_screenshot_is_a_png(connect: Connect) -> None:
    driver = connect(options(DE))
    open_signup(driver, OPENCHAT)
    png = base64.b64decode(driver.get_screenshot_as_base64())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (360, 800)
    assert len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 2


def test_stale_element_references(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    agree = driver.find_element(AppiumBy.ID, "agree")
    agree.click()
    with pytest.raises(StaleElementReferenceException):
        agree.click()
    tap_text(driver, "Sign up with phone")
    driver.find_element(AppiumBy.ID, "country_code").click()
    search = driver.find_element(AppiumBy.ID, "country_search")
    search.send_keys("Germany")
    row = driver.find_element(AppiumBy.XPATH, '//*[@text="Germany +49"]')
    search.send_keys("France")  # same screen: the search box stays valid, the row goes
    assert search.text == "France"
    with pytest.raises(StaleElementReferenceException):
        row.click()


def test_unknown_commands_answer_json(sim: SimServer, connect: Connect) -> None:
    driver = connect(options(DE))
    for method, path in (
        ("GET", "/nowhere"),
        ("POST", f"/session/{driver.session_id}/appium/device/shake"),
        ("GET", f"/session/{driver.session_id}/cookie"),
    ):
        status, body = http(sim, method, path, {} if method == "POST" else None)
        assert status == 404
        assert body["value"]["error"] == "unknown command"
    with pytest.raises(WebDriverException, match="not implemented"):
        driver.execute_script("mobile: flyToTheMoon", {})
    with pytest.raises(WebDriverException, match="only 'mobile"):
        driver.execute_script("return 1")


def test_invalid_session(sim: SimServer, connect: Connect) -> None:
    status, body = http(sim, "GET", "/session/not-a-session/source")
    assert status == 404 and body["value"]["error"] == "invalid session id"
    driver = connect(options(DE))
    driver.quit()
    with pytest.raises(InvalidSessionIdException):
        _ = driver.page_source
    status, body = http(sim, "POST", "/session", {"capabilities": "nope"})
    assert status == 400 and body["value"]["error"] == "invalid argument"


def test_app_management(connect: Connect) -> None:
    driver = connect(options(DE))
    with pytest.raises(WebDriverException, match="not installed"):
        driver.activate_app("com.example.missing")
    assert driver.query_app_state("com.example.missing") == 0
    assert driver.is_app_installed("com.example.missing") is False
    assert driver.terminate_app("com.example.missing") is False
    for package in DEMO_APPS:
        assert driver.is_app_installed(package)
        assert driver.query_app_state(package) == 1
    driver.activate_app(OPENCHAT)
    assert driver.query_app_state(OPENCHAT) == 4
    tap_text(driver, "Agree")
    assert driver.terminate_app(OPENCHAT) is True
    assert driver.terminate_app(OPENCHAT) is False
    assert driver.query_app_state(OPENCHAT) == 1
    assert driver.execute_script("mobile: getCurrentPackage") == LAUNCHER_PACKAGE
    driver.activate_app(OPENCHAT)  # consent is stored: straight to the welcome screen
    assert driver.find_elements(AppiumBy.ID, "signup_phone")
    driver.execute_script("mobile: clearApp", {"appId": OPENCHAT})
    driver.activate_app(OPENCHAT)
    assert driver.find_elements(AppiumBy.ID, "agree")
    driver.back()  # consent screen: back closes the app
    assert driver.query_app_state(OPENCHAT) == 1


def test_device_info_and_properties(connect: Connect) -> None:
    driver = connect(options(DE, language="de", time_zone="Europe/Berlin"))
    info = driver.execute_script("mobile: getDeviceInfo")
    assert info["locale"] == "de_DE"
    assert info["timeZone"] == "Europe/Berlin"
    assert info["carrierName"] == "Telekom.de"
    assert info["manufacturer"] == "Harness" and info["model"] == "Simulator"
    assert info["apiVersion"] == "34"
    assert info["realDisplaySize"] == "1080x2400" and info["bluetooth"] == {"state": "off"}

    def getprop(name: str) -> str:
        return str(driver.execute_script("mobile: shell", {"command": "getprop", "args": [name]}))

    assert getprop("gsm.sim.operator.iso-country").strip() == "de"
    assert getprop("persist.sys.locale").strip() == "de-DE"
    assert getprop("persist.sys.timezone").strip() == "Europe/Berlin"
    assert getprop("gsm.sim.operator.alpha").strip() == "Telekom.de"
    with pytest.raises(WebDriverException, match="not available"):
        driver.execute_script("mobile: shell", {"command": "rm", "args": ["-rf", "/"]})
    assert driver.execute_script("mobile: getDeviceTime").endswith(("+01:00", "+02:00"))


def test_defaults_are_a_stock_emulator(connect: Connect) -> None:
    driver = connect(options(None, sim_country="US"))
    info = driver.execute_script("mobile: getDeviceInfo")
    assert info["locale"] == "en_US" and info["carrierName"] == "T-Mobile"
    assert driver.location["latitude"] == pytest.approx(37.4219983)


def test_sms_injection_and_listing(connect: Connect) -> None:
    driver = connect(options(DE))
    assert driver.execute_script("mobile: listSms", {}) == {"items": [], "total": 0}
    driver.send_sms("+4930123456", "first")
    driver.send_sms("+4930123456", "second")
    listing = driver.execute_script("mobile: listSms", {})
    assert listing["total"] == 2
    assert [m["body"] for m in listing["items"]] == ["second", "first"]
    newest = listing["items"][0]
    assert newest["address"] == "+4930123456" and newest["type"] == "1"
    assert newest["date"].isdigit() and newest["person"] is None
    assert len(driver.execute_script("mobile: listSms", {"max": 1})["items"]) == 1


def test_location(connect: Connect) -> None:
    driver = connect(options(DE))
    driver.set_location(52.52, 13.405, 34)
    assert driver.location == {"latitude": 52.52, "longitude": 13.405, "altitude": 34.0}
    with pytest.raises(WebDriverException, match="latitude"):
        driver.set_location(123, 0)


def test_phone_number_from_avd_args_decides_delivery(connect: Connect) -> None:
    opts = options(None, sim_country="DE")
    opts.set_capability("appium:avdArgs", f"-no-snapshot -phone-number {DE.e164} -http-proxy h:1")
    driver = connect(opts)
    open_signup(driver, OPENCHAT)
    driver.find_element(AppiumBy.ID, "phone_input").send_keys("15199999999")  # not our SIM
    driver.find_element(AppiumBy.ID, "get_code").click()
    assert latest_code(driver) is None
    assert "Code sent to +49" in driver.find_element(AppiumBy.ID, "status").text


def test_sessions_are_independent_and_parallel(connect: Connect) -> None:
    drivers = {phone.e164: connect(options(phone)) for phone in (DE, GB, HK)}
    errors: list[BaseException] = []

    def run(e164: str) -> None:
        try:
            driver = drivers[e164]
            for _ in range(5):
                driver.send_sms("+100", e164)
                assert driver.page_source.startswith("<?xml")
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e164,)) for e164 in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for e164, driver in drivers.items():
        bodies = {m["body"] for m in driver.execute_script("mobile: listSms", {})["items"]}
        assert bodies == {e164}


def test_standalone_module_serves_until_interrupted() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert match, first
        with urllib.request.urlopen(match.group(0) + "/status", timeout=5) as response:
            assert json.loads(response.read())["value"]["ready"] is True
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert "Stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
