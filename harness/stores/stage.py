"""The ``store`` stage of a scenario run: can this country's user get the app at all?

The runner calls ``check_store_stage`` after the vantage check and before opening a
device session. It checks the app in the profile's country through the profile's proxy
(the same code as ``harness stores check``), stores every check in ``store_checks`` with
the run id, and returns:

- a ``barrier: store_unavailable`` verdict at stage ``store`` when a store answered
  conclusively that the app is not offered (rule ``store.play.unavailable`` or
  ``store.apple.unavailable``; the matched text is the signal that decided). The caller
  ends the attempt there, without a device session, unless the user asked to go on
  (some users sideload);
- ``None`` otherwise: available, not checkable (a demo app, no identifier, a country the
  store does not list), or a failure of the check. A failed check never stops an
  attempt and is never a barrier; it is stored as a failure for the analyst.

By default only Google Play is asked, because the devices are Android; pass
``stores=("apple", "play")`` to make an App Store absence a barrier as well.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from harness.attempt import StoreStage, resolve_proxy
from harness.catalog import default_catalog
from harness.config import RunConfig
from harness.outcomes import Backend, Barrier, Stage, Status, Verdict
from harness.profiles import Profile
from harness.scenarios import Scenario
from harness.storage.store import Store
from harness.stores.model import CheckResult, StoreName, StoreObservation, StoreTarget
from harness.stores.repository import save_observations
from harness.stores.settings import StoreSettings
from harness.stores.storefronts import storefront_codes
from harness.stores.sweep import StoreClients

log = logging.getLogger(__name__)

DEFAULT_STAGE_STORES: tuple[StoreName, ...] = (StoreName.PLAY,)


def rule_id(store: StoreName) -> str:
    """The stable rule id of a store barrier, e.g. ``store.play.unavailable``."""
    return f"store.{store.value}.unavailable"


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
) -> Verdict | None:
    """Check ``scenario``'s app in ``profile``'s country; a barrier verdict or None.

    ``clients`` lets a batch share one set of clients (and so one rate limiter) across
    attempts; without it, clients are built from ``settings`` for this call. A proxy
    variable missing from the environment raises ``ConfigError`` like the attempt would.
    """
    if scenario.app.demo:
        return None
    proxy = resolve_proxy(profile)
    target = target_of(scenario)
    country = profile.country.upper()
    own = clients is None
    cl = clients or StoreClients(settings)
    try:
        observations: list[StoreObservation] = []
        for name in (StoreName(s) for s in stores):
            if target.store_app_id(name) is None:
                continue
            if country not in storefront_codes(name):
                log.info("%s: %s has no %s storefront; not checked", scenario.id, country,
                         name.value)
                continue
            if name is StoreName.APPLE:
                observations.extend(cl.apple.check([target], country, proxy=proxy,
                                                   egress_country=egress_country))
            else:
                obs = cl.play.check(target, country, proxy=proxy,
                                    egress_country=egress_country)
                if obs is not None:
                    observations.append(obs)
    finally:
        if own:
            cl.close()
    save_observations(store, observations, run_id)
    for obs in observations:
        if obs.result is CheckResult.FAILURE:
            log.warning("%s-%s: store check failed (%s): %s", scenario.id, profile.id,
                        obs.failure, obs.detail)
    for obs in observations:
        if obs.result is CheckResult.UNAVAILABLE:
            where = f"via {obs.proxy_masked}" if obs.proxy_masked else "direct"
            return Verdict(
                status=Status.BARRIER, stage=Stage.STORE, barrier=Barrier.STORE_UNAVAILABLE,
                rule_id=rule_id(obs.store), matched_text=obs.detail,
                detail=(f"{obs.store.value} store, {country}, {obs.store_app_id}: "
                        f"{obs.detail} ({where}; {obs.request_url})"))
    return None


def make_store_stage(store: Store, config: RunConfig, run_id: str) -> StoreStage | None:
    """One store-stage callable for a run, or None when store checks are off.

    Simulator runs skip it (demo apps are in no store, and a simulator run stays offline).
    """
    if not config.store_check or config.backend is Backend.SIM:
        return None
    clients = StoreClients()  # one rate limiter for all attempts of the run

    def stage(scenario: Scenario, profile: Profile, egress: str | None) -> Verdict | None:
        return check_store_stage(store, scenario, profile, run_id=run_id, clients=clients,
                                 egress_country=egress)

    return stage
