"""``harness nightly``: the store checks and every attempt of one configuration, then the
night's summary; one night at a time per database.

The order of a night:

1. read the configuration, load the scenarios and profiles, check every profile
   (``preflight``): a mistake stops here, before anything is written;
2. take the ``nightly`` job lock in the database (``harness.storage.plan``). A second
   nightly on the same database, from this host or another, refuses with the holder's
   host and pid; a lock whose holder died is taken over (this host: its pid is gone;
   another host: no heartbeat for ``STALE_AFTER``). The lock is kept fresh by a
   heartbeat thread while the night runs and released when it ends;
3. the store checks (``harness.runs.nightly_stores``);
4. the attempts through ``run_batch``. A night killed before it finished is *resumed* by
   the next one (same run id, its settled instances not measured again) when the
   killed run is recent (``resume_hours``) and the configuration still selects its
   open instances; otherwise a new run starts;
5. the summary, from what the database holds (``harness.runs.nightly_summary``,
   ``harness.runs.triage``), written as JSON and Markdown
   (``harness.runs.nightly_report``).

An endpoint that does not answer or an interrupt ends the night early but still writes
its summary (and counts as a night that did not complete); configuration errors are
raised to the caller.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from types import TracebackType

from rich.console import Console

from harness.runs.batch import BatchResult, preflight, run_batch
from harness.runs.nightly_config import NightlyConfig
from harness.runs.nightly_report import NightlySummary, write_summary
from harness.runs.nightly_stores import (
    run_store_checks,
    store_apps,
    store_changes,
    store_countries,
)
from harness.runs.nightly_summary import (
    aware,
    failure_codes,
    failure_rates,
    instance_changes,
    nightly_config_of,
    nightly_runs,
    previous_night,
    retried,
    run_info,
    status_counts,
)
from harness.runs.resume import check_resumable
from harness.runs.triage import screens_to_triage
from harness.spec.profile import Profile
from harness.spec.profiles import load_profiles, select_profiles
from harness.spec.scenarios import Scenario, for_backend, load_scenarios
from harness.storage import preflight as paths
from harness.storage.models import OPEN_STATES, JobLock, Run
from harness.storage.plan import acquire_lock, heartbeat, plan_counts, plan_items, release_lock
from harness.storage.store import StorageError, Store, utcnow
from harness.stores.confirm import ConfirmationRule
from harness.support.errors import ConfigError, ConfigErrors, HarnessError, display_path
from harness.vocabulary.outcomes import Backend

log = logging.getLogger(__name__)

#: The job lock's name in ``job_locks``.
LOCK = "nightly"
#: Seconds between two heartbeats of the lock.
HEARTBEAT_SECONDS = 60.0


# --------------------------------------------------------------------------- selection


def _check_paths(config: NightlyConfig) -> None:
    """The folders the file names exist (an error at the line that names them)."""
    errors = [ConfigError(config.at(f"scenarios[{i}]"), f"scenarios[{i}]",
                          f"{display_path(p)}: no such file or folder",
                          "Give scenario files or folders, relative to this file")
              for i, p in enumerate(config.scenarios) if not p.exists()]
    if not config.profiles_dir.is_dir():
        errors.append(ConfigError(config.at("profiles"), "profiles",
                                  f"{display_path(config.profiles_dir)}: no such folder",
                                  "Give the folder of the device profiles, relative to "
                                  "this file", "profiles: ../device_profiles"))
    if errors:
        raise ConfigErrors(errors)


def select_instances(config: NightlyConfig) -> tuple[list[Scenario], list[Profile]]:
    """The configured scenarios (``apps``) and profiles (``countries``, ``regions``);
    a selection that names nothing known is an error at its line in the file."""
    _check_paths(config)
    try:
        profiles = select_profiles(load_profiles(config.profiles_dir), config.countries,
                                   config.regions)
    except ConfigError as exc:
        if exc.location.startswith(("--country", "--region")):
            name = "countries" if exc.location.startswith("--country") else "regions"
            raise ConfigError(config.at(name), name, exc.problem, exc.fix) from None
        raise
    scenarios, demo = for_backend(load_scenarios(list(config.scenarios)), config.run.backend)
    if demo:
        log.warning("left out %d simulator demo scenarios (%s): they run only with "
                    "backend: sim", len(demo), ", ".join(demo))
    if config.apps:
        unknown = sorted(set(config.apps) - {s.id for s in scenarios})
        if unknown:
            raise ConfigError(config.at("apps"), "apps", f"no scenario with id {unknown[0]!r}",
                              "Known ids: " + ", ".join(s.id for s in scenarios))
        scenarios = [s for s in scenarios if s.id in config.apps]
    if not scenarios or not profiles:
        raise ConfigError(config.at("scenarios" if not scenarios else "countries"), None,
                          f"nothing to run: {len(scenarios)} scenarios x {len(profiles)} "
                          "profiles", "Check `scenarios`, `apps`, `countries` and `regions`")
    return scenarios, profiles


def _check_writable(config: NightlyConfig) -> None:
    """The database, the evidence folder, the summary folder and (for devices the night
    leases itself) the lock folder can be written (``harness.storage.preflight``)."""
    run = config.run
    evidence = paths.artifacts(run.artifacts_dir, run.db)
    paths.check_targets([
        paths.Target("database", run.db, config.at("db"), "db"),
        evidence and replace(evidence, where=config.at("artifacts"), field="artifacts"),
        paths.Target("folder", config.summary_dir, config.at("summary_dir"),
                         "summary_dir", "Give a folder for the summaries, relative to this "
                         "file (summary_dir: /var/lib/harness/nightly)"),
        paths.locks() if run.backend is Backend.APPIUM else None])


def check_config(config: NightlyConfig, scenarios: Sequence[Scenario],
                 profiles: Sequence[Profile]) -> None:
    """Everything that can be checked before the night takes its lock."""
    preflight(list(profiles), config.run)
    _check_writable(config)
    if config.stores.enabled:
        store_apps(config, scenarios)
        store_countries(config, profiles)


# --------------------------------------------------------------------------- the lock


class Heartbeat:
    """Refreshes the job lock every ``interval`` seconds until the block ends."""

    def __init__(self, store: Store, name: str = LOCK,
                 interval: float = HEARTBEAT_SECONDS) -> None:
        self.store, self.name, self.interval = store, name, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="nightly-heartbeat",
                                        daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                heartbeat(self.store, self.name)
            except StorageError as exc:  # the next beat may get through
                log.warning("the nightly lock's heartbeat failed: %s", exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def take_lock(store: Store) -> str | None:
    """Hold the nightly lock (``LockHeld`` if another nightly does); when a dead holder's
    lock was taken over, describe that holder."""
    with store.session() as s:
        before = s.get(JobLock, LOCK)
        left = (f"host {before.hostname}, pid {before.pid}, last heartbeat "
                f"{before.heartbeat_at:%Y-%m-%d %H:%M} UTC" if before is not None else None)
    acquire_lock(store, LOCK)
    mine = before is not None and before.hostname == socket.gethostname() \
        and before.pid == os.getpid()
    return None if mine else left


# --------------------------------------------------------------------------- resume


def config_key(config: NightlyConfig) -> str:
    """How a run records the configuration file that started it (its absolute path)."""
    return str(config.source.resolve())


def resumable(store: Store, config: NightlyConfig, scenarios: Sequence[Scenario],
              profiles: Sequence[Profile]) -> Run | None:
    """The latest nightly run of this configuration, if it was killed or interrupted
    recently and the configuration still selects every instance it left open."""
    backend = config.run.backend.value
    runs = nightly_runs(store, backend, limit=20)
    if config.resume_hours <= 0 or not runs:
        return None
    run = runs[0]
    if (run.status in ("completed", "completed_with_errors")
            or utcnow() - aware(run.started_at) > timedelta(hours=config.resume_hours)
            or nightly_config_of(run) != config_key(config)):
        return None
    open_items = [i for i in plan_items(store, run.id) if i.state in OPEN_STATES]
    ids = ({s.id for s in scenarios}, {p.id for p in profiles})
    if not open_items or any(i.scenario_id not in ids[0] or i.profile_id not in ids[1]
                             for i in open_items):
        return None
    try:
        check_resumable(store, run, backend)
    except ConfigError:
        return None
    return run


# --------------------------------------------------------------------------- the night


def run_nightly(config: NightlyConfig, console: Console | None = None,
                command: str | None = None) -> NightlySummary:
    """One night: store checks, attempts, summary (see the module docstring). Raises
    ``ConfigError``/``ConfigErrors`` for a mistake and ``LockHeld`` when another nightly
    holds the lock; the summary's ``problems`` say whether the night succeeded."""
    console = console or Console(stderr=True)
    scenarios, profiles = select_instances(config)
    check_config(config, scenarios, profiles)
    store = Store.open(config.run.db, config.run.artifacts_dir)
    try:
        took_over = take_lock(store)
        try:
            if took_over:
                console.print(f"took over the nightly lock left by a process that is gone "
                              f"({took_over})", highlight=False)
            with Heartbeat(store):
                return _night(store, config, scenarios, profiles, console, command,
                              took_over)
        finally:
            release_lock(store, LOCK)
    finally:
        store.close()


