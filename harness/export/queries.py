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
    distinct,
    false,
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
    RECLASSIFIED_FAILURE,
    RNR_BARRIERS,
    STORE_ABSENT_RESULTS,
    STORE_BARRIER_LABEL,
    STORE_CONCLUSIVE_RESULTS,
    Confirmation,
)
from harness.export.filters import LATEST_RUN, Filters
from harness.outcomes import AccessLevel, Backend, Barrier, Stage, Status
from harness.storage.models import Artifact, Measurement, Reclassification, Run
from harness.stores.model import StoreResult

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

    def narrow(cols: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
        return list(cols) if want is None else [c for c in cols if c.name in want]

    kept = [c for c in M.c if c.name not in _REPLACED]
    if filters.as_measured:
        return (select(*narrow([*kept, *(M.c[n] for n in _VERDICT), *_store_columns(),
                                *_measured_columns(), false().label("reclassified"),
                                cast_null(DateTime(timezone=True)).label("reclassified_at")]))
                .subquery(name))
    r = RECLASSIFICATIONS.alias(f"{name}_r")
    newer = RECLASSIFICATIONS.alias(f"{name}_rn")
    latest_id = (select(newer.c.id).where(newer.c.measurement_id == M.c.id)
                 .order_by(newer.c.classified_at.desc(), newer.c.id.desc()).limit(1)
                 .correlate(M).scalar_subquery())
    none = r.c.id.is_(None)
    kept_verdict = or_(none, r.c.changed == false())

    def pick(col: str) -> ColumnElement[Any]:
        return case((none, M.c[col]), else_=r.c[col]).label(col)

    failure = case(
        (none, M.c.failure), (r.c.status != Status.FAILURE.value, null()),
        (r.c.failure.isnot(None), r.c.failure), (r.c.changed == false(), M.c.failure),
        else_=literal(RECLASSIFIED_FAILURE)).label("failure")
    access_level = case(
        (none, M.c.access_level), (r.c.access_level.isnot(None), r.c.access_level),
        (r.c.changed == false(), M.c.access_level),
        (r.c.status == Status.ACCESS.value, literal(AccessLevel.FULL.value)),
        (r.c.stage.in_((Stage.ACCOUNT.value, Stage.FEATURES.value)),
         literal(AccessLevel.LIMITED.value)),
        else_=literal(AccessLevel.NONE.value)).label("access_level")
    verdict = [
        pick("status"), pick("stage"), pick("barrier"), failure,
        case((kept_verdict, M.c.failure_detail), else_=null()).label("failure_detail"),
        access_level, pick("rule_id"),
        func.coalesce(r.c.rules_version, M.c.rules_version).label("rules_version"),
        pick("matched_text")]
    return (select(*narrow([*kept, *verdict, *_store_columns(), *_measured_columns(),
                            r.c.id.isnot(None).label("reclassified"),
                            r.c.classified_at.label("reclassified_at")]))
            .select_from(M.outerjoin(r, r.c.id == latest_id)).subquery(name))


def has_reclassifications(conn: Connection) -> bool:
    """Whether the database holds any reclassification at all."""
    return conn.execute(select(RECLASSIFICATIONS.c.id).limit(1)).first() is not None


def _region_of(table: FromClause, filters: Filters) -> ColumnElement[str]:
    if not filters.region_overrides:
        return table.c.region
    mapping = {code: region.value for code, region in filters.region_overrides.items()}
    return case(mapping, value=table.c.country, else_=table.c.region)


def region_expr(filters: Filters, src: FromClause) -> ColumnElement[str]:
    """The study region of a row: the override for its country, else the recorded one."""
    return _region_of(src, filters)


#: The columns :func:`outcome_expr` reads.
_OUTCOME_COLUMNS = ("status", "access_level", "barrier", "failure")


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


# --------------------------------------------------------------------------- instances

def _store_sides(filters: Filters, runs: Sequence[str]) -> Subquery:
    """Per instance, the newest conclusive store observation of its attempts."""
    src = source(filters, "st_m", ("status", "store_result", "store_rule_id"))
    part = (src.c.scenario_id, src.c.country)
    ranked = select(
        src.c.scenario_id.label("app"), src.c.country, src.c.store_result,
        src.c.store_rule_id,
        func.row_number().over(partition_by=part,
                               order_by=(src.c.started_at.desc(), src.c.id.desc()))
        .label("rn"),
    ).where(*scope(filters, src, runs), src.c.status.in_(EXPORTED_STATUSES),
            src.c.store_result.in_(STORE_CONCLUSIVE_RESULTS)).subquery("st_ranked")
    # OFFSET 0: materialised with its one row per instance, not re-scanned per instance
    return (select(ranked.c.app, ranked.c.country, ranked.c.store_result,
                   ranked.c.store_rule_id).where(ranked.c.rn == 1).offset(0).subquery("st"))


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

    The store and sign-up sides (``BARRIER_CASES``): the newest conclusive
    ``store_result`` (a second, small window pass over the rows that have one), and the
    newest conclusive outcome that is not the store barrier: the latest outcome itself,
    unless that is the store barrier (a ``--no-sideload`` attempt), when an index lookup
    finds the newest sign-up outcome before it.
    """
    src = source(filters, columns=(*_OUTCOME_COLUMNS, "app_name"))
    where = scope(filters, src, runs)
    outcome = outcome_expr(src)
    ts = DateTime(timezone=True)
    part = (src.c.scenario_id, src.c.country)
    order = (src.c.started_at.desc(), src.c.id.desc())
    # the window sorts every conclusive row: carry only what the streak needs
    ranked = (select(
        src.c.scenario_id.label("app"), src.c.country, src.c.id, src.c.started_at,
        src.c.status, outcome.label("outcome"),
        func.row_number().over(partition_by=part, order_by=order).label("rn"),
        func.lag(outcome, type_=String()).over(partition_by=part, order_by=order)
        .label("newer_outcome"),
        func.lag(src.c.started_at, type_=ts).over(partition_by=part, order_by=order)
        .label("newer_started_at"),
    ).where(*where, src.c.status.in_(CONCLUSIVE_STATUSES)).subquery("ranked"))
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
    latest = source(filters, "latest", (*_OUTCOME_COLUMNS, "app_name", "stage", "rule_id",
                                        "rules_version", "reclassified"))
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
        latest.c.rules_version.label("latest_rules_version"),
        type_coerce(latest.c.reclassified, Integer).label("latest_reclassified"),
    ).select_from(streaks.join(latest, latest.c.id == k.latest_measurement_id))
    nothing = {name: cast_null(type_) for name, type_ in _STREAK_TYPES.items()}
    other = select(
        src.c.scenario_id.label("app"), src.c.country,
        func.max(src.c.app_name).label("app_name"),
        func.max(region_expr(filters, src)).label("region"),
        nothing["outcome"], nothing["status"], nothing["barrier"],
        literal(0).label("agreeing_attempts"), nothing["first_agreeing_at"],
        nothing["latest_at"], literal(0).label("conclusive_attempts"),
        literal(0).label("access_attempts"), literal(0).label("barrier_attempts"),
        count_if(src.c.status == Status.FAILURE.value).label("failure_attempts"),
        count_if(src.c.status == Status.ABORTED.value).label("aborted_attempts"),
        literal(0).label("distinct_outcomes"), nothing["latest_measurement_id"],
        nothing["latest_run_id"], nothing["latest_stage"], nothing["latest_rule_id"],
        nothing["latest_rules_version"], nothing["latest_reclassified"],
    ).where(*where, src.c.status.in_((Status.FAILURE.value, Status.ABORTED.value))
            ).group_by(src.c.scenario_id, src.c.country)
    both = union_all(conclusive, other).subquery("both")
    b = both.c
    inst = select(
        b.app, b.country, func.max(b.app_name).label("app_name"),
        func.max(b.region).label("region"),
        *(func.max(b[name]).label(name) for name in (
            "outcome", "status", "barrier", "first_agreeing_at", "latest_at",
            "latest_measurement_id", "latest_run_id", "latest_stage", "latest_rule_id",
            "latest_rules_version", "latest_reclassified")),
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
    # the sign-up side: the latest outcome, unless it is the store barrier itself
    sp = source(filters, "signup_m", _OUTCOME_COLUMNS)
    sp_outcome = outcome_expr(sp)
    before = (select(sp_outcome)
              .where(sp.c.scenario_id == i.app, sp.c.country == i.country,
                     *scope(filters, sp, runs), sp.c.status.in_(CONCLUSIVE_STATUSES),
                     sp_outcome != STORE_BARRIER_LABEL)
              .order_by(sp.c.started_at.desc(), sp.c.id.desc()).limit(1)
              .correlate(inst).scalar_subquery())
    signup = case((i.outcome == STORE_BARRIER_LABEL, before), else_=i.outcome)
    st = _store_sides(filters, runs)
    sides = (select(
        i.app, i.app_name, i.country, i.region, i.outcome, i.status, i.barrier,
        case((i.outcome.is_(None), null()),
             (and_(i.status == Status.BARRIER.value, i.barrier.in_(RNR_BARRIERS)), 1),
             else_=0).label("rnr"),
        case((i.outcome.is_(None), null()), (confirmed, 1), else_=0).label("confirmed"),
        i.agreeing_attempts, i.first_agreeing_at, i.latest_at,
        case((i.outcome.is_(None), null()), else_=span).label("span_hours"),
        i.conclusive_attempts, i.access_attempts, i.barrier_attempts, i.failure_attempts,
        i.aborted_attempts, i.distinct_outcomes, i.latest_measurement_id, i.latest_run_id,
        i.latest_stage, i.latest_rule_id, i.latest_rules_version, i.latest_reclassified,
        st.c.store_result, st.c.store_rule_id, signup.label("signup_outcome"),
    ).select_from(inst.outerjoin(st, and_(st.c.app == i.app, st.c.country == i.country)))
             # OFFSET 0 keeps the database from copying the sign-up lookup into every
             # expression below (SQLite does not flatten a subquery with an OFFSET)
             .offset(0).subquery("sides"))
    j = sides.c
    store_barrier = case((j.store_result.in_(STORE_ABSENT_RESULTS), 1),
                         (j.store_result == StoreResult.AVAILABLE.value, 0), else_=null())
    signup_barrier = case((j.signup_outcome.is_(None), null()),
                          (j.signup_outcome.startswith("barrier:"), 1), else_=0)
    barrier_case = case(
        (or_(store_barrier.is_(None), signup_barrier.is_(None)), "incomplete"),
        (and_(store_barrier == 1, signup_barrier == 1), "store_and_signup"),
        (store_barrier == 1, "store_only"), (signup_barrier == 1, "signup_only"),
        else_="neither")
    return (select(*(j[c.name] for c in sides.columns),
                   store_barrier.label("store_barrier"),
                   signup_barrier.label("signup_barrier"),
                   barrier_case.label("barrier_case"))
            .order_by(j.app, j.country))


_STREAK_TYPES: dict[str, Any] = {
    "outcome": String(), "status": String(), "barrier": String(),
    "first_agreeing_at": DateTime(timezone=True), "latest_at": DateTime(timezone=True),
    "latest_measurement_id": String(), "latest_run_id": String(), "latest_stage": String(),
    "latest_rule_id": String(), "latest_rules_version": String(),
    "latest_reclassified": Integer(),
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


def barrier_cases_select(i: FromClause) -> Select[Any]:
    """Instances abroad per ``barrier_case`` (store barrier, sign-up barrier, both, ...)."""
    return (select(i.c.barrier_case, func.count().label("n")).where(_abroad(i))
            .group_by(i.c.barrier_case))


# --------------------------------------------------------------------------- changes

def current_run_select(filters: Filters, runs: Sequence[str]) -> Select[Any]:
    """The run of the newest conclusive attempt in scope."""
    src = source(filters, columns=("status",))
    return (select(src.c.run_id).where(*scope(filters, src, runs),
                                       src.c.status.in_(CONCLUSIVE_STATUSES))
            .order_by(src.c.started_at.desc(), src.c.id.desc()).limit(1))


def changes_select(filters: Filters, runs: Sequence[str], current_run: str
                   ) -> Select[Any]:
    """Each instance of ``current_run`` beside its latest conclusive outcome before it.

    "Before" means attempts of other runs that started before the current run's first
    conclusive attempt in scope. With two or more ``runs`` selected, only those runs count
    as before; otherwise every earlier run in scope does. One window pass: rows are split
    into the current run (side 1) and before it (side 2), and the newest of each side per
    instance is kept.
    """
    src = source(filters, columns=(*_OUTCOME_COLUMNS, "app_name"))
    first = source(filters, "first_m", ("status",))
    base = [*scope(filters, src, runs, use_runs=False), src.c.status.in_(CONCLUSIVE_STATUSES)]
    is_cur = src.c.run_id == current_run
    start = select(func.min(first.c.started_at)).where(
        *scope(filters, first, runs, use_runs=False),
        first.c.status.in_(CONCLUSIVE_STATUSES),
        first.c.run_id == current_run).scalar_subquery()
    before = [src.c.run_id != current_run, src.c.started_at < start]
    if len(runs) >= 2:
        before.append(src.c.run_id.in_(list(runs)))
    side = case((is_cur, 1), else_=2)
    ranked = select(
        src.c.scenario_id.label("app"), src.c.country, src.c.app_name,
        region_expr(filters, src).label("region"), src.c.id, src.c.run_id,
        src.c.started_at, outcome_expr(src).label("outcome"), side.label("side"),
        func.row_number().over(partition_by=(src.c.scenario_id, src.c.country, side),
                               order_by=(src.c.started_at.desc(), src.c.id.desc()))
        .label("rn"),
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
