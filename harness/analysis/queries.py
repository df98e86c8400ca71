"""The SQL behind every analyst table: SQLAlchemy Core, portable to SQLite and PostgreSQL.

Every query reads measurements through :func:`source`: each row with the verdict in
effect, its latest classification (the newest ``reclassifications`` row of it, by
``classified_at`` then id, else its own verdict), or with ``Filters.as_measured`` the
verdict it was measured with. Nothing here loops over measurements in Python. The
per-instance table ("instance" = one (app, country) pair) is one query with two window
functions (gaps and islands: the latest run of agreeing conclusive attempts) and two
GROUP BYs; the regional, per-app and funnel tables are GROUP BYs over it. Only portable
constructs are used; the one dialect-specific piece, seconds since the epoch, is a
compiled function element.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Float,
    FromClause,
    Integer,
    Select,
    String,
    Subquery,
    Table,
    Text,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from harness.analysis.definitions import (
    CONCLUSIVE_STATUSES,
    EXPORTED_STATUSES,
    RECLASSIFIED_FAILURE,
    RNR_BARRIERS,
)
from harness.analysis.filters import LATEST_RUN, Filters
from harness.storage.models import Artifact, Measurement, Reclassification, Run
from harness.stores.model import StoreResult
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import AccessLevel, Backend, Barrier, Stage, Status

M = cast(Table, Measurement.__table__)
RECLASSIFICATIONS = cast(Table, Reclassification.__table__)

#: Spans are compared to the millisecond: SQLite's julianday() arithmetic carries a
#: rounding error of about 0.01 ms, which must not turn exactly 6 h into 5.99999999 h.
SPAN_TOLERANCE_HOURS = 0.001 / 3600
RUNS = cast(Table, Run.__table__)
ARTIFACTS = cast(Table, Artifact.__table__)


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a timestamp expression, on any dialect."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite timestamps as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


# --------------------------------------------------------------------------- verdicts

#: Measurement columns that a reclassification replaces.
_VERDICT = ("status", "stage", "barrier", "failure", "failure_detail", "access_level",
            "rule_id", "rules_version", "matched_text")
#: Columns the source replaces: the verdict, and the store columns it derives.
_REPLACED = (*_VERDICT, "store_result", "store_rule_id")


def _store_columns() -> list[ColumnElement[Any]]:
    """``store_result`` and ``store_rule_id``; a row from before schema 0004 whose verdict
    is the store stage's barrier reads ``absent_scope_unknown`` with its own rule id."""
    legacy = and_(M.c.store_result.is_(None), M.c.status == Status.BARRIER.value,
                  M.c.barrier == Barrier.STORE_UNAVAILABLE.value,
                  M.c.stage == Stage.STORE.value)
    return [
        case((legacy, literal(StoreResult.ABSENT_SCOPE_UNKNOWN.value)),
             else_=M.c.store_result).label("store_result"),
        case((legacy, M.c.rule_id), else_=M.c.store_rule_id).label("store_rule_id"),
    ]


def _measured_columns() -> list[ColumnElement[Any]]:
    return [M.c.status.label("measured_status"), M.c.barrier.label("measured_barrier"),
            M.c.rule_id.label("measured_rule_id"),
            M.c.rules_version.label("measured_rules_version"),
            outcome_expr(M).label("measured_outcome")]


#: Columns every :func:`source` carries: what :func:`scope` filters on, and the order.
_SCOPE_COLUMNS = frozenset({"id", "backend", "scenario_verified", "run_id", "started_at",
                            "country", "region", "scenario_id"})


def _narrowed(cols: Sequence[ColumnElement[Any]], want: set[str] | frozenset[str] | None
              ) -> list[ColumnElement[Any]]:
    """``cols``, or only those named in ``want`` when it is given."""
    return list(cols) if want is None else [c for c in cols if c.name in want]


