"""The ``store`` stage of a scenario run: can this country's user get the app from the store?

The runner calls the stage after the vantage check and before opening a device session.
``check_store_stage`` checks the app in the profile's country through the profile's proxy
(the same code as ``harness stores check``), decides the scope of an absence from the
reference storefronts (``harness.stores.scope``), stores every check in ``store_checks``
with the run id, and returns a ``StoreStageResult`` that the attempt records on its
measurement row (``store_result``, ``store_rule_id``, ``store_detail``):

- ``absent_in_country`` / ``absent_everywhere`` / ``absent_scope_unknown`` when a store
  answered conclusively that the app is not offered in the country, with the rule
  ``store.<store>.absent_in_country``, ``store.<store>.absent_everywhere`` or
  ``store.<store>.unavailable`` (scope unknown) and a ``barrier: store_unavailable``
  verdict at stage ``store``. By default the attempt goes on anyway, on a device that
  has the app (sideloaded), so that a sign-up barrier behind the store barrier is
  measured too; with ``--no-sideload`` the attempt ends with that verdict, without a
  device session;
- ``available``; ``check_failed`` (the instrument: never a barrier, never stops an
  attempt); ``not_checked`` (a demo app, no identifier, a country the store does not
  serve).

By default only Google Play is asked, because the devices are Android; pass
``stores=("apple", "play")`` to make an App Store absence a barrier as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from harness.spec.catalog import default_catalog
from harness.spec.config import RunConfig
from harness.spec.profile import Profile, resolve_proxy
from harness.spec.profiles import load_profiles
from harness.spec.scenarios import Scenario
from harness.storage.store import Store
from harness.stores.clients import StoreClients
from harness.stores.model import (
    CheckResult,
    StoreName,
    StoreObservation,
    StoreResult,
    StoreScope,
    StoreStageResult,
    StoreTarget,
)
from harness.stores.repository import save_observations
from harness.stores.scope import REFERENCE_STOREFRONTS, ScopeResolver
from harness.stores.settings import StoreSettings
from harness.stores.storefronts import storefront_codes
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import Backend

#: The store stage: (scenario, profile, egress country) -> what the store showed, recorded
#: on the row beside the sign-up verdict. Built by ``make_store_stage`` for a run;
#: None = no store check (recorded as ``not_checked``).
StoreStage = Callable[[Scenario, Profile, "str | None"], StoreStageResult]

log = logging.getLogger(__name__)

DEFAULT_STAGE_STORES: tuple[StoreName, ...] = (StoreName.PLAY,)

_RULE_SUFFIX = {StoreScope.IN_COUNTRY: "absent_in_country",
                StoreScope.EVERYWHERE: "absent_everywhere",
                StoreScope.UNKNOWN: "unavailable"}


def rule_id(store: StoreName, scope: StoreScope | None = None) -> str:
    """The stable rule id of a store absence: ``store.play.absent_in_country``,
    ``store.play.absent_everywhere``, or ``store.play.unavailable`` when the scope is
    unknown (the only id before schema 0004)."""
    return f"store.{store.value}.{_RULE_SUFFIX[scope or StoreScope.UNKNOWN]}"


def rule_ids() -> list[str]:
    """Every store rule id, for the documentation test."""
    return [rule_id(store, scope) for store in StoreName for scope in StoreScope]


def target_of(scenario: Scenario) -> StoreTarget:
    """The scenario's app as a store target, named like ``harness stores check`` names it.

    Checks are grouped into series by app id, so a stage check must use the catalog id
    (``wechat``) when the package is in the catalog, to extend the same series as the
    sweeps; an app outside the catalog is named by its scenario id.
    """
    app = scenario.app
    known = default_catalog().by_package(app.android_package)
    return StoreTarget(known.id if known else scenario.id, app.android_package,
                       app.apple_id if app.apple_id is not None else
                       (known.apple_id if known else None),
                       app.bundle_id or (known.bundle_id if known else None))


def _not_checked(detail: str) -> StoreStageResult:
    return StoreStageResult(StoreResult.NOT_CHECKED, detail=detail)


def check_store_stage(
    store: Store,
    scenario: Scenario,
    profile: Profile,
    *,
    run_id: str | None = None,
    stores: Sequence[StoreName | str] = DEFAULT_STAGE_STORES,
    settings: StoreSettings | None = None,
    clients: StoreClients | None = None,
    egress_country: str | None = None,
    scopes: ScopeResolver | None = None,
) -> StoreStageResult:
    """Check ``scenario``'s app in ``profile``'s country; what the store stage observed.

    ``clients`` lets a batch share one set of clients (and so one rate limiter) across
    attempts, ``scopes`` one cache of reference answers; without them, both are built
    for this call (reference storefronts then checked directly). A proxy variable missing
    from the environment raises ``ConfigError`` like the attempt would.
    """
    if scenario.app.demo:
        return _not_checked("demo app: in no store")
    proxy = resolve_proxy(profile)
    target = target_of(scenario)
    country = profile.country.upper()
    own = clients is None
    cl = clients or StoreClients(settings)
    resolver = scopes or ScopeResolver(cl)
    skipped: list[str] = []
    try:
        observations = _check_stores(cl, resolver, scenario.id, target, country, stores,
                                     proxy, egress_country, skipped)
    finally:
        if own:
            cl.close()
    save_observations(store, observations, run_id)
    own_checks = [o for o in observations if not o.reference]
    _log_failures(scenario.id, profile.id, observations)
    return stage_result(own_checks, country, skipped)


def _check_stores(cl: StoreClients, resolver: ScopeResolver, scenario_id: str,
                  target: StoreTarget, country: str, stores: Sequence[StoreName | str],
                  proxy: str | None, egress_country: str | None, skipped: list[str]
                  ) -> list[StoreObservation]:
    """``target``'s checks in ``country``, scopes resolved; stores not asked go to ``skipped``."""
    observations: list[StoreObservation] = []
    for name in (StoreName(s) for s in stores):
        if target.store_app_id(name) is None:
            skipped.append(f"{name.value}: the app has no identifier there")
            continue
        if country not in storefront_codes(name):
            log.info("%s: %s has no %s storefront; not checked", scenario_id, country,
                     name.value)
            skipped.append(f"{name.value}: no storefront for {country}")
            continue
        if name is StoreName.APPLE:
            found = cl.apple.check([target], country, proxy=proxy,
                                   egress_country=egress_country)
        else:
            obs = cl.play.check(target, country, proxy=proxy,
                                egress_country=egress_country)
            found = [obs] if obs is not None else []
        observations.extend(resolver.resolve(found))
    return observations