def _night(store: Store, config: NightlyConfig, scenarios: list[Scenario],
           profiles: list[Profile], console: Console, command: str | None,
           took_over: str | None) -> NightlySummary:
    summary = NightlySummary(config=config, started_at=utcnow(), took_over=took_over)
    batch: BatchResult | None = None
    try:
        summary.stores = run_store_checks(store, config, scenarios, profiles,
                                          lambda text: console.print(f"note: {text}",
                                                                     highlight=False))
        batch = _attempts(store, config, scenarios, profiles, console, command, summary)
    except KeyboardInterrupt:
        summary.error = "interrupted"
    except (ConfigError, ConfigErrors):
        raise
    except HarnessError as exc:
        summary.error = str(exc)
    run_id = batch.run_id if batch is not None else _own_run(store, summary)
    _figures(store, config, summary, run_id)
    summary.finished_at = utcnow()
    write_summary(summary, config.summary_dir)
    return summary


def _attempts(store: Store, config: NightlyConfig, scenarios: list[Scenario],
              profiles: list[Profile], console: Console, command: str | None,
              summary: NightlySummary) -> BatchResult:
    again = resumable(store, config, scenarios, profiles)
    summary.resumed = again is not None
    report = summary.stores.report
    sources = {"sources": [str(p) for p in config.scenarios],
               "nightly": {"config": config_key(config),
                           "store_checks_run": report.run_id if report else None}}
    return run_batch(scenarios, profiles, config.run, store, workers=config.workers,
                     command=command, console=console,
                     resume=again.id if again is not None else None, sources=sources)


