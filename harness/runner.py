"""The runner: executes a scenario's steps on a device, with auto-wait and barrier detection.

Each step polls the screen until its target appears. On every poll the barrier rules are
checked first: a match ends the attempt as a ``barrier`` with the rule's id and the
matched text. If neither the target nor a rule appears before the step's timeout, the
attempt ends as ``failure: ui_unrecognized`` with the screen saved, so a scenario author
can add the missing rule. There are no fixed sleeps, only a short poll interval between
screen reads. Instrument faults (``DeviceError``) end the attempt as failures; they are
never retried into a different verdict here (``harness.devices.appium`` retries the
idempotent reads).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from harness.devices.base import Device, DeviceError, ElementGone
from harness.evidence import redact_screenshot
from harness.otp import DeviceSmsSource, OtpSource, OtpSourceError
from harness.outcomes import AccessLevel, Barrier, Failure, Stage, Status, Verdict
from harness.rules import RuleMatch, RuleSet
from harness.scenarios import (
    ChooseCallingCode,
    EnterOtp,
    Feature,
    Input,
    Launch,
    RequestOtp,
    Scenario,
    Step,
    Tap,
    Wait,
)
from harness.screen import Node, Screen, ScreenParseError
from harness.secrets import scrub
from harness.selectors import Selector, SelectorKind
from harness.templates import SECRET_VARIABLES, is_secret, render

log = logging.getLogger(__name__)

#: Rule ids of verdicts the runner itself concludes (not from the rule library).
RULE_CALLING_CODE_ABSENT = "builtin.calling_code_absent"
RULE_SMS_TIMEOUT = "builtin.sms_timeout"


class EvidenceSink(Protocol):
    """Receives each step's start and end with its evidence (page source, screenshot)."""

    def step_started(self, index: int, step: Step, description: str) -> None: ...

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None) -> None: ...


class NullSink:
    def step_started(self, index: int, step: Step, description: str) -> None:
        return None

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None) -> None:
        return None


@dataclass(frozen=True)
class RunnerSettings:
    poll_interval: float = 0.2
    max_poll_interval: float = 1.0
    attempt_timeout: float = 900.0
    #: Consecutive polls a calling-code list must show without the code before the
    #: runner concludes the code is not offered (lists filter and animate).
    settle_polls: int = 2
    screenshots: bool = True


class _Stop(Exception):
    """Ends the attempt with ``verdict``; the screen is the evidence."""

    def __init__(self, verdict: Verdict, screen: Screen | None) -> None:
        self.verdict = verdict
        self.screen = screen
        super().__init__(verdict.outcome)


@dataclass
class RunResult:
    verdict: Verdict
    steps_done: int
    features: dict[str, str] = field(default_factory=dict)