def _log_failures(scenario_id: str, profile_id: str,
                  observations: Iterable[StoreObservation]) -> None:
    """Warn of every failed check of one attempt, the reference checks' included."""
    for obs in observations:
        if obs.result is CheckResult.FAILURE:
            log.warning("%s-%s: store check%s failed (%s): %s", scenario_id, profile_id,
                        f" of the reference {obs.country}" if obs.reference else "",
                        obs.failure, obs.detail)


def stage_result(observations: Sequence[StoreObservation], country: str,
                 skipped: Sequence[str] = ()) -> StoreStageResult:
    """What the checks of one attempt mean for its row: the first absence (a store
    barrier) wins, then a failed check, then availability; nothing checked otherwise."""
    for obs in observations:
        if obs.result is CheckResult.UNAVAILABLE:
            rid = rule_id(obs.store, obs.scope)
            # the proxy is not named: the row is exported, and the proxy names an account
            where = "through the profile's proxy" if obs.proxy_masked else "direct"
            scope = f"; {obs.scope_detail}" if obs.scope_detail else ""
            detail = (f"{obs.store.value} {country} {obs.store_app_id}: {obs.detail}{scope} "
                      f"({where}; {obs.request_url})")
            return StoreStageResult(StoreResult.of_scope(obs.scope), rule_id=rid,
                                    detail=detail, matched_text=obs.detail)
    failed = [o for o in observations if o.result is CheckResult.FAILURE]
    if failed:
        return StoreStageResult(StoreResult.CHECK_FAILED, detail="; ".join(
            f"{o.store.value} {country}: {o.detail}" for o in failed))
    if observations:
        return StoreStageResult(StoreResult.AVAILABLE, detail="; ".join(
            f"{o.store.value} {country}: {o.detail}" for o in observations))
    return _not_checked("; ".join(skipped) or "no store asked")


def reference_proxies(profiles: Sequence[Profile], countries: Iterable[str],
                      warn: Callable[[str], None]) -> dict[str, str | None]:
    """country -> the proxy of that country's first profile, for the reference storefronts
    ``countries``; a country without a profile, or whose proxy cannot be resolved (said
    through ``warn``), is checked directly (absent from the result)."""
    wanted = {c.upper() for c in countries}
    out: dict[str, str | None] = {}
    for profile in profiles:
        country = profile.country.upper()
        if country not in wanted or country in out:
            continue
        try:
            out[country] = resolve_proxy(profile)
        except ConfigError as exc:
            warn(f"reference storefront {country} is checked directly ({exc.problem})")
    return out


def _run_reference_proxies(directory: Path) -> dict[str, str | None]:
    try:
        profiles = load_profiles(directory) if directory.is_dir() else []
    except ConfigError as exc:
        log.warning("reference storefronts are checked directly: %s", exc)
        return {}
    countries = {c for refs in REFERENCE_STOREFRONTS.values() for c in refs}
    return reference_proxies(profiles, countries, log.warning)


def make_store_stage(store: Store, config: RunConfig, run_id: str) -> StoreStage | None:
    """One store-stage callable for a run, or None when store checks are off.

    Simulator runs skip it (demo apps are in no store, and a simulator run stays offline).
    The run shares one set of clients (one rate limiter) and one cache of reference
    answers, whose checks leave through the reference country's profile proxy.
    """
    if not config.store_check or config.backend is Backend.SIM:
        return None
    clients = StoreClients()  # one rate limiter for all attempts of the run
    scopes = ScopeResolver(clients,
                           proxy_for=_run_reference_proxies(config.profiles_dir).get)

    def stage(scenario: Scenario, profile: Profile, egress: str | None) -> StoreStageResult:
        return check_store_stage(store, scenario, profile, run_id=run_id, clients=clients,
                                 egress_country=egress, scopes=scopes)

    return stage
