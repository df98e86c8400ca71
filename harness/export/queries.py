"""The SQL behind every analyst table: SQLAlchemy Core, portable to SQLite and PostgreSQL.

Nothing here loops over measurements in Python. The per-instance table ("instance" = one
(app, country) pair) is one query with two window functions (gaps and islands: the
latest run of agreeing conclusive attempts) and two GROUP BYs; the regional, per-app and
funnel tables are GROUP BYs over it. Only portable constructs are used; the one
dialect-specific piece, seconds since the epoch, is a compiled function element.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    Table,
    Text,
    and_,
    case,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from harness.errors import ConfigError
from harness.export.definitions import (
    CONCLUSIVE_STATUSES,
    DOMESTIC_COUNTRIES,
    EXPORTED_STATUSES,
    RNR_BARRIERS,
    Confirmation,
)
from harness.export.filters import LATEST_RUN, Filters
from harness.outcomes import Backend, Status
from harness.storage.models import Artifact, Measurement, Run

M = cast(Table, Measurement.__table__)

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


def _region_of(table: FromClause, filters: Filters) -> ColumnElement[str]:
    if not filters.region_overrides:
        return table.c.region
    mapping = {code: region.value for code, region in filters.region_overrides.items()}
    return case(mapping, value=table.c.country, else_=table.c.region)


def region_expr(filters: Filters) -> ColumnElement[str]:
    """The study region of a row: the override for its country, else the recorded one."""
    return _region_of(M, filters)


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


def rnr_row_expr() -> ColumnElement[bool]:
    """True when a row is a barrier whose code is in ``RNR_BARRIERS``."""
    return and_(M.c.status == Status.BARRIER.value, M.c.barrier.in_(RNR_BARRIERS))


def scope(filters: Filters, runs: Sequence[str] = (), *, use_runs: bool = True
          ) -> list[ColumnElement[bool]]:
    """WHERE clauses of a selection, without any status condition.

    ``runs`` are resolved run ids (see :func:`resolve_runs`), not prefixes.
    """
    out: list[ColumnElement[bool]] = []
    if not filters.include_simulated:
        out.append(M.c.backend != Backend.SIM.value)
    if use_runs and runs:
        out.append(M.c.run_id.in_(list(runs)))
    if filters.since is not None:
        out.append(M.c.started_at >= filters.since)
    if filters.countries:
        out.append(M.c.country.in_(list(filters.countries)))
    if filters.regions:
        out.append(region_expr(filters).in_([r.value for r in filters.regions]))
    if filters.apps:
        out.append(M.c.scenario_id.in_(list(filters.apps)))
    return out


def resolve_runs(conn: Connection, filters: Filters) -> tuple[str, ...]:
    """Full run ids for ``filters.runs`` (ids, unique prefixes, or ``latest``).

    Raises ``ConfigError`` for an unknown or ambiguous prefix, or when ``latest`` finds no
    run with a result in scope.
    """
    out: list[str] = []
    for token in filters.runs:
        if token.lower() == LATEST_RUN:
            rid = conn.execute(
                select(M.c.run_id).where(*scope(filters, use_runs=False),
                                         M.c.status.in_(CONCLUSIVE_STATUSES))
                .order_by(M.c.started_at.desc(), M.c.id.desc()).limit(1)).scalar()
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

def measurement_columns(filters: Filters) -> list[ColumnElement[Any]]:
    """The explicit column list of the measurements export; nothing else leaves the database.

    Withheld on purpose: ``phone_hash`` and ``egress_ip_hash`` (keyed hashes link a number
    or address across datasets), ``proxy_masked`` (names the proxy account) and
    ``capabilities`` (device set-up, may carry host names). Every column here is described
    in docs/data-dictionary.md; a test checks it.

    Timestamps, booleans and JSON come back as the driver returns them (no per-value
    SQLAlchemy processing): the export converts whole columns at once with Arrow.
    """
    c = M.c

    def raw(col: ColumnElement[Any], type_: Any) -> ColumnElement[Any]:
        return type_coerce(col, type_).label(col.key or col.name)

    return [
        c.id.label("measurement_id"), c.run_id, c.data_format_version, c.harness_version,
        c.scenario_id, c.scenario_version, c.app_id, c.app_name, c.country,
        region_expr(filters).label("region"), c.profile_id, c.device_id, c.backend,
        raw(c.started_at, String), raw(c.ended_at, String), c.duration_s, c.status,
        outcome_expr().label("outcome"), c.stage, c.barrier,
        case((rnr_row_expr(), 1), (c.status == Status.BARRIER.value, 0), else_=null())
        .label("rnr_barrier"),
        c.failure, c.failure_detail, c.access_level, c.rule_id, c.rules_version,
        c.matched_text, raw(c.features, Text), c.steps_done, c.phone_masked, c.phone_source,
        c.phone_country, c.egress_ip_masked, c.egress_asn, c.ip_country, c.geoip_country,
        raw(c.ip_sources_agree, Integer), c.sim_country, c.network_country,
        c.device_sim_operator, c.device_locale, c.device_timezone, c.gps_country,
        raw(c.ip_country_match, Integer), raw(c.sim_country_match, Integer),
        raw(c.locale_match, Integer), raw(c.timezone_match, Integer),
        raw(c.gps_country_match, Integer), c.vantage_source,
        raw(c.vantage_checked_at, String),
    ]


def measurements_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """One row per exported attempt (access, barrier, failure), oldest first."""
    return (select(*measurement_columns(filters))
            .where(*scope(filters, runs), M.c.status.in_(EXPORTED_STATUSES))
            .order_by(M.c.started_at, M.c.id))


def count_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """Rows in scope by status, and simulator rows that the scope leaves out."""
    return (select(M.c.status, func.count().label("n"))
            .where(*scope(filters, runs)).group_by(M.c.status))


def simulated_excluded_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """How many result or failure rows would join the scope with ``include_simulated``."""
    from dataclasses import replace

    widened = replace(filters, include_simulated=True)
    return select(func.count()).where(*scope(widened, runs), M.c.backend == Backend.SIM.value,
                                      M.c.status.in_(EXPORTED_STATUSES))


# --------------------------------------------------------------------------- instances

def instances_select(filters: Filters, runs: Sequence[str], rule: Confirmation
                     ) -> Select[Any]:
    """One row per (app, country) tried in scope, with its latest conclusive outcome.

    ``outcome`` is NULL (and ``rnr``/``confirmed`` too) when the instance has only
    failures or aborted attempts. ``agreeing_attempts`` counts the latest consecutive
    conclusive attempts with the same outcome label (newest first by start time, then
    id); ``confirmed`` is 1 when they are at least ``rule.min_attempts`` and the first
    and last of them started at least ``rule.min_hours`` apart.

    One window pass: each conclusive row sees the outcome and start of the next newer
    row (``lag`` over newest-first order); the first row whose outcome differs from its
    newer neighbour ends the streak, so the streak length is that row's rank minus one
    and the streak starts at its newer neighbour's start time.
    """
    where = scope(filters, runs)
    outcome = outcome_expr()
    ts = DateTime(timezone=True)
    part = (M.c.scenario_id, M.c.country)
    order = (M.c.started_at.desc(), M.c.id.desc())
    # the window sorts every conclusive row: carry only what the streak needs
    ranked = (select(
        M.c.scenario_id.label("app"), M.c.country, M.c.id, M.c.started_at, M.c.status,
        outcome.label("outcome"),
        func.row_number().over(partition_by=part, order_by=order).label("rn"),
        func.lag(outcome, type_=String()).over(partition_by=part, order_by=order)
        .label("newer_outcome"),
        func.lag(M.c.started_at, type_=ts).over(partition_by=part, order_by=order)
        .label("newer_started_at"),
    ).where(*where, M.c.status.in_(CONCLUSIVE_STATUSES)).subquery("ranked"))
    r = ranked.c
    brk = r.outcome != r.newer_outcome

    def count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    streaks = select(
        r.app, r.country,
        func.coalesce(func.min(case((brk, r.rn))) - 1, func.count())
        .label("agreeing_attempts"),
        func.coalesce(func.max(case((brk, r.newer_started_at))), func.min(r.started_at))
        .label("first_agreeing_at"),
        func.count().label("conclusive_attempts"),
        count_if(r.status == Status.ACCESS.value).label("access_attempts"),
        func.count(distinct(r.outcome)).label("distinct_outcomes"),
        func.max(case((r.rn == 1, r.id))).label("latest_measurement_id"),
    ).group_by(r.app, r.country).subquery("streaks")
    k = streaks.c
    # the latest attempt's own columns, by primary key: one lookup per instance
    latest = M.alias("latest")
    conclusive = select(
        k.app, k.country, latest.c.app_name.label("app_name"),
        _region_of(latest, filters).label("region"),
        outcome_expr(latest).label("outcome"), latest.c.status.label("status"),
        latest.c.barrier.label("barrier"), k.agreeing_attempts, k.first_agreeing_at,
        latest.c.started_at.label("latest_at"), k.conclusive_attempts, k.access_attempts,
        (k.conclusive_attempts - k.access_attempts).label("barrier_attempts"),
        literal(0).label("failure_attempts"), literal(0).label("aborted_attempts"),
        k.distinct_outcomes, k.latest_measurement_id,
        latest.c.run_id.label("latest_run_id"), latest.c.stage.label("latest_stage"),
        latest.c.rule_id.label("latest_rule_id"),
    ).select_from(streaks.join(latest, latest.c.id == k.latest_measurement_id))
    nothing = {name: cast_null(type_) for name, type_ in _STREAK_TYPES.items()}
    other = select(
        M.c.scenario_id.label("app"), M.c.country, func.max(M.c.app_name).label("app_name"),
        func.max(region_expr(filters)).label("region"),
        nothing["outcome"], nothing["status"], nothing["barrier"],
        literal(0).label("agreeing_attempts"), nothing["first_agreeing_at"],
        nothing["latest_at"], literal(0).label("conclusive_attempts"),
        literal(0).label("access_attempts"), literal(0).label("barrier_attempts"),
        count_if(M.c.status == Status.FAILURE.value).label("failure_attempts"),
        count_if(M.c.status == Status.ABORTED.value).label("aborted_attempts"),
        literal(0).label("distinct_outcomes"), nothing["latest_measurement_id"],
        nothing["latest_run_id"], nothing["latest_stage"], nothing["latest_rule_id"],
    ).where(*where, M.c.status.in_((Status.FAILURE.value, Status.ABORTED.value))
            ).group_by(M.c.scenario_id, M.c.country)
    both = union_all(conclusive, other).subquery("both")
    b = both.c
    inst = select(
        b.app, b.country, func.max(b.app_name).label("app_name"),
        func.max(b.region).label("region"),
        *(func.max(b[name]).label(name) for name in (
            "outcome", "status", "barrier", "first_agreeing_at", "latest_at",
            "latest_measurement_id", "latest_run_id", "latest_stage", "latest_rule_id")),
        *(func.sum(b[name]).label(name) for name in (
            "agreeing_attempts", "conclusive_attempts", "access_attempts",
            "barrier_attempts", "failure_attempts", "aborted_attempts",
            "distinct_outcomes")),
    ).group_by(b.app, b.country).subquery("inst")
    i = inst.c
    span = ((epoch_seconds(i.latest_at) - epoch_seconds(i.first_agreeing_at)) / 3600.0)
    # julianday() arithmetic is exact to ~0.1 ms: compare to the millisecond
    confirmed = and_(i.agreeing_attempts >= rule.min_attempts,
                     span >= rule.min_hours - SPAN_TOLERANCE_HOURS)
    return (select(
        i.app, i.app_name, i.country, i.region, i.outcome, i.status, i.barrier,
        case((i.outcome.is_(None), null()),
             (and_(i.status == Status.BARRIER.value, i.barrier.in_(RNR_BARRIERS)), 1),
             else_=0).label("rnr"),
        case((i.outcome.is_(None), null()), (confirmed, 1), else_=0).label("confirmed"),
        i.agreeing_attempts, i.first_agreeing_at, i.latest_at,
        case((i.outcome.is_(None), null()), else_=span).label("span_hours"),
        i.conclusive_attempts, i.access_attempts, i.barrier_attempts, i.failure_attempts,
        i.aborted_attempts, i.distinct_outcomes, i.latest_measurement_id, i.latest_run_id,
        i.latest_stage, i.latest_rule_id,
    ).order_by(i.app, i.country))


_STREAK_TYPES: dict[str, Any] = {
    "outcome": String(), "status": String(), "barrier": String(),
    "first_agreeing_at": DateTime(timezone=True), "latest_at": DateTime(timezone=True),
    "latest_measurement_id": String(), "latest_run_id": String(), "latest_stage": String(),
    "latest_rule_id": String(),
}


def cast_null(type_: Any) -> ColumnElement[Any]:
    """A typed NULL (so that UNION branches agree on PostgreSQL too)."""
    return sql_cast(null(), type_)


def _abroad(i: FromClause) -> ColumnElement[bool]:
    return i.c.country.notin_(DOMESTIC_COUNTRIES)


def _sum_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def by_region_select(i: FromClause) -> Select[Any]:
    """Counts per study region over instances abroad (see ``DOMESTIC_COUNTRIES``)."""
    has = i.c.outcome.isnot(None)
    return (select(
        i.c.region,
        func.count(i.c.outcome).label("instances"),
        _sum_if(i.c.outcome.is_(None)).label("no_result_instances"),
        func.count(distinct(case((has, i.c.app)))).label("apps"),
        func.count(distinct(case((has, i.c.country)))).label("countries"),
        _sum_if(i.c.status == Status.BARRIER.value).label("barrier_instances"),
        _sum_if(i.c.rnr == 1).label("rnr_instances"),
        _sum_if(i.c.confirmed == 1).label("confirmed_instances"),
        _sum_if(and_(i.c.confirmed == 1, i.c.status == Status.BARRIER.value))
        .label("confirmed_barrier_instances"),
    ).where(_abroad(i)).group_by(i.c.region))


def by_app_select(i: FromClause) -> Select[Any]:
    """Counts per app over instances abroad, with one count per RNR barrier code."""
    has = i.c.outcome.isnot(None)
    per_code = [_sum_if(and_(i.c.status == Status.BARRIER.value, i.c.barrier == code))
                .label(f"{code}_countries") for code in RNR_BARRIERS]
    return (select(
        i.c.app, func.max(i.c.app_name).label("app_name"),
        func.count(i.c.outcome).label("countries_tested"),
        _sum_if(i.c.outcome.is_(None)).label("no_result_countries"),
        _sum_if(i.c.status == Status.BARRIER.value).label("barrier_countries"),
        _sum_if(i.c.rnr == 1).label("rnr_countries"),
        _sum_if(and_(i.c.rnr == 1, i.c.confirmed == 1)).label("confirmed_rnr_countries"),
        *per_code,
        _sum_if(and_(has, i.c.confirmed == 1)).label("confirmed_countries"),
    ).where(_abroad(i)).group_by(i.c.app).order_by(i.c.app))


def funnel_select(i: FromClause) -> Select[Any]:
    """Instances abroad with a result, by the stage and status of their latest attempt."""
    return (select(i.c.latest_stage.label("stage"), i.c.status,
                   func.count().label("n"))
            .where(_abroad(i), i.c.outcome.isnot(None))
            .group_by(i.c.latest_stage, i.c.status))


def abroad_totals_select(i: FromClause) -> Select[int, int, int]:
    """Distinct apps and countries with a result abroad, for the summary."""
    has = i.c.outcome.isnot(None)
    return select(func.count(distinct(case((has, i.c.app)))).label("apps"),
                  func.count(distinct(case((has, i.c.country)))).label("countries"),
                  func.count().label("instances_tried")).where(_abroad(i))


# --------------------------------------------------------------------------- changes

def current_run_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """The run of the newest conclusive attempt in scope."""
    return (select(M.c.run_id).where(*scope(filters, runs),
                                     M.c.status.in_(CONCLUSIVE_STATUSES))
            .order_by(M.c.started_at.desc(), M.c.id.desc()).limit(1))


def changes_select(filters: Filters, runs: Sequence[str], current_run: str
                   ) -> Select[Any]:
    """Each instance of ``current_run`` beside its latest conclusive outcome before it.

    "Before" means attempts of other runs that started before the current run's first
    conclusive attempt in scope. With two or more ``runs`` selected, only those runs count
    as before; otherwise every earlier run in scope does. One window pass: rows are split
    into the current run (side 1) and before it (side 2), and the newest of each side per
    instance is kept.
    """
    base = [*scope(filters, runs, use_runs=False), M.c.status.in_(CONCLUSIVE_STATUSES)]
    is_cur = M.c.run_id == current_run
    start = select(func.min(M.c.started_at)).where(*base, is_cur).scalar_subquery()
    before = [M.c.run_id != current_run, M.c.started_at < start]
    if len(runs) >= 2:
        before.append(M.c.run_id.in_(list(runs)))
    side = case((is_cur, 1), else_=2)
    ranked = select(
        M.c.scenario_id.label("app"), M.c.country, M.c.app_name,
        region_expr(filters).label("region"), M.c.id, M.c.run_id, M.c.started_at,
        outcome_expr().label("outcome"), side.label("side"),
        func.row_number().over(partition_by=(M.c.scenario_id, M.c.country, side),
                               order_by=(M.c.started_at.desc(), M.c.id.desc())).label("rn"),
    ).where(*base, or_(is_cur, and_(*before))).subquery("ranked")
    r = ranked.c

    def pick(side_no: int, col: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return func.max(case((r.side == side_no, col))).label(name)

    latest = select(
        r.app, r.country, pick(1, r.app_name, "app_name"), pick(1, r.region, "region"),
        pick(2, r.outcome, "previous_outcome"), pick(1, r.outcome, "current_outcome"),
        pick(2, r.started_at, "previous_started_at"),
        pick(1, r.started_at, "current_started_at"),
        pick(2, r.run_id, "previous_run_id"), pick(1, r.run_id, "current_run_id"),
        pick(2, r.id, "previous_measurement_id"), pick(1, r.id, "current_measurement_id"),
    ).where(r.rn == 1).group_by(r.app, r.country).having(
        func.max(case((r.side == 1, 1), else_=0)) == 1).subquery("latest")
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
    return select(ARTIFACTS.c.measurement_id, ARTIFACTS.c.kind, ARTIFACTS.c.path).where(
        ARTIFACTS.c.id.in_(last))


def failures_select(filters: Filters, runs: Sequence[str], limit: int) -> Select[Any]:
    """The newest instrument failures in scope, for the report's failure list."""
    return (select(M.c.id, M.c.scenario_id, M.c.country, M.c.profile_id, M.c.started_at,
                   M.c.failure, M.c.failure_detail, M.c.stage)
            .where(*scope(filters, runs), M.c.status == Status.FAILURE.value)
            .order_by(M.c.started_at.desc(), M.c.id.desc()).limit(limit))