def _own_run(store: Store, summary: NightlySummary) -> str | None:
    """The run this process started or resumed (when ``run_batch`` did not return)."""
    runs = nightly_runs(store, summary.config.run.backend.value, limit=5)
    mine = [r for r in runs if r.hostname == socket.gethostname() and r.pid == os.getpid()
            and (summary.resumed or aware(r.started_at) >= summary.started_at)]
    return mine[0].id if mine else None


def _figures(store: Store, config: NightlyConfig, summary: NightlySummary,
             run_id: str | None) -> None:
    """Fill the summary from the database."""
    rule = ConfirmationRule(config.confirmation.min_attempts, config.confirmation.min_hours)
    summary.run = run_info(store, run_id) if run_id else None
    summary.previous = previous_night(store, config.run.backend.value, summary.run,
                                      config_key(config))
    since = summary.previous.started_at if summary.previous else summary.started_at
    summary.stores.changes = store_changes(store, summary.stores, rule, since)
    if run_id is None:
        return
    summary.plan = plan_counts(store, run_id)
    summary.by_status = status_counts(store, run_id)
    summary.failures_by_code = failure_codes(store, run_id)
    summary.retried = retried(store, run_id)
    summary.rates = failure_rates(store, run_id)
    summary.changes = instance_changes(store, run_id, config.confirmation,
                                       include_simulated=config.run.backend is Backend.SIM)
    summary.triage = screens_to_triage(store, run_id)


__all__ = ["HEARTBEAT_SECONDS", "LOCK", "Heartbeat", "check_config", "config_key", "resumable",
           "run_nightly", "select_instances", "take_lock"]
