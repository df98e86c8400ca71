"""Running a batch of attempts outside pytest (``harness run`` / ``harness demo``).

A batch is every selected scenario x every selected profile. Attempts run on a small
thread pool (each has its own device session); progress is shown as they finish, and
every attempt is stored as it completes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
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
from harness.attempt.vantage import VantageChecker, check_full_tunnel
from harness.devices.backends import device_factory, endpoint
from harness.devices.pool import DevicePool
from harness.spec.config import RunConfig, recent_attempt_message
from harness.spec.profile import PhoneNumber, Profile, resolve_proxy
from harness.spec.scenarios import Scenario
from harness.storage.store import Store
from harness.support.console import WorkProgress
from harness.support.errors import ConfigError, ConfigErrors
from harness.support.secrets import hash_key
from harness.verdicts.rules import RuleSet, shared_rules
from harness.vocabulary.outcomes import Backend


@dataclass
class BatchResult:
    run_id: str
    results: list[AttemptResult] = field(default_factory=list)
    aborted_before: int = 0
    skipped: list[str] = field(default_factory=list)
    #: Attempts during which the harness itself raised (recorded as unknown_failure).
    errors: int = 0
    status: str = "running"

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


def _plan(scenarios: list[Scenario], profiles: list[Profile], config: RunConfig, store: Store,
          console: Console) -> tuple[list[_Pair], list[str]]:
    """The (scenario, profile) pairs to run, and why others are skipped by min-interval."""
    pairs = [(s, p) for s in scenarios for p in profiles]
    skipped: list[str] = []
    if config.min_interval_hours > 0:
        now = datetime.now(UTC)
        keep = []
        for s, p in pairs:
            last = store.last_attempt(s.id, p.id, config.backend.value)
            hours = (now - last).total_seconds() / 3600 if last else None
            if hours is not None and hours < config.min_interval_hours:
                skipped.append(recent_attempt_message(s.id, p.id, hours,
                                                      config.min_interval_hours))
            else:
                keep.append((s, p))
        pairs = keep
        for line in skipped:
            console.print(f"skipped: {line}", highlight=False)
    return pairs, skipped


def _attempt_runner(url: str, config: RunConfig, store: Store, run_id: str,
                    ruleset: RuleSet, settings: RunnerSettings) -> partial[AttemptResult]:
    """``run_attempt`` with the arguments shared by every attempt of the run bound."""
    open_device = device_factory(url, config)
    devices = DevicePool(url) if config.backend is Backend.APPIUM else None
    vantage = (VantageChecker(store, config.ip_echo_url, config.vantage_ttl, run_id=run_id)
               if config.ip_echo_url else None)
    from harness.stores.stage import make_store_stage

    store_stage = make_store_stage(store, config, run_id)
    return partial(run_attempt, store=store, run_id=run_id, backend=config.backend,
                   open_device=open_device, rules=ruleset, settings=settings, pool=devices,
                   vantage=vantage, store_stage=store_stage, sideload=config.sideload)


def _run_pool(attempt: partial[AttemptResult], pairs: list[_Pair],
              phones: dict[str, PhoneNumber], workers: int, console: Console,
              batch: BatchResult, on_result: Callable[[AttemptResult], None] | None) -> None:
    """Run the attempts on a thread pool, recording each in ``batch`` as it finishes."""
    with WorkProgress(console, "measuring", len(pairs)) as progress, \
            ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures: dict[Future[AttemptResult], _Pair] = {}
        for scenario, profile in pairs:
            fut = pool.submit(attempt, scenario=scenario, profile=profile,
                              phone=phones[profile.id])
            futures[fut] = (scenario, profile)
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:  # not even a failure row could be written
                batch.errors += 1
                scenario, profile = futures[fut]
                progress.advance(f"{scenario.id}-{profile.id}: not recorded "
                                 f"({type(exc).__name__}: {exc})")
                continue
            batch.errors += res.crashed
            batch.results.append(res)
            progress.advance(f"{res.scenario_id}-{res.profile_id}: "
                             f"{res.verdict.outcome}")
            if on_result:
                on_result(res)


@contextmanager
def _finishing(store: Store, batch: BatchResult) -> Iterator[None]:
    """Store the run's final status when the block ends (``interrupted`` on Ctrl-C)."""
    status = "completed"
    try:
        yield
    except KeyboardInterrupt:
        status = "interrupted"
        print("interrupted: completed attempts are stored; unfinished ones will be "
              "marked aborted at the next start", file=sys.stderr)
        raise
    finally:
        batch.status = store.finish_run(batch.run_id, status, errors=batch.errors)


def run_batch(
    scenarios: list[Scenario],
    profiles: list[Profile],
    config: RunConfig,
    store: Store,
    workers: int = 4,
    command: str | None = None,
    console: Console | None = None,
    on_result: Callable[[AttemptResult], None] | None = None,
) -> BatchResult:
    console = console or Console(stderr=True)
    phones = preflight(profiles, config)
    ruleset = shared_rules()
    aborted = store.abort_stale()
    pairs, skipped = _plan(scenarios, profiles, config, store, console)
    settings = settings_for(config)
    with endpoint(config) as url:
        run_id = store.start_run(
            backend=config.backend.value, rules_version=ruleset.version, command=command,
            selection={"scenarios": [s.id for s in scenarios],
                       "profiles": [p.id for p in profiles]},
            planned=len(pairs))
        batch = BatchResult(run_id=run_id, aborted_before=aborted, skipped=skipped)
        attempt = _attempt_runner(url, config, store, run_id, ruleset, settings)
        with _finishing(store, batch):
            _run_pool(attempt, pairs, phones, workers, console, batch, on_result)
    batch.results.sort(key=lambda r: (r.scenario_id, r.profile_id))
    return batch
