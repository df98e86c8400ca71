"""The runner's auto-wait and barrier detection, on a scripted in-memory device.

The device here is a small state machine over page sources (a unit-test double of the
``Device`` protocol); the same flows run against the simulator and real Appium in the
integration tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from harness.attempt.runner import RULE_CALLING_CODE_ABSENT, RULE_SMS_TIMEOUT, Runner
from harness.attempt.settings import RunnerSettings
from harness.devices.base import DeviceInfo, ElementGone, SessionLost, Sms
from harness.spec.scenarios import load_scenario
from harness.spec.steps import Step
from harness.verdicts.rules import shared_rules
from harness.verdicts.screen import Screen
from harness.vocabulary.outcomes import AccessLevel, Backend, Barrier, Failure, Stage, Status

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
        self.taps_at: list[tuple[int, int]] = []
        self.shots = self.finds = 0
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
        self.shots += 1
        return b"\x89PNG fake"

    def _label(self, locators: Sequence[tuple[str, str]]) -> str:
        self.finds += 1
        screen = Screen(self.page_source(), PKG)
        for _by, value in locators:
            for node in screen.xpath(value) if value.startswith("//") else []:
                return node.text
        raise ElementGone("no element")

    def _label_at(self, x: int, y: int) -> str:
        """The text of the topmost node under (x, y), as a touch would land."""
        screen = Screen(self.page_source(), PKG)
        hits = [n for n in screen.nodes() if n.text and n.bounds is not None
                and n.bounds[0] <= x < n.bounds[2] and n.bounds[1] <= y < n.bounds[3]]
        if not hits:
            raise ElementGone("nothing under the point")
        return hits[-1].text

    def tap(self, locators: Sequence[tuple[str, str]]) -> None:
        self._press(lambda: self._label(locators))

    def tap_at(self, x: int, y: int) -> None:
        self.taps_at.append((x, y))
        self._press(lambda: self._label_at(x, y))

    def type_at(self, x: int, y: int, text: str) -> None:
        self.typed.append((self._label_at(x, y), text))

    def _press(self, find: Callable[[], str]) -> None:
        if self.vanish_once:
            self.vanish_once = False
            raise ElementGone("moved")
        label = find()
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
        self.events: list[tuple[int, str, str | None, bool, bool]] = []
        self.observations: list[list[dict[str, object]]] = []
        self.sources: list[str | None] = []
        self.kinds: list[str] = []
        self.steps: list[Step] = []

    def step_started(self, index: int, step: Step, description: str) -> None:
        assert "15112345678" not in description
        self.kinds.append(step.kind)
        self.steps.append(step)

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None,
                      observations: list[dict[str, object]] | None = None) -> None:
        assert source is None or "15112345678" not in source
        self.events.append((index, outcome, detail, screenshot is not None,
                            source is not None))
        self.sources.append(source)
        self.observations.append(observations or [])


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
                text: str = SCENARIO, settings: RunnerSettings | None = None,
                notify: Callable[[str], None] | None = None) -> tuple[Runner, FakeClock]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    clock = FakeClock()
    runner = Runner(device, load_scenario(path), shared_rules(), VARS, sink=sink,
                    settings=settings or RunnerSettings(poll_interval=0.5,
                                                        attempt_timeout=600),
                    clock=clock, sleep=clock.sleep, notify=notify)
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
    # by default a screenshot of each stage's first screen (launch has no screen)
    stages = [step.stage for step in sink.steps]
    firsts = [i for i, st in enumerate(stages) if st not in stages[:i] and i > 0]
    assert [i for i, e in enumerate(sink.events) if e[3]] == firsts
    assert all(e[4] for e in sink.events[1:])  # every step keeps its page source
    # taps went to the elements' places (one command each, no locator finds); the two
    # fields show text of their own (no hint), so they are cleared and typed by locator
    assert len(dev.taps_at) == 6 and dev.finds == 2


def test_screenshot_policies_all_and_none(tmp_path: Path,
                                          make_screen: Callable[..., str]) -> None:
    for policy, expected in (("all", True), ("none", False)):
        dev = ScriptedDevice(flow(make_screen), "consent", TAPS, make_screen,
                             sms_on="Get code")
        sink = Sink()
        runner, _ = make_runner(tmp_path, dev, sink, settings=RunnerSettings(
            poll_interval=0.5, attempt_timeout=600, screenshots=policy))
        assert runner.run().verdict.status is Status.ACCESS
        assert [e[3] for e in sink.events[1:]] == [expected] * 9, policy
        # a step that starts on the screen the previous one shot reuses its screenshot:
        # one device command per distinct screen
        sources = sink.sources[1:]
        distinct = 1 + sum(a != b for a, b in itertools.pairwise(sources))
        assert distinct < 9
        assert dev.shots == (distinct if expected else 0)
        assert runner.shots.taken == dev.shots
        assert runner.shots.reused == (9 - distinct if expected else 0)


def test_barrier_rule_fires_while_waiting(tmp_path: Path,
                                         make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, home=["根据国家相关法律法规要求，请完成实名认证", "身份证号"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code")
    runner, _ = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.barrier, v.rule_id) == (
        Status.BARRIER, Barrier.ID_VERIFICATION_REQUIRED, "verify.id")
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


# --------------------------------------------------------------------------- two signals


def dialog_over(texts: list[str], message: str, buttons: list[str],
                make_screen: Callable[..., str]) -> str:
    """A page with ``texts`` and an alert dialog on top in its own window."""
    page = make_screen(texts, package=PKG)
    btns = "".join(
        f'<android.widget.Button package="{PKG}" class="android.widget.Button" text="{b}" '
        f'resource-id="android:id/button{i + 1}" clickable="true" displayed="true" '
        f'bounds="[100,{1400 + i * 10}][900,{1500 + i * 10}]"/>' for i, b in enumerate(buttons))
    dialog = (f'<android.widget.FrameLayout package="{PKG}" class="android.widget.FrameLayout" '
              'displayed="true" bounds="[80,900][1000,1600]">'
              f'<android.widget.LinearLayout package="{PKG}" resource-id="android:id/parentPanel" '
              'class="android.widget.LinearLayout" displayed="true" bounds="[80,900][1000,1600]">'
              f'<android.widget.TextView package="{PKG}" class="android.widget.TextView" '
              f'resource-id="android:id/message" text="{message}" displayed="true" '
              f'bounds="[120,950][960,1300]"/>{btns}</android.widget.LinearLayout>'
              '</android.widget.FrameLayout>')
    return page.replace("</hierarchy>", dialog + "</hierarchy>")


class TimedDevice(ScriptedDevice):
    """A scripted device whose current screen can also be replaced by raw XML, or change
    after a number of reads (a list that loads, a toast that goes away)."""

    def __init__(self, *args: object, raw: dict[str, str] | None = None,
                 after: dict[str, tuple[int, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.raw = raw or {}
        self.after = after or {}
        self.reads_on: dict[str, int] = {}

    def page_source(self) -> str:
        self.reads += 1
        n = self.reads_on[self.current] = self.reads_on.get(self.current, 0) + 1
        if self.current in self.after and n > self.after[self.current][0]:
            self.current = self.after[self.current][1]
        if self.current in self.raw:
            return self.raw[self.current]
        return self.make(self.screens[self.current], package=PKG)

    def tap(self, locators: Sequence[tuple[str, str]]) -> None:
        for by, value in locators:
            if by == "id" and "permission" in value:
                self.current = self.after_permission
                return
        super().tap(locators)

    after_permission = "phone"


def test_a_candidate_the_flow_goes_past_is_an_observation_not_a_verdict(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    # a notice that once said "too frequent" goes away; the code field appears after it
    screens = flow(make_screen, wait=["操作过于频繁，请稍后再试"])
    taps = {**TAPS, ("phone", "Get code"): "wait"}
    dev = TimedDevice(screens, "consent", taps, make_screen, sms_on="Get code",
                      after={"wait": (2, "code")})
    sink = Sink()
    runner, _ = make_runner(tmp_path, dev, sink)
    result = runner.run()
    assert result.verdict.status is Status.ACCESS
    seen = [o for obs in sink.observations for o in obs]
    assert [(o["rule_id"], o["how"]) for o in seen] == [("risk.rate_limit", "went away")]


def test_a_candidate_that_persists_while_the_flow_is_stopped_is_the_verdict(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, code=["操作过于频繁，请明天再试"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code")
    runner, clock = make_runner(tmp_path, dev)
    started = []
    real = runner._read

    def read(step: Step) -> tuple[Screen, object]:
        out = real(step)
        if out[1] is not None and not started:
            started.append(clock.now)
        return out  # type: ignore[return-value]

    runner._read = read  # type: ignore[method-assign]
    v = runner.run().verdict
    assert (v.status, v.barrier, v.rule_id) == (Status.BARRIER, Barrier.RISK_CONTROL_BLOCK,
                                                "risk.rate_limit")
    # concluded after the settle time (3 s by default), long before the step's timeout
    assert 3.0 <= clock.now - started[0] < 5.0


def test_the_target_behind_the_dialog_that_said_no_has_not_appeared(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen)
    raw = {"home": dialog_over(["Home", "Compose"], "根据相关法律法规，请先完成实名认证",
                               ["取消", "去认证"], make_screen)}
    dev = TimedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code", raw=raw)
    runner, _ = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.barrier, v.rule_id, v.stage) == (
        Status.BARRIER, Barrier.ID_VERIFICATION_REQUIRED, "verify.id", Stage.ACCOUNT)


def test_a_routine_challenge_is_not_a_barrier(tmp_path: Path,
                                              make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, slider=["安全验证", "拖动下方滑块完成拼图"])
    taps = {**TAPS, ("phone", "Get code"): "slider"}
    dev = ScriptedDevice(screens, "consent", taps, make_screen, sms_on="Get code")
    runner, _ = make_runner(tmp_path, dev)
    v = runner.run().verdict
    assert (v.status, v.failure, v.barrier, v.rule_id) == (
        Status.FAILURE, Failure.CHALLENGE_REQUIRED, None, "challenge.solvable")


def test_an_attending_operator_solves_the_challenge_and_the_attempt_goes_on(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, slider=["安全验证", "拖动下方滑块完成拼图"])
    taps = {**TAPS, ("phone", "Get code"): "slider"}
    dev = TimedDevice(screens, "consent", taps, make_screen, sms_on="Get code",
                      after={"slider": (12, "code")})  # the operator drags it
    told: list[str] = []
    sink = Sink()
    runner, _ = make_runner(tmp_path, dev, sink,
                            settings=RunnerSettings(poll_interval=0.5, attended=True),
                            notify=told.append)
    result = runner.run()
    assert result.verdict.status is Status.ACCESS
    assert len(told) == 1 and "solve the challenge" in told[0]
    i = sink.kinds.index("challenge")  # step indices are given in start order
    assert [(e[1], e[2]) for e in sink.events if e[0] == i] == [
        ("ok", "solved by the operator")]


def test_a_permission_dialog_is_answered_and_recorded(tmp_path: Path,
                                                      make_screen: Callable[..., str]) -> None:
    perm = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            '<hierarchy rotation="0"><node class="android.widget.FrameLayout" '
            'package="com.android.permissioncontroller" text="" bounds="[0,0][1080,2400]">'
            '<node class="android.widget.TextView" package="com.android.permissioncontroller" '
            'resource-id="com.android.permissioncontroller:id/permission_message" '
            'text="允许“Fake”获取此设备的位置信息吗？" bounds="[0,0][1080,200]"/>'
            '<node class="android.widget.Button" package="com.android.permissioncontroller" '
            'resource-id="com.android.permissioncontroller:id/'
            'permission_allow_foreground_only_button" '
            'text="仅在使用该应用时允许" clickable="true" bounds="[0,300][1080,400]"/>'
            '<node class="android.widget.Button" package="com.android.permissioncontroller" '
            'resource-id="com.android.permissioncontroller:id/permission_deny_button" '
            'text="拒绝" clickable="true" bounds="[0,500][1080,600]"/></node></hierarchy>')
    taps = {**TAPS, ("consent", "Agree"): "perm"}
    dev = TimedDevice(flow(make_screen), "consent", taps, make_screen, sms_on="Get code",
                      raw={"perm": perm})
    sink = Sink()
    runner, _ = make_runner(tmp_path, dev, sink)
    assert runner.run().verdict.status is Status.ACCESS
    assert sink.kinds.count("permissiondialog") == 1
    i = sink.kinds.index("permissiondialog")  # step indices are given in start order
    [event] = [e for e in sink.events if e[0] == i]
    assert event[1] == "ok" and "仅在使用该应用时允许" in (event[2] or "")


def test_a_calling_code_list_that_is_still_loading_is_not_a_barrier(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    # the search debounces: the first reads show a list without +49, then it arrives
    screens = flow(make_screen, loading=["Choose country", "China +86"])
    taps = {**TAPS, ("phone", "+1"): "loading"}
    dev = TimedDevice(screens, "consent", taps, make_screen, sms_on="Get code",
                      after={"loading": (3, "picker")})
    runner, _ = make_runner(tmp_path, dev)
    assert runner.run().verdict.status is Status.ACCESS


def test_a_broken_feature_check_after_the_account_leaves_limited_access(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, posted=["Something else entirely"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code")
    runner, _ = make_runner(tmp_path, dev)
    result = runner.run()
    v = result.verdict
    assert (v.status, v.access_level) == (Status.ACCESS, AccessLevel.LIMITED)
    assert result.features == {"post": "failure:ui_unrecognized"}
    assert "feature post: failure:ui_unrecognized" in (v.detail or "")


def test_evidence_keeps_every_number_but_the_attempts_own(
        tmp_path: Path, make_screen: Callable[..., str]) -> None:
    screens = flow(make_screen, code=["验证码已发送至 +49 151 1234 5678", "Code", "Submit",
                                      "客服电话 +86 10 6900 1234", "151****78"])
    dev = ScriptedDevice(screens, "consent", TAPS, make_screen, sms_on="Get code")
    sources: list[str] = []

    class Keep(Sink):
        def step_finished(self, index: int, outcome: str, detail: str | None,
                          source: str | None, screenshot: bytes | None,
                          observations: list[dict[str, object]] | None = None) -> None:
            super().step_finished(index, outcome, detail, source, screenshot, observations)
            if source:
                sources.append(source)

    runner, _ = make_runner(tmp_path, dev, Keep())
    runner.run()
    joined = "\n".join(sources)
    assert "+86 10 6900 1234" in joined  # the app's own number stays
    assert "151 1234 5678" not in joined and "151****78" not in joined
    assert "482913" not in joined
