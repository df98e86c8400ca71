"""The harness's Appium device layer against a real Appium 3 server (fake driver).

These prove the production path (appium-python-client -> W3C -> Appium) rather than our
own simulator: sessions from profile capabilities, find, click, type, page source,
screenshot, unsupported UiAutomator2 commands, error mapping and recovery.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from _appium import AppiumServer

from harness.attempt.run import run_attempt
from harness.devices.appium import AppiumDevice
from harness.devices.base import DeviceUnavailable, ElementGone, SessionLost
from harness.devices.capabilities import build_capabilities
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage import Store
from harness.vocabulary.outcomes import Backend, Barrier, Failure, Status

FAKEAPP = Path(__file__).resolve().parents[1] / "fixtures" / "fakeapp"
PHONE = "+4915123456789"


def profile_for(tmp: Path, app: str, udid: str | None = None) -> Path:
    path = tmp / "FAKE-DE.yaml"
    path.write_text(f"""\
id: FAKE-DE
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
gps: [52.52, 13.405]
phone: "{PHONE}"
device:
  {"udid: " + udid if udid else "emulator: harness_DE"}
  capabilities:
    platformName: Fake
    appium:automationName: Fake
    appium:deviceName: Fake
    appium:app: {FAKEAPP / app}
""", encoding="utf-8")
    return path


SCENARIO = """\
id: fake-signup
app: {name: Fake, android_package: org.harnessdemo.fake}
defaults: {timeout: 5}
steps:
  - launch: {clear: true}
  - tap: ["同意", "Agree"]
    stage: signup
  - input: {into: {xpath: "//MockInputField[@id='phone_input']"}, text: "{phone.national}"}
    stage: phone
  - tap: "Get code"
  - wait: "Welcome"
    stage: account
"""


def caps_for(tmp: Path, app: str = "signup.xml") -> dict[str, object]:
    profile = load_profile(profile_for(tmp, app))
    return build_capabilities(profile, profile.resolve_phone(Backend.APPIUM), Backend.APPIUM)


def alive(server: AppiumServer, session_id: str) -> bool:
    """Ask the server itself whether it knows the session."""
    resp = httpx.get(f"{server.url}/session/{session_id}/source", timeout=5)
    return resp.status_code == 200


def test_session_from_profile_capabilities(appium_server: AppiumServer, tmp_path: Path) -> None:
    caps = caps_for(tmp_path)
    assert caps["appium:avd"] == "harness_DE"  # the profile's target is still there
    dev = AppiumDevice.open(appium_server.url, caps)
    try:
        assert alive(appium_server, dev.session_id)
        assert dev.device_id == "harness_DE"
    finally:
        dev.close()
    assert not alive(appium_server, dev.session_id)


def test_a_real_appium_server_takes_the_stream_screenshot_capabilities(
        appium_server: AppiumServer, tmp_path: Path) -> None:
    """The MJPEG stream's capabilities in the shape Appium 3 reads: its settings reach the
    session's settings (the fake driver has no stream, so it still shoots itself)."""
    path = profile_for(tmp_path, "signup.xml")
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  capabilities:", "  mjpeg_port: 7810\n  capabilities:"), encoding="utf-8")
    profile = load_profile(path)
    caps = build_capabilities(profile, profile.resolve_phone(Backend.APPIUM), Backend.APPIUM)
    dev = AppiumDevice.open(appium_server.url, caps)
    try:
        settings = httpx.get(f"{appium_server.url}/session/{dev.session_id}/appium/settings",
                             timeout=5).json()["value"]
        assert settings["mjpegScalingFactor"] == 100
        assert settings["mjpegServerScreenshotQuality"] == 80
        assert dev.screenshot().startswith(b"\x89PNG")
    finally:
        dev.close()


def test_find_click_type_source_screenshot(appium_server: AppiumServer, tmp_path: Path) -> None:
    dev = AppiumDevice.open(appium_server.url, caps_for(tmp_path))
    try:
        dev.launch_app("org.harnessdemo.fake", clear=True)  # no mobile: commands: tolerated
        dev.tap([("xpath", "//*[@text='nothing']"), ("xpath", "//*[@text='同意']")])
        dev.tap([("id", "agree")])
        el = dev._driver.find_element("id", "agree")
        assert el.get_attribute("clicks") == "2"
        dev.type_text([("id", "phone_input")], "15123456789")
        assert dev._driver.find_element("id", "phone_input").text == "15123456789"
        with pytest.raises(ElementGone):
            dev.tap([("id", "no_such_element")])
        source = dev.page_source()
        assert "Sign up with phone" in source and "<MockWindow" in source
        png = dev.screenshot()
        assert png.startswith(b"\x89PNG") and len(png) > 1000
        dev.set_location(52.52, 13.405)
        assert dev._driver.location["latitude"] == pytest.approx(52.52)
    finally:
        dev.close()


