"""One instance of a run's plan: claim it, attempt it, settle it.

Every attempt of ``harness run``, ``harness nightly`` and ``pytest scenarios/`` goes
through ``measure_instance``: it claims the (scenario, profile) instance in the database
(so no two attempts, of this run or another, measure it at once, and ``--min-interval``
is checked at that moment, not only when the plan was made), runs the attempt, and
records on the plan which measurement settled the instance. An attempt whose device
failed while it was served by a farm (a Grid node whose Appium died) is stored as it
ended, ``failure: device_unavailable`` when no session opened or ``session_error`` when
the session broke, and tried once more on another device that serves the profile (none:
no retry); the second row names the first in ``retry_of``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.attempt.run import AttemptResult
from harness.devices.grid import grid_request
from harness.devices.grid_retry import elsewhere
from harness.spec.profile import PhoneNumber, Profile
from harness.spec.scenarios import Scenario
from harness.storage.plan import (
    ABORTED,
    CLAIMED,
    DONE,
    SKIPPED,
    Instance,
    claim,
    mark,
    release,
)
from harness.storage.store import Store, Vantage
from harness.vocabulary.outcomes import Failure, Status

#: ``run_attempt`` with everything but the instance bound; ``retry_of`` names the
#: measurement a retry repeats, ``pin`` the capabilities that send it to another device.
Attempt = Callable[..., AttemptResult]
#: Where a failed farm attempt is tried again: the capabilities to add (``{}``: none),
#: or None when no other device serves the profile (no retry).
Placement = Callable[[Profile, AttemptResult], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Measured:
    """What became of one instance: its final attempt, or why it was skipped."""

    scenario: Scenario
    profile: Profile
    result: AttemptResult | None = None
    #: The attempt that failed as device_unavailable before ``result`` was tried.
    first: AttemptResult | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class InstancePolicy:
    """How an instance is claimed and when it is tried again."""

    backend: str
    min_interval_hours: float = 0.0
    #: Through a farm (a Grid hub): where a failed device's attempt is tried once more.
    retry: Placement | None = None
    #: How long to wait for another attempt's claim on the instance to go (no interval).
    wait: float = 3600.0
    poll: float = 1.0


def measure_instance(attempt: Attempt, store: Store, run_id: str, scenario: Scenario,
                     profile: Profile, phone: PhoneNumber, policy: InstancePolicy,
                     sleep: Callable[[float], None] = time.sleep) -> Measured:
    item = Instance(scenario.id, profile.id)
    why, settled = _claim(store, run_id, item, policy, sleep)
    if why is not None:
        if not settled:
            mark(store, run_id, item, SKIPPED, detail=why)
        return Measured(scenario, profile, skipped=why)
    try:
        mark(store, run_id, item, CLAIMED)
        result = attempt(scenario=scenario, profile=profile, phone=phone)
        first = None
        pin = policy.retry(profile, result) if policy.retry and _unavailable(result) else None
        if pin is not None:
            first = result
            result = attempt(scenario=scenario, profile=profile, phone=phone,
                             retry_of=first.measurement_id, pin=pin)
        # an attempt the run's stop cut short settles nothing: --resume measures it again
        state = ABORTED if result.verdict.status is Status.ABORTED else DONE
        mark(store, run_id, item, state, measurement_id=result.measurement_id)
        return Measured(scenario, profile, result=result, first=first)
    finally:
        release(store, run_id, item, policy.backend)


def _claim(store: Store, run_id: str, item: Instance, policy: InstancePolicy,
           sleep: Callable[[float], None]) -> tuple[str | None, bool]:
    """Claim the instance; else why it is skipped, and whether this run settled it."""
    deadline = time.monotonic() + policy.wait
    while True:
        got = claim(store, run_id, item, policy.backend, policy.min_interval_hours)
        if got.claimed:
            return None, False
        if got.reason == "settled":
            return got.detail, True
        if got.reason == "recent" or policy.min_interval_hours > 0:
            return got.detail, False  # measured meanwhile, or being measured
        if time.monotonic() >= deadline:
            return f"{got.detail}; still busy after {policy.wait:.0f} s", False
        sleep(policy.poll)


def grid_placement(hub_url: str, store: Store) -> Placement:
    """Retries through the Grid at ``hub_url``: pinned to another device that serves the
    profile; the node that failed is recorded on the failed attempt's row."""
    def place(profile: Profile, result: AttemptResult) -> Mapping[str, Any] | None:
        m = store.get_measurement(result.measurement_id)
        where = elsewhere(hub_url, grid_request(profile), m.node if m else None,
                          m.failure_detail if m else None)
        if m is not None and m.node is None and where.failed_node is not None:
            store.record_vantage(m.id, Vantage(node=where.failed_node))
        return where.pin
    return place


#: The failures a farm's other devices may not share: worth one more try there.
RETRIED_FAILURES = frozenset({Failure.DEVICE_UNAVAILABLE, Failure.SESSION_ERROR})


def _unavailable(result: AttemptResult) -> bool:
    return result.verdict.failure in RETRIED_FAILURES and not result.crashed


__all__ = ["RETRIED_FAILURES", "Attempt", "InstancePolicy", "Measured", "Placement",
           "grid_placement", "measure_instance"]
