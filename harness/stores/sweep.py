"""A sweep: every selected app in every selected country of every selected store.

``harness stores check`` and the ``store`` stage of a scenario run both go through the
same clients built here from one immutable ``StoreSettings``. A sweep is cut into
*units*: one Apple unit per storefront (all apps in a few lookup requests, usually one)
and one Play unit per (app, country). Units run on a small thread pool; each request
waits for its (host, vantage) budget, and every unit's observations are stored as it
finishes (in batches of at most about a second), so an interrupted sweep keeps what it
measured.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from harness.spec.catalog import Catalog, CatalogApp
from harness.storage.store import Store
from harness.stores.clients import StoreClients
from harness.stores.model import CheckResult, StoreName, StoreObservation, StoreTarget
from harness.stores.repository import save_observations

if TYPE_CHECKING:
    from harness.stores.scope import ScopeResolver


def targets_from_catalog(catalog: Catalog, app_ids: Iterable[str] | None = None
                         ) -> list[StoreTarget]:
    apps: Sequence[CatalogApp] = catalog.apps
    if app_ids is not None:
        wanted = list(app_ids)
        apps = [a for a in catalog.apps if a.id in wanted]
    return [StoreTarget(a.id, a.android_package, a.apple_id, a.bundle_id) for a in apps]


@dataclass(frozen=True)
class SweepUnit:
    """One piece of work: a storefront (Apple, every app) or one app in one country (Play)."""

    store: StoreName
    country: str
    targets: tuple[StoreTarget, ...]
    proxy: str | None = None
    egress_country: str | None = None

    @property
    def label(self) -> str:
        if self.store is StoreName.APPLE:
            return f"apple {self.country}"
        return f"play {self.targets[0].app_id} {self.country}"


def plan_sweep(targets: Sequence[StoreTarget], countries: Mapping[StoreName, Sequence[str]],
               proxies: Mapping[str, str | None] | None = None) -> list[SweepUnit]:
    """The units of a sweep. ``proxies`` maps a country to its vantage (None = direct)."""
    proxies = proxies or {}
    units: list[SweepUnit] = []
    apple = tuple(t for t in targets if t.apple_id is not None)
    if apple:
        for c in countries.get(StoreName.APPLE, ()):
            units.append(SweepUnit(StoreName.APPLE, c, apple, proxies.get(c)))
    play = [t for t in targets if t.android_package]
    # country-major, so consecutive Play units spread over vantage points
    for c in countries.get(StoreName.PLAY, ()):
        for t in play:
            units.append(SweepUnit(StoreName.PLAY, c, (t,), proxies.get(c)))
    return units


def run_unit(clients: StoreClients, unit: SweepUnit, scopes: ScopeResolver | None = None
             ) -> list[StoreObservation]:
    """The unit's observations; with ``scopes``, every absence carries its scope and the
    reference checks made for it follow (``reference=True``)."""
    ids = [str(sid) for t in unit.targets if (sid := t.store_app_id(unit.store))]
    with (scopes.in_flight(unit.store, unit.country, ids) if scopes is not None
          else contextlib.nullcontext()):
        if unit.store is StoreName.APPLE:
            out = clients.apple.check(unit.targets, unit.country, proxy=unit.proxy,
                                      egress_country=unit.egress_country)
        else:
            out = []
            for t in unit.targets:
                obs = clients.play.check(t, unit.country, proxy=unit.proxy,
                                         egress_country=unit.egress_country)
                if obs is not None:
                    out.append(obs)
        if scopes is not None:
            scopes.offer(out)
    return scopes.resolve(out) if scopes is not None else out


@dataclass
class SweepReport:
    """What a sweep did: counts by store and result, failures by code, requests, time."""

    run_id: str
    units: int = 0
    observations: list[StoreObservation] = field(default_factory=list)
    requests: int = 0
    elapsed: float = 0.0
    interrupted: bool = False

    def counts(self) -> Counter[tuple[StoreName, CheckResult]]:
        return Counter((o.store, o.result) for o in self.observations)

    @property
    def failures(self) -> list[StoreObservation]:
        """Every failed check, the reference checks' included."""
        return [o for o in self.observations if o.result is CheckResult.FAILURE]

    @property
    def checks(self) -> list[StoreObservation]:
        """The checks of the selected apps and countries (without reference checks)."""
        return [o for o in self.observations if not o.reference]

    @property
    def references(self) -> list[StoreObservation]:
        """The reference checks made to tell an absence's scope."""
        return [o for o in self.observations if o.reference]


