"""One test item = one attempt of one scenario from one profile.

The item passes when a measurement was recorded (access or barrier: both are findings)
and fails when the instrument failed, with the failure code, its detail and the command
that shows the evidence. The verdict is kept in ``item.stash`` and sent to the controller
(also under xdist) through ``user_properties``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness.pytest_plugin.state import CONFIG_KEY, RunState, get_state
from harness.support.errors import ConfigError
from harness.support.secrets import scrub_log_text, shown_db

if TYPE_CHECKING:  # run-time imports are inside the functions: collection stays fast
    from harness.attempt.run import AttemptResult
    from harness.spec.config import RunConfig
    from harness.spec.profile import Profile
    from harness.spec.scenarios import Scenario
    from harness.storage.store import Store

RESULT_KEY: pytest.StashKey[AttemptResult] = pytest.StashKey()


class AttemptFailed(Exception):
    """The harness could not measure this (app, profile)."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, profile: Profile, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.profile = profile
        self.add_marker(pytest.mark.harness)

    def runtest(self) -> None:
        from functools import partial

        from harness.attempt.run import run_attempt
        from harness.attempt.settings import settings_for
        from harness.runs.measure import InstancePolicy, measure_instance

        config = self.config.stash[CONFIG_KEY]
        state = get_state(self.config)
        self.user_properties.append(("harness_attempt", True))  # a planned attempt
        store = _open_session(config, state)
        self._start_run(config, state, store)
        assert state.open_device is not None
        phone = self.profile.resolve_phone(config.backend)
        attempt = partial(
            run_attempt, store=store, run_id=state.run_id, backend=config.backend,
            open_device=state.open_device, pool=state.pool, vantage=state.vantage,
            store_stage=state.store_stage, sideload=config.sideload,
            settings=settings_for(config), farm=state.via_farm)
        policy = InstancePolicy(backend=config.backend.value,
                                min_interval_hours=config.min_interval_hours,
                                retry=state.retry)
        done = measure_instance(attempt, store, state.run_id, self.scenario, self.profile,
                                phone, policy)
        if done.result is None:
            pytest.skip(f"{self.scenario.id}-{self.profile.id}: {done.skipped}")
        self.stash[RESULT_KEY] = done.result
        self._record_verdict(config, done.result)

    def _start_run(self, config: RunConfig, state: RunState, store: Store) -> None:
        """Record the run in the store, once per process, with the pytest command line."""
        from harness.verdicts.rules import shared_rules

        if not state.run_started:
            store.ensure_run(state.run_id, backend=config.backend.value,
                             rules_version=shared_rules().version,
                             command="pytest " + " ".join(self.config.invocation_params.args))
            state.run_started = True

    def _record_verdict(self, config: RunConfig, result: AttemptResult) -> None:
        """Send the verdict to the controller; an instrument failure fails the item."""
        from harness.vocabulary.outcomes import Status

        v = result.verdict
        self.user_properties.append(("harness", {
            "app": self.scenario.id, "country": self.profile.id, "status": v.status.value,
            "barrier": v.barrier.value if v.barrier else None,
            "failure": v.failure.value if v.failure else None,
            "access_level": v.access_level.value, "measurement_id": result.measurement_id,
            "crashed": result.crashed,
        }))
        if v.status is Status.FAILURE:
            raise AttemptFailed(
                f"{v.outcome}: {v.detail}\n  evidence: harness show "
                f"{result.measurement_id[:12]} --db {shown_db(config.db)}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, AttemptFailed | ConfigError):
            return str(excinfo.value)
        from harness.support.errors import HarnessError

        if isinstance(excinfo.value, HarnessError):
            return scrub_log_text(f"{type(excinfo.value).__name__}: {excinfo.value}")
        return scrub_log_text(str(super().repr_failure(excinfo)))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.scenario.id} from {self.profile.id}"


def _open_session(config: RunConfig, state: RunState) -> Store:
    """This process's store, device endpoint, pool, egress checker and store stage (once)."""
    from harness.attempt.vantage import VantageChecker
    from harness.devices.backends import device_factory, endpoint, via_farm
    from harness.devices.pool import DevicePool
    from harness.storage.store import Store
    from harness.stores.stage import make_store_stage
    from harness.vocabulary.outcomes import Backend

    if state.store is None:
        state.store = Store.open(config.db, config.artifacts_dir)
        state.stack.callback(state.store.close)
        url = state.stack.enter_context(endpoint(config))
        state.via_farm = via_farm(url, config)
        state.open_device = device_factory(url, config, farm=state.via_farm)
        if state.via_farm:
            from harness.runs.measure import grid_placement

            state.retry = grid_placement(url, state.store)
        if config.backend is Backend.APPIUM and not state.via_farm:
            state.pool = DevicePool(url)
        if config.ip_echo_url:
            state.vantage = VantageChecker(state.store, config.ip_echo_url,
                                           config.vantage_ttl, run_id=state.run_id)
        state.store_stage = make_store_stage(state.store, config, state.run_id)
    return state.store
