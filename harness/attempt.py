"""One attempt, end to end: profile + scenario -> device session -> runner -> stored record.

This is the unit both the pytest plugin and ``harness demo`` call. The measurement row is
written before anything can fail, so every attempt that started is in the database,
completed with a verdict or (if the process dies) later marked aborted.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from harness.countries import get_country
from harness.device_vantage import (
    DeviceEgress,
    LocationObservation,
    check_device_route,
    observe_location,
    route_for,
)
from harness.devices.base import Device, DeviceError, DeviceInfo, DeviceUnavailable
from harness.devices.capabilities import build_capabilities, masked_capabilities
from harness.devices.pool import DevicePool, Lease
from harness.otp import make_source
from harness.outcomes import Backend, Failure, Stage, Status, Verdict
from harness.profiles import PhoneNumber, Profile
from harness.runner import Runner, RunnerSettings
from harness.scenarios import Scenario, Step
from harness.secrets import (
    MissingEnv,
    expand_env,
    mask_url,
    register_secret,
    scrub,
    url_secrets,
)
from harness.storage.store import MeasurementStart, Store, Vantage
from harness.stores.model import STORE_NOT_CHECKED, StoreStageResult
from harness.vantage import VantageChecker, VantageResult
from harness.verdicts.rules import RuleSet, shared_rules

log = logging.getLogger(__name__)

DeviceFactory = Callable[[Mapping[str, Any]], Device]
#: The store stage: (scenario, profile, egress country) -> what the store showed, recorded
#: on the row beside the sign-up verdict. Built by ``harness.stores.stage`` for a run;
#: None = no store check (recorded as ``not_checked``).
StoreStage = Callable[["Scenario", "Profile", "str | None"], StoreStageResult]


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


class StoreSink:
    """Writes each step, with its evidence, to the store as soon as it ends.

    One transaction per step; the measurement row itself was written when the attempt
    started, so a crash loses at most the step in progress.
    """

    def __init__(self, store: Store, run_id: str, mid: str, first_index: int = 0) -> None:
        self.store = store
        self.run_id = run_id
        self.mid = mid
        #: step indices continue after the steps the attempt recorded itself
        self.first_index = first_index
        self._started: dict[int, tuple[Step, str, datetime]] = {}

    def step_started(self, index: int, step: Step, description: str) -> None:
        self._started[index + self.first_index] = (step, description, datetime.now(UTC))

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None,
                      observations: list[dict[str, Any]] | None = None) -> None:
        index += self.first_index
        step, description, started = self._started.pop(index)
        evidence: list[tuple[str, bytes, str]] = []
        if source is not None:
            evidence.append(("page_source", source.encode("utf-8"), ".xml"))
        if screenshot is not None:
            evidence.append(("screenshot", screenshot, ".png"))
        self.store.record_step(self.mid, self.run_id, index, kind=step.kind, name=step.name,
                               stage=step.stage.value, line=step.line,
                               description=description, started_at=started, outcome=outcome,
                               detail=detail, evidence=evidence, observations=observations)


def template_variables(profile: Profile, phone: PhoneNumber) -> dict[str, str]:
    country = get_country(profile.country)
    return {
        "phone.e164": phone.e164.reveal(),
        "phone.national": phone.national.reveal(),
        "phone.calling_code": str(phone.calling_code),
        "country": profile.country,
        "country_name": country.name if country else profile.country,
        "profile.id": profile.id,
        "profile.locale": profile.locale,
        "profile.language": profile.language,
        "account.password": account_password(),
    }


def account_password() -> str:
    """``HARNESS_ACCOUNT_PASSWORD`` (to log in later and delete the account), else a strong
    random password for this attempt that is never stored."""
    import os
    import secrets as stdlib_secrets

    value = os.environ.get("HARNESS_ACCOUNT_PASSWORD") or (
        "Hx-" + stdlib_secrets.token_urlsafe(12))
    register_secret(value)
    return value


def resolve_proxy(profile: Profile) -> str | None:
    """The proxy URL with credentials from the environment, or None for direct."""
    if not profile.proxy_ref:
        return None
    try:
        value = expand_env(profile.proxy_ref)
    except MissingEnv as exc:
        from harness.errors import ConfigError

        raise ConfigError(profile.where("proxy"), "proxy",
                          f"environment variable {exc.var} is not set",
                          f"Export it (e.g. `export {exc.var}=socks5://host:1080`) or "
                          "write ${" + exc.var + ":-} to allow a direct connection") from None
    if not value:
        return None
    register_secret(*url_secrets(value))
    from harness.profiles import proxy_url_problem

    problem = proxy_url_problem(value)
    if problem:
        from harness.errors import ConfigError

        raise ConfigError(profile.where("proxy"), "proxy",
                          f"the proxy from the environment: {problem}",
                          "Fix the variable's value, e.g. socks5://user:pass@host:1080")
    return value


def observed_vantage(profile: Profile, info: DeviceInfo | None, device_id: str | None,
                     backend: Backend, egress: VantageResult | None = None,
                     located: LocationObservation | None = None) -> Vantage:
    """Compare what the device reports with the profile's target country (each value as
    observed: a signal the device did not give stays None)."""
    def match(a: str | None, b: str) -> bool | None:
        return None if not a else a.upper() == b.upper()

    sources = ([f"egress:{egress.source or egress.verdict}"] if egress else []) + (
        ["device"] if info else [])
    vantage_source = "+".join(sources) or None
    locale_country = None
    if info and info.locale:
        parts = info.locale.replace("-", "_").split("_")
        locale_country = next((p for p in parts[1:] if len(p) == 2), None)
    return Vantage(
        device_id=device_id,
        sim_country=(info.sim_country if info else None),
        device_locale=info.locale if info else None,
        device_timezone=info.timezone if info else None,
        gps_country=located.gps_country if located else None,
        sim_country_match=match(info.sim_country if info else None, profile.country),
        locale_match=match(locale_country, profile.country),
        timezone_match=(None if not (info and info.timezone)
                        else info.timezone == profile.timezone),
        gps_country_match=located.gps_country_match if located else None,
        location_set=located.location_set if located else None,
        gps_detail=located.detail if located else None,
        vantage_source=vantage_source,
        network_country=info.network_country if info else None,
        device_sim_operator=info.carrier if info else None,
    )


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
) -> AttemptResult:
    """Measure ``scenario`` from ``profile`` once and store the result.

    With a ``pool`` (real devices), the attempt first leases one of the profile's devices
    and a UiAutomator2 system port, and holds them until it ends. Whatever happens, the
    attempt leaves exactly one row: an exception of the harness itself becomes this
    attempt's ``failure: unknown_failure`` with a scrubbed message (``crashed``), never a
    planned attempt without a row.
    """
    begun: list[str] = []
    label = f"{scenario.id}-{profile.id}"
    slots = profile.device.slots()
    common: dict[str, Any] = dict(
        store=store, run_id=run_id, scenario=scenario, profile=profile, phone=phone,
        backend=backend, rules=rules, settings=settings, vantage=vantage,
        store_stage=store_stage, sideload=sideload, begun=begun)
    try:
        if pool is None or backend is Backend.SIM:
            lease: contextlib.AbstractContextManager[Lease | None] = \
                contextlib.nullcontext(None)
        else:
            lease = pool.lease(slots, label)
        try:
            with lease as held:
                return _run_leased(open_device=open_device, held=held,
                                   has_slots=bool(slots), **common)
        except DeviceUnavailable as exc:  # no device could be leased: still a measurement
            if begun:
                raise
            return _run_leased(open_device=_refuse(exc), held=None, has_slots=False, **common)
    except Exception as exc:
        return _record_crash(store, run_id, scenario, profile, phone, backend, rules, begun,
                             exc)


def _record_crash(store: Store, run_id: str, scenario: Scenario, profile: Profile,
                  phone: PhoneNumber, backend: Backend, rules: RuleSet | None,
                  begun: list[str], exc: Exception) -> AttemptResult:
    """The row of an attempt during which the harness raised: ``unknown_failure``."""
    secrets = [phone.e164.reveal(), phone.national.reveal()]
    log.error("internal error during %s from %s: %s", scenario.id, profile.id,
              scrub(f"{type(exc).__name__}: {exc}", secrets), exc_info=exc)
    verdict = Verdict(status=Status.FAILURE, stage=Stage.LAUNCH,
                      failure=Failure.UNKNOWN_FAILURE,
                      detail=scrub(f"internal error: {type(exc).__name__}: {exc}", secrets))
    if begun:
        mid = begun[0]
        store.complete_measurement(mid, verdict, 0, running_only=True)
    else:
        # the envelope without anything that could have raised (no phone hash, no caps)
        mid = store.begin_measurement(_envelope(run_id, scenario, profile, phone, backend,
                                                rules or shared_rules()))
        store.complete_measurement(mid, verdict, 0)
    return AttemptResult(mid, verdict, scenario.id, profile.id, profile.country, crashed=True)


def _envelope(run_id: str, scenario: Scenario, profile: Profile, phone: PhoneNumber,
              backend: Backend, rules: RuleSet) -> MeasurementStart:
    """What a measurement row records before anything of the attempt has run."""
    return MeasurementStart(
        run_id=run_id, scenario_id=scenario.id, scenario_version=scenario.version,
        scenario_verified=scenario.verified, app_id=scenario.app.android_package,
        app_name=scenario.app.name, country=profile.country, region=profile.region.value,
        profile_id=profile.id, backend=backend.value, rules_version=rules.version,
        phone_masked=phone.masked, phone_source=phone.source, phone_country=phone.region)


@dataclass(frozen=True)
class DeviceRouteCheck(Step):
    """The device-route egress check, recorded as the attempt's first step."""


