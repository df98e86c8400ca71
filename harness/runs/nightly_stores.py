"""The nightly job's store checks: the sweep ``harness stores check`` runs, and the
availability changes it confirmed.

The same library functions as ``harness stores check`` (``plan_sweep``, ``run_sweep``,
``ScopeResolver``) and ``harness stores changes`` (``timelines``, ``confirm``) do the
work; this module only decides, from the configuration, which apps in which countries
of which stores are checked, and through which vantage point (each country's profile
proxy, else directly).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from harness.runs.nightly_config import ALL, PROFILE_COUNTRIES, SCENARIO_APPS, NightlyConfig
from harness.spec.catalog import Catalog, default_catalog, load_catalog
from harness.spec.profile import Profile, resolve_proxy
from harness.spec.scenarios import Scenario
from harness.storage.store import Store, utcnow
from harness.stores.clients import StoreClients
from harness.stores.confirm import ConfirmationRule, confirm
from harness.stores.model import CheckResult, StoreName
from harness.stores.repository import load_checks, timelines
from harness.stores.scope import REFERENCE_STOREFRONTS, ScopeResolver
from harness.stores.stage import reference_proxies
from harness.stores.storefronts import CountrySelection, select_countries
from harness.stores.sweep import SweepReport, plan_sweep, run_sweep, targets_from_catalog
from harness.support.errors import ConfigError

Note = Callable[[str], None]


@dataclass(frozen=True)
class StoreChange:
    """One availability series whose state changed: confirmed, or seen but pending."""

    app_id: str
    store: str
    country: str
    previous: bool | None
    available: bool
    since: datetime
    #: When the change was confirmed (or, pending, the latest check that saw it).
    at: datetime
    checks: int
    confirmed: bool
    scope: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"app": self.app_id, "store": self.store, "country": self.country,
                "previous": _state(self.previous), "current": _state(self.available),
                "scope": self.scope if self.available is False else None,
                "since": self.since.isoformat(), "at": self.at.isoformat(),
                "checks": self.checks,
                "confirmation": "confirmed" if self.confirmed else "pending"}


def _state(available: bool | None) -> str:
    return {True: "available", False: "unavailable", None: "unknown"}[available]


@dataclass
class StoreNight:
    """What the night's store checks did (``report`` None: none were made, ``note`` why)."""

    apps: tuple[str, ...] = ()
    stores: tuple[StoreName, ...] = ()
    countries: tuple[str, ...] = ()
    report: SweepReport | None = None
    note: str | None = None
    started_at: datetime | None = None
    changes: list[StoreChange] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        """Checks of the selected apps (reference checks aside) by store and result."""
        out: dict[str, dict[str, int]] = {}
        for (store, result), n in sorted(Counter(
                (o.store.value, o.result.value) for o in
                (self.report.checks if self.report else [])).items()):
            out.setdefault(store, {})[result] = n
        return out

    @property
    def checks(self) -> int:
        return len(self.report.checks) if self.report else 0

    @property
    def failures(self) -> int:
        return sum(1 for o in (self.report.checks if self.report else [])
                   if o.result is CheckResult.FAILURE)


def store_apps(config: NightlyConfig, scenarios: Sequence[Scenario]) -> tuple[Catalog,
                                                                              list[str]]:
    """The catalog and the ids of the apps to check (``scenarios``: those the selected
    scenarios measure, matched by Android package)."""
    plan = config.stores
    catalog = load_catalog(plan.catalog) if plan.catalog else default_catalog()
    if plan.apps == (ALL,):
        return catalog, [a.id for a in catalog.apps]
    if plan.apps == (SCENARIO_APPS,):
        found = (catalog.by_package(s.app.android_package) for s in scenarios)
        return catalog, list(dict.fromkeys(a.id for a in found if a is not None))
    unknown = [a for a in plan.apps if catalog.get(a) is None]
    if unknown:
        raise ConfigError(config.at("store_checks.apps"), "store_checks.apps",
                          f"no app {unknown[0]!r} in the catalog",
                          "Known ids: " + ", ".join(a.id for a in catalog.apps))
    return catalog, list(plan.apps)