def _latest_reclassification_id(name: str) -> ColumnElement[Any]:
    """The id of a measurement's newest reclassification (by ``classified_at``, then id)."""
    newer = RECLASSIFICATIONS.alias(f"{name}_rn")
    return (select(newer.c.id).where(newer.c.measurement_id == M.c.id)
            .order_by(newer.c.classified_at.desc(), newer.c.id.desc()).limit(1)
            .correlate(M).scalar_subquery())


def _picked(r: FromClause, col: str) -> ColumnElement[Any]:
    """Column ``col`` of the reclassification ``r``, else the measurement's own."""
    return case((r.c.id.is_(None), M.c[col]), else_=r.c[col]).label(col)


def _reclassified_failure(r: FromClause) -> ColumnElement[Any]:
    """``failure`` under the reclassification ``r`` (see :func:`source` for old rows)."""
    return case(
        (r.c.id.is_(None), M.c.failure), (r.c.status != Status.FAILURE.value, null()),
        (r.c.failure.isnot(None), r.c.failure), (r.c.changed == false(), M.c.failure),
        else_=literal(RECLASSIFIED_FAILURE)).label("failure")


def _reclassified_access_level(r: FromClause) -> ColumnElement[Any]:
    """``access_level`` under the reclassification ``r`` (see :func:`source` for old rows)."""
    return case(
        (r.c.id.is_(None), M.c.access_level), (r.c.access_level.isnot(None), r.c.access_level),
        (r.c.changed == false(), M.c.access_level),
        (r.c.status == Status.ACCESS.value, literal(AccessLevel.FULL.value)),
        (r.c.stage.in_((Stage.ACCOUNT.value, Stage.FEATURES.value)),
         literal(AccessLevel.LIMITED.value)),
        else_=literal(AccessLevel.NONE.value)).label("access_level")


def _reclassified_verdict(r: FromClause) -> list[ColumnElement[Any]]:
    """The ``_VERDICT`` columns of a measurement joined to its latest reclassification."""
    kept_verdict = or_(r.c.id.is_(None), r.c.changed == false())
    return [
        _picked(r, "status"), _picked(r, "stage"), _picked(r, "barrier"),
        _reclassified_failure(r),
        case((kept_verdict, M.c.failure_detail), else_=null()).label("failure_detail"),
        _reclassified_access_level(r), _picked(r, "rule_id"),
        func.coalesce(r.c.rules_version, M.c.rules_version).label("rules_version"),
        _picked(r, "matched_text")]


def source(filters: Filters, name: str = "m", columns: Sequence[str] | None = None
           ) -> Subquery:
    """The measurements with the verdict in effect, as a subquery with the columns of
    ``measurements`` plus ``measured_*``, ``reclassified`` and ``reclassified_at``
    (only ``columns`` and those :func:`scope` needs, when given: a window pass over a
    subquery carries every column it selects, so narrow ones keep it fast).

    By default each row carries its latest classification: the newest reclassification
    of it (by ``classified_at``, then id), else its own verdict. A reclassification row
    without ``failure`` or ``access_level`` (written before schema 0004) reads, when it
    kept the measured verdict (``changed`` false), the measured code and level; when it
    changed it, failure ``ui_unrecognized`` for status failure (what ``harness
    reclassify`` concludes when a rule no longer recognises its screen) and access level
    ``limited`` for a verdict at stage account or features (the account existed, as the
    runner records it), else ``none``. ``failure_detail`` is kept only with the measured
    verdict. With ``filters.as_measured`` every row carries its own verdict.
    """
    want = None if columns is None else _SCOPE_COLUMNS | set(columns)
    kept = [c for c in M.c if c.name not in _REPLACED]
    if filters.as_measured:
        return (select(*_narrowed([*kept, *(M.c[n] for n in _VERDICT), *_store_columns(),
                                   *_measured_columns(), false().label("reclassified"),
                                   cast_null(DateTime(timezone=True)).label("reclassified_at")],
                                  want))
                .subquery(name))
    r = RECLASSIFICATIONS.alias(f"{name}_r")
    return (select(*_narrowed([*kept, *_reclassified_verdict(r), *_store_columns(),
                               *_measured_columns(), r.c.id.isnot(None).label("reclassified"),
                               r.c.classified_at.label("reclassified_at")], want))
            .select_from(M.outerjoin(r, r.c.id == _latest_reclassification_id(name)))
            .subquery(name))