UnitCallback = Callable[[SweepUnit, list[StoreObservation], int, int], None]


@dataclass
class _Batch:
    """Observations waiting to be stored, written by rows, raw bytes or age (and at the end)."""

    store: Store | None
    run_id: str
    max_seconds: float
    max_rows: int
    max_bytes: int
    pending: list[StoreObservation] = field(default_factory=list)
    pending_bytes: int = 0
    last_flush: float = field(default_factory=time.monotonic)

    def add(self, observations: list[StoreObservation]) -> None:
        """Queue ``observations``; store the batch once it is large or old enough."""
        self.pending.extend(observations)
        self.pending_bytes += sum(len(o.raw.body) for o in observations if o.raw)
        if (len(self.pending) >= self.max_rows or self.pending_bytes >= self.max_bytes
                or time.monotonic() - self.last_flush >= self.max_seconds):
            self.flush()

    def flush(self) -> None:
        """Store what is pending (nothing without a store) and start a new batch."""
        batch = list(self.pending)
        self.pending.clear()
        self.pending_bytes = 0
        self.last_flush = time.monotonic()
        if self.store is not None and batch:
            save_observations(self.store, batch, self.run_id)


def _run_units(pool: ThreadPoolExecutor, clients: StoreClients, units: Sequence[SweepUnit],
               scopes: ScopeResolver | None, batch: _Batch, report: SweepReport,
               keep: bool, on_unit: UnitCallback | None) -> None:
    """Start the units (reference storefronts first) and take in each one as it finishes."""
    order = (list(units) if scopes is None else
             sorted(units, key=lambda u: scopes.rank(u.store, u.country)))
    futures: dict[Future[list[StoreObservation]], SweepUnit] = {
        pool.submit(run_unit, clients, u, scopes): u for u in order}
    for fut in as_completed(futures):
        unit = futures.pop(fut)  # drop the finished future: it holds the raw bodies
        observations = fut.result()
        batch.add(observations)
        report.units += 1
        if keep:
            report.observations.extend(replace(o, raw=None) for o in observations)
        if on_unit is not None:
            on_unit(unit, observations, report.units, len(units))


def run_sweep(clients: StoreClients, units: Sequence[SweepUnit], store: Store | None = None,
              *, run_id: str | None = None, workers: int | None = None,
              on_unit: UnitCallback | None = None, keep: bool = True,
              flush_seconds: float = 1.0, flush_rows: int = 500,
              flush_bytes: int = 32 << 20, scopes: ScopeResolver | None = None
              ) -> SweepReport:
    """Run ``units`` and store their observations as they finish.

    With ``scopes``, every absence is stored with its scope (``harness.stores.scope``),
    and the reference checks it needed are stored beside it. Units of reference
    storefronts are started first, in reference order, so that their answers usually
    serve every other country without a request of their own.

    Writes are batched (every ``flush_seconds``, ``flush_rows`` or ``flush_bytes`` of raw
    responses, and at the end, also on an interrupt), so a crash loses at most about a
    second of checks while a large sweep does not pay one transaction per Play page.
    ``on_unit(unit, observations, done, total)`` is called in the calling thread.
    The report keeps the observations without their raw bodies (1.2 MB per Play page);
    ``keep=False`` keeps none (very large sweeps).
    """
    report = SweepReport(run_id=run_id or uuid.uuid4().hex)
    start = time.perf_counter()
    before = clients.requests
    n = max(1, workers or clients.settings.workers)
    batch = _Batch(store, report.run_id, flush_seconds, flush_rows, flush_bytes)
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="store-check")
    try:
        _run_units(pool, clients, units, scopes, batch, report, keep, on_unit)
        batch.flush()
    except KeyboardInterrupt:
        report.interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        batch.flush()
        pool.shutdown(wait=True, cancel_futures=True)
        report.requests = clients.requests - before
        report.elapsed = time.perf_counter() - start
    return report
