"""Running a batch of attempts outside pytest (``harness run`` / ``harness demo``).

A batch is every selected scenario x every selected profile: the run's plan, stored when
it starts (``run_plan``), so that ``harness run --resume`` can finish it after a crash.
Attempts run on a small thread pool (each has its own device session), each claiming
its instance first (``harness.runs.measure``); progress is shown as they finish, and
every attempt is stored as it completes. Through a Selenium Grid hub nothing is leased
locally: the hub queues the requests, and the run first checks that every profile has
a slot there.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from rich.console import Console

from harness.analysis.terminal_table import Cell
from harness.attempt.device_vantage import check_routes
from harness.attempt.otp import check_config as check_otp_config
from harness.attempt.run import AttemptResult, run_attempt
from harness.attempt.settings import RunnerSettings, settings_for
from harness.attempt.stopping import RunStop
from harness.attempt.vantage import VantageChecker, check_full_tunnel
from harness.devices.backends import check_farm_serves, device_factory, endpoint, via_farm
from harness.devices.pool import DevicePool
from harness.runs.interrupt import Interrupted, deferred, interruptible
from harness.runs.measure import InstancePolicy, Measured, grid_placement, measure_instance
from harness.runs.resume import resume as resume_run
from harness.spec.config import RunConfig, recent_attempt_message
from harness.spec.profile import PhoneNumber, Profile, resolve_proxy
from harness.spec.scenarios import Scenario
from harness.storage.plan import Instance, store_plan
from harness.storage.store import StorageError, Store
from harness.support.console import WorkProgress
from harness.support.errors import ConfigError, ConfigErrors, HarnessError
from harness.support.secrets import hash_key
from harness.verdicts.rules import RuleSet, shared_rules
from harness.vocabulary.outcomes import Backend


@dataclass
class BatchResult:
    run_id: str
    results: list[AttemptResult] = field(default_factory=list)
    aborted_before: int = 0
    skipped: list[str] = field(default_factory=list)
    #: Instances tried a second time after their farm device failed.
    retried: int = 0
    #: The run was taken up again with ``--resume``.
    resumed: bool = False
    #: Attempts during which the harness itself raised (recorded as unknown_failure, or
    #: not recorded at all: ``unrecorded``).
    errors: int = 0
    #: Attempts whose row could not be written (the database refused the writes).
    unrecorded: int = 0
    #: The latest attempts in a row that could not be stored, and why the last did not.
    unstored_in_a_row: int = 0
    last_unstored: str = ""
    status: str = "running"
    #: The attempts already counted (a stopped run records the last ones as they end).
    recorded: set[Future[Measured]] = field(default_factory=set, repr=False)

    def cells(self, scenarios: dict[str, Scenario]) -> list[Cell]:
        return [
            Cell(app=r.scenario_id, country=r.profile_id, status=r.verdict.status.value,
                 barrier=r.verdict.barrier.value if r.verdict.barrier else None,
                 failure=r.verdict.failure.value if r.verdict.failure else None,
                 access_level=r.verdict.access_level.value)
            for r in self.results
        ]


def check_attended(config: RunConfig) -> None:
    """An attended run needs a person at the device; CI has none."""
    if config.attended and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise ConfigError("--attended", None, "an attended run needs an operator at the "
                          "device to solve challenges, and CI is set",
                          "Drop --attended for unattended runs: challenges then end an "
                          "attempt as failure: challenge_required")


def preflight(profiles: list[Profile], config: RunConfig) -> dict[str, PhoneNumber]:
    """Check every profile before anything runs (its number, SMS source, full-tunnel
    confirmation and proxy variables) and return the numbers: one missing variable
    stops the batch, with every problem reported together."""
    phones: dict[str, PhoneNumber] = {}
    errors: list[ConfigError] = []
    hash_key()  # created (or found unusable) once, before any worker needs it
    check_attended(config)
    for p in profiles:
        try:
            phones[p.id] = p.resolve_phone(config.backend)
            check_otp_config(p.otp, p.where("phone.otp"))
            check_full_tunnel(p, config.full_tunnel_confirmed)
            check_routes(p, resolve_proxy(p), config.backend)
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    return phones


_Pair = tuple[Scenario, Profile]


def _plan(scenarios: list[Scenario], profiles: list[Profile], config: RunConfig,
          store: Store) -> tuple[list[_Pair], list[tuple[_Pair, str]]]:
    """The (scenario, profile) pairs to run, and those ``--min-interval`` skips now (each
    attempt checks the interval again when it claims its instance)."""
    pairs = [(s, p) for s in scenarios for p in profiles]
    if config.min_interval_hours <= 0:
        return pairs, []
    now = datetime.now(UTC)
    keep, skipped = [], []
    for s, p in pairs:
        last = store.last_attempt(s.id, p.id, config.backend.value)
        hours = (now - last).total_seconds() / 3600 if last else None
        if hours is not None and hours < config.min_interval_hours:
            skipped.append(((s, p), recent_attempt_message(s.id, p.id, hours,
                                                           config.min_interval_hours)))
        else:
            keep.append((s, p))
    return keep, skipped


def _attempt_runner(url: str, config: RunConfig, store: Store, run_id: str,
                    ruleset: RuleSet, settings: RunnerSettings, farm: bool, stop: RunStop
                    ) -> partial[AttemptResult]:
    """``run_attempt`` with the arguments shared by every attempt of the run bound; through
    a ``farm`` the hub queues requests for devices, so nothing is leased here."""
    open_device = device_factory(url, config, farm=farm)
    devices = DevicePool(url) if config.backend is Backend.APPIUM and not farm else None
    vantage = (VantageChecker(store, config.ip_echo_url, config.vantage_ttl, run_id=run_id)
               if config.ip_echo_url else None)
    from harness.stores.stage import make_store_stage

    store_stage = make_store_stage(store, config, run_id)
    return partial(run_attempt, store=store, run_id=run_id, backend=config.backend,
                   open_device=open_device, rules=ruleset, settings=settings, pool=devices,
                   vantage=vantage, store_stage=store_stage, sideload=config.sideload,
                   farm=farm, stop=stop)


#: Seconds a stopped run waits for the attempts under way to end (each ends at its next
#: device command); a second signal ends the wait at once.
STOP_GRACE = 60.0
#: Attempts in a row whose rows the database refused (full, locked past its busy
#: timeout) after which the run stops: the devices would measure what cannot be stored.
UNSTORED_LIMIT = 3


class DatabaseRefuses(HarnessError):
    """The run stopped: several attempts in a row could not be stored."""


def _run_pool(measure: Callable[[Scenario, Profile], Measured], pairs: list[_Pair],
              workers: int, console: Console, batch: BatchResult,
              on_result: Callable[[AttemptResult], None] | None, stop: RunStop) -> None:
    """Measure the instances on a thread pool, recording each in ``batch`` as it ends.

    On SIGINT or SIGTERM (``Interrupted``) the attempts not yet started are dropped, those
    under way are stopped and waited for (``STOP_GRACE``), and the interrupt goes on up;
    the same when ``UNSTORED_LIMIT`` attempts in a row could not be stored
    (``DatabaseRefuses``).
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    with WorkProgress(console, "measuring", len(pairs)) as progress:
        futures: dict[Future[Measured], _Pair] = {
            pool.submit(measure, scenario, profile): (scenario, profile)
            for scenario, profile in pairs}

        def settle(fut: Future[Measured]) -> None:
            progress.advance(_settled(fut, futures, batch, on_result))

        try:
            for fut in as_completed(futures):
                settle(fut)
                if batch.unstored_in_a_row >= UNSTORED_LIMIT:
                    raise DatabaseRefuses(
                        f"the run stopped: {UNSTORED_LIMIT} attempts in a row could not be "
                        f"stored ({batch.last_unstored}); free the database (space, the "
                        "lock) and measure the rest with `harness run --resume "
                        f"{batch.run_id[:12]}`")
        except (KeyboardInterrupt, DatabaseRefuses) as exc:
            stop.set(exc.name if isinstance(exc, Interrupted) else
                     "SIGINT" if isinstance(exc, KeyboardInterrupt) else "database")
            pool.shutdown(wait=False, cancel_futures=True)
            console.print(f"stopping ({stop.reason}): waiting for the attempts under way",
                          highlight=False)
            _drain(futures, batch, settle)
            raise
        finally:
            pool.shutdown(wait=not stop.is_set())