def has_reclassifications(conn: Connection) -> bool:
    """Whether the database holds any reclassification at all."""
    return conn.execute(select(RECLASSIFICATIONS.c.id).limit(1)).first() is not None


def region_of(table: FromClause, filters: Filters) -> ColumnElement[str]:
    if not filters.region_overrides:
        return table.c.region
    mapping = {code: region.value for code, region in filters.region_overrides.items()}
    return case(mapping, value=table.c.country, else_=table.c.region)


def region_expr(filters: Filters, src: FromClause) -> ColumnElement[str]:
    """The study region of a row: the override for its country, else the recorded one."""
    return region_of(src, filters)


#: The columns :func:`outcome_expr` reads.
OUTCOME_COLUMNS = ("status", "access_level", "barrier", "failure")


def outcome_expr(table: FromClause = M) -> ColumnElement[str]:
    """``access:<level>``, ``barrier:<code>``, ``failure:<code>`` or the bare status."""
    c = table.c
    return case(
        (c.status == Status.ACCESS.value,
         literal("access:") + func.coalesce(c.access_level, "full")),
        (c.status == Status.BARRIER.value,
         literal("barrier:") + func.coalesce(c.barrier, "unknown")),
        (c.status == Status.FAILURE.value,
         literal("failure:") + func.coalesce(c.failure, "unknown_failure")),
        else_=c.status,
    )


def rnr_row_expr(src: FromClause) -> ColumnElement[bool]:
    """True when a row is a barrier whose code is in ``RNR_BARRIERS``."""
    return and_(src.c.status == Status.BARRIER.value, src.c.barrier.in_(RNR_BARRIERS))


def scope(filters: Filters, src: FromClause, runs: Sequence[str] = (), *,
          use_runs: bool = True) -> list[ColumnElement[bool]]:
    """WHERE clauses of a selection over ``src`` (a :func:`source`), without any status
    condition. ``runs`` are resolved run ids (see :func:`resolve_runs`), not prefixes."""
    c = src.c
    out: list[ColumnElement[bool]] = []
    if not filters.include_simulated:
        out.append(c.backend != Backend.SIM.value)
    if filters.verified_only:
        out.append(c.scenario_verified.is_(True))
    if use_runs and runs:
        out.append(c.run_id.in_(list(runs)))
    if filters.since is not None:
        out.append(c.started_at >= filters.since)
    if filters.countries:
        out.append(c.country.in_(list(filters.countries)))
    if filters.regions:
        out.append(region_expr(filters, src).in_([r.value for r in filters.regions]))
    if filters.apps:
        out.append(c.scenario_id.in_(list(filters.apps)))
    return out


def resolve_runs(conn: Connection, filters: Filters) -> tuple[str, ...]:
    """Full run ids for ``filters.runs`` (ids, unique prefixes, or ``latest``).

    Raises ``ConfigError`` for an unknown or ambiguous prefix, or when ``latest`` finds no
    run with a result in scope.
    """
    out: list[str] = []
    for token in filters.runs:
        if token.lower() == LATEST_RUN:
            src = source(filters, columns=("status",))
            rid = conn.execute(
                select(src.c.run_id).where(*scope(filters, src, use_runs=False),
                                           src.c.status.in_(CONCLUSIVE_STATUSES))
                .order_by(src.c.started_at.desc(), src.c.id.desc()).limit(1)).scalar()
            if rid is None:
                raise ConfigError("--run=latest", None,
                                  "no run has a conclusive measurement in the selection",
                                  "Drop --run, widen the other filters, or add "
                                  "--include-simulated for simulator runs")
            out.append(str(rid))
            continue
        ids = list(conn.execute(select(RUNS.c.id).where(RUNS.c.id.startswith(token,
                                                                              autoescape=True))
                                .limit(2)).scalars())
        if not ids:
            raise ConfigError(f"--run={token}", None, "no run has this id or id prefix",
                              "`harness runs` lists the runs of the database", "--run 722a25f1")
        if len(ids) > 1:
            raise ConfigError(f"--run={token}", None, "this prefix matches several runs",
                              "Give more characters of the run id (`harness runs`)")
        out.append(str(ids[0]))
    return tuple(dict.fromkeys(out))