class Runner:
    """Runs one scenario on one open device session for one profile's variables."""

    def __init__(self, device: Device, scenario: Scenario, rules: RuleSet,
                 variables: dict[str, str], sink: EvidenceSink | None = None,
                 settings: RunnerSettings | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 otp: OtpSource | None = None) -> None:
        self.device = device
        self.otp: OtpSource = otp or DeviceSmsSource(device)
        self.scenario = scenario
        self.rules = rules.with_app_rules(scenario.rules)
        self.vars = dict(variables)
        self.sink = sink or NullSink()
        self.settings = settings or RunnerSettings()
        self.clock = clock
        self.sleep = sleep
        self.package = scenario.app.android_package
        self._secrets = [v for k, v in variables.items() if k in SECRET_VARIABLES and v]
        self._deadline = 0.0
        self._index = 0
        self._account = False
        self._features: dict[str, str] = {}
        self._last_screen: Screen | None = None

    # ------------------------------------------------------------------ public

    def run(self) -> RunResult:
        self._deadline = self.clock() + self.settings.attempt_timeout
        stage = Stage.LAUNCH
        try:
            for step in self.scenario.steps:
                stage = step.stage
                self._run_step(step)
        except _Stop as stop:
            return RunResult(stop.verdict, self._index, dict(self._features))
        final_stage = stage
        level = AccessLevel.FULL
        return RunResult(
            Verdict(status=Status.ACCESS, stage=final_stage, access_level=level),
            self._index, dict(self._features),
        )

    # ------------------------------------------------------------------ steps

    def _run_step(self, step: Step) -> None:
        if isinstance(step, Feature):
            self._run_feature(step)
            return
        index = self._index
        self._index += 1
        self.sink.step_started(index, step, self._describe(step))
        screen: Screen | None = None
        try:
            screen = self._execute(step)
        except _Stop as stop:
            if step.optional and stop.verdict.failure is Failure.UI_UNRECOGNIZED:
                # an optional step (a dialog that only sometimes shows) is skipped
                self._finish(index, "skipped", stop.verdict.detail, stop.screen)
                return
            self._finish(index, stop.verdict.outcome, stop.verdict.detail,
                         stop.screen or self._last_screen)
            raise
        except DeviceError as exc:
            verdict = self._failure(step, exc.failure, exc.message)
            self._finish(index, verdict.outcome, verdict.detail, None)
            raise _Stop(verdict, None) from None
        self._finish(index, "ok", None, screen)
        if step.stage.order >= Stage.ACCOUNT.order and step.stage is not Stage.FEATURES:
            self._account = True

    def _run_feature(self, step: Feature) -> None:
        if not self._account:
            self._account = True  # a feature is only checked once an account exists
        try:
            for inner in step.steps:
                self._run_step(inner)
        except _Stop as stop:
            self._features[step.feature] = stop.verdict.outcome
            raise
        self._features[step.feature] = "ok"

    def _execute(self, step: Step) -> Screen | None:
        if isinstance(step, Launch):
            self.device.launch_app(self.package, clear=step.clear)
            return None
        if isinstance(step, Tap):
            return self._act(step, step.target, lambda locs: self.device.tap(locs))
        if isinstance(step, Input):
            text = self._render(step.text)
            return self._act(step, step.target,
                             lambda locs: self.device.type_text(locs, text, step.clear))
        if isinstance(step, Wait):
            screen, _node = self._await(step, step.target)
            return screen
        if isinstance(step, ChooseCallingCode):
            return self._choose_calling_code(step)
        if isinstance(step, RequestOtp):
            self.otp.prepare()
            return self._act(step, step.target, lambda locs: self.device.tap(locs))
        if isinstance(step, EnterOtp):
            return self._enter_otp(step)
        raise TypeError(f"unknown step {step!r}")

    # ------------------------------------------------------------------ polling

    def _read(self, stage: Stage) -> Screen:
        """One screen read; a barrier rule match ends the attempt."""
        source = self.device.page_source()
        try:
            screen = Screen(source, self.package)
        except ScreenParseError as exc:
            raise DeviceError(f"the device returned an unreadable page source: {exc}"
                              ) from None
        self._last_screen = screen
        match = self.rules.classify(screen, stage)
        if match is not None:
            raise _Stop(self._barrier(stage, match), screen)
        return screen

    def _polls(self, step: Step) -> Callable[[], bool]:
        """A generator of poll permissions: sleeps between polls, False when time is up."""
        start = self.clock()
        deadline = min(start + step.timeout, self._deadline)
        first = [True]
        interval = [self.settings.poll_interval]

        def again() -> bool:
            if first[0]:
                first[0] = False
                return True
            now = self.clock()
            if now >= deadline:
                if now >= self._deadline:
                    raise _Stop(self._failure(step, Failure.TIMEOUT,
                                              "the attempt exceeded its time budget of "
                                              f"{self.settings.attempt_timeout:.0f} s"),
                                self._last_screen)
                return False
            self.sleep(min(interval[0], max(deadline - now, 0.0)))
            interval[0] = min(interval[0] * 1.5, self.settings.max_poll_interval)
            return True

        return again

    def _await(self, step: Step, target: Selector,
               action: Callable[[list[tuple[str, str]]], None] | None = None
               ) -> tuple[Screen, Node]:
        """Poll until the target is on screen, then act on it (if given).

        If the element vanished between the read and the action, read again.
        """
        sel = target.render(self.vars)
        again = self._polls(step)
        screen: Screen | None = None
        while again():
            screen = self._read(step.stage)
            node = sel.find(screen)
            if node is None:
                continue
            if action is None:
                return screen, node
            try:
                action(sel.locators(node))
                return screen, node
            except ElementGone:
                continue
        raise _Stop(self._unrecognized(step, f"{sel.describe()} did not appear within "
                                             f"{step.timeout:g} s"), screen)

    def _act(self, step: Step, target: Selector,
             action: Callable[[list[tuple[str, str]]], None]) -> Screen:
        return self._await(step, target, action)[0]

    # ------------------------------------------------------------------ compound steps

    def _choose_calling_code(self, step: ChooseCallingCode) -> Screen:
        code = self.vars.get("phone.calling_code", "")
        if step.open is not None:
            self._act(step, step.open, lambda locs: self.device.tap(locs))
        if step.search is not None:
            query = self._render(step.search_text)
            self._act(step, step.search,
                      lambda locs: self.device.type_text(locs, query, True))
        entry_text = self._render(step.entry)
        entry = re.compile(re.escape(entry_text) + r"(?!\d)")
        shown = (step.list or step.search or step.open)
        assert shown is not None
        shown_sel = shown.render(self.vars)
        again = self._polls(step)
        absent_polls = 0
        screen: Screen | None = None
        while again():
            screen = self._read(step.stage)
            hits = [n for n in screen.app_nodes() if n.label and entry.search(n.label)
                    and not (step.search is not None
                             and step.search.render(self.vars).find(screen) is not None
                             and n.cls.endswith("EditText"))]
            if hits:
                node = hits[0]
                sel = Selector(SelectorKind.TEXT, (node.label,))
                try:
                    self.device.tap(sel.locators(node))
                    return screen
                except ElementGone:
                    continue
            if shown_sel.find(screen) is not None:
                absent_polls += 1
                if absent_polls >= self.settings.settle_polls:
                    raise _Stop(Verdict(
                        status=Status.BARRIER, stage=step.stage,
                        barrier=Barrier.PHONE_COUNTRY_UNSUPPORTED,
                        rule_id=RULE_CALLING_CODE_ABSENT,
                        matched_text=f"no entry for {entry_text} in the calling-code list",
                        detail=f"calling code +{code} is not offered",
                        access_level=self._level(),
                    ), screen)
            else:
                absent_polls = 0
        raise _Stop(self._unrecognized(step, "the calling-code picker did not show"), screen)

    def _enter_otp(self, step: EnterOtp) -> Screen:
        screen, node = self._await(step, step.target)
        pattern = re.compile(step.pattern)
        again = self._polls(step)
        started = self.clock()
        code: str | None = None
        last_error: str | None = None
        while again():
            remaining = max(step.timeout - (self.clock() - started), 0.0)
            try:
                texts = self.otp.poll(remaining)
            except OtpSourceError as exc:
                texts, last_error = [], str(exc)
            for text in texts:
                m = pattern.search(text)
                if m:
                    code = m.group(1)
                    break
            if code:
                break
            screen = self._read(step.stage)  # rules may fire while waiting (rate limits)
        if not code and not self.otp.answered and last_error is not None:
            raise _Stop(self._failure(step, Failure.UNKNOWN_FAILURE,
                                      f"the {self.otp.kind} SMS source never answered: "
                                      f"{last_error}"), screen)
        if not code:
            raise _Stop(Verdict(
                status=Status.BARRIER, stage=Stage.OTP, barrier=Barrier.SMS_NOT_DELIVERED,
                rule_id=RULE_SMS_TIMEOUT,
                matched_text=f"no SMS with a code within {step.timeout:g} s",
                detail=f"no verification SMS arrived within {step.timeout:g} s",
                access_level=self._level(),
            ), screen)
        self.vars["otp"] = code
        self._secrets.append(code)
        sel = step.target.render(self.vars)
        for _ in range(3):
            try:
                self.device.type_text(sel.locators(node), code, True)
                return screen
            except ElementGone:
                screen, node = self._await(step, step.target)
        raise _Stop(self._unrecognized(step, "the code field vanished"), screen)

    # ------------------------------------------------------------------ verdicts

    def _level(self) -> AccessLevel:
        return AccessLevel.LIMITED if self._account else AccessLevel.NONE

    def _barrier(self, stage: Stage, match: RuleMatch) -> Verdict:
        return Verdict(status=Status.BARRIER, stage=stage, barrier=match.rule.barrier,
                       rule_id=match.rule.id, matched_text=scrub(match.text, self._secrets),
                       access_level=self._level())

    def _failure(self, step: Step, failure: Failure, detail: str) -> Verdict:
        return Verdict(status=Status.FAILURE, stage=step.stage, failure=failure,
                       detail=scrub(f"step #{self._index - 1} ({step.name}, "
                                    f"{step.origin or f'line {step.line}'}): "
                                    f"{detail}", self._secrets))

    def _unrecognized(self, step: Step, detail: str) -> Verdict:
        return self._failure(step, Failure.UI_UNRECOGNIZED, detail)

    # ------------------------------------------------------------------ evidence

    def _render(self, text: str) -> str:
        return render(text, self.vars)

    def _describe(self, step: Step) -> str:
        """Human-readable step; secret template values stay as their variable names."""
        if isinstance(step, Tap | Wait | RequestOtp | EnterOtp):
            return f"{step.name} {step.target.describe()}"
        if isinstance(step, Input):
            shown = step.text if is_secret(step.text) else self._render(step.text)
            return f"{step.name} {step.target.describe()} <- {shown!r}"
        if isinstance(step, Launch):
            return f"launch {self.package}" + (" (cleared)" if step.clear else "")
        if isinstance(step, ChooseCallingCode):
            return f"choose calling code +{self.vars.get('phone.calling_code', '?')}"
        return step.name

    def _finish(self, index: int, outcome: str, detail: str | None,
                screen: Screen | None) -> None:
        """Store the step's evidence: a screenshot and the page source of the same moment.

        For a step that succeeded the evidence is the screen after its action; for one
        that ended the attempt it is the screen that produced the verdict. Secrets are
        scrubbed from the source and painted over in the screenshot.
        """
        source = screen.source if screen is not None else None
        shot: bytes | None = None
        if self.settings.screenshots:
            try:
                shot = self.device.screenshot()
                paired = self.device.page_source()
            except DeviceError as exc:
                log.debug("no screenshot for step %d: %s", index, exc.message)
                shot, paired = None, None
            if outcome == "ok" and paired is not None:
                source = paired
            if shot is not None:
                shot = redact_screenshot(shot, paired, self._secrets)
        if source is not None and self._secrets:
            source = scrub(source, self._secrets)
        self.sink.step_finished(index, outcome, detail, source, shot)
