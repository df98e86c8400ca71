"""The measurement store: the only writer of runs, measurements, steps and artifacts.

Every write is its own short transaction, committed at once, so a crash (even SIGKILL)
loses nothing already measured. A measurement is inserted as ``running`` and completed in
one update; rows left ``running`` by a run whose process is gone are marked ``aborted``
when the next run starts, so they can never be read as results. Evidence files are
written whole, to a folder or an object store (``harness.storage.artifacts``), before the
row that points at them; the row keeps the file's URL and SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from harness import __version__
from harness.storage.artifacts import Artifacts
from harness.storage.db import make_engine, migrate, sqlite_path
from harness.storage.models import (
    OPEN_STATES,
    Artifact,
    Measurement,
    PlanItem,
    Run,
    StepRecord,
    VantageCheck,
)
from harness.storage.preflight import check_targets, database
from harness.support.errors import HarnessError
from harness.support.processes import holder_gone
from harness.support.secrets import mask_url, mask_urls
from harness.vocabulary.outcomes import DATA_FORMAT_VERSION, Status, Verdict

#: A ``running`` row on another host is considered abandoned after this long.
STALE_AFTER = timedelta(hours=6)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def default_artifacts_dir(engine: Engine) -> Path:
    """``artifacts/`` beside a SQLite file; in the working directory for a server URL."""
    path = sqlite_path(str(engine.url))
    return (path.parent if path is not None else Path.cwd()) / "artifacts"


class StorageError(HarnessError):
    """The database refused a write; the message names the database."""


@dataclass(frozen=True)
class MeasurementStart:
    """The envelope known when an attempt starts."""

    run_id: str
    scenario_id: str
    scenario_version: int
    app_id: str
    app_name: str
    country: str
    region: str
    profile_id: str
    backend: str
    rules_version: str
    phone_masked: str | None = None
    phone_hash: str | None = None
    phone_source: str | None = None
    phone_country: str | None = None
    proxy_masked: str | None = None
    capabilities: Mapping[str, Any] | None = None
    scenario_verified: bool | None = None
    #: The measurement this attempt repeats (its farm device became unavailable).
    retry_of: str | None = None


@dataclass(frozen=True)
class Vantage:
    """What the device and network reported, compared with the target country."""

    device_id: str | None = None
    #: The Grid node that served the session.
    node: str | None = None
    ip_country: str | None = None
    egress_ip_masked: str | None = None
    egress_ip_hash: str | None = None
    egress_asn: str | None = None
    sim_country: str | None = None
    device_locale: str | None = None
    device_timezone: str | None = None
    gps_country: str | None = None
    ip_country_match: bool | None = None
    sim_country_match: bool | None = None
    locale_match: bool | None = None
    timezone_match: bool | None = None
    gps_country_match: bool | None = None
    vantage_source: str | None = None
    network_country: str | None = None
    device_sim_operator: str | None = None
    vantage_checked_at: datetime | None = None
    geoip_country: str | None = None
    ip_sources_agree: bool | None = None
    location_set: bool | None = None
    gps_detail: str | None = None
    device_egress_country: str | None = None
    device_egress_match: bool | None = None


def plan_incomplete(s: Session, run_id: str) -> bool | None:
    """Whether the run has instances not settled (None: the run stored no plan)."""
    total = s.scalar(select(func.count()).select_from(PlanItem)
                     .where(PlanItem.run_id == run_id)) or 0
    if not total:
        return None
    unsettled = s.scalar(select(func.count()).select_from(PlanItem).where(
        PlanItem.run_id == run_id, PlanItem.state.in_(OPEN_STATES))) or 0
    return bool(unsettled)


#: The tables a step writes, for Core inserts (cheaper than the ORM's unit of work).
_STEPS = cast(Table, StepRecord.__table__)
_ARTIFACTS = cast(Table, Artifact.__table__)

class Store:
    """Writes and reads measurements in one database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine, artifacts: Artifacts | Path) -> None:
        self.engine = engine
        #: Where evidence is written and read (``harness.storage.artifacts``).
        self.artifacts = (artifacts if isinstance(artifacts, Artifacts)
                          else Artifacts.local(artifacts))
        self._session = sessionmaker(engine, expire_on_commit=False)

    @property
    def artifacts_dir(self) -> Path | None:
        """The evidence folder, when evidence goes to one (None for an object store)."""
        return self.artifacts.local_dir

    @classmethod
    def open(cls, db: str, artifacts_dir: Path | str | None = None,
             migrate_schema: bool = True, *, writes_evidence: bool = True) -> Store:
        """The store of ``db`` with its evidence at ``artifacts_dir``: a folder or an
        ``s3://bucket/prefix`` URL (default ``artifacts/`` beside a SQLite file). The
        artifact store is checked first (``writes_evidence``: that new files can be
        written there), so a bad location is a ``ConfigError`` before anything runs."""
        engine = make_engine(db)
        try:
            if sqlite_path(str(engine.url)) is not None:  # its folder first: the default
                check_targets([database(db)])            # evidence folder is beside it
            artifacts = Artifacts.open(artifacts_dir, default_artifacts_dir(engine),
                                       write=writes_evidence)
            if migrate_schema:
                migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, artifacts)

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return self._session()

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        """A session in one transaction, committed when the block ends; a database error
        is raised as it is (the caller maps it)."""
        return self._session.begin()

    def write(self, fn: Any) -> Any:
        """Run ``fn(session)`` in one committed transaction; a database error becomes a
        ``StorageError`` naming the database."""
        return self._write(fn)

    def _write(self, fn: Any) -> Any:
        try:
            with self._session.begin() as s:
                return fn(s)
        except SQLAlchemyError as exc:
            raise self._failed(exc) from None

    def _insert(self, rows: Iterable[tuple[Table, list[dict[str, Any]]]]) -> None:
        """Core inserts in one transaction on a pooled connection (no ORM session: a
        step is written on every screen)."""
        try:
            with self.engine.begin() as conn:
                for table, records in rows:
                    if records:
                        conn.execute(insert(table), records)
        except SQLAlchemyError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: SQLAlchemyError) -> StorageError:
        return StorageError(f"could not write to the database "
                            f"{mask_url(str(self.engine.url))}: {getattr(exc, 'orig', exc)}")

    # ------------------------------------------------------------------ runs

    def start_run(self, backend: str, rules_version: str, command: str | None = None,
                  selection: Mapping[str, object] | None = None, planned: int | None = None,
                  run_id: str | None = None) -> str:
        rid = run_id or new_id()
        run = Run(id=rid, started_at=utcnow(), status="running", harness_version=__version__,
                  rules_version=rules_version, backend=backend, hostname=socket.gethostname(),
                  pid=os.getpid(), command=mask_urls(command) if command else None,
                  selection=dict(selection or {}),
                  planned=planned)
        self._write(lambda s: s.add(run))
        return rid

    def ensure_run(self, run_id: str, backend: str, rules_version: str,
                   command: str | None = None) -> None:
        """Create the run row unless another process (an xdist worker) already did."""
        self.abort_stale()
        with self.session() as s:
            if s.get(Run, run_id) is not None:
                return
        try:
            self.start_run(backend, rules_version, command=command, run_id=run_id)
        except StorageError:
            with self.session() as s:
                if s.get(Run, run_id) is None:
                    raise

    def finish_run(self, run_id: str, status: str = "completed", errors: int = 0) -> str:
        """Close the run; attempts still ``running`` in it can never finish: aborted.

        A run asked to close as ``completed`` is ``completed`` only when every planned
        attempt has a row and none raised inside the harness: with fewer rows than
        planned it is ``incomplete``, with ``errors`` it is ``completed_with_errors``.
        Returns the status written.
        """
        def fn(s: Session) -> str:
            now = utcnow()
            final = status
            if status == "completed":
                planned = s.scalar(select(Run.planned).where(Run.id == run_id))
                rows = s.scalar(select(func.count()).select_from(Measurement)
                                .where(Measurement.run_id == run_id)) or 0
                unsettled = plan_incomplete(s, run_id)
                if unsettled or (unsettled is None and planned is not None
                                 and rows < planned):
                    final = "incomplete"
                elif errors:
                    final = "completed_with_errors"
            s.execute(update(Run).where(Run.id == run_id)
                      .values(status=final, finished_at=now))
            s.execute(update(Measurement)
                      .where(Measurement.run_id == run_id,
                             Measurement.status == Status.RUNNING.value)
                      .values(status=Status.ABORTED.value, ended_at=now,
                              failure_detail=f"the run ended ({final}) before this attempt"))
            return final
        return str(self._write(fn))

    def abort_stale(self) -> int:
        """Mark ``running`` rows of dead runs ``aborted``; return how many measurements."""
        now = utcnow()
        with self.session() as s:
            runs = s.scalars(select(Run).where(Run.status == "running")).all()
        dead = [r.id for r in runs
                if holder_gone(r.hostname, r.pid, r.started_at, STALE_AFTER, now)]
        if not dead:
            return 0

        def fn(s: Session) -> int:
            res = s.execute(update(Measurement)
                            .where(Measurement.run_id.in_(dead),
                                   Measurement.status == Status.RUNNING.value)
                            .values(status=Status.ABORTED.value, ended_at=now,
                                    failure_detail="the run that owned this attempt died"))
            s.execute(update(Run).where(Run.id.in_(dead))
                      .values(status="aborted", finished_at=now))
            return int(getattr(res, "rowcount", 0) or 0)
        return int(self._write(fn))

    # ------------------------------------------------------------------ measurements

    def begin_measurement(self, start: MeasurementStart) -> str:
        mid = new_id()
        row = Measurement(
            id=mid, run_id=start.run_id, data_format_version=DATA_FORMAT_VERSION,
            harness_version=__version__, scenario_id=start.scenario_id,
            scenario_version=start.scenario_version,
            scenario_verified=start.scenario_verified, app_id=start.app_id,
            app_name=start.app_name, country=start.country, region=start.region,
            profile_id=start.profile_id, backend=start.backend, started_at=utcnow(),
            status=Status.RUNNING.value, rules_version=start.rules_version,
            phone_masked=start.phone_masked, phone_hash=start.phone_hash,
            phone_source=start.phone_source, phone_country=start.phone_country,
            proxy_masked=start.proxy_masked, retry_of=start.retry_of,
            capabilities=dict(start.capabilities) if start.capabilities else None,
        )
        self._write(lambda s: s.add(row))
        return mid

    def record_vantage_check(self, row: VantageCheck) -> None:
        """Store one egress check (``harness.attempt.vantage``), in its own transaction."""
        self._write(lambda s: s.add(row))

    def record_vantage(self, mid: str, v: Vantage) -> None:
        """Add what is known of the vantage; fields left None keep what was recorded."""
        values = {k: getattr(v, k) for k in Vantage.__dataclass_fields__
                  if getattr(v, k) is not None}
        if not values:
            return
        self._write(lambda s: s.execute(
            update(Measurement).where(Measurement.id == mid).values(**values)))

    def record_store(self, mid: str, result: str, rule_id: str | None,
                     detail: str | None) -> None:
        """The store stage's observation of this attempt, beside (never instead of) its
        sign-up verdict: ``harness.stores.model.StoreResult`` codes (docs/stores.md)."""
        self._write(lambda s: s.execute(
            update(Measurement).where(Measurement.id == mid).values(
                store_result=result, store_rule_id=rule_id, store_detail=detail)))

    def complete_measurement(self, mid: str, verdict: Verdict, steps_done: int,
                             features: Mapping[str, str] | None = None, *,
                             running_only: bool = False) -> None:
        """Write the verdict of a ``running`` measurement, once.

        ``running_only``: a row that already has its verdict is left as it is (used when
        recording a crash that may have happened after the verdict was written).
        """
        def fn(s: Session) -> None:
            row = s.get(Measurement, mid)
            if row is None:
                raise StorageError(f"measurement {mid} is not in the database")
            if row.status != Status.RUNNING.value and running_only:
                return
            if row.status != Status.RUNNING.value:
                raise StorageError(f"measurement {mid} is already {row.status}; "
                                   "completed measurements are never rewritten")
            end = utcnow()
            start = row.started_at if row.started_at.tzinfo else row.started_at.replace(
                tzinfo=UTC)
            row.ended_at = end
            row.duration_s = round((end - start).total_seconds(), 3)
            row.status = verdict.status.value
            row.stage = verdict.stage.value
            row.barrier = verdict.barrier.value if verdict.barrier else None
            row.failure = verdict.failure.value if verdict.failure else None
            row.failure_detail = verdict.detail
            row.access_level = verdict.access_level.value
            row.rule_id = verdict.rule_id
            row.matched_text = verdict.matched_text
            row.features = dict(features) if features else None
            row.steps_done = steps_done
        self._write(fn)

    # ------------------------------------------------------------------ steps and evidence

    def add_step(self, mid: str, idx: int, kind: str, name: str, stage: str,
                 line: int | None, description: str) -> None:
        rec = StepRecord(measurement_id=mid, idx=idx, kind=kind, name=name, stage=stage,
                         line=line, description=description, started_at=utcnow())
        self._write(lambda s: s.add(rec))

    def finish_step(self, mid: str, idx: int, outcome: str, detail: str | None) -> None:
        self._write(lambda s: s.execute(
            update(StepRecord).where(StepRecord.measurement_id == mid, StepRecord.idx == idx)
            .values(ended_at=utcnow(), outcome=outcome, detail=detail)))

    def _write_file(self, mid: str, run_id: str, step_idx: int | None, kind: str,
                    data: bytes, suffix: str) -> Artifact:
        """Write an evidence file whole (a temporary name then a rename in a folder, one PUT
        in an object store): a crash never leaves a truncated file under the final name."""
        return Artifact(**self._file_row(mid, run_id, step_idx, kind, data, suffix))

    def _file_row(self, mid: str, run_id: str, step_idx: int | None, kind: str,
                  data: bytes, suffix: str) -> dict[str, Any]:
        """Write the file (see ``_write_file``); its ``artifacts`` row as a dict."""
        rel = f"{run_id}/{mid}/" + (f"{step_idx:03d}-{kind}{suffix}" if step_idx is not None
                                    else f"{kind}{suffix}")
        url = self.artifacts.put(rel, data)
        return {"measurement_id": mid, "step_idx": step_idx, "kind": kind, "path": rel,
                "url": url, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                "created_at": utcnow()}

    def add_artifact(self, mid: str, run_id: str, step_idx: int | None, kind: str,
                     data: bytes, suffix: str) -> str:
        """Store ``data`` in the artifact store, then reference it from the database;
        return its URL."""
        art = self._write_file(mid, run_id, step_idx, kind, data, suffix)
        self._write(lambda s: s.add(art))
        return str(art.url)

    def record_step(self, mid: str, run_id: str, idx: int, *, kind: str, name: str,
                    stage: str, line: int | None, description: str, started_at: datetime,
                    outcome: str, detail: str | None,
                    evidence: list[tuple[str, bytes, str]],
                    observations: list[dict[str, object]] | None = None) -> None:
        """A finished step and its evidence files, in one transaction. ``observations``
        are the rule candidates seen while the step's flow went on (never verdicts)."""
        arts = [self._file_row(mid, run_id, idx, k, data, suffix)
                for k, data, suffix in evidence]
        rec = {"measurement_id": mid, "idx": idx, "kind": kind, "name": name, "stage": stage,
               "line": line, "description": description, "started_at": started_at,
               "ended_at": utcnow(), "outcome": outcome, "detail": detail,
               "observations": list(observations) if observations else None}
        self._insert([(_STEPS, [rec]), (_ARTIFACTS, arts)])

    # ------------------------------------------------------------------ reads

    def recent_runs(self, limit: int = 20) -> list[tuple[Run, dict[str, int]]]:
        with self.session() as s:
            runs = s.scalars(select(Run).order_by(Run.started_at.desc()).limit(limit)).all()
            out = []
            for r in runs:
                counts: dict[str, int] = {}
                for status in s.scalars(select(Measurement.status)
                                        .where(Measurement.run_id == r.id)):
                    counts[status] = counts.get(status, 0) + 1
                out.append((r, counts))
            return out

    def last_attempt(self, scenario_id: str, profile_id: str, backend: str) -> datetime | None:
        """When this app was last attempted from this profile on this kind of backend
        (aborted attempts do not count: they measured nothing)."""
        with self.session() as s:
            value = s.scalar(select(func.max(Measurement.started_at)).where(
                Measurement.scenario_id == scenario_id, Measurement.profile_id == profile_id,
                Measurement.backend == backend, Measurement.status != Status.ABORTED.value))
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def get_measurement(self, mid: str) -> Measurement | None:
        with self.session() as s:
            stmt = (select(Measurement)
                    .options(selectinload(Measurement.steps),
                             selectinload(Measurement.artifacts))
                    .where(Measurement.id.startswith(mid)))
            rows = s.scalars(stmt).all()
            if len(rows) > 1:
                raise HarnessError(f"{mid!r} matches {len(rows)} measurements; "
                                   "give more of the id")
            return rows[0] if rows else None

    def measurements(self, run_ids: Sequence[str] | None = None) -> list[Measurement]:
        with self.session() as s:
            stmt = select(Measurement).order_by(Measurement.started_at)
            if run_ids:
                stmt = stmt.where(Measurement.run_id.in_(run_ids))
            return list(s.scalars(stmt).all())