def store_countries(config: NightlyConfig, profiles: Sequence[Profile]) -> CountrySelection:
    """Each store's countries: the selected profiles' (default), every storefront, or
    the codes given."""
    plan = config.stores
    if plan.countries == (PROFILE_COUNTRIES,):
        text = ",".join(dict.fromkeys(p.country for p in profiles))
    else:
        text = ALL if plan.countries == (ALL,) else ",".join(plan.countries)
    try:
        return select_countries(text, plan.stores)
    except ConfigError as exc:
        raise ConfigError(config.at("store_checks.countries"), "store_checks.countries",
                          exc.problem, exc.fix) from None


def _vantage(config: NightlyConfig, profiles: Sequence[Profile], countries: set[str],
             references: set[str], note: Note) -> dict[str, str | None]:
    """Each country's vantage point: its first selected profile's proxy, else direct."""
    if config.stores.direct:
        return {}
    proxies: dict[str, str | None] = {}
    for p in profiles:
        if p.country in countries and p.country not in proxies:
            proxies[p.country] = resolve_proxy(p)
    proxies.update(reference_proxies(profiles, references - countries, note))
    return proxies


def run_store_checks(store: Store, config: NightlyConfig, scenarios: Sequence[Scenario],
                     profiles: Sequence[Profile], note: Note) -> StoreNight:
    """Check the configured apps in the configured countries, storing every check."""
    plan = config.stores
    if not plan.enabled:
        return StoreNight(note="store checks are off (store_checks.enabled: false)")
    catalog, apps = store_apps(config, scenarios)
    night = StoreNight(apps=tuple(apps), stores=plan.stores, started_at=utcnow())
    if not apps:
        night.note = "no selected scenario measures an app of the catalog"
        return night
    selection = store_countries(config, profiles)
    for text in selection.notes:
        note(text)
    countries = {c for s in plan.stores for c in selection.countries(s)}
    night.countries = tuple(sorted(countries))
    references = ({c for s in plan.stores for c in REFERENCE_STOREFRONTS[s]}
                  if plan.reference_check else set())
    proxies = _vantage(config, profiles, countries, references, note)
    units = plan_sweep(targets_from_catalog(catalog, apps), selection.by_store, proxies)
    if not units:
        night.note = "no selected app has an identifier in the selected stores"
        return night
    note(f"store checks: {len(apps)} apps in {len(countries)} countries "
         f"({', '.join(s.value for s in plan.stores)}), {len(units)} requests planned")
    with StoreClients(plan.settings) as clients:
        scopes = (ScopeResolver(clients, proxy_for=lambda c: proxies.get(c))
                  if plan.reference_check else None)
        night.report = run_sweep(clients, units, store, scopes=scopes)
    return night


def store_changes(store: Store, night: StoreNight, rule: ConfirmationRule,
                  since: datetime) -> list[StoreChange]:
    """The night's series whose availability changed: confirmed after ``since``, or seen
    and not yet confirmed (pending)."""
    if night.report is None:
        return []
    checks = load_checks(store, app_ids=night.apps, stores=night.stores,
                         countries=night.countries)
    out: list[StoreChange] = []
    for series in timelines(checks):
        app, st, country = series.key
        status = confirm(series.points, rule)
        out += [StoreChange(app, st, country, c.previous, c.available, c.since,
                            c.confirmed_at, c.checks, True, c.scope)
                for c in status.changes if c.confirmed_at > since]
        p = status.pending
        if p is not None and p.previous is not None:
            out.append(StoreChange(app, st, country, p.previous, p.available, p.first,
                                   p.last, p.checks, False, p.scope))
    return out


__all__ = ["StoreChange", "StoreNight", "run_store_checks", "store_apps", "store_changes",
           "store_countries"]