def check_apps(conn: Connection, apps: Sequence[str]) -> None:
    """Raise ``ConfigError`` naming the known scenario ids if an app has no measurement."""
    if not apps:
        return
    known = sorted(str(a) for a in conn.execute(select(M.c.scenario_id).distinct()).scalars())
    unknown = [a for a in apps if a not in known]
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], known, n=3)
        shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
        raise ConfigError(
            f"--app={','.join(apps)}", None,
            f"no measurement of {', '.join(map(repr, unknown))} in the database",
            (f"Did you mean {', '.join(near)}? " if near else "")
            + (f"Scenario ids in the database: {shown}" if known else
               "The database has no measurements yet"))


# --------------------------------------------------------------------------- measurements

def measurement_columns(filters: Filters, src: FromClause) -> list[ColumnElement[Any]]:
    """The explicit column list of the measurements export; nothing else leaves the database.

    Withheld on purpose: ``phone_hash`` and ``egress_ip_hash`` (keyed hashes link a number
    or address across datasets), ``proxy_masked`` (names the proxy account) and
    ``capabilities`` (device set-up, may carry host names). Every column here is described
    in docs/data-dictionary.md; a test checks it.

    Timestamps, booleans and JSON come back as the driver returns them (no per-value
    SQLAlchemy processing): the export converts whole columns at once with Arrow.
    """
    c = src.c

    def raw(col: ColumnElement[Any], type_: Any) -> ColumnElement[Any]:
        return type_coerce(col, type_).label(col.key or col.name)

    return [
        c.id.label("measurement_id"), c.run_id, c.data_format_version, c.harness_version,
        c.scenario_id, c.scenario_version, raw(c.scenario_verified, Integer), c.app_id,
        c.app_name, c.country, region_expr(filters, src).label("region"), c.profile_id,
        c.device_id, c.backend, raw(c.started_at, String), raw(c.ended_at, String),
        c.duration_s, c.status, outcome_expr(src).label("outcome"), c.stage, c.barrier,
        case((rnr_row_expr(src), 1), (c.status == Status.BARRIER.value, 0), else_=null())
        .label("rnr_barrier"),
        c.failure, c.failure_detail, c.access_level, c.rule_id, c.rules_version,
        c.matched_text, raw(c.reclassified, Integer), raw(c.reclassified_at, String),
        c.measured_status, c.measured_outcome, c.measured_barrier, c.measured_rule_id,
        c.measured_rules_version, c.store_result, c.store_rule_id, c.store_detail,
        raw(c.features, Text), c.steps_done, c.phone_masked, c.phone_source,
        c.phone_country, c.egress_ip_masked, c.egress_asn, c.ip_country, c.geoip_country,
        raw(c.ip_sources_agree, Integer), c.sim_country, c.network_country,
        c.device_sim_operator, c.device_locale, c.device_timezone, c.gps_country,
        raw(c.ip_country_match, Integer), raw(c.sim_country_match, Integer),
        raw(c.locale_match, Integer), raw(c.timezone_match, Integer),
        raw(c.gps_country_match, Integer), raw(c.location_set, Integer), c.gps_detail,
        c.device_egress_country, raw(c.device_egress_match, Integer), c.vantage_source,
        raw(c.vantage_checked_at, String),
    ]


