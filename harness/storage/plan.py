"""A run's plan, the claims that keep two attempts off one instance, and job locks.

A run stores its plan when it starts: one ``run_plan`` row per (scenario, profile)
instance. Each attempt first *claims* its instance in ``instance_claims`` (one row per
scenario, profile and backend, across every run on the database): the insert succeeds
for one claimant only, on SQLite and PostgreSQL alike, and inside the same transaction
the claimant checks the polite interval against the instance's stored attempts. So two
runs over one plan, or two hosts, never measure an instance at once, and a run that
started after another measured an instance skips it when ``--min-interval`` says so.

A claim or lock whose holder died is taken over: on this host when its pid is gone, on
another host once it is older than ``STALE_AFTER``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from harness.storage.models import (
    ABORTED,
    CLAIMED,
    DONE,
    OPEN_STATES,
    PLANNED,
    SKIPPED,
    InstanceClaim,
    JobLock,
    Measurement,
    PlanItem,
    Run,
)
from harness.storage.store import STALE_AFTER, StorageError, Store, utcnow
from harness.support.errors import HarnessError
from harness.support.processes import holder_gone
from harness.support.secrets import mask_url
from harness.vocabulary.outcomes import Status


@dataclass(frozen=True)
class Instance:
    scenario_id: str
    profile_id: str


@dataclass(frozen=True)
class Claim:
    """The outcome of asking for an instance: ``claimed``, or why not."""

    claimed: bool
    #: ``busy`` (another attempt holds it), ``recent`` (measured within the interval) or
    #: ``settled`` (this run already measured it).
    reason: str | None = None
    detail: str | None = None


#: Measurement statuses that settle an instance (a result or an instrument failure).
SETTLED_STATUSES = (Status.ACCESS.value, Status.BARRIER.value, Status.FAILURE.value)


class LockHeld(HarnessError):
    """Another process holds the job lock."""


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------- the plan

def store_plan(store: Store, run_id: str, planned: Sequence[Instance],
               skipped: Iterable[tuple[Instance, str]] = ()) -> None:
    """Write the run's plan: ``planned`` instances in order, and those skipped, with why."""
    now = utcnow()
    rows = [PlanItem(run_id=run_id, seq=i, scenario_id=it.scenario_id,
                     profile_id=it.profile_id, state=PLANNED, updated_at=now)
            for i, it in enumerate(planned)]
    start = len(rows)
    rows += [PlanItem(run_id=run_id, seq=start + i, scenario_id=it.scenario_id,
                      profile_id=it.profile_id, state=SKIPPED, detail=why, updated_at=now)
             for i, (it, why) in enumerate(skipped)]
    store.write(lambda s: s.add_all(rows))


def plan_items(store: Store, run_id: str) -> list[PlanItem]:
    with store.session() as s:
        return list(s.scalars(select(PlanItem).where(PlanItem.run_id == run_id)
                              .order_by(PlanItem.seq)).all())


def mark(store: Store, run_id: str, item: Instance, state: str,
         measurement_id: str | None = None, detail: str | None = None) -> None:
    """Set one plan row's state (and the measurement that settled it)."""
    values: dict[str, object] = {"state": state, "updated_at": utcnow(), "detail": detail}
    if measurement_id is not None:
        values["measurement_id"] = measurement_id
    store.write(lambda s: s.execute(
        update(PlanItem).where(PlanItem.run_id == run_id,
                               PlanItem.scenario_id == item.scenario_id,
                               PlanItem.profile_id == item.profile_id).values(**values)))


def plan_counts(store: Store, run_id: str) -> dict[str, int]:
    with store.session() as s:
        rows = s.execute(select(PlanItem.state, func.count()).where(PlanItem.run_id == run_id)
                         .group_by(PlanItem.state)).all()
    return {str(state): int(n) for state, n in rows}