def _device_route_step(device: Device, echo_url: str, sink: StoreSink) -> DeviceEgress:
    step = DeviceRouteCheck(stage=Stage.VANTAGE, timeout=20, optional=False, line=None,
                            name="device route", origin="attempt")
    sink.step_started(0, step, f"open {mask_url(echo_url)} in the device's browser")
    result = check_device_route(device, echo_url)
    sink.step_finished(0, "ok" if result.country else "skipped", result.detail, None, None)
    return result


class _Concluded(Exception):
    """The attempt has its verdict before any device session (vantage failed)."""


def egress_vantage(profile: Profile, r: VantageResult) -> Vantage:
    """The egress check's answer as the measurement's network vantage columns."""
    return Vantage(
        egress_ip_masked=r.ip_masked, egress_ip_hash=r.ip_hash, egress_asn=r.asn,
        ip_country=r.ip_country,
        ip_country_match=None if r.ip_country is None else r.ip_country == profile.country,
        geoip_country=r.geoip_country, ip_sources_agree=r.sources_agree,
        vantage_checked_at=r.checked_at,
        vantage_source=f"egress:{r.source or r.verdict}" + (" (cached)" if r.cached else ""))


def _refuse(exc: DeviceUnavailable) -> DeviceFactory:
    def open_device(_caps: Mapping[str, Any]) -> Device:
        raise exc
    return open_device