def _drain(futures: dict[Future[Measured], _Pair], batch: BatchResult,
           settle: Callable[[Future[Measured]], None]) -> None:
    """Wait (``STOP_GRACE``) for the stopped attempts still under way, recording each; a
    second signal, or the grace over, ends the wait (those left become aborted)."""
    with contextlib.suppress(KeyboardInterrupt, TimeoutError):
        running = [f for f in futures if not f.cancelled()]
        for fut in as_completed(running, timeout=STOP_GRACE):
            if not fut.cancelled() and fut not in batch.recorded:
                settle(fut)


def _settled(fut: Future[Measured], futures: dict[Future[Measured], _Pair],
             batch: BatchResult, on_result: Callable[[AttemptResult], None] | None) -> str:
    """Record one finished future in ``batch``; the progress line that shows it."""
    batch.recorded.add(fut)
    scenario, profile = futures[fut]
    try:
        done = fut.result()
    except Exception as exc:  # not even a failure row could be written
        batch.errors += 1
        batch.unrecorded += 1
        batch.unstored_in_a_row += 1
        batch.last_unstored = str(exc)
        return f"{scenario.id}-{profile.id}: not recorded ({type(exc).__name__}: {exc})"
    batch.unstored_in_a_row = 0
    return _record(done, batch, on_result)


