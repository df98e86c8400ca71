"""The runner: executes a scenario's steps on a device, with auto-wait and barrier detection.

Each step polls the screen until its target appears. A verdict needs two signals:
*something said no* and *the flow stopped*. On every poll the barrier rules read the
screen's prompts; a match is a *candidate*. When the same candidate persists for the
settle time (``RunnerSettings.settle_time``, a time, not a count of polls) and the step's
target does not appear (or only behind the dialog that said no), the attempt ends as a
``barrier`` with that rule's evidence; a candidate seen while the flow goes on (the target
showed, the candidate went away) is kept as an *observation* of the step, never a verdict.
If neither the target nor a lasting candidate appears before the step's timeout, the
attempt ends as ``failure: ui_unrecognized`` with the screen saved, so a scenario author
can add the missing rule. There are no fixed sleeps, only a poll interval that backs off.

Two kinds of screen are handled by the runner itself and recorded as steps of their own:
Android's runtime-permission dialogs (answered by ``RunnerSettings.permissions``), and
routine challenges (a slider, a captcha: rule outcome ``challenge_required``), which end
an unattended attempt as ``failure: challenge_required`` and, with an operator attending
(``RunnerSettings.attended``), wait for the operator to solve them on the device.

Access is reported only once a step of stage ``account`` has run; a feature check that
breaks after that leaves the account (``access: limited``) with the failure noted in the
features. Instrument faults (``DeviceError``) end the attempt as failures; they are never
retried into a different verdict here (``harness.devices.appium`` retries idempotent reads).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.attempt.evidence import EvidenceSink, NullSink, redact_screenshot
from harness.attempt.otp import DeviceSmsSource, OtpSource, OtpSourceError
from harness.attempt.permissions import permission_button
from harness.attempt.settings import RunnerSettings
from harness.attempt.shots import Screenshots
from harness.attempt.touch import Touch
from harness.attempt.watch import CandidateWatch
from harness.devices.base import Device, DeviceError, ElementGone, SessionLost
from harness.spec.scenarios import Scenario
from harness.spec.selectors import Selector, SelectorKind
from harness.spec.steps import (
    Challenge,
    ChooseCallingCode,
    EnterOtp,
    Feature,
    Input,
    Launch,
    PermissionDialog,
    RequestOtp,
    Step,
    Tap,
    Wait,
)
from harness.spec.templates import SECRET_VARIABLES, is_secret, render
from harness.support.secrets import SecretScrubber, scrub
from harness.verdicts.prompts import Role, modal_scope
from harness.verdicts.rules import RuleMatch, RuleSet
from harness.verdicts.screen import Node, Screen, ScreenParseError
from harness.vocabulary.outcomes import AccessLevel, Barrier, Failure, Stage, Status, Verdict

log = logging.getLogger(__name__)

#: Rule ids of verdicts the runner itself concludes (not from the rule library).
RULE_CALLING_CODE_ABSENT = "builtin.calling_code_absent"
RULE_SMS_TIMEOUT = "builtin.sms_timeout"
RULE_NO_ACCOUNT = "builtin.no_account_step"

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
                 otp: OtpSource | None = None,
                 scrubber: SecretScrubber | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        self.device = device
        self.otp: OtpSource = otp or DeviceSmsSource(device)
        self.scenario = scenario
        self.rules = rules.with_app_rules(scenario.rules)
        self.vars = dict(variables)
        self.sink = sink or NullSink()
        self.settings = settings or RunnerSettings()
        self.clock = clock
        self.sleep = sleep
        self.notify = notify or _to_stderr
        self.package = scenario.app.android_package
        self._scrub = scrubber or SecretScrubber(
            [(variables["phone.e164"], variables.get("phone.national", ""))]
            if variables.get("phone.e164") else [],
            [v for k, v in variables.items() if k in SECRET_VARIABLES and v
             and not k.startswith("phone.")])
        self._deadline = 0.0
        self._index = 0
        self._account = False
        self._features: dict[str, str] = {}
        self._feature_notes: list[str] = []
        self._last_screen: Screen | None = None
        self._watch: CandidateWatch | None = None
        self.touch = Touch(device)
        #: A screenshot taken with the step's observation, and the screen it shows.
        self._shot: tuple[int, Screen, bytes] | None = None
        self._shot_stages: dict[Stage, int] = {}  # stage -> the step that shot it
        self.shots = Screenshots(device)
        self._step_index = 0

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
        if not self._account:
            verdict = Verdict(status=Status.FAILURE, stage=stage,
                              failure=Failure.UI_UNRECOGNIZED, rule_id=RULE_NO_ACCOUNT,
                              detail="the steps ended without a step of stage account: "
                                     "nothing showed that the account exists")
            return RunResult(verdict, self._index, dict(self._features))
        broken = [k for k, v in self._features.items() if v != "ok"]
        level = AccessLevel.LIMITED if broken else AccessLevel.FULL
        detail = "; ".join(self._feature_notes) if broken else None
        return RunResult(
            Verdict(status=Status.ACCESS, stage=stage, access_level=level, detail=detail),
            self._index, dict(self._features))

    # ------------------------------------------------------------------ steps

    def _run_step(self, step: Step) -> None:
        if isinstance(step, Feature):
            self._run_feature(step)
            return
        index = self._step_index = self._begin(step, self._describe(step))
        screen: Screen | None = None
        watch = self._watch = self._new_watch(step)
        try:
            screen = self._execute(step)
        except _Stop as stop:
            if step.optional and stop.verdict.failure is Failure.UI_UNRECOGNIZED:
                # an optional step (a dialog that only sometimes shows) is skipped
                self._finish(index, "skipped", stop.verdict.detail, stop.screen,
                             watch.observations)
                return
            self._finish(index, stop.verdict.outcome, stop.verdict.detail,
                         stop.screen or self._last_screen, watch.observations)
            raise
        except DeviceError as exc:
            verdict = self._failure(step, exc.failure, exc.message)
            self._finish(index, verdict.outcome, verdict.detail, None, watch.observations)
            raise _Stop(verdict, None) from None
        self._finish(index, "ok", None, screen, watch.observations)
        if step.stage is Stage.ACCOUNT:
            self._account = True

    def _begin(self, step: Step, description: str) -> int:
        index = self._index
        self._index += 1
        self.sink.step_started(index, step, description)
        return index

    def _run_feature(self, step: Feature) -> None:
        """A feature check; only its barrier ends the attempt. A check that breaks after
        the account exists is noted, and the attempt goes on to what follows."""
        try:
            for inner in step.steps:
                self._run_step(inner)
        except _Stop as stop:
            self._features[step.feature] = stop.verdict.outcome
            if stop.verdict.status is Status.BARRIER or not self._account:
                raise
            self._feature_notes.append(f"feature {step.feature}: {stop.verdict.outcome}: "
                                       f"{stop.verdict.detail or ''}".rstrip(": "))
            return
        self._features[step.feature] = "ok"

    def _execute(self, step: Step) -> Screen | None:
        if isinstance(step, Launch):
            self.device.launch_app(self.package, clear=step.clear)
            return None
        if isinstance(step, Tap):
            return self._act(step, step.target, self.touch.tap)
        if isinstance(step, Input):
            text = self._render(step.text)
            return self._act(step, step.target,
                             lambda sel, node: self.touch.type(sel, node, text, step.clear))
        if isinstance(step, Wait):
            screen, _node = self._await(step, step.target)
            return screen
        if isinstance(step, ChooseCallingCode):
            return self._choose_calling_code(step)
        if isinstance(step, RequestOtp):
            self.otp.prepare()
            return self._act(step, step.target, self.touch.tap)
        if isinstance(step, EnterOtp):
            return self._enter_otp(step)
        raise TypeError(f"unknown step {step!r}")

    # ------------------------------------------------------------------ polling

    def _read(self, step: Step) -> tuple[Screen, RuleMatch | None]:
        """One screen read and what the rules make of it; a system permission dialog is
        answered on the way (and the screen read again)."""
        for _ in range(5):
            source = self.device.page_source()
            try:
                screen = Screen(source, self.package)
            except ScreenParseError as exc:
                raise SessionLost(f"the device returned an unreadable page source: {exc}"
                                  ) from None
            self._last_screen = screen
            retap = self.touch.missed_tap(screen)
            if retap is not None:
                if self._watch is not None:
                    self._watch.observations.append(retap)
                continue
            if not self._answer_permission(step, screen):
                return screen, self.rules.classify(screen, step.stage)
        return screen, self.rules.classify(screen, step.stage)

    def _polls(self, step: Step, timeout: float | None = None) -> Callable[[], bool]:
        """A generator of poll permissions: sleeps between polls, False when time is up."""
        start = self.clock()
        deadline = min(start + (step.timeout if timeout is None else timeout), self._deadline)
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

    def _reachable(self, sel: Selector, screen: Screen, match: RuleMatch | None
                   ) -> Node | None:
        """The target, unless it is only behind the dialog that said no."""
        node = sel.find(screen)
        if node is None or match is None or match.role is not Role.DIALOG:
            return node
        if match.node is None:
            return node
        modal = modal_scope(match.node)
        if modal.element not in {a.element for a in (node, *node.ancestors())}:
            return None
        return node

    def _await(self, step: Step, target: Selector,
               action: Callable[[Selector, Node], None] | None = None, shoot: bool = True
               ) -> tuple[Screen, Node]:
        """Poll until the target is on screen, then act on it (if given) as it was seen.

        The screen read is the step's evidence (with a screenshot of the same moment when
        the policy asks for one and ``shoot``). If the element vanished between the read
        and the action, read again.
        """
        sel = target.render(self.vars)
        watch = self._watch or self._new_watch(step)
        again = self._polls(step)
        screen: Screen | None = None
        while again():
            screen, match = self._read(step)
            node = self._reachable(sel, screen, match)
            if node is None:
                watch.stopped(match, screen)
                continue
            watch.goes_on(match)
            if shoot:
                self._observed(step, screen)
            if action is None:
                return screen, node
            try:
                action(sel, node)
                return screen, node
            except ElementGone:
                continue
        watch.timed_out()
        raise _Stop(self._unrecognized(step, f"{sel.describe()} did not appear within "
                                             f"{step.timeout:g} s"), screen)

    def _act(self, step: Step, target: Selector, action: Callable[[Selector, Node], None],
             shoot: bool = True) -> Screen:
        return self._await(step, target, action, shoot)[0]

    # ------------------------------------------------------------------ acting

    def _observed(self, step: Step, screen: Screen) -> None:
        """A screenshot of the step's observation, when the policy wants one: every step's
        (``all``), or the first of each stage and the verdict's (``key``)."""
        policy = self.settings.screenshots
        first = self._shot_stages.setdefault(step.stage, self._step_index)
        if policy == "none" or (policy == "key" and first != self._step_index):
            return  # (a step that reads again after ElementGone retakes its own)
        shot = self.shots.of(screen)
        if shot is not None:
            self._shot = (self._step_index, screen, shot)

    # ------------------------------------------------------------------ compound steps

    def _choose_calling_code(self, step: ChooseCallingCode) -> Screen:
        if step.open is not None:
            self._act(step, step.open, self.touch.tap, shoot=False)
        if step.search is not None:
            query = self._render(step.search_text)
            self._act(step, step.search,
                      lambda sel, node: self.touch.type(sel, node, query, True),
                      shoot=False)
        entry_text = self._render(step.entry)
        entry = re.compile(re.escape(entry_text) + r"(?!\d)")
        shown = (step.list or step.search or step.open)
        assert shown is not None
        shown_sel = shown.render(self.vars)
        search_sel = step.search.render(self.vars) if step.search is not None else None
        watch = self._watch or self._new_watch(step)
        again = self._polls(step)
        listing: tuple[str, ...] | None = None
        unchanged_since = 0.0
        screen: Screen | None = None
        while again():
            screen, match = self._read(step)
            node = _calling_code_entry(screen, entry, search_sel)
            if node is not None:
                sel = Selector(SelectorKind.TEXT, (node.label,))
                try:
                    self._observed(step, screen)
                    self.touch.tap(sel, node)
                    watch.goes_on(match)
                    return screen
                except ElementGone:
                    continue
            watch.stopped(match, screen)
            if shown_sel.find(screen) is None:
                listing = None
                continue
            # the picker is open without the code: it counts as not offered only once the
            # list has stopped changing for the settle time (search debounce, lazy loading)
            now_listing = tuple(n.label for n in screen.app_nodes() if n.label)
            now = self.clock()
            if now_listing != listing:
                listing, unchanged_since = now_listing, now
            elif now - unchanged_since >= self.settings.settle_time:
                raise _Stop(self._calling_code_absent(step, entry_text), screen)
        watch.timed_out()
        raise _Stop(self._unrecognized(step, "the calling-code picker did not show"), screen)

    def _calling_code_absent(self, step: ChooseCallingCode, entry_text: str) -> Verdict:
        """The barrier of a calling-code list that settled without the profile's code."""
        code = self.vars.get("phone.calling_code", "")
        return Verdict(
            status=Status.BARRIER, stage=step.stage,
            barrier=Barrier.PHONE_COUNTRY_UNSUPPORTED,
            rule_id=RULE_CALLING_CODE_ABSENT,
            matched_text=f"no entry for {entry_text} in the calling-code list",
            detail=f"calling code +{code} is not offered (the list stayed "
                   f"unchanged for {self.settings.settle_time:g} s)",
            access_level=self._level(),
        )

    def _enter_otp(self, step: EnterOtp) -> Screen:
        screen, node = self._await(step, step.target)
        pattern = re.compile(step.pattern)
        watch = self._watch or self._new_watch(step)
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
            # waiting for the SMS, the flow is stopped: a lasting refusal (a rate limit,
            # "this number cannot receive codes") is the verdict
            screen, match = self._read(step)
            watch.stopped(match, screen)
        if not code:
            watch.timed_out()
            raise _Stop(self._no_code(step, last_error), screen)
        watch.goes_on(None)
        self.vars["otp"] = code
        self._scrub.add(code)
        sel = step.target.render(self.vars)
        for _ in range(3):
            try:
                self.touch.type(sel, node, code, True)
                return screen
            except ElementGone:
                screen, node = self._await(step, step.target)
        raise _Stop(self._unrecognized(step, "the code field vanished"), screen)

    def _no_code(self, step: EnterOtp, last_error: str | None) -> Verdict:
        """No code arrived: a failure if the SMS source's last request failed, else a barrier."""
        if not self.otp.answered and last_error is not None:
            return self._failure(step, Failure.UNKNOWN_FAILURE,
                                 f"the {self.otp.kind} SMS source failed its last request: "
                                 f"{last_error}")
        return Verdict(
            status=Status.BARRIER, stage=Stage.OTP, barrier=Barrier.SMS_NOT_DELIVERED,
            rule_id=RULE_SMS_TIMEOUT,
            matched_text=f"no SMS with a code within {step.timeout:g} s",
            detail=f"no verification SMS arrived within {step.timeout:g} s",
            access_level=self._level(),
        )

    # ------------------------------------------------------------------ system dialogs

    def _answer_permission(self, step: Step, screen: Screen) -> bool:
        """Answer Android's runtime-permission dialog if it is on screen (a recorded step
        of its own, kind ``permissiondialog``); True when one was answered."""
        answer = self.settings.permissions
        found = permission_button(screen, answer)
        if found is None:
            return False  # no dialog, or some other system dialog: the step decides
        choice, question = found
        builtin = PermissionDialog(stage=step.stage, timeout=0, optional=True, line=None,
                                   name="permission dialog", origin="runner")
        index = self._begin(builtin, f"answer the permission dialog: {answer} "
                                     f"({self._clean(question)!r})")
        locators = Selector(SelectorKind.TEXT, (choice.label,)).locators(choice) \
            if choice.label else [("id", choice.resource_id)]
        try:
            self.device.tap(locators)
        except ElementGone:
            self._finish(index, "skipped", "the dialog went away", screen, [])
            return True
        self._finish(index, "ok", f"{answer}: {choice.label or choice.resource_id}", screen,
                     [])
        return True

    def _new_watch(self, step: Step) -> CandidateWatch:
        return CandidateWatch(step, self.clock, self.settings.settle_time, self._conclude,
                              self._clean)

    def _conclude(self, step: Step, match: RuleMatch, screen: Screen,
                  watch: CandidateWatch) -> None:
        """A candidate persisted while the flow was stopped: the verdict, or, for a routine
        challenge with an operator attending, the wait for the operator."""
        if match.rule.failure is Failure.CHALLENGE_REQUIRED:
            if self.settings.attended:
                self._wait_for_operator(step, match, screen, watch)
                return
            raise _Stop(Verdict(status=Status.FAILURE, stage=step.stage,
                                failure=Failure.CHALLENGE_REQUIRED, rule_id=match.rule.id,
                                matched_text=self._clean(match.sentence),
                                detail=f"a challenge no operator was attending to solve "
                                       f"({match.rule.id}); run attended (--attended) to "
                                       "solve it on the device",
                                access_level=self._level()), screen)
        raise _Stop(self._barrier(step.stage, match), screen)

    def _wait_for_operator(self, step: Step, match: RuleMatch, screen: Screen,
                           watch: CandidateWatch) -> None:
        builtin = Challenge(stage=step.stage, timeout=self.settings.operator_timeout,
                            optional=False, line=None, name="challenge", origin="runner")
        index = self._begin(builtin, f"an operator solves the challenge ({match.rule.id})")
        self.notify(f"{self.scenario.id}: solve the challenge on the device "
                    f"({self._clean(match.sentence)!r}); waiting up to "
                    f"{self.settings.operator_timeout:.0f} s")
        again = self._polls(builtin, self.settings.operator_timeout)
        while again():
            screen, now = self._read(step)
            if now is None or now.rule.failure is not Failure.CHALLENGE_REQUIRED:
                self._finish(index, "ok", "solved by the operator", screen, [])
                watch.current = None
                return
        verdict = Verdict(status=Status.FAILURE, stage=step.stage,
                          failure=Failure.CHALLENGE_REQUIRED, rule_id=match.rule.id,
                          matched_text=self._clean(match.sentence),
                          detail=f"the operator did not solve the challenge within "
                                 f"{self.settings.operator_timeout:.0f} s",
                          access_level=self._level())
        self._finish(index, verdict.outcome, verdict.detail, screen, [])
        raise _Stop(verdict, screen)

    # ------------------------------------------------------------------ verdicts

    def _level(self) -> AccessLevel:
        return AccessLevel.LIMITED if self._account else AccessLevel.NONE

    def _barrier(self, stage: Stage, match: RuleMatch) -> Verdict:
        assert match.rule.barrier is not None
        return Verdict(status=Status.BARRIER, stage=stage, barrier=match.rule.barrier,
                       rule_id=match.rule.id, matched_text=self._clean(match.sentence),
                       access_level=self._level())

    def _failure(self, step: Step, failure: Failure, detail: str) -> Verdict:
        return Verdict(status=Status.FAILURE, stage=step.stage, failure=failure,
                       detail=scrub(self._clean(f"step #{self._index - 1} ({step.name}, "
                                                f"{step.origin or f'line {step.line}'}): "
                                                f"{detail}")))

    def _unrecognized(self, step: Step, detail: str) -> Verdict:
        return self._failure(step, Failure.UI_UNRECOGNIZED, detail)

    # ------------------------------------------------------------------ evidence

    def _clean(self, text: str) -> str:
        """``text`` without this attempt's secrets (and nothing else removed)."""
        return self._scrub(text)

    def _render(self, text: str) -> str:
        return render(text, self.vars)

    def _describe(self, step: Step) -> str:
        """Human-readable step; secret template values stay as their variable names."""
        if isinstance(step, Tap | Wait | RequestOtp | EnterOtp):
            return f"{step.name} {step.target.describe()}"
        if isinstance(step, Input):
            shown = step.text if is_secret(step.text) else self._render(step.text)
            return self._clean(f"{step.name} {step.target.describe()} <- {shown!r}")
        if isinstance(step, Launch):
            return f"launch {self.package}" + (" (cleared)" if step.clear else "")
        if isinstance(step, ChooseCallingCode):
            return f"choose calling code +{self.vars.get('phone.calling_code', '?')}"
        return step.name

    def _finish(self, index: int, outcome: str, detail: str | None,
                screen: Screen | None, observations: list[dict[str, Any]]) -> None:
        """Store the step's evidence: the page source it was decided on and, by the
        screenshot policy, a screenshot of the same moment; nothing is read again.

        A step that succeeded keeps the screen it acted on (the one its screenshot shows);
        one that ended the attempt, the verdict's screen, with a screenshot unless the
        policy is ``none``. Secrets are scrubbed and painted over."""
        shot: bytes | None = None
        mine = self._shot if self._shot is not None and self._shot[0] == index else None
        if mine is not None:
            self._shot = None
        if mine is not None and outcome == "ok":
            _, screen, shot = mine
        elif screen is not None and outcome not in ("ok", "skipped") \
                and self.settings.screenshots != "none":
            shot = self.shots.of(screen)
        if shot is not None and screen is not None:
            shot = redact_screenshot(shot, screen.source, self._scrub)
        source = self._scrub(screen.source) if screen is not None else None
        self.sink.step_finished(index, outcome, detail, source, shot, observations or None)


def _calling_code_entry(screen: Screen, entry: re.Pattern[str],
                        search_sel: Selector | None) -> Node | None:
    """The first app node showing the calling-code entry (not the search field's own text)."""
    searching = search_sel is not None and search_sel.find(screen) is not None
    hits = [n for n in screen.app_nodes() if n.label and entry.search(n.label)
            and not (searching and n.cls.endswith("EditText"))]
    return hits[0] if hits else None


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
