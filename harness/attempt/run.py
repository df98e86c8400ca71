"""One attempt, end to end: profile + scenario -> device session -> runner -> stored record.

This is the unit both the pytest plugin and ``harness demo`` call. The measurement row is
written before anything can fail, so every attempt that started is in the database,
completed with a verdict or (if the process dies) later marked aborted.

An attempt goes through these checks in order, and the first that concludes ends it:
the egress check through the profile's proxy, the app store, the device session, the
phone's own proxy, the device's route, and then the scenario's steps.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from harness.attempt.device_vantage import (
    DeviceEgress,
    Route,
    check_device_route,
    observe_location,
    route_for,
)
from harness.attempt.evidence import StoreSink
from harness.attempt.observed import egress_vantage, observed_vantage
from harness.attempt.otp import make_source
from harness.attempt.runner import Runner, RunResult
from harness.attempt.settings import RunnerSettings
from harness.attempt.stopping import RunStop, StoppableDevice
from harness.attempt.vantage import VantageChecker, VantageResult
from harness.attempt.variables import template_variables
from harness.devices.base import (
    Device,
    DeviceError,
    DeviceFactory,
    DeviceInfo,
    DeviceUnavailable,
)
from harness.devices.capabilities import build_capabilities, masked_capabilities
from harness.devices.pool import DevicePool, Lease
from harness.spec.profile import PhoneNumber, Profile, resolve_proxy
from harness.spec.scenarios import Scenario
from harness.spec.steps import DeviceRouteCheck
from harness.storage.store import MeasurementStart, Store, Vantage
from harness.stores.model import STORE_NOT_CHECKED
from harness.stores.stage import StoreStage
from harness.support.errors import HarnessError
from harness.support.secrets import mask_url, scrub
from harness.verdicts.rules import RuleSet, shared_rules
from harness.vocabulary.outcomes import Backend, Failure, Stage, Status, Verdict

log = logging.getLogger(__name__)

#: How an egress check that failed ends the attempt.
_EGRESS_FAILURES = {"proxy_unreachable": Failure.PROXY_UNREACHABLE,
                    "vantage_mismatch": Failure.VANTAGE_MISMATCH}


@dataclass(frozen=True)
class AttemptResult:
    measurement_id: str
    verdict: Verdict
    scenario_id: str
    profile_id: str
    country: str
    #: True when the harness itself raised during the attempt: the row records it as
    #: ``failure: unknown_failure`` and the run is marked as having had errors.
    crashed: bool = False


@dataclass(frozen=True)
class _Plan:
    """What an attempt measures and with what; the same for every attempt of a pair."""

    store: Store
    run_id: str
    scenario: Scenario
    profile: Profile
    phone: PhoneNumber
    backend: Backend
    rules: RuleSet | None
    settings: RunnerSettings | None
    vantage: VantageChecker | None
    store_stage: StoreStage | None
    sideload: bool
    retry_of: str | None = None
    farm: bool = False
    pin: Mapping[str, Any] | None = None
    stop: RunStop | None = None


def run_attempt(
    *,
    store: Store,
    run_id: str,
    scenario: Scenario,
    profile: Profile,
    phone: PhoneNumber,
    backend: Backend,
    open_device: DeviceFactory,
    rules: RuleSet | None = None,
    settings: RunnerSettings | None = None,
    pool: DevicePool | None = None,
    vantage: VantageChecker | None = None,
    store_stage: StoreStage | None = None,
    sideload: bool = True,
    retry_of: str | None = None,
    farm: bool = False,
    pin: Mapping[str, Any] | None = None,
    stop: RunStop | None = None,
) -> AttemptResult:
    """Measure ``scenario`` from ``profile`` once and store the result.

    With a ``pool`` (real devices), the attempt first leases one of the profile's devices
    and a UiAutomator2 system port, and holds them until it ends; through a ``farm`` (a
    Grid hub) nothing is leased here: the hub queues the session request until a device
    that matches the profile is free. Whatever happens, the
    attempt leaves exactly one row: an exception of the harness itself becomes this
    attempt's ``failure: unknown_failure`` with a scrubbed message (``crashed``), never a
    planned attempt without a row; one that ``stop`` cut short is ``aborted``.
    """
    plan = _Plan(store, run_id, scenario, profile, phone, backend, rules, settings, vantage,
                 store_stage, sideload, retry_of, farm, pin, stop)
    begun: list[str] = []
    slots = profile.device.slots()
    try:
        if pool is None or backend is Backend.SIM:
            lease: contextlib.AbstractContextManager[Lease | None] = \
                contextlib.nullcontext(None)
        else:
            lease = pool.lease(slots, f"{scenario.id}-{profile.id}")
        try:
            with lease as held:
                return _Leased(plan, open_device, held if slots else None, begun).run()
        except DeviceUnavailable as exc:  # no device could be leased: still a measurement
            if begun:
                raise
            return _Leased(plan, _refuse(exc), None, begun).run()
    except Exception as exc:
        return _record_crash(plan, begun, exc)


def _record_crash(plan: _Plan, begun: list[str], exc: Exception) -> AttemptResult:
    """The row of an attempt during which the harness raised: ``unknown_failure``."""
    secrets = [plan.phone.e164.reveal(), plan.phone.national.reveal()]
    log.error("internal error during %s from %s: %s", plan.scenario.id, plan.profile.id,
              scrub(f"{type(exc).__name__}: {exc}", secrets),
              exc_info=None if isinstance(exc, HarnessError) else exc)  # a database refusal
    verdict = Verdict(status=Status.FAILURE, stage=Stage.LAUNCH,
                      failure=Failure.UNKNOWN_FAILURE,
                      detail=scrub(f"internal error: {type(exc).__name__}: {exc}", secrets))
    if begun:
        mid = begun[0]
        plan.store.complete_measurement(mid, verdict, 0, running_only=True)
    else:
        # the envelope without anything that could have raised (no phone hash, no caps)
        mid = plan.store.begin_measurement(_envelope(plan, plan.rules or shared_rules()))
        plan.store.complete_measurement(mid, verdict, 0)
    return AttemptResult(mid, verdict, plan.scenario.id, plan.profile.id,
                         plan.profile.country, crashed=True)


def _envelope(plan: _Plan, rules: RuleSet) -> MeasurementStart:
    """What a measurement row records before anything of the attempt has run."""
    scenario, profile, phone = plan.scenario, plan.profile, plan.phone
    return MeasurementStart(
        run_id=plan.run_id, scenario_id=scenario.id, scenario_version=scenario.version,
        scenario_verified=scenario.verified, app_id=scenario.app.android_package,
        app_name=scenario.app.name, country=profile.country, region=profile.region.value,
        profile_id=profile.id, backend=plan.backend.value, rules_version=rules.version,
        phone_masked=phone.masked, phone_source=phone.source, phone_country=phone.region,
        retry_of=plan.retry_of)


def _refuse(exc: DeviceUnavailable) -> DeviceFactory:
    def open_device(_caps: Mapping[str, Any]) -> Device:
        raise exc
    return open_device


class _Concluded(Exception):
    """The attempt has its verdict before its steps ran (a check concluded it)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.outcome)
        self.verdict = verdict