def measurements_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """One row per exported attempt (access, barrier, failure), oldest first."""
    src = source(filters)
    return (select(*measurement_columns(filters, src))
            .where(*scope(filters, src, runs), src.c.status.in_(EXPORTED_STATUSES))
            .order_by(src.c.started_at, src.c.id))


def count_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """Rows in scope by status (the verdict in effect)."""
    src = source(filters, columns=("status",))
    return (select(src.c.status, func.count().label("n"))
            .where(*scope(filters, src, runs)).group_by(src.c.status))


def reclassified_count_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """Exported rows in scope whose verdict in effect comes from a reclassification."""
    src = source(filters, columns=("status", "reclassified"))
    return select(func.count()).where(*scope(filters, src, runs),
                                      src.c.status.in_(EXPORTED_STATUSES),
                                      src.c.reclassified.is_(True))


def simulated_excluded_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """How many result or failure rows would join the scope with ``include_simulated``."""
    from dataclasses import replace

    widened = replace(filters, include_simulated=True)
    src = source(widened, columns=("status",))
    return select(func.count()).where(*scope(widened, src, runs),
                                      src.c.backend == Backend.SIM.value,
                                      src.c.status.in_(EXPORTED_STATUSES))


def cast_null(type_: Any) -> ColumnElement[Any]:
    """A typed NULL (so that UNION branches agree on PostgreSQL too)."""
    return sql_cast(null(), type_)



# --------------------------------------------------------------------------- changes

def current_run_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """The run of the newest conclusive attempt in scope."""
    src = source(filters, columns=("status",))
    return (select(src.c.run_id).where(*scope(filters, src, runs),
                                       src.c.status.in_(CONCLUSIVE_STATUSES))
            .order_by(src.c.started_at.desc(), src.c.id.desc()).limit(1))


def _current_run_start(filters: Filters, runs: Sequence[str], current_run: str
                       ) -> ColumnElement[Any]:
    """When the current run's first conclusive attempt in scope started."""
    first = source(filters, "first_m", ("status",))
    return select(func.min(first.c.started_at)).where(
        *scope(filters, first, runs, use_runs=False),
        first.c.status.in_(CONCLUSIVE_STATUSES),
        first.c.run_id == current_run).scalar_subquery()


def _changes_ranked(filters: Filters, runs: Sequence[str], current_run: str) -> Subquery:
    """Conclusive attempts of the current run (side 1) and before it (side 2), numbered
    newest first within each instance and side (``rn``)."""
    src = source(filters, columns=(*OUTCOME_COLUMNS, "app_name"))
    base = [*scope(filters, src, runs, use_runs=False), src.c.status.in_(CONCLUSIVE_STATUSES)]
    is_cur = src.c.run_id == current_run
    start = _current_run_start(filters, runs, current_run)
    before = [src.c.run_id != current_run, src.c.started_at < start]
    if len(runs) >= 2:
        before.append(src.c.run_id.in_(list(runs)))
    side = case((is_cur, 1), else_=2)
    return select(
        src.c.scenario_id.label("app"), src.c.country, src.c.app_name,
        region_expr(filters, src).label("region"), src.c.id, src.c.run_id,
        src.c.started_at, outcome_expr(src).label("outcome"), side.label("side"),
        func.row_number().over(partition_by=(src.c.scenario_id, src.c.country, side),
                               order_by=(src.c.started_at.desc(), src.c.id.desc()))
        .label("rn"),
    ).where(*base, or_(is_cur, and_(*before))).subquery("ranked")


def _side_value(ranked: Subquery, side_no: int, col: ColumnElement[Any], name: str
                ) -> ColumnElement[Any]:
    """The value of ``col`` on side ``side_no`` of an instance's ranked rows."""
    return func.max(case((ranked.c.side == side_no, col))).label(name)


