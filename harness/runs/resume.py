"""``harness run --resume [RUN_ID]``: finish a run that was killed or interrupted.

The run's plan (stored when it started) says which instances are settled; the resumed run
keeps the run id, marks the attempts that were under way when it died ``aborted``, and
measures only the instances still open, each once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from harness.spec.profile import Profile
from harness.spec.scenarios import Scenario
from harness.storage.models import OPEN_STATES, PlanItem, Run
from harness.storage.plan import plan_counts, reopen_run
from harness.storage.store import STALE_AFTER, Store
from harness.support.errors import ConfigError
from harness.support.processes import holder_gone

#: ``--resume`` without a run id: the latest run on the database that did not complete.
LATEST = "latest"


@dataclass(frozen=True)
class Resumed:
    run_id: str
    pairs: list[tuple[Scenario, Profile]]
    #: The plan's states before the run was taken up again.
    counts: dict[str, int]

    def summary(self) -> str:
        total = sum(self.counts.values())
        settled = self.counts.get("done", 0) + self.counts.get("skipped", 0)
        under_way = self.counts.get("claimed", 0)
        return (f"resuming run {self.run_id[:12]}: {settled} of {total} instances settled "
                f"earlier, {len(self.pairs)} to measure"
                + (f" ({under_way} were under way when it stopped: their attempts are "
                   "marked aborted)" if under_way else ""))


def find_run(store: Store, spec: str, backend: str) -> Run:
    """The run ``--resume`` names (a run id or its prefix, or ``latest``)."""
    with store.session() as s:
        if spec == LATEST:
            runs = list(s.scalars(select(Run).where(Run.status != "completed",
                                                    Run.backend == backend)
                                  .order_by(Run.started_at.desc())).all())
            runs = [r for r in runs if _has_open_plan(store, r.id)]
            if not runs:
                raise ConfigError("--resume", None, f"no {backend} run on this database has "
                                  "instances left to measure",
                                  "Start a new run, or name a run id: `harness runs` lists "
                                  "them")
            return runs[0]
        runs = list(s.scalars(select(Run).where(Run.id.startswith(spec))).all())
    if len(runs) != 1:
        raise ConfigError(f"--resume={spec}", None,
                          "no run has this id" if not runs else
                          f"{len(runs)} runs start with this id",
                          "`harness runs` lists the runs; give more of the id")
    return runs[0]


def _has_open_plan(store: Store, run_id: str) -> bool:
    with store.session() as s:
        return s.scalar(select(PlanItem.id).where(PlanItem.run_id == run_id,
                                                  PlanItem.state.in_(OPEN_STATES))
                        .limit(1)) is not None


def check_resumable(store: Store, run: Run, backend: str) -> None:
    """A clear error if ``run`` cannot be resumed by this process."""
    where = f"--resume={run.id[:12]}"
    if run.backend != backend:
        raise ConfigError(where, None, f"the run measured on backend {run.backend}, not "
                          f"{backend}", f"Resume it with --backend {run.backend}")
    if run.status == "running" and not holder_gone(run.hostname, run.pid, run.started_at,
                                                   STALE_AFTER):
        raise ConfigError(where, None, f"the run is still running (host {run.hostname}, pid "
                          f"{run.pid})", "Wait for it to end, or stop it first")
    if not plan_counts(store, run.id):
        raise ConfigError(where, None, "the run stored no plan (it was started before "
                          "schema 0005, or by pytest)", "Start a new run instead")
    if not _has_open_plan(store, run.id):
        raise ConfigError(where, None, f"the run has no instances left to measure (it is "
                          f"{run.status})", "Start a new run to measure again")


def resume(store: Store, spec: str, backend: str, scenarios: list[Scenario],
           profiles: list[Profile]) -> Resumed:
    """Take the run up again; its open instances, matched to the loaded scenarios and
    profiles (every one must be found)."""
    run = find_run(store, spec, backend)
    check_resumable(store, run, backend)
    counts = plan_counts(store, run.id)
    by_scenario = {s.id: s for s in scenarios}
    by_profile = {p.id: p for p in profiles}
    with store.session() as s:
        open_items = list(s.scalars(select(PlanItem).where(
            PlanItem.run_id == run.id, PlanItem.state.in_(OPEN_STATES))).all())
    missing = sorted({i.scenario_id for i in open_items} - set(by_scenario)) + sorted(
        {i.profile_id for i in open_items} - set(by_profile))
    if missing:
        raise ConfigError(f"--resume={run.id[:12]}", None,
                          f"the run still has instances of {', '.join(missing[:5])}, which "
                          "the given scenario folders and --profiles do not hold",
                          "Pass the same scenario folders and --profiles as the run had "
                          "(see `harness runs`)")
    items = reopen_run(store, run.id)
    pairs = [(by_scenario[i.scenario_id], by_profile[i.profile_id]) for i in items]
    return Resumed(run.id, pairs, counts)


__all__ = ["LATEST", "Resumed", "check_resumable", "find_run", "resume"]