class _Leased:
    """One attempt with its device (if any) leased: each check is a method, in order."""

    def __init__(self, plan: _Plan, open_device: DeviceFactory, held: Lease | None,
                 begun: list[str]) -> None:
        self.plan = plan
        self.open_device = open_device
        self.held = held
        self.begun = begun
        self.ruleset = plan.rules or shared_rules()
        self.proxy = resolve_proxy(plan.profile)
        self.secrets = [plan.phone.e164.reveal(), plan.phone.national.reveal()] + (
            [self.proxy] if self.proxy else [])
        self.route: Route = route_for(plan.profile, self.proxy, plan.backend,
                                      held.slot if held else None)
        self.caps = build_capabilities(
            plan.profile, plan.phone, plan.backend, proxy_url=self.proxy,
            system_port=held.system_port if held else None,
            slot=held.slot if held else None,
            ip_echo_url=plan.vantage.endpoint if plan.vantage else None, farm=plan.farm,
            extra=plan.pin)
        self.steps_done = 0
        self.features: dict[str, str] = {}
        self.mid = ""
        self.stopped = False

    def run(self) -> AttemptResult:
        plan = self.plan
        self.mid = self._begin()
        device: Device | None = None
        egress = self._egress()
        try:
            self._require_egress(egress)
            self._check_store(egress)
            device = self._open()
            self._set_phone_proxy(device)
            self._record_device_vantage(device, egress)
            self._check_device_route(device)
            result = self._run_steps(device)
            verdict, self.features = result.verdict, result.features
            self.steps_done += result.steps_done
        except _Concluded as done:
            verdict = done.verdict
        except DeviceError as exc:
            verdict = self._failure(Stage.LAUNCH, exc.failure, exc.message)
        except Exception as exc:  # an unmapped fault is still an instrument failure, recorded
            log.error("unexpected error during attempt %s: %s", self.mid,
                      scrub(str(exc), self.secrets),
                      exc_info=None if isinstance(exc, HarnessError) else exc)
            verdict = self._failure(Stage.LAUNCH, Failure.UNKNOWN_FAILURE,
                                    f"{type(exc).__name__}: {exc}")
        finally:
            if device is not None:
                self._release(device)
        verdict = self._unless_stopped(verdict, device)
        plan.store.complete_measurement(self.mid, verdict, self.steps_done, self.features,
                                        running_only=verdict.status is Status.ABORTED)
        return AttemptResult(self.mid, verdict, plan.scenario.id, plan.profile.id,
                             plan.profile.country)

    def _open(self) -> Device:
        """The device session; refused once the run is told to stop (not yet opened)."""
        stop = self.plan.stop
        if stop is not None and stop.is_set():
            self.stopped = True
            raise _Concluded(Verdict(status=Status.ABORTED, stage=Stage.LAUNCH))
        device = self.open_device(self.caps)
        return device if stop is None else cast(Device, StoppableDevice(device, stop))

    def _unless_stopped(self, verdict: Verdict, device: Device | None) -> Verdict:
        """``aborted`` for an attempt the run's stop cut short: what it concluded rests on
        an observation it did not make."""
        if not (self.stopped or getattr(device, "tripped", False)):
            return verdict
        reason = self.plan.stop.reason if self.plan.stop is not None else "a stop"
        return Verdict(status=Status.ABORTED, stage=verdict.stage,
                       detail=f"the run was stopped ({reason}) before this attempt "
                              "finished; it is measured again by harness run --resume")

    def _failure(self, stage: Stage, failure: Failure, detail: str) -> Verdict:
        return Verdict(status=Status.FAILURE, stage=stage, failure=failure,
                       detail=scrub(detail, self.secrets))

    def _begin(self) -> str:
        """The measurement row, written before anything of the attempt can fail."""
        plan = self.plan
        start = replace(_envelope(plan, self.ruleset), phone_hash=plan.phone.hashed,
                        proxy_masked=plan.profile.proxy_masked,
                        capabilities=masked_capabilities(self.caps, plan.phone))
        mid = plan.store.begin_measurement(start)
        self.begun.append(mid)
        return mid

    def _egress(self) -> VantageResult | None:
        """The egress check through the profile's proxy, recorded on the row."""
        plan = self.plan
        if plan.vantage is None:
            return None
        egress = plan.vantage.check(plan.profile, self.proxy)
        plan.store.record_vantage(self.mid, egress_vantage(plan.profile, egress))
        return egress

    def _require_egress(self, egress: VantageResult | None) -> None:
        """An egress check that failed ends the attempt (never a barrier)."""
        if egress is not None and not egress.ok:
            raise _Concluded(self._failure(
                Stage.VANTAGE, _EGRESS_FAILURES.get(egress.verdict, Failure.UNKNOWN_FAILURE),
                egress.detail or egress.verdict))

    def _check_store(self, egress: VantageResult | None) -> None:
        """The store stage; an absence ends the attempt only without sideloading."""
        plan = self.plan
        seen = (plan.store_stage(plan.scenario, plan.profile,
                                 egress.ip_country if egress is not None else None)
                if plan.store_stage is not None else STORE_NOT_CHECKED)
        plan.store.record_store(self.mid, seen.result.value, seen.rule_id, seen.detail)
        if seen.barrier is not None and not plan.sideload:
            raise _Concluded(seen.barrier)  # absent from the store, not sideloaded

    def _set_phone_proxy(self, device: Device) -> None:
        if self.route.phone_proxy is None:
            return
        try:
            device.set_http_proxy(self.route.phone_proxy)
        except DeviceError as exc:
            raise _Concluded(self._failure(
                Stage.VANTAGE, Failure.PROXY_UNREACHABLE,
                "could not set the phone's global proxy (start Appium with "
                f"--allow-insecure=uiautomator2:adb_shell): {exc.message}")) from None

    def _record_device_vantage(self, device: Device, egress: VantageResult | None) -> None:
        """What the device says about where it is: SIM, locale, time zone, GPS fix."""
        located = observe_location(device, self.plan.profile)
        info: DeviceInfo | None = None
        try:
            info = device.device_info()
        except DeviceError as exc:
            log.debug("device info unavailable: %s", exc.message)
        self.plan.store.record_vantage(self.mid, replace(observed_vantage(
            self.plan.profile, info, device.device_id, egress, located),
            node=getattr(device, "node", None)))

    def _check_device_route(self, device: Device) -> None:
        """The device's own route, recorded as the attempt's first step: traffic that does
        not leave where the profile says ends the attempt."""
        plan = self.plan
        if plan.vantage is None:
            return
        sink = StoreSink(plan.store, plan.run_id, self.mid)
        route_check = _device_route_step(device, plan.vantage.endpoint, sink)
        self.steps_done = 1
        route_match = route_check.matches(plan.profile)
        plan.store.record_vantage(self.mid, Vantage(device_egress_country=route_check.country,
                                                    device_egress_match=route_match))
        if route_check.unreachable:  # e.g. the proxy died after the harness's own check
            raise _Concluded(self._failure(
                Stage.VANTAGE, Failure.PROXY_UNREACHABLE if self.proxy or
                self.route.phone_proxy else Failure.DEVICE_UNAVAILABLE,
                f"{route_check.detail}: the device's route carries no traffic"))
        if route_match is False:
            raise _Concluded(self._failure(
                Stage.VANTAGE, Failure.VANTAGE_MISMATCH,
                f"{route_check.detail}, not {plan.profile.country} (the harness's own check "
                "through the proxy passed): the device's traffic does not go where the "
                "profile says"))

    def _run_steps(self, device: Device) -> RunResult:
        plan, phone = self.plan, self.plan.phone
        otp = make_source(plan.profile.otp, device, phone.e164.reveal(),
                          phone.national.reveal(),
                          f"{plan.scenario.id} from {plan.profile.id} ({phone.masked})",
                          plan.profile.where("phone.otp"))
        try:
            sink = StoreSink(plan.store, plan.run_id, self.mid, first_index=self.steps_done)
            return Runner(device, plan.scenario, self.ruleset,
                          template_variables(plan.profile, phone), sink=sink,
                          settings=plan.settings, otp=otp).run()
        finally:
            otp.close()

    def _release(self, device: Device) -> None:
        if self.route.phone_proxy is not None:
            with contextlib.suppress(DeviceError):
                device.set_http_proxy(None)  # leave the phone as it was found
        device.close()


def _device_route_step(device: Device, echo_url: str, sink: StoreSink) -> DeviceEgress:
    step = DeviceRouteCheck(stage=Stage.VANTAGE, timeout=20, optional=False, line=None,
                            name="device route", origin="attempt")
    sink.step_started(0, step, f"open {mask_url(echo_url)} in the device's browser")
    result = check_device_route(device, echo_url)
    sink.step_finished(0, "ok" if result.country else "skipped", result.detail, None, None)
    return result


__all__ = ["AttemptResult", "run_attempt"]
