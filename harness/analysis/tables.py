"""The analyst tables as pandas DataFrames: the API behind ``harness export``, ``harness
report`` and notebooks.

Open an :class:`Analysis` on a database (a path, a SQLAlchemy URL, an ``Engine`` or a
``Store``) with :class:`~harness.analysis.filters.Filters`, then ask for tables::

    with Analysis("results.db", Filters(countries=("DE", "FR"))) as a:
        a.barrier_matrix(); a.by_region(); a.by_app(); a.funnel(); a.summary(); a.changes()

Every aggregate is computed by the database (see ``harness.analysis.queries``); the
per-instance table is materialised once per ``Analysis`` in a temporary table, so asking
for several tables costs one pass over the measurements. DataFrames have the exact
columns listed in :data:`SCHEMAS` (documented in docs/data-dictionary.md) with nullable
dtypes: ``str``, ``Int64``, ``float64``, ``boolean`` and ``datetime64[us, UTC]``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    func,
    insert,
    select,
)

from harness.analysis import instances as iq
from harness.analysis import queries as q
from harness.analysis.definitions import (
    BARRIER_CASES,
    NO_RESULT,
    REGION_LABELS,
    RNR_BARRIERS,
    Confirmation,
)
from harness.analysis.filters import Filters
from harness.analysis.frames import (
    arrow_to_pandas,
    measurement_batch,
    scrub_columns,
    typed_frame,
)
from harness.analysis.headline import headline_shares, summary_frame
from harness.analysis.intervals import grouped_shares, interval_columns
from harness.analysis.regional import (
    RegionalModel,
    app_region_profiles,
    fit_regional_model,
    regional_contrasts_table,
    regional_instances,
)
from harness.analysis.schemas import (
    BY_APP_COLUMNS,
    BY_REGION_COLUMNS,
    CHANGES_COLUMNS,
    FUNNEL_COLUMNS,
    MATRIX_COLUMNS,
    MATRIX_WIDE_COLUMNS,
    MEASUREMENT_COLUMNS,
)
from harness.analysis.stats import wilson_columns
from harness.storage.db import make_engine, migrate
from harness.storage.locations import StoredFile
from harness.storage.store import Store, default_artifacts_dir
from harness.support.errors import ConfigError
from harness.support.secrets import scrub
from harness.vocabulary.countries import Region, all_countries
from harness.vocabulary.outcomes import Stage, Status

_INSTANCE_SQL_TYPES: dict[str, Any] = {
    "app": String(128), "app_name": String(255), "country": String(2),
    "region": String(32), "outcome": String(64), "status": String(16),
    "barrier": String(40), "rnr": Integer(), "confirmed": Integer(),
    "agreeing_attempts": Integer(), "first_agreeing_at": DateTime(timezone=True),
    "latest_at": DateTime(timezone=True), "span_hours": Float(),
    "conclusive_attempts": Integer(), "access_attempts": Integer(),
    "barrier_attempts": Integer(), "failure_attempts": Integer(),
    "aborted_attempts": Integer(), "distinct_outcomes": Integer(),
    "latest_measurement_id": String(32), "latest_run_id": String(32),
    "latest_stage": String(16), "latest_rule_id": String(128),
    "latest_rules_version": String(32), "latest_reclassified": Integer(),
    "store_result": String(24), "store_rule_id": String(128), "signup_outcome": String(64),
    "store_barrier": Integer(), "signup_barrier": Integer(), "barrier_case": String(24),
}

Source = Store | Engine | str | Path


def open_store(source: Source) -> tuple[Store, bool]:
    """A ``Store`` for ``source`` and whether the caller owns (must close) it.

    A path that does not exist is an error, not a new empty database.
    """
    if isinstance(source, Store):
        return source, False
    if isinstance(source, Engine):
        return Store(source, default_artifacts_dir(source)), False
    text = str(source)
    if "://" not in text and not Path(text).exists():
        raise ConfigError(f"--db={text}", None, "no such database",
                          "Run `harness demo` or a scenario run first, or pass --db with "
                          "the path or URL of a results database")
    engine = make_engine(text)
    migrate(engine)
    return Store(engine, default_artifacts_dir(engine)), True


class Analysis:
    """The analyst tables of one database under one selection (see module docstring).

    Holds one database connection until :meth:`close` (or the end of a ``with`` block).
    Raises ``ConfigError`` at construction for a run id or app that does not exist.
    """

    def __init__(self, source: Source, filters: Filters | None = None,
                 confirmation: Confirmation | None = None) -> None:
        self.filters = filters or Filters()
        self.confirmation = confirmation or Confirmation()
        self.store, self._owns_store = open_store(source)
        self._conn: Connection = self.store.engine.connect()
        #: The filters the queries get: in a database without any reclassification the
        #: latest classification of every row is its own verdict, so the queries skip the
        #: join that finds it (same results, read when this ``Analysis`` opens).
        self._qf = (self.filters if self.filters.as_measured
                    or q.has_reclassifications(self._conn)
                    else dataclasses.replace(self.filters, as_measured=True))
        self._instances: Table | None = None
        self._counts: dict[str, int] | None = None
        self._current: tuple[str | None] | None = None
        self._changes: pd.DataFrame | None = None
        self._reclassified: int | None = None
        self._cases: dict[str, int] | None = None
        self._clusters: pd.DataFrame | None = None
        try:
            self.runs = q.resolve_runs(self._conn, self._qf)
            q.check_apps(self._conn, self.filters.apps)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Analysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the temporary table and release the connection (and owned store)."""
        try:
            if self._instances is not None and not self._conn.closed:
                self._instances.drop(self._conn, checkfirst=True)
                self._conn.commit()
        finally:
            self._instances = None
            if not self._conn.closed:
                self._conn.close()
            if self._owns_store:
                self.store.close()

    def _frame(self, stmt: Select[Any]) -> pd.DataFrame:
        result = self._conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def _instance_table(self) -> Table:
        if self._instances is None:
            stmt = iq.instances_select(self._qf, self.runs, self.confirmation)
            names = [c.name for c in stmt.selected_columns]
            table = Table(f"harness_instances_{uuid.uuid4().hex[:12]}", MetaData(),
                          *(Column(n, _INSTANCE_SQL_TYPES[n]) for n in names),
                          prefixes=["TEMPORARY"])
            table.create(self._conn)
            self._conn.execute(insert(table).from_select(names, stmt))
            self._conn.commit()
            self._instances = table
        return self._instances

    # ------------------------------------------------------------------ measurements

    def count_measurements(self) -> int:
        """How many rows the measurements export has."""
        stmt = q.measurements_select(self._qf, self.runs)
        sub = stmt.order_by(None).subquery()
        return int(self._conn.execute(select(func.count()).select_from(sub)).scalar() or 0)

    def iter_measurement_batches(self, chunk_rows: int = 25_000) -> Iterator[pa.Table]:
        """The measurements export as Arrow tables of at most ``chunk_rows`` rows, oldest
        first, typed and scrubbed. Memory stays bounded by one chunk; at least one
        (possibly empty) table is yielded, so writers always learn the columns.

        Reads on its own connection, so it may run in another thread than the rest of
        this ``Analysis`` (``write_export`` overlaps it with the aggregates).
        """
        names = [n for n, _ in MEASUREMENT_COLUMNS]
        stmt = q.measurements_select(self._qf, self.runs)
        with self.store.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            # pysqlite cursors are lazy: read them directly, skipping per-row Row objects
            result = (conn.execute(stmt) if sqlite else
                      conn.execution_options(stream_results=True).execute(stmt))
            keys = list(result.keys())
            if keys != names:
                raise AssertionError(f"measurement columns out of sync: {keys} != {names}")
            cursor = getattr(result, "cursor", None) if sqlite else None
            sent = False
            while True:
                rows = (cursor.fetchmany(chunk_rows) if cursor is not None
                        else result.fetchmany(chunk_rows))
                if not rows and sent:
                    break
                yield measurement_batch(rows, sqlite_raw=cursor is not None)
                sent = True
                if not rows:
                    break
            result.close()

    def iter_measurements(self, chunk_rows: int = 25_000) -> Iterator[pd.DataFrame]:
        """:meth:`iter_measurement_batches` as DataFrames."""
        for batch in self.iter_measurement_batches(chunk_rows):
            yield arrow_to_pandas(batch)

    def measurements(self) -> pd.DataFrame:
        """Every exported attempt (access, barrier, failure) in scope, one row each."""
        batches = list(self.iter_measurement_batches(100_000))
        return arrow_to_pandas(pa.concat_tables(batches))

    def status_counts(self) -> dict[str, int]:
        """Rows in scope per status (including running and aborted), and the simulator
        rows the scope leaves out under ``"simulated_excluded"``."""
        if self._counts is None:
            self._counts = self._status_counts(self._conn)
        return dict(self._counts)

    def _status_counts(self, conn: Connection) -> dict[str, int]:
        out = {str(s): int(n) for s, n in conn.execute(
            q.count_select(self._qf, self.runs)).all()}
        out["simulated_excluded"] = (0 if self.filters.include_simulated else int(
            conn.execute(q.simulated_excluded_select(self._qf, self.runs)).scalar() or 0))
        return out

    # ------------------------------------------------------------------ instances

    def barrier_matrix(self) -> pd.DataFrame:
        """One row per (app, country) tried: the latest conclusive outcome and its support.

        ``outcome`` is ``no_result`` when every attempt failed or was aborted.
        ``confirmation`` is ``confirmed``, ``unconfirmed`` or ``no_result``.
        """
        t = self._instance_table()
        df = self._frame(select(t).order_by(t.c.app, t.c.country))
        df = typed_frame(df, [c for c in MATRIX_COLUMNS if c[0] in df.columns])
        names = {code: c.name for code, c in all_countries().items()}
        df.insert(3, "country_name", df["country"].map(names).astype("str"))
        no_result = df["outcome"].isna()
        df["confirmation"] = "unconfirmed"
        df.loc[df["confirmed"].fillna(False).astype(bool), "confirmation"] = "confirmed"
        df.loc[no_result, "confirmation"] = NO_RESULT
        df.loc[no_result, "outcome"] = NO_RESULT
        df["span_hours"] = df["span_hours"].round(6)  # see queries.SPAN_TOLERANCE_HOURS
        return scrub_columns(typed_frame(df, MATRIX_COLUMNS))

    def barrier_matrix_wide(self, matrix: pd.DataFrame | None = None) -> pd.DataFrame:
        """Apps as rows, country codes as columns, the outcome in each cell.

        An unconfirmed outcome reads ``<outcome> (unconfirmed)``; an instance never tried
        is empty. Countries are ordered by study region, then code.
        """
        m = self.barrier_matrix() if matrix is None else matrix
        if m.empty:
            return typed_frame(None, MATRIX_WIDE_COLUMNS)
        cell = m["outcome"].where(m["confirmation"] != "unconfirmed",
                                  m["outcome"] + " (unconfirmed)")
        wide = (m.assign(cell=cell).pivot(index=["app", "app_name"], columns="country",
                                          values="cell"))
        order = country_order(m)
        wide = wide.reindex(columns=order).reset_index()
        wide.columns = [str(c) for c in wide.columns]
        return typed_frame(wide, MATRIX_WIDE_COLUMNS, extra="str")

    def by_region(self) -> pd.DataFrame:
        """Barrier and RNR shares of tested instances per study region, with 95% intervals
        clustered by app (``harness.analysis.intervals``).

        Lists every region in scope (all seven, or those of ``filters.regions``), in the
        order of ``REGION_LABELS``, with zero counts and NaN shares where none was tested.
        Instances in ``DOMESTIC_COUNTRIES`` are left out.
        """
        df = self._frame(iq.by_region_select(self._instance_table()))
        regions = [r.value for r in (self.filters.regions or tuple(Region))]
        extra = sorted(set(df["region"].dropna()) - set(regions)) if not df.empty else []
        df = df.set_index("region").reindex(regions + extra).rename_axis("region")
        df = df.fillna(0).reset_index()
        df["region_name"] = df["region"].map(REGION_LABELS).fillna(df["region"])
        counts = self.cluster_counts()
        for key in ("barrier", "rnr"):
            found = grouped_shares(counts, "region", f"{key}_instances")
            share, low, high, method, clusters = interval_columns(df["region"], found)
            df[f"{key}_share"], df[f"{key}_ci_low"], df[f"{key}_ci_high"] = share, low, high
            df[f"{key}_ci_method"] = method
        df["ci_clusters"] = clusters
        return typed_frame(df, BY_REGION_COLUMNS)

    def cluster_counts(self) -> pd.DataFrame:
        """Conclusive instances abroad per (region, app) with their barrier, RNR and
        confirmed counts: the clusters behind the regional and headline intervals."""
        if self._clusters is None:
            self._clusters = self._frame(iq.cluster_counts_select(self._instance_table()))
        return self._clusters.copy()

    def by_app(self) -> pd.DataFrame:
        """Per app: countries tested, barrier share (Wilson 95%), and whether it enforces
        identifiability abroad (an RNR barrier as the latest outcome in some country)."""
        df = self._frame(iq.by_app_select(self._instance_table()))
        if df.empty:
            return typed_frame(None, BY_APP_COLUMNS)
        share, low, high = wilson_columns(df["barrier_countries"], df["countries_tested"])
        df["barrier_share"], df["barrier_ci_low"], df["barrier_ci_high"] = share, low, high
        df["rnr_share"], _, _ = wilson_columns(df["rnr_countries"], df["countries_tested"])
        df["enforces_identifiability"] = df["rnr_countries"] > 0
        df["enforces_identifiability_confirmed"] = df["confirmed_rnr_countries"] > 0
        codes = pd.Series("", index=df.index, dtype="str")
        for code in RNR_BARRIERS:
            codes = codes.where(df[f"{code}_countries"] == 0, codes + ";" + code)
        df["rnr_barriers"] = codes.str.lstrip(";").replace("", None)
        return typed_frame(df, BY_APP_COLUMNS)

    def regional_model(self, outcome: str = "barrier", reference: str | None = None,
                       matrix: pd.DataFrame | None = None) -> RegionalModel:
        """The logistic model of ``outcome`` (``barrier`` or ``rnr``) on region with app
        fixed effects and country-clustered errors (``harness.analysis.regional``)."""
        m = self.barrier_matrix() if matrix is None else matrix
        return fit_regional_model(regional_instances(m), outcome, reference)

    def regional_contrasts(self, matrix: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every pair of regions compared by the regional models (barrier and RNR), with
        Holm-adjusted p-values (``harness.analysis.regional.regional_contrasts_table``)."""
        m = self.barrier_matrix() if matrix is None else matrix
        return regional_contrasts_table(regional_instances(m))

    def app_regions(self, matrix: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per (app, region): barrier and RNR shares (Wilson 95%) and the regions that
        differ within the app by Fisher exact tests, Holm-adjusted within the app."""
        m = self.barrier_matrix() if matrix is None else matrix
        return app_region_profiles(regional_instances(m))

    def funnel(self) -> pd.DataFrame:
        """How far sign-up got: per stage, the instances (abroad, with a result) whose
        latest attempt reached it, stopped there on a barrier, or ended there with access."""
        df = self._frame(iq.funnel_select(self._instance_table()))
        stages = [s.value for s in Stage]
        counts = (df.pivot_table(index="stage", columns="status", values="n", aggfunc="sum")
                  if not df.empty else pd.DataFrame())
        counts = counts.reindex(index=stages, columns=[Status.BARRIER.value,
                                                       Status.ACCESS.value]).fillna(0)
        barrier = counts[Status.BARRIER.value].astype("int64")
        access = counts[Status.ACCESS.value].astype("int64")
        total = int(df["n"].sum()) if not df.empty else 0
        ended = (barrier + access).cumsum().shift(1, fill_value=0)
        reached = total - ended
        out = pd.DataFrame({
            "stage": stages, "stage_order": range(len(stages)),
            "reached": reached.to_numpy(),
            "reached_share": (reached / total).to_numpy() if total else float("nan"),
            "stopped_by_barrier": barrier.to_numpy(), "ended_with_access": access.to_numpy(),
            "continued": (reached - barrier - access).to_numpy(),
        })
        return typed_frame(out, FUNNEL_COLUMNS)

    def summary(self, by_region: pd.DataFrame | None = None,
                by_app: pd.DataFrame | None = None) -> pd.DataFrame:
        """The headline figures, one metric per row; shares with 95% intervals (clustered
        by app for shares of instances, Wilson for shares of apps)."""
        reg = self.by_region() if by_region is None else by_region
        app = self.by_app() if by_app is None else by_app
        counts = self.status_counts()
        tot = self._conn.execute(iq.abroad_totals_select(self._instance_table())).one()
        cases = self._frame(iq.case_counts_select(self._instance_table()))
        return summary_frame(counts, int(tot.apps), int(tot.countries), reg, app,
                             self.barrier_cases(), self.reclassified_count(),
                             headline_shares(self.cluster_counts(), cases))

    def barrier_cases(self) -> dict[str, int]:
        """Instances abroad per ``BARRIER_CASES`` code (every code, zero when none)."""
        if self._cases is None:
            got = {str(c): int(n) for c, n in self._conn.execute(
                iq.barrier_cases_select(self._instance_table())).all()}
            self._cases = {case: got.get(case, 0) for case in BARRIER_CASES}
        return dict(self._cases)

    def reclassified_count(self) -> int:
        """Exported attempts in scope whose verdict comes from a reclassification."""
        if self._reclassified is None:
            self._reclassified = int(self._conn.execute(
                q.reclassified_count_select(self._qf, self.runs)).scalar() or 0)
        return self._reclassified

    def current_run(self) -> str | None:
        """The run of the newest conclusive attempt in scope (None when there is none)."""
        if self._current is None:
            self._current = (self._current_run(self._conn),)
        return self._current[0]

    def _current_run(self, conn: Connection) -> str | None:
        rid = conn.execute(q.current_run_select(self._qf, self.runs)).scalar()
        return None if rid is None else str(rid)

    def changes(self, include_unchanged: bool = False) -> pd.DataFrame:
        """Instances whose outcome in the newest run differs from their previous one.

        ``change`` is ``changed`` or ``new`` (no earlier conclusive attempt); with
        ``include_unchanged`` also ``same``. See ``queries.changes_select`` for "previous".
        """
        if self._changes is None:
            self._changes = self._all_changes(self._conn, self.current_run())
        df = self._changes
        if not include_unchanged and not df.empty:
            df = df[df["change"] != "same"]
        return typed_frame(df.reset_index(drop=True), CHANGES_COLUMNS)

    def _all_changes(self, conn: Connection, current: str | None) -> pd.DataFrame:
        if current is None:
            return typed_frame(None, CHANGES_COLUMNS)
        result = conn.execute(q.changes_select(self._qf, self.runs, current))
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        return typed_frame(df, CHANGES_COLUMNS)

    def _side_queries(self) -> None:
        """Counts, the current run and the changes on a second connection, so that the
        database works on them while this one builds the instance table."""
        with self.store.engine.connect() as conn:
            counts = self._status_counts(conn)
            current = self._current_run(conn)
            changes = self._all_changes(conn, current)
        self._counts, self._current, self._changes = counts, (current,), changes

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every aggregated table (all but ``measurements``), keyed by table name.

        The database computes the instance table and the changes concurrently, on two
        connections (SQLite releases the GIL while it works).
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as pool:
            side = (pool.submit(self._side_queries)
                    if self._changes is None or self._counts is None else None)
            matrix = self.barrier_matrix()
            reg = self.by_region()
            app = self.by_app()
            funnel = self.funnel()
            if side is not None:
                side.result()  # re-raises what failed there
        return {
            "barrier_matrix": matrix,
            "barrier_matrix_wide": self.barrier_matrix_wide(matrix),
            "by_region": reg,
            "by_app": app,
            "funnel": funnel,
            "summary": self.summary(reg, app),
            "changes": self.changes(),
            "regional_contrasts": self.regional_contrasts(matrix),
            "app_regions": self.app_regions(matrix),
        }

    def evidence(self, measurement_ids: Sequence[str]) -> dict[str, dict[str, StoredFile]]:
        """measurement id -> {"screenshot": file, "page_source": file} (only the last of
        each kind): the path relative to the artifacts root, the URL (None in rows
        written before schema 0005) and the SHA-256; ``store.artifacts`` reads them."""
        out: dict[str, dict[str, StoredFile]] = {}
        ids = list(measurement_ids)
        for start in range(0, len(ids), 500):
            rows = self._conn.execute(q.evidence_select(ids[start:start + 500]))
            for mid, kind, path, url, sha in rows:
                out.setdefault(str(mid), {})[str(kind)] = StoredFile(
                    str(path), str(url) if url else None, str(sha) if sha else None)
        return out

    def attempt_details(self, measurement_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """measurement id -> profile id, scrubbed matched text, the measured outcome, the
        store result and its rule, for the report (the verdict in effect; its rules
        version and whether it is a reclassification are on the matrix row)."""
        out: dict[str, dict[str, str]] = {}
        ids = list(measurement_ids)
        for start in range(0, len(ids), 500):
            stmt = q.details_select(self._qf, ids[start:start + 500])
            for mid, profile, text, measured, store, store_rule in self._conn.execute(stmt):
                out[str(mid)] = {"profile_id": str(profile),
                                 "matched_text": scrub(text) if text else "",
                                 "measured_outcome": str(measured or ""),
                                 "store_result": str(store or ""),
                                 "store_rule_id": str(store_rule or "")}
        return out

    def failures(self, limit: int = 200) -> pd.DataFrame:
        """The newest instrument failures in scope (scrubbed), newest first."""
        df = self._frame(q.failures_select(self._qf, self.runs, limit))
        return scrub_columns(df.rename(columns={"id": "measurement_id"}))


def country_order(matrix: pd.DataFrame) -> list[str]:
    """Country codes of a matrix ordered by study region (``REGION_LABELS``), then code."""
    rank = {r: i for i, r in enumerate(REGION_LABELS)}
    pairs = matrix[["country", "region"]].drop_duplicates("country")
    keyed = sorted(zip(pairs["country"], pairs["region"], strict=True),
                   key=lambda cr: (rank.get(str(cr[1]), len(rank)), str(cr[0])))
    return [str(c) for c, _ in keyed]


# ---------------------------------------------------------------------- one-call functions

def measurements(source: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Every exported attempt in scope; see :meth:`Analysis.measurements`."""
    with Analysis(source, filters) as a:
        return a.measurements()


def barrier_matrix(source: Source, filters: Filters | None = None,
                   confirmation: Confirmation | None = None) -> pd.DataFrame:
    """See :meth:`Analysis.barrier_matrix`."""
    with Analysis(source, filters, confirmation) as a:
        return a.barrier_matrix()


def by_region(source: Source, filters: Filters | None = None,
              confirmation: Confirmation | None = None) -> pd.DataFrame:
    """See :meth:`Analysis.by_region`."""
    with Analysis(source, filters, confirmation) as a:
        return a.by_region()


def by_app(source: Source, filters: Filters | None = None,
           confirmation: Confirmation | None = None) -> pd.DataFrame:
    """See :meth:`Analysis.by_app`."""
    with Analysis(source, filters, confirmation) as a:
        return a.by_app()


def funnel(source: Source, filters: Filters | None = None) -> pd.DataFrame:
    """See :meth:`Analysis.funnel`."""
    with Analysis(source, filters) as a:
        return a.funnel()


def summary(source: Source, filters: Filters | None = None,
            confirmation: Confirmation | None = None) -> pd.DataFrame:
    """See :meth:`Analysis.summary`."""
    with Analysis(source, filters, confirmation) as a:
        return a.summary()


def changes_since_previous_run(source: Source, filters: Filters | None = None,
                               include_unchanged: bool = False) -> pd.DataFrame:
    """See :meth:`Analysis.changes`."""
    with Analysis(source, filters) as a:
        return a.changes(include_unchanged)