def reopen_run(store: Store, run_id: str) -> list[PlanItem]:
    """Take a stopped run up again on this process; return its instances still to measure.

    Instances whose attempt was under way when the run died become ``aborted`` (their
    measurement rows are marked aborted too) and are planned again; one whose attempt was
    stored just before the run died (its plan row not yet updated) is ``done`` with it.
    """
    def fn(s: Session) -> None:
        now = utcnow()
        s.execute(update(Measurement).where(Measurement.run_id == run_id,
                                            Measurement.status == Status.RUNNING.value)
                  .values(status=Status.ABORTED.value, ended_at=now,
                          failure_detail="the run that owned this attempt died"))
        _settle_stored(s, run_id, now)
        s.execute(update(PlanItem).where(PlanItem.run_id == run_id, PlanItem.state == CLAIMED)
                  .values(state=ABORTED, updated_at=now,
                          detail="its attempt was under way when the run stopped"))
        s.execute(update(Run).where(Run.id == run_id).values(
            status="running", finished_at=None, hostname=socket.gethostname(),
            pid=os.getpid()))
        s.execute(delete(InstanceClaim).where(InstanceClaim.run_id == run_id))
    store.write(fn)
    return [it for it in plan_items(store, run_id) if it.state in OPEN_STATES]


def _settle_stored(s: Session, run_id: str, now: datetime) -> None:
    """Claimed plan rows whose instance has a stored result in the run: ``done``."""
    claimed = s.scalars(select(PlanItem).where(PlanItem.run_id == run_id,
                                               PlanItem.state == CLAIMED)).all()
    for item in claimed:
        mid = s.scalar(select(Measurement.id).where(
            Measurement.run_id == run_id, Measurement.scenario_id == item.scenario_id,
            Measurement.profile_id == item.profile_id,
            Measurement.status.in_(SETTLED_STATUSES))
            .order_by(Measurement.started_at.desc()).limit(1))
        if mid is not None:
            item.state, item.measurement_id, item.updated_at = DONE, mid, now
            item.detail = "stored just before the run stopped"


# ---------------------------------------------------------------------------- claims

def claim(store: Store, run_id: str, item: Instance, backend: str,
          min_interval_hours: float = 0.0) -> Claim:
    """Claim ``item`` for one attempt of ``run_id``, unless another attempt holds it or
    (with ``min_interval_hours``) it was attempted more recently than that."""
    for _ in range(3):
        try:
            return _try_claim(store, run_id, item, backend, min_interval_hours)
        except IntegrityError:
            held = _holder(store, item, backend)
            if held is None:
                continue  # released meanwhile
            if holder_gone(held.hostname, held.pid, held.claimed_at, STALE_AFTER):
                _drop_claim(store, item, backend, held.run_id)
                continue
            return Claim(False, "busy", f"being measured by run {held.run_id[:12]} "
                                        f"(host {held.hostname}, pid {held.pid})")
    return Claim(False, "busy", "the claim changed hands while it was asked for")


class _Recent(Exception):
    """Rolls the claim back: the instance was attempted within the interval."""


class _Settled(Exception):
    """Rolls the claim back: this run already settled the instance (two processes
    resuming one run)."""


def _try_claim(store: Store, run_id: str, item: Instance, backend: str,
               min_interval_hours: float) -> Claim:
    try:
        with store.transaction() as s:
            s.add(InstanceClaim(scenario_id=item.scenario_id, profile_id=item.profile_id,
                                backend=backend, run_id=run_id,
                                hostname=socket.gethostname(), pid=os.getpid(),
                                claimed_at=utcnow()))
            s.flush()
            _check_settled(s, run_id, item)
            if min_interval_hours > 0:
                _check_interval(s, item, backend, min_interval_hours)
    except _Recent as recent:
        return Claim(False, "recent", str(recent))
    except _Settled as settled:
        return Claim(False, "settled", str(settled))
    except IntegrityError:
        raise  # another attempt holds the claim: ``claim`` looks at who
    except SQLAlchemyError as exc:  # locked past its busy timeout, full, gone
        raise StorageError(f"could not write to the database "
                           f"{mask_url(str(store.engine.url))}: "
                           f"{getattr(exc, 'orig', exc)}") from None
    return Claim(True)