def _run_leased(*, store: Store, run_id: str, scenario: Scenario, profile: Profile,
                phone: PhoneNumber, backend: Backend, open_device: DeviceFactory,
                rules: RuleSet | None, settings: RunnerSettings | None, held: Lease | None,
                has_slots: bool, vantage: VantageChecker | None,
                store_stage: StoreStage | None, sideload: bool, begun: list[str]
                ) -> AttemptResult:
    ruleset = rules or shared_rules()
    proxy = resolve_proxy(profile)
    route = route_for(profile, proxy, backend, held.slot if held and has_slots else None)
    caps = build_capabilities(profile, phone, backend, proxy_url=proxy,
                              system_port=held.system_port if held else None,
                              slot=held.slot if held and has_slots else None,
                              ip_echo_url=vantage.endpoint if vantage else None)
    start = replace(_envelope(run_id, scenario, profile, phone, backend, ruleset),
                    phone_hash=phone.hashed, proxy_masked=profile.proxy_masked,
                    capabilities=masked_capabilities(caps, phone))
    mid = store.begin_measurement(start)
    begun.append(mid)
    secrets = [phone.e164.reveal(), phone.national.reveal()] + ([proxy] if proxy else [])
    device: Device | None = None
    steps_done = 0
    features: dict[str, str] = {}
    egress = vantage.check(profile, proxy) if vantage is not None else None
    if egress is not None:
        store.record_vantage(mid, egress_vantage(profile, egress))
    try:
        if egress is not None and not egress.ok:
            failure = {"proxy_unreachable": Failure.PROXY_UNREACHABLE,
                       "vantage_mismatch": Failure.VANTAGE_MISMATCH}.get(
                           egress.verdict, Failure.UNKNOWN_FAILURE)
            verdict = Verdict(status=Status.FAILURE, stage=Stage.VANTAGE, failure=failure,
                              detail=scrub(egress.detail or egress.verdict, secrets))
            raise _Concluded
        seen = (store_stage(scenario, profile, egress.ip_country if egress is not None
                            else None) if store_stage is not None else STORE_NOT_CHECKED)
        store.record_store(mid, seen.result.value, seen.rule_id, seen.detail)
        if seen.barrier is not None and not sideload:
            verdict = seen.barrier  # absent from the store, not sideloaded: no session
            raise _Concluded
        try:
            device = open_device(caps)
        except DeviceError as exc:
            verdict = Verdict(status=Status.FAILURE, stage=Stage.LAUNCH, failure=exc.failure,
                              detail=scrub(exc.message, secrets))
        else:
            if route.phone_proxy is not None:
                try:
                    device.set_http_proxy(route.phone_proxy)
                except DeviceError as exc:
                    verdict = Verdict(
                        status=Status.FAILURE, stage=Stage.VANTAGE,
                        failure=Failure.PROXY_UNREACHABLE,
                        detail=scrub("could not set the phone's global proxy (start Appium "
                                     "with --allow-insecure=uiautomator2:adb_shell): "
                                     f"{exc.message}", secrets))
                    raise _Concluded from None
            located = observe_location(device, profile)
            info: DeviceInfo | None = None
            try:
                info = device.device_info()
            except DeviceError as exc:
                log.debug("device info unavailable: %s", exc.message)
            store.record_vantage(mid, observed_vantage(profile, info, device.device_id,
                                                       backend, egress, located))
            if vantage is not None:
                sink = StoreSink(store, run_id, mid)
                route_check = _device_route_step(device, vantage.endpoint, sink)
                steps_done = 1
                route_match = route_check.matches(profile)
                store.record_vantage(mid, Vantage(device_egress_country=route_check.country,
                                                  device_egress_match=route_match))
                if route_match is False:
                    verdict = Verdict(
                        status=Status.FAILURE, stage=Stage.VANTAGE,
                        failure=Failure.VANTAGE_MISMATCH,
                        detail=scrub(f"{route_check.detail}, not {profile.country} (the "
                                     "harness's own check through the proxy passed): the "
                                     "device's traffic does not go where the profile says",
                                     secrets))
                    raise _Concluded
            variables = template_variables(profile, phone)
            otp = make_source(profile.otp, device, phone.e164.reveal(),
                              phone.national.reveal(),
                              f"{scenario.id} from {profile.id} ({phone.masked})",
                              profile.where("phone.otp"))
            try:
                runner = Runner(device, scenario, ruleset, variables,
                                sink=StoreSink(store, run_id, mid, first_index=steps_done),
                                settings=settings, otp=otp)
                result = runner.run()
            finally:
                otp.close()
            verdict, features = result.verdict, result.features
            steps_done += result.steps_done
    except _Concluded:
        pass
    except DeviceError as exc:
        verdict = Verdict(status=Status.FAILURE, stage=Stage.LAUNCH, failure=exc.failure,
                          detail=scrub(exc.message, secrets))
    except Exception as exc:  # an unmapped fault is still an instrument failure, recorded
        log.exception("unexpected error during attempt %s", mid)
        verdict = Verdict(status=Status.FAILURE, stage=Stage.LAUNCH,
                          failure=Failure.UNKNOWN_FAILURE,
                          detail=scrub(f"{type(exc).__name__}: {exc}", secrets))
    finally:
        if device is not None:
            if route.phone_proxy is not None:
                with contextlib.suppress(DeviceError):
                    device.set_http_proxy(None)  # leave the phone as it was found
            device.close()
    store.complete_measurement(mid, verdict, steps_done, features)
    return AttemptResult(mid, verdict, scenario.id, profile.id, profile.country)
