"""What a night measured, read back from the database: the figures of the nightly summary.

Everything here is computed from stored rows, so the summary says what the database
holds (a resumed night includes what its killed first part measured):

- counts of the run's measurements by status, of its failures by code, and of the
  attempts made again after a farm device failed (``retry_of``);
- the *instrument-failure rate*: failures over attempts (access, barrier and failure
  rows; aborted and running rows measured nothing), for the whole run, by profile and by
  Grid node (``node``; attempts not served through a Grid have none). A retried attempt
  counts twice, since both rows are attempts, and the first one's failure is what shows
  a bad node;
- instances whose outcome changed since the previous night, from the analysis package's
  ``Analysis.changes`` (each instance of the run beside its latest conclusive outcome
  before the run), with the confirmation of the new outcome from its ``barrier_matrix``
  (confirmed once it repeated: ``harness.analysis.definitions.Confirmation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from harness.analysis.definitions import Confirmation
from harness.analysis.filters import Filters
from harness.analysis.tables import Analysis
from harness.storage.models import Measurement, Run
from harness.storage.store import Store
from harness.vocabulary.outcomes import Status

#: The statuses of rows that are attempts (aborted and running rows measured nothing).
ATTEMPT_STATUSES = (Status.ACCESS.value, Status.BARRIER.value, Status.FAILURE.value)

#: How ``by_node`` names attempts that no Grid node served (a local device, the simulator).
NO_NODE = "(no Grid node)"


@dataclass(frozen=True)
class FailureRate:
    """Instrument failures among the attempts of one profile, one node, or the run."""

    key: str | None
    attempts: int
    failures: int

    @property
    def rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0

    def to_json(self, name: str) -> dict[str, object]:
        return {name: self.key, "attempts": self.attempts, "failures": self.failures,
                "rate": round(self.rate, 4)}


@dataclass(frozen=True)
class Rates:
    overall: FailureRate
    by_profile: tuple[FailureRate, ...]
    by_node: tuple[FailureRate, ...]


@dataclass(frozen=True)
class InstanceChange:
    """An (app, country) whose outcome in this run differs from its previous outcome."""

    app: str
    app_name: str
    country: str
    previous_outcome: str
    current_outcome: str
    previous_run_id: str
    previous_started_at: datetime | None
    measurement_id: str
    #: ``confirmed`` or ``unconfirmed``: whether the new outcome has repeated enough.
    confirmation: str
    agreeing_attempts: int

    def to_json(self) -> dict[str, object]:
        return {"app": self.app, "app_name": self.app_name, "country": self.country,
                "previous_outcome": self.previous_outcome,
                "current_outcome": self.current_outcome,
                "previous_run_id": self.previous_run_id,
                "previous_started_at": _iso(self.previous_started_at),
                "measurement_id": self.measurement_id,
                "confirmation": self.confirmation,
                "agreeing_attempts": self.agreeing_attempts,
                "command": f"harness show {self.measurement_id[:12]}"}


@dataclass(frozen=True)
class Changes:
    changed: tuple[InstanceChange, ...] = ()
    #: Instances of the run with no conclusive outcome before it.
    new: int = 0
    unchanged: int = 0


def aware(value: datetime) -> datetime:
    """``value`` in UTC (SQLite hands back naive datetimes)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None or pd.isna(value):
        return None
    return aware(value).isoformat()


# --------------------------------------------------------------------------- counts


def status_counts(store: Store, run_id: str) -> dict[str, int]:
    """The run's measurements by status."""
    with store.session() as s:
        rows = s.execute(select(Measurement.status, func.count())
                         .where(Measurement.run_id == run_id)
                         .group_by(Measurement.status)).all()
    return {str(k): int(n) for k, n in sorted(rows)}


def failure_codes(store: Store, run_id: str) -> dict[str, int]:
    """The run's instrument failures by code."""
    with store.session() as s:
        rows = s.execute(select(Measurement.failure, func.count())
                         .where(Measurement.run_id == run_id,
                                Measurement.status == Status.FAILURE.value)
                         .group_by(Measurement.failure)).all()
    return {str(k or "unknown"): int(n) for k, n in sorted(rows, key=lambda r: str(r[0]))}


def retried(store: Store, run_id: str) -> int:
    """Attempts of the run that repeat one whose farm device failed."""
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.run_id == run_id, Measurement.retry_of.is_not(None))) or 0)


def _rate_of(key: str | None, statuses: Sequence[str]) -> FailureRate:
    return FailureRate(key, len(statuses),
                       sum(1 for st in statuses if st == Status.FAILURE.value))