def test_taps_and_typing_by_coordinates_reach_appium_as_w3c_actions(
        appium_server: AppiumServer, tmp_path: Path) -> None:
    """Through a real Appium server: a tap goes out as one W3C pointer action at the
    centre of the element's bounds in the page source, typing as one request with the tap
    and the key presses; an element without a usable box is found by its locator."""
    from harness.attempt.touch import Touch
    from harness.spec.selectors import Selector, SelectorKind
    from harness.verdicts.screen import Screen

    dev = AppiumDevice.open(appium_server.url, caps_for(tmp_path, "bounds.xml"))
    try:
        screen = Screen(dev.page_source(), "org.harnessdemo.fake")
        touch = Touch(dev)
        agree = Selector(SelectorKind.TEXT, ("同意",))
        touch.tap(agree, agree.find(screen))  # type: ignore[arg-type]
        field = Selector(SelectorKind.XPATH, ("//MockInputField[@id='phone_input']",))
        touch.type(field, field.find(screen), "15123456789", True)  # type: ignore[arg-type]
        log = dev._driver.get_log("actions")
        assert len(log) == 2  # one request per action, nothing else
        (tap,), (finger, keys) = log
        move = tap["actions"][0]
        assert (move["type"], move["x"], move["y"]) == ("pointerMove", 300, 360)
        assert [a["type"] for a in tap["actions"][1:]] == ["pointerDown", "pointerUp"]
        assert (finger["actions"][0]["x"], finger["actions"][0]["y"]) == (540, 660)
        typed = "".join(a["value"] for a in keys["actions"] if a["type"] == "keyDown")
        assert typed == "15123456789"
        assert dev._driver.find_element("id", "agree").get_attribute("clicks") in ("", "0", None)
        code = Selector(SelectorKind.TEXT, ("Get code",))  # a zero-size box: by locator
        touch.tap(code, code.find(screen))  # type: ignore[arg-type]
        assert len(dev._driver.get_log("actions")) == 2
        assert dev._driver.find_element("id", "get_code").get_attribute("clicks") == "1"
    finally:
        dev.close()


def test_refused_capabilities_are_device_unavailable(appium_server: AppiumServer) -> None:
    with pytest.raises(DeviceUnavailable, match="refused to open a session"):
        AppiumDevice.open(appium_server.url, {"platformName": "Fake",
                                              "appium:automationName": "Fake"})


def _attempt(store: Store, server: AppiumServer, tmp: Path, app: str) -> tuple[str, object]:
    scen_path = tmp / "fake.yaml"
    scen_path.write_text(SCENARIO, encoding="utf-8")
    profile = load_profile(profile_for(tmp, app))
    run_id = store.start_run("appium", "test")
    result = run_attempt(
        store=store, run_id=run_id, scenario=load_scenario(scen_path), profile=profile,
        phone=profile.resolve_phone(Backend.APPIUM), backend=Backend.APPIUM,
        open_device=lambda caps: AppiumDevice.open(server.url, caps, attempts=2))
    return result.measurement_id, result.verdict


def test_scenario_attempt_through_real_appium(appium_server: AppiumServer,
                                              tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "r.db"))
    try:
        mid, verdict = _attempt(store, appium_server, tmp_path, "signup.xml")
        assert verdict.status is Status.ACCESS  # type: ignore[attr-defined]
        m = store.get_measurement(mid)
        assert m is not None and m.backend == "appium" and m.steps_done == 5
        assert "15123456789" not in repr(m.capabilities)
        kinds = [a.kind for a in m.artifacts]
        # every step with a screen keeps the page source it was decided on (launch has
        # none); screenshots by the default policy: the first screen of each stage
        # (signup, phone, account)
        assert kinds.count("page_source") == 4 and kinds.count("screenshot") == 3
        mid, verdict = _attempt(store, appium_server, tmp_path, "rejected.xml")
        assert verdict.status is Status.BARRIER  # type: ignore[attr-defined]
        assert verdict.barrier is Barrier.PHONE_NUMBER_REJECTED  # type: ignore[attr-defined]
        assert verdict.rule_id == "phone.number_rejected"  # type: ignore[attr-defined]
    finally:
        store.close()


def test_killed_server_is_a_session_error_and_the_next_attempt_recovers(
        own_appium_server: AppiumServer, tmp_path: Path) -> None:
    server = own_appium_server
    dev = AppiumDevice.open(server.url, caps_for(tmp_path))
    assert "Sign up" in dev.page_source()
    server.kill()
    with pytest.raises(SessionLost, match="stopped answering"):
        dev.page_source()
    dev.close()  # closing a dead session must not raise

    store = Store.open(str(tmp_path / "r.db"))
    try:
        _mid, verdict = _attempt(store, server, tmp_path, "signup.xml")
        assert verdict.status is Status.FAILURE  # type: ignore[attr-defined]
        assert verdict.failure is Failure.DEVICE_UNAVAILABLE  # type: ignore[attr-defined]
        server.start()  # the server comes back on the same port
        _, verdict = _attempt(store, server, tmp_path, "signup.xml")
        assert verdict.status is Status.ACCESS  # type: ignore[attr-defined]
    finally:
        store.close()


def test_server_killed_mid_attempt_is_recorded_as_session_error(
        own_appium_server: AppiumServer, tmp_path: Path) -> None:
    server = own_appium_server
    scen_path = tmp_path / "fake.yaml"
    # the last step waits for a text that never comes; the server dies while it polls
    scen_path.write_text(SCENARIO.replace('wait: "Welcome"', 'wait: "Never shown"')
                         .replace("timeout: 5", "timeout: 30"), encoding="utf-8")
    profile = load_profile(profile_for(tmp_path, "signup.xml"))
    store = Store.open(str(tmp_path / "r.db"))
    import threading

    def open_and_schedule_kill(caps: object) -> AppiumDevice:
        dev = AppiumDevice.open(server.url, caps, attempts=1)  # type: ignore[arg-type]
        threading.Timer(2.0, server.kill).start()
        return dev

    try:
        run_id = store.start_run("appium", "test")
        result = run_attempt(
            store=store, run_id=run_id, scenario=load_scenario(scen_path), profile=profile,
            phone=profile.resolve_phone(Backend.APPIUM), backend=Backend.APPIUM,
            open_device=open_and_schedule_kill)
        v = result.verdict
        assert (v.status, v.failure) == (Status.FAILURE, Failure.SESSION_ERROR)
        m = store.get_measurement(result.measurement_id)
        assert m is not None and m.status == "failure" and m.failure == "session_error"
        assert "127.0.0.1" not in (m.failure_detail or "")  # scrubbed
    finally:
        store.close()
