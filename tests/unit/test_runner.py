"""The runner's auto-wait and barrier detection, on a scripted in-memory device.

The device here is a small state machine over page sources (a unit-test double of the
``Device`` protocol); the same flows run against the simulator and real Appium in the
integration tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from harness.devices.base import DeviceInfo, ElementGone, SessionLost, Sms
from harness.outcomes import AccessLevel, Backend, Barrier, Failure, Stage, Status
from harness.rules import shared_rules
from harness.runner import (
    RULE_CALLING_CODE_ABSENT,
    RULE_SMS_TIMEOUT,
    Runner,
    RunnerSettings,
)
from harness.scenarios import Step, load_scenario
from harness.screen import Screen

PKG = "org.example.app"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedDevice:
    """Screens by name; taps on a text move to another screen; SMS arrive on request."""

    def __init__(self, screens: dict[str, list[str]], start: str,
                 taps: dict[tuple[str, str], str], make_screen: Callable[..., str],
                 sms_on: str | None = None, sms_body: str = "Your code is 482913",
                 vanish_once: bool = False) -> None:
        self.screens = screens
        self.current = start
        self.taps = taps
        self.make = make_screen
        self.sms: list[Sms] = [Sms("old", "1", "old code 111111")]
        self.sms_on = sms_on
        self.sms_body = sms_body
        self.typed: list[tuple[str, str]] = []
        self.vanish_once = vanish_once
        self.reads = 0
        self.closed = False

    @property
    def device_id(self) -> str:
        return "fake-1"

    @property
    def backend(self) -> Backend:
        return Backend.SIM

    def page_source(self) -> str:
        self.reads += 1
        return self.make(self.screens[self.current], package=PKG)

    def screenshot(self) -> bytes:
        return b"\x89PNG fake"

    def _label(self, locators: Sequence[tuple[str, str]]) -> str:
        screen = Screen(self.page_source(), PKG)
        for _by, value in locators:
            for node in screen.xpath(value) if value.startswith("//") else []:
                return node.text
        raise ElementGone("no element")

    def tap(self, locators: Sequence[tuple[str, str]]) -> None:
        if self.vanish_once:
            self.vanish_once = False
            raise ElementGone("moved")
        label = self._label(locators)
        if self.sms_on == label:
            self.sms.insert(0, Sms("new", "106900", self.sms_body))
        nxt = self.taps.get((self.current, label))
        if nxt:
            self.current = nxt

    def type_text(self, locators: Sequence[tuple[str, str]], text: str, clear: bool = True
                  ) -> None:
        self.typed.append((self._label(locators), text))

    def launch_app(self, package: str, clear: bool = False) -> None:
        return None

    def stop_app(self, package: str) -> None:
        return None

    def device_info(self) -> DeviceInfo:
        return DeviceInfo(locale="de_DE")

    def list_sms(self, limit: int = 20) -> list[Sms]:
        return list(self.sms)

    def set_location(self, latitude: float, longitude: float, altitude: float = 0.0
                     ) -> None:
        return None

    def close(self) -> None:
        self.closed = True


SCENARIO = """\
id: fake
app: {name: Fake, android_package: org.example.app}
defaults: {timeout: 5}
steps:
  - launch
  - tap: ["Agree", "同意"]
    stage: signup
  - choose_calling_code: {open: "+1", list: "Choose country"}
  - input: {into: "Phone", text: "{phone.national}"}
  - request_otp: {tap: "Get code"}
  - enter_otp: {into: "Code", timeout: 20}
  - tap: "Submit"
  - wait: "Home"
    stage: account
  - feature: post
    steps:
      - tap: "Compose"
      - expect: "Posted"