def _changes_latest(ranked: Subquery) -> Subquery:
    """Per instance of the current run: its newest attempt there and the newest before."""
    r = ranked.c
    pick = partial(_side_value, ranked)
    return select(
        r.app, r.country, pick(1, r.app_name, "app_name"), pick(1, r.region, "region"),
        pick(2, r.outcome, "previous_outcome"), pick(1, r.outcome, "current_outcome"),
        pick(2, r.started_at, "previous_started_at"),
        pick(1, r.started_at, "current_started_at"),
        pick(2, r.run_id, "previous_run_id"), pick(1, r.run_id, "current_run_id"),
        pick(2, r.id, "previous_measurement_id"), pick(1, r.id, "current_measurement_id"),
    ).where(r.rn == 1).group_by(r.app, r.country).having(
        func.max(case((r.side == 1, 1), else_=0)) == 1).subquery("latest")


def changes_select(filters: Filters, runs: Sequence[str], current_run: str
                   ) -> Select[Any]:
    """Each instance of ``current_run`` beside its latest conclusive outcome before it.

    "Before" means attempts of other runs that started before the current run's first
    conclusive attempt in scope. With two or more ``runs`` selected, only those runs count
    as before; otherwise every earlier run in scope does. One window pass: rows are split
    into the current run (side 1) and before it (side 2), and the newest of each side per
    instance is kept.
    """
    latest = _changes_latest(_changes_ranked(filters, runs, current_run))
    c = latest.c
    change = case((c.previous_outcome.is_(None), "new"),
                  (c.previous_outcome != c.current_outcome, "changed"), else_="same")
    return select(
        c.app, c.app_name, c.country, c.region, change.label("change"), c.previous_outcome,
        c.current_outcome, c.previous_started_at, c.current_started_at, c.previous_run_id,
        c.current_run_id, c.previous_measurement_id, c.current_measurement_id,
    ).order_by(c.app, c.country)


# --------------------------------------------------------------------------- evidence

def evidence_select(measurement_ids: Sequence[str]) -> Select[Any]:
    """The last screenshot and page source (by artifact id) of each measurement."""
    last = (select(func.max(ARTIFACTS.c.id))
            .where(ARTIFACTS.c.measurement_id.in_(list(measurement_ids)),
                   ARTIFACTS.c.kind.in_(("screenshot", "page_source")))
            .group_by(ARTIFACTS.c.measurement_id, ARTIFACTS.c.kind))
    return select(ARTIFACTS.c.measurement_id, ARTIFACTS.c.kind, ARTIFACTS.c.path,
                  ARTIFACTS.c.url, ARTIFACTS.c.sha256).where(ARTIFACTS.c.id.in_(last))


def details_select(filters: Filters, measurement_ids: Sequence[str]) -> Select[Any]:
    """The report's details of some measurements, with the verdict in effect."""
    src = source(filters, columns=("profile_id", "matched_text", "measured_outcome",
                                   "store_result", "store_rule_id"))
    return select(src.c.id, src.c.profile_id, src.c.matched_text, src.c.measured_outcome,
                  src.c.store_result, src.c.store_rule_id
                  ).where(src.c.id.in_(list(measurement_ids)))


def failures_select(filters: Filters, runs: Sequence[str], limit: int) -> Select[Any]:
    """The newest instrument failures in scope (the verdict in effect), for the report."""
    src = source(filters, columns=("scenario_id", "country", "profile_id", "started_at",
                                   "status", "failure", "failure_detail", "stage"))
    return (select(src.c.id, src.c.scenario_id, src.c.country, src.c.profile_id,
                   src.c.started_at, src.c.failure, src.c.failure_detail, src.c.stage)
            .where(*scope(filters, src, runs), src.c.status == Status.FAILURE.value)
            .order_by(src.c.started_at.desc(), src.c.id.desc()).limit(limit))
