"""The plan, instance claims and job locks, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from harness.storage import Store
from harness.storage.models import InstanceClaim, JobLock, Run
from harness.storage.plan import (
    Instance,
    LockHeld,
    acquire_lock,
    claim,
    mark,
    plan_counts,
    plan_items,
    release,
    release_lock,
    reopen_run,
    store_plan,
)
from harness.storage.store import MeasurementStart, utcnow

A, B = Instance("demo-openchat", "DE"), Instance("demo-openchat", "FR")


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(db_url, tmp_path / "artifacts")
    yield s
    s.close()


def begin(store: Store, run_id: str, item: Instance) -> str:
    return store.begin_measurement(MeasurementStart(
        run_id=run_id, scenario_id=item.scenario_id, scenario_version=1, app_id="org.x",
        app_name="X", country=item.profile_id, region="europe", profile_id=item.profile_id,
        backend="sim", rules_version="r1"))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_one_claimant_per_instance_across_runs(store: Store) -> None:
    r1, r2 = store.start_run("sim", "r1"), store.start_run("sim", "r1")
    assert claim(store, r1, A, "sim").claimed
    second = claim(store, r2, A, "sim")
    assert not second.claimed and second.reason == "busy"
    assert f"run {r1[:12]}" in (second.detail or "")
    assert claim(store, r2, B, "sim").claimed  # another instance is free
    assert claim(store, r2, A, "appium").claimed  # and so is another backend
    release(store, r2, A, "sim")  # not r2's claim: nothing changes
    assert not claim(store, r2, A, "sim").claimed
    release(store, r1, A, "sim")
    assert claim(store, r2, A, "sim").claimed


def test_the_interval_is_checked_when_the_instance_is_claimed(store: Store) -> None:
    r1, r2 = store.start_run("sim", "r1"), store.start_run("sim", "r1")
    assert claim(store, r1, A, "sim", min_interval_hours=20).claimed
    begin(store, r1, A)
    release(store, r1, A, "sim")
    late = claim(store, r2, A, "sim", min_interval_hours=20)
    assert not late.claimed and late.reason == "recent"
    assert "within --min-interval 20 h" in (late.detail or "")
    assert claim(store, r2, A, "sim", min_interval_hours=0).claimed  # 0: always measure


def test_an_instance_its_run_settled_is_not_claimed_again(store: Store) -> None:
    run = store.start_run("sim", "r1")
    store_plan(store, run, [A, B])
    mark(store, run, A, "done", measurement_id=begin(store, run, A))
    again = claim(store, run, A, "sim")  # a second process resuming the same run
    assert (again.claimed, again.reason, again.detail) == (
        False, "settled", f"already measured by run {run[:12]}")
    assert claim(store, run, B, "sim").claimed
    other = store.start_run("sim", "r1")  # another run measures it anew (no interval)
    assert claim(store, other, A, "sim").claimed


def test_a_claim_whose_holder_died_is_taken_over(store: Store) -> None:
    r1, r2 = store.start_run("sim", "r1"), store.start_run("sim", "r1")
    assert claim(store, r1, A, "sim").claimed
    store.write(lambda s: s.execute(update(InstanceClaim).values(pid=dead_pid())))
    assert claim(store, r2, A, "sim").claimed
    # on another host a holder is only presumed gone after STALE_AFTER
    store.write(lambda s: s.execute(update(InstanceClaim).values(hostname="other-host")))
    assert claim(store, r1, A, "sim").reason == "busy"
    store.write(lambda s: s.execute(update(InstanceClaim).values(
        claimed_at=utcnow() - timedelta(hours=7))))
    assert claim(store, r1, A, "sim").claimed


def test_reopening_a_run_plans_its_open_instances_again(store: Store) -> None:
    run = store.start_run("sim", "r1")
    c = Instance("demo-dialcode", "DE")
    store_plan(store, run, [A, B, c], [(Instance("demo-qna", "DE"), "recent")])
    assert [i.state for i in plan_items(store, run)] == ["planned"] * 3 + ["skipped"]
    mark(store, run, A, "done", measurement_id=begin(store, run, A))
    claim(store, run, B, "sim")
    mark(store, run, B, "claimed")
    cut_short = begin(store, run, B)
    store.finish_run(run, "interrupted")
    open_items = reopen_run(store, run)
    assert [(i.scenario_id, i.profile_id, i.state) for i in open_items] == [
        ("demo-openchat", "FR", "aborted"), ("demo-dialcode", "DE", "planned")]
    m = store.get_measurement(cut_short)
    assert m is not None and m.status == "aborted"
    assert plan_counts(store, run) == {"done": 1, "aborted": 1, "planned": 1, "skipped": 1}
    assert claim(store, run, B, "sim").claimed  # the dead attempt's claim is gone
    with store.session() as s:
        r = s.get(Run, run)
        assert r is not None and r.status == "running" and r.finished_at is None


def test_an_attempt_stored_just_before_the_run_died_settles_its_instance(
        store: Store) -> None:
    from harness.vocabulary.outcomes import AccessLevel, Stage, Status, Verdict

    run = store.start_run("sim", "r1")
    store_plan(store, run, [A, B])
    mark(store, run, A, "claimed")
    mid = begin(store, run, A)
    store.complete_measurement(mid, Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT,
                                            access_level=AccessLevel.FULL), 3)
    # killed here: the measurement is stored, its plan row still says claimed
    store.finish_run(run, "interrupted")
    open_items = reopen_run(store, run)
    assert [(i.scenario_id, i.profile_id) for i in open_items] == [("demo-openchat", "FR")]
    settled, = (i for i in plan_items(store, run) if i.profile_id == "DE")
    assert (settled.state, settled.measurement_id) == ("done", mid)


def test_finishing_a_run_with_open_instances_is_incomplete(store: Store) -> None:
    run = store.start_run("sim", "r1", planned=2)
    store_plan(store, run, [A, B])
    mark(store, run, A, "done", measurement_id=begin(store, run, A))
    mark(store, run, B, "done", measurement_id=begin(store, run, B))
    assert store.finish_run(run) == "completed"
    run2 = store.start_run("sim", "r1", planned=2)
    store_plan(store, run2, [A, B])
    mark(store, run2, A, "done", measurement_id=begin(store, run2, A))
    begin(store, run2, B)  # a row, but its instance never settled
    assert store.finish_run(run2) == "incomplete"


def test_a_job_lock_is_held_once_and_taken_over_when_its_holder_died(store: Store) -> None:
    acquire_lock(store, "nightly", run_id="r")
    with pytest.raises(LockHeld) as held:
        acquire_lock(store, "nightly")
    text = str(held.value)
    assert f"host {socket.gethostname()}" in text and "pid" in text
    acquire_lock(store, "other")  # another name is another lock
    store.write(lambda s: s.execute(update(JobLock).where(JobLock.name == "nightly")
                                    .values(pid=dead_pid())))
    acquire_lock(store, "nightly")  # the dead holder's lock is taken over
    release_lock(store, "nightly")
    acquire_lock(store, "nightly")