"""

VARS = {"phone.national": "15112345678", "phone.calling_code": "49",
        "phone.e164": "+4915112345678", "country": "DE"}


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[int, str, str | None, bool]] = []

    def step_started(self, index: int, step: Step, description: str) -> None:
        assert "15112345678" not in description

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None) -> None:
        assert source is None or "15112345678" not in source
        self.events.append((index, outcome, detail, screenshot is not None))


def flow(make_screen: Callable[..., str], **overrides: list[str]) -> dict[str, list[str]]:
    screens = {
        "consent": ["Privacy", "Agree"],
        "phone": ["+1", "Phone", "Get code"],
        "picker": ["Choose country", "Germany +49", "Hong Kong +852"],
        "code": ["Code", "Submit"],
        "home": ["Home", "Compose"],
        "posted": ["Posted"],
    }
    screens.update(overrides)
    return screens


TAPS = {("consent", "Agree"): "phone", ("phone", "+1"): "picker",
        ("picker", "Germany +49"): "phone", ("phone", "Get code"): "code",
        ("code", "Submit"): "home", ("home", "Compose"): "posted"}


def make_runner(tmp_path: Path, device: ScriptedDevice, sink: Sink | None = None,
                text: str = SCENARIO) -> tuple[Runner, FakeClock]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    clock = FakeClock()
    runner = Runner(device, load_scenario(path), shared_rules(), VARS, sink=sink,
                    settings=RunnerSettings(poll_interval=0.5, attempt_timeout=600),
                    clock=clock, sleep=clock.sleep)
    return runner, clock


def test_full_flow_reaches_access_and_types_the_new_code(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    dev = ScriptedDevice(flow(make_screen), "consent", TAPS, make_screen, sms_on="Get code")
    sink = Sink()
    runner, _ = make_runner(tmp_path, dev, sink)
    result = runner.run()
    assert result.verdict.status is Status.ACCESS
    assert result.verdict.access_level is AccessLevel.FULL
    assert result.features == {"post": "ok"}
    assert ("Phone", "15112345678") in dev.typed
    assert ("Code", "482913") in dev.typed  # the new SMS, not the old one
    assert [e[1] for e in sink.events] == ["ok"] * 10
    assert all(e[3] for e in sink.events)  # a screenshot for every step


def test_barrier_rule_fires_while_waiting(tmp_path: Path,
                                         make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, home=["根据国家相关法律法规要求，请完成实名认证", "身份证号"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code")
    runner, _ = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.barrier, v.rule_id) == (
        Status.BARRIER, Barrier.ID_VERIFICATION_REQUIRED, "verify.id.zh_hans")
    assert v.stage is Stage.ACCOUNT
    assert v.access_level is AccessLevel.NONE
    assert "实名认证" in (v.matched_text or "")


def test_feature_gate_gives_limited_access(tmp_path: Path,
                                          make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, posted=["发布内容前需完成实名认证（绑定中国大陆手机号）"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code")
    runner, _ = make_runner(tmp_path, dev)
    result = runner.run()
    v = result.verdict
    assert (v.status, v.barrier, v.stage) == (
        Status.BARRIER, Barrier.FEATURE_RESTRICTED, Stage.FEATURES)
    assert v.access_level is AccessLevel.LIMITED
    assert result.features == {"post": "barrier:feature_restricted"}


def test_unknown_screen_is_ui_unrecognized_after_the_step_timeout(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, consent=["Something new", "Continue"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen)
    sink = Sink()
    runner, clock = make_runner(tmp_path, dev, sink)
    v = runner.run().verdict
    assert (v.status, v.failure) == (Status.FAILURE, Failure.UI_UNRECOGNIZED)
    assert "step #1 (tap, " in (v.detail or "") and "s.yaml:6)" in (v.detail or "")
    assert "Agree" in (v.detail or "")
    assert 5.0 <= clock.now < 6.5  # waited the step's timeout, then stopped
    assert dev.reads >= 5  # polled, not one fixed sleep
    assert sink.events[-1][1] == "failure:ui_unrecognized"


def test_calling_code_not_offered(tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, picker=["Choose country", "China +86", "Hong Kong +852"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen)
    runner, _ = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.barrier, v.rule_id) == (
        Status.BARRIER, Barrier.PHONE_COUNTRY_UNSUPPORTED, RULE_CALLING_CODE_ABSENT)
    assert v.stage is Stage.PHONE


def test_calling_code_prefix_is_not_a_match(tmp_path: Path,
                                            make_screen: Callable[..., str]) -> None:
    # +49 must not be taken for +491 / +4930
    screens = flow(make_screen, picker=["Choose country", "Somewhere +491"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen)
    runner, _ = make_runner(tmp_path, dev)
    assert runner.run().verdict.barrier is Barrier.PHONE_COUNTRY_UNSUPPORTED


def test_sms_that_never_comes_is_a_barrier(tmp_path: Path,
                                          make_screen: Callable[..., str]) -> None:
    dev = ScriptedDevice(flow(make_screen), "consent", TAPS, make_screen, sms_on=None)
    runner, clock = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.barrier, v.rule_id, v.stage) == (
        Status.BARRIER, Barrier.SMS_NOT_DELIVERED, RULE_SMS_TIMEOUT, Stage.OTP)
    assert clock.now >= 20


def test_element_gone_between_read_and_tap_is_retried(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    dev = ScriptedDevice(flow(make_screen), "consent", TAPS, make_screen, sms_on="Get code",
                         vanish_once=True)
    runner, _ = make_runner(tmp_path, dev)
    assert runner.run().verdict.status is Status.ACCESS


def test_session_lost_is_a_failure_not_a_barrier(tmp_path: Path,
                                                make_screen: Callable[..., str]) -> None:
    dev = ScriptedDevice(flow(make_screen), "consent", TAPS, make_screen)

    def broken() -> str:
        raise SessionLost("the Appium endpoint stopped answering")

    dev.page_source = broken  # type: ignore[method-assign]
    runner, _ = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.failure) == (Status.FAILURE, Failure.SESSION_ERROR)


def test_attempt_budget_gives_timeout(tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, consent=["Loading"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("timeout: 5", "timeout: 300"), encoding="utf-8")
    clock = FakeClock()
    runner = Runner(dev, load_scenario(path), shared_rules(), VARS,
                    settings=RunnerSettings(attempt_timeout=30), clock=clock,
                    sleep=clock.sleep)
    v = runner.run().verdict
    assert (v.status, v.failure) == (Status.FAILURE, Failure.TIMEOUT)
    assert clock.now < 40


@pytest.mark.parametrize("poll", [0.1, 0.3])
def test_polling_backs_off_but_not_past_the_cap(tmp_path: Path, poll: float,
                                               make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, consent=["Loading"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    clock = FakeClock()
    runner = Runner(dev, load_scenario(path), shared_rules(), VARS,
                    settings=RunnerSettings(poll_interval=poll, max_poll_interval=1.0),
                    clock=clock, sleep=clock.sleep)
    runner.run()
    # 5 s timeout: at least 5 reads at a 1 s cap, far fewer than at a fixed 0.1 s
    assert 5 <= dev.reads <= 5 / poll + 2