def _check_settled(s: Session, run_id: str, item: Instance) -> None:
    state = s.scalar(select(PlanItem.state).where(
        PlanItem.run_id == run_id, PlanItem.scenario_id == item.scenario_id,
        PlanItem.profile_id == item.profile_id))
    if state == DONE:
        raise _Settled(f"already measured by run {run_id[:12]}")


def _check_interval(s: Session, item: Instance, backend: str, hours_min: float) -> None:
    last = s.scalar(select(func.max(Measurement.started_at)).where(
        Measurement.scenario_id == item.scenario_id, Measurement.profile_id == item.profile_id,
        Measurement.backend == backend, Measurement.status != Status.ABORTED.value))
    if last is not None:
        hours = (utcnow() - _aware(last)).total_seconds() / 3600
        if hours < hours_min:
            raise _Recent(f"attempted {hours:.1f} h ago (within --min-interval {hours_min:g} h)")


def _holder(store: Store, item: Instance, backend: str) -> InstanceClaim | None:
    with store.session() as s:
        return s.get(InstanceClaim, (item.scenario_id, item.profile_id, backend))


def _drop_claim(store: Store, item: Instance, backend: str, run_id: str) -> None:
    store.write(lambda s: s.execute(delete(InstanceClaim).where(
        InstanceClaim.scenario_id == item.scenario_id,
        InstanceClaim.profile_id == item.profile_id, InstanceClaim.backend == backend,
        InstanceClaim.run_id == run_id)))


def release(store: Store, run_id: str, item: Instance, backend: str) -> None:
    """Give the instance back once its attempt is stored."""
    _drop_claim(store, item, backend, run_id)


# ---------------------------------------------------------------------------- job locks

def acquire_lock(store: Store, name: str, run_id: str | None = None,
                 stale_after: timedelta = STALE_AFTER) -> None:
    """Hold the job lock ``name``; raise ``LockHeld`` naming the holder if it is taken."""
    for _ in range(3):
        now = utcnow()
        try:
            with store.transaction() as s:
                s.add(JobLock(name=name, run_id=run_id, hostname=socket.gethostname(),
                              pid=os.getpid(), acquired_at=now, heartbeat_at=now))
            return
        except IntegrityError:
            with store.session() as s:
                held = s.get(JobLock, name)
            if held is None:
                continue
            if holder_gone(held.hostname, held.pid, held.heartbeat_at, stale_after):
                release_lock(store, name, held.hostname, held.pid)
                continue
            raise LockHeld(
                f"another `{name}` job holds its lock in the database (host {held.hostname}, "
                f"pid {held.pid}, since {_aware(held.acquired_at):%Y-%m-%d %H:%M} UTC). Wait "
                "for it to end; a holder that died is taken over when its process is gone "
                f"(same host) or {int(stale_after.total_seconds() // 3600)} h after its last "
                "heartbeat (another host)") from None
    raise StorageError(f"the `{name}` job lock kept changing hands; try again")


def heartbeat(store: Store, name: str) -> None:
    store.write(lambda s: s.execute(update(JobLock).where(
        JobLock.name == name, JobLock.pid == os.getpid(),
        JobLock.hostname == socket.gethostname()).values(heartbeat_at=utcnow())))


def release_lock(store: Store, name: str, hostname: str | None = None,
                 pid: int | None = None) -> None:
    """Drop the lock if ``hostname``/``pid`` (default: this process) still hold it."""
    host, owner = hostname or socket.gethostname(), pid or os.getpid()
    store.write(lambda s: s.execute(delete(JobLock).where(
        JobLock.name == name, JobLock.hostname == host, JobLock.pid == owner)))


__all__ = ["ABORTED", "CLAIMED", "DONE", "OPEN_STATES", "PLANNED", "SKIPPED", "Claim",
           "Instance", "LockHeld", "acquire_lock", "claim", "heartbeat", "mark",
           "plan_counts", "plan_items", "release", "release_lock",
           "reopen_run", "store_plan"]
