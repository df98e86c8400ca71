"""measure_instance: claim, attempt, retry on another farm device, settle the plan."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from harness.attempt.run import AttemptResult
from harness.runs.measure import InstancePolicy, measure_instance
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage import Store
from harness.storage.plan import Instance, claim, plan_items, store_plan
from harness.storage.store import MeasurementStart
from harness.vocabulary.outcomes import AccessLevel, Backend, Failure, Stage, Status, Verdict

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(str(tmp_path / "r.db"), tmp_path / "artifacts")
    yield s
    s.close()


class FakeAttempt:
    """Stores a row per call and answers with the next verdict of ``verdicts``."""

    def __init__(self, store: Store, run_id: str, verdicts: list[Verdict]) -> None:
        self.store, self.run_id, self.verdicts = store, run_id, verdicts
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kw: Any) -> AttemptResult:
        self.calls.append(kw)
        scenario, profile = kw["scenario"], kw["profile"]
        mid = self.store.begin_measurement(MeasurementStart(
            run_id=self.run_id, scenario_id=scenario.id, scenario_version=1, app_id="x",
            app_name="X", country=profile.country, region="europe", profile_id=profile.id,
            backend="appium", rules_version="r1", retry_of=kw.get("retry_of")))
        verdict = self.verdicts[len(self.calls) - 1]
        self.store.complete_measurement(mid, verdict, 1)
        return AttemptResult(mid, verdict, scenario.id, profile.id, profile.country)


UNAVAILABLE = Verdict(status=Status.FAILURE, stage=Stage.LAUNCH,
                      failure=Failure.DEVICE_UNAVAILABLE, detail="node died")
ACCESS = Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT, access_level=AccessLevel.FULL)


def pair() -> tuple[Any, Any]:
    scenario = load_scenario(REPO / "scenarios" / "demo" / "openchat.yaml")
    profile = load_profile(REPO / "device_profiles" / "DE.yaml")
    return scenario, profile


def run(store: Store, verdicts: list[Verdict], policy: InstancePolicy
        ) -> tuple[FakeAttempt, Any, str]:
    scenario, profile = pair()
    run_id = store.start_run("appium", "r1")
    store_plan(store, run_id, [Instance(scenario.id, profile.id)])
    attempt = FakeAttempt(store, run_id, verdicts)
    phone = profile.resolve_phone(Backend.SIM)
    done = measure_instance(attempt, store, run_id, scenario, profile, phone, policy,
                            sleep=lambda _s: None)
    return attempt, done, run_id


def test_a_failed_farm_device_is_tried_once_more_where_the_placement_says(
        store: Store) -> None:
    placed: list[str] = []

    def placement(_profile: Any, result: AttemptResult) -> Mapping[str, Any] | None:
        placed.append(result.measurement_id)
        return {"harness:device": "host/emu-b"}

    attempt, done, run_id = run(store, [UNAVAILABLE, ACCESS],
                                InstancePolicy("appium", retry=placement))
    assert len(attempt.calls) == 2
    assert attempt.calls[1]["pin"] == {"harness:device": "host/emu-b"}
    assert attempt.calls[1]["retry_of"] == done.first.measurement_id == placed[0]
    assert done.result.verdict.status is Status.ACCESS
    item, = plan_items(store, run_id)
    assert (item.state, item.measurement_id) == ("done", done.result.measurement_id)


def test_no_other_device_means_no_retry(store: Store) -> None:
    attempt, done, _ = run(store, [UNAVAILABLE],
                           InstancePolicy("appium", retry=lambda _p, _r: None))
    assert len(attempt.calls) == 1 and done.first is None
    assert done.result.verdict.failure is Failure.DEVICE_UNAVAILABLE


def test_without_a_farm_a_failure_is_not_retried(store: Store) -> None:
    attempt, done, _ = run(store, [UNAVAILABLE], InstancePolicy("appium"))
    assert len(attempt.calls) == 1 and done.first is None


def test_a_busy_instance_is_waited_for_without_an_interval_and_skipped_with_one(
        store: Store) -> None:
    scenario, profile = pair()
    holder = store.start_run("appium", "r1")
    assert claim(store, holder, Instance(scenario.id, profile.id), "appium").claimed
    attempt, done, run_id = run(store, [ACCESS],
                                InstancePolicy("appium", min_interval_hours=20))
    assert attempt.calls == [] and "being measured by run" in done.skipped
    item, = plan_items(store, run_id)
    assert item.state == "skipped" and "being measured" in item.detail
    attempt, done, _ = run(store, [ACCESS], InstancePolicy("appium", wait=0.0))
    assert attempt.calls == [] and "still busy after 0 s" in done.skipped