def failure_rates(store: Store, run_id: str) -> Rates:
    """The instrument-failure rate of the run, by profile and by Grid node (worst first)."""
    with store.session() as s:
        rows = s.execute(select(Measurement.profile_id, Measurement.node, Measurement.status)
                         .where(Measurement.run_id == run_id,
                                Measurement.status.in_(ATTEMPT_STATUSES))).all()
    by_profile: dict[str, list[str]] = {}
    by_node: dict[str | None, list[str]] = {}
    for profile, node, status in rows:
        by_profile.setdefault(str(profile), []).append(str(status))
        by_node.setdefault(node, []).append(str(status))

    def ranked(groups: dict[Any, list[str]]) -> tuple[FailureRate, ...]:
        rates = [_rate_of(k, v) for k, v in groups.items()]
        return tuple(sorted(rates, key=lambda r: (-r.rate, -r.failures, str(r.key))))

    return Rates(_rate_of(None, [str(r[2]) for r in rows]), ranked(by_profile),
                 ranked(by_node))


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    planned: int | None

    def to_json(self) -> dict[str, object]:
        return {"run_id": self.run_id, "status": self.status,
                "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at)}


def _info(run: Run) -> RunInfo:
    return RunInfo(run.id, run.status, aware(run.started_at),
                   aware(run.finished_at) if run.finished_at else None, run.planned)


def run_info(store: Store, run_id: str) -> RunInfo | None:
    with store.session() as s:
        run = s.get(Run, run_id)
        return _info(run) if run is not None else None


def is_nightly(run: Run) -> bool:
    """Whether ``run`` was started by ``harness nightly`` (its selection says so)."""
    return isinstance(run.selection, dict) and "nightly" in run.selection


def nightly_config_of(run: Run) -> str | None:
    """The configuration file a nightly run was started with."""
    marker = run.selection.get("nightly") if isinstance(run.selection, dict) else None
    config = marker.get("config") if isinstance(marker, dict) else None
    return str(config) if config is not None else None


def nightly_runs(store: Store, backend: str, before: datetime | None = None,
                 limit: int = 200, config: str | None = None) -> list[Run]:
    """The newest runs of ``harness nightly`` on ``backend`` (started before ``before``;
    of the configuration file ``config``, when given)."""
    stmt = select(Run).where(Run.backend == backend)
    if before is not None:
        stmt = stmt.where(Run.started_at < before)
    with store.session() as s:
        runs = s.scalars(stmt.order_by(Run.started_at.desc()).limit(limit)).all()
    return [r for r in runs if is_nightly(r)
            and (config is None or nightly_config_of(r) == config)]


def previous_night(store: Store, backend: str, run: RunInfo | None,
                   config: str | None = None) -> RunInfo | None:
    """The nightly run of ``config`` before ``run`` (before now when there is no run)."""
    runs = nightly_runs(store, backend, run.started_at if run else None, config=config)
    return _info(runs[0]) if runs else None


# --------------------------------------------------------------------------- changes


def instance_changes(store: Store, run_id: str, confirmation: Confirmation,
                     include_simulated: bool) -> Changes:
    """The run's instances beside their previous outcome, the changed ones with the
    confirmation of their new outcome."""
    with Analysis(store, Filters(runs=(run_id,), include_simulated=include_simulated)) as a:
        df = a.changes(include_unchanged=True)
    if df.empty:
        return Changes()
    changed: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()}
        for r in df[df["change"] == "changed"].to_dict("records")]
    confirmed = _confirmations(store, changed, confirmation, include_simulated)
    rows = tuple(_change(r, confirmed.get((str(r["app"]), str(r["country"])),
                                          ("unconfirmed", 0))) for r in changed)
    return Changes(rows, int((df["change"] == "new").sum()),
                   int((df["change"] == "same").sum()))


def _when(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return aware(pd.Timestamp(value).to_pydatetime())


def _change(r: dict[str, Any], confirmed: tuple[str, int]) -> InstanceChange:
    return InstanceChange(
        app=str(r["app"]), app_name=str(r["app_name"]), country=str(r["country"]),
        previous_outcome=str(r["previous_outcome"]),
        current_outcome=str(r["current_outcome"]),
        previous_run_id=str(r["previous_run_id"]),
        previous_started_at=_when(r["previous_started_at"]),
        measurement_id=str(r["current_measurement_id"]),
        confirmation=confirmed[0], agreeing_attempts=confirmed[1])


def _confirmations(store: Store, changed: list[dict[str, Any]], confirmation: Confirmation,
                   include_simulated: bool) -> dict[tuple[str, str], tuple[str, int]]:
    """(app, country) -> (confirmation, agreeing attempts) of each latest outcome."""
    if not changed:
        return {}
    filters = Filters(apps=tuple(sorted({str(r["app"]) for r in changed})),
                      countries=tuple(sorted({str(r["country"]) for r in changed})),
                      include_simulated=include_simulated)
    with Analysis(store, filters, confirmation) as a:
        matrix = a.barrier_matrix()
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for r in matrix.to_dict("records"):
        agreeing = r["agreeing_attempts"]
        out[(str(r["app"]), str(r["country"]))] = (
            str(r["confirmation"]), 0 if pd.isna(agreeing) else int(agreeing))
    return out


__all__ = ["ATTEMPT_STATUSES", "NO_NODE", "Changes", "FailureRate", "InstanceChange", "Rates",
           "RunInfo", "aware", "failure_codes", "failure_rates", "instance_changes",
           "is_nightly", "nightly_config_of", "nightly_runs", "previous_night", "retried",
           "run_info", "status_counts"]