def _record(done: Measured, batch: BatchResult,
            on_result: Callable[[AttemptResult], None] | None) -> str:
    """Add one settled instance to ``batch``; the progress line that shows it."""
    name = f"{done.scenario.id}-{done.profile.id}"
    if done.result is None:
        batch.skipped.append(f"{name}: {done.skipped}")
        return f"{name}: skipped ({done.skipped})"
    res = done.result
    batch.errors += res.crashed
    batch.results.append(res)
    if on_result:
        on_result(res)
    if done.first is not None:
        batch.retried += 1
        return (f"{name}: {done.first.verdict.outcome}, tried again: "
                f"{res.verdict.outcome}")
    return f"{name}: {res.verdict.outcome}"


@contextmanager
def _finishing(store: Store, batch: BatchResult) -> Iterator[None]:
    """Store the run's final status when the block ends (``interrupted`` on SIGINT or
    SIGTERM: attempts still ``running`` then become ``aborted``). Further signals during
    that last write are noted, not raised, so that it is never cut in half."""
    status, failed = "completed", False
    try:
        yield
    except KeyboardInterrupt:
        status, failed = "interrupted", True
        print("interrupted: completed attempts are stored; `harness run --resume "
              f"{batch.run_id[:12]}` measures the rest", file=sys.stderr)
        raise
    except BaseException:
        failed = True
        raise
    finally:
        with deferred():
            try:
                batch.status = store.finish_run(batch.run_id, status, errors=batch.errors)
            except StorageError as exc:
                if not failed:
                    raise
                # the run stops for another reason already: that one is the error shown
                print(f"the run's end could not be stored ({exc}); the next run marks its "
                      "unfinished attempts aborted", file=sys.stderr)


def run_batch(
    scenarios: list[Scenario],
    profiles: list[Profile],
    config: RunConfig,
    store: Store,
    workers: int = 4,
    command: str | None = None,
    console: Console | None = None,
    on_result: Callable[[AttemptResult], None] | None = None,
    resume: str | None = None,
    sources: Mapping[str, object] | None = None,
) -> BatchResult:
    """Measure every scenario from every profile (or, with ``resume``, what the named run
    left open); ``sources`` (the scenario folders given) is stored with the selection."""
    console = console or Console(stderr=True)
    phones = preflight(profiles, config)
    ruleset = shared_rules()
    aborted = store.abort_stale()
    settings = settings_for(config)
    with endpoint(config) as url:
        farm = via_farm(url, config)
        if farm:
            check_farm_serves(url, profiles)
        if resume is not None:
            batch, pairs = _reopen(store, resume, scenarios, profiles, config, console)
        else:
            batch, pairs = _start(store, scenarios, profiles, config, ruleset, command,
                                  sources, console)
        batch.aborted_before = aborted
        stop = RunStop()
        attempt = _attempt_runner(url, config, store, batch.run_id, ruleset, settings, farm,
                                  stop)
        policy = InstancePolicy(backend=config.backend.value,
                                min_interval_hours=config.min_interval_hours,
                                retry=grid_placement(url, store) if farm else None)

        def measure(scenario: Scenario, profile: Profile) -> Measured:
            return measure_instance(attempt, store, batch.run_id, scenario, profile,
                                    phones[profile.id], policy)

        with interruptible(), _finishing(store, batch):
            _run_pool(measure, pairs, workers, console, batch, on_result, stop)
    batch.results.sort(key=lambda r: (r.scenario_id, r.profile_id))
    return batch


def _start(store: Store, scenarios: list[Scenario], profiles: list[Profile],
           config: RunConfig, ruleset: RuleSet, command: str | None,
           sources: Mapping[str, object] | None, console: Console
           ) -> tuple[BatchResult, list[_Pair]]:
    """A new run with its plan stored."""
    pairs, skipped = _plan(scenarios, profiles, config, store)
    run_id = store.start_run(
        backend=config.backend.value, rules_version=ruleset.version, command=command,
        selection={"scenarios": [s.id for s in scenarios],
                   "profiles": [p.id for p in profiles], **(sources or {})},
        planned=len(pairs))
    store_plan(store, run_id, [Instance(s.id, p.id) for s, p in pairs],
               [(Instance(s.id, p.id), why) for (s, p), why in skipped])
    if skipped:
        console.print(f"skipped {len(skipped)} of {len(pairs) + len(skipped)} instances "
                      f"attempted less than --min-interval {config.min_interval_hours:g} h "
                      "ago (pass --min-interval 0 to measure them anyway)", highlight=False)
    return BatchResult(run_id=run_id, skipped=[why for _, why in skipped]), pairs


def _reopen(store: Store, spec: str, scenarios: list[Scenario], profiles: list[Profile],
            config: RunConfig, console: Console) -> tuple[BatchResult, list[_Pair]]:
    """The run ``--resume`` names, taken up again, and its instances still open."""
    resumed = resume_run(store, spec, config.backend.value, scenarios, profiles)
    console.print(resumed.summary(), highlight=False)
    return BatchResult(run_id=resumed.run_id, resumed=True), resumed.pairs
