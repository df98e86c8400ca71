"""The per-instance table ("instance" = one (app, country) pair) and its aggregates.

The instance table is one query with two window functions (gaps and islands: the latest
run of agreeing conclusive attempts) and two GROUP BYs; the regional, per-app, funnel and
barrier-case tables are GROUP BYs over it. Measurements are read through
``harness.analysis.queries.source``, so every table sees the verdict in effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    FromClause,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast

from harness.analysis.definitions import (
    CONCLUSIVE_STATUSES,
    DOMESTIC_COUNTRIES,
    EXPORTED_STATUSES,
    RNR_BARRIERS,
    STORE_ABSENT_RESULTS,
    STORE_BARRIER_LABEL,
    STORE_CONCLUSIVE_RESULTS,
    Confirmation,
)
from harness.analysis.filters import Filters
from harness.analysis.queries import (
    OUTCOME_COLUMNS,
    SPAN_TOLERANCE_HOURS,
    cast_null,
    epoch_seconds,
    outcome_expr,
    region_expr,
    region_of,
    scope,
    source,
)
from harness.stores.model import StoreResult
from harness.vocabulary.outcomes import Status


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
    src = source(filters, columns=(*OUTCOME_COLUMNS, "app_name"))
    where = scope(filters, src, runs)
    conclusive = _conclusive_instances(filters, _streaks(src, where))
    inst = _merged(conclusive, _inconclusive_instances(filters, src, where))
    return _barrier_cases(_with_sides(filters, runs, inst, rule))


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _streaks(src: Subquery, where: list[ColumnElement[bool]]) -> Subquery:
    """Per instance, the latest run of agreeing conclusive attempts and the counts."""
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
    return select(
        r.app, r.country,
        func.coalesce(func.min(case((brk, r.rn))) - 1, func.count())
        .label("agreeing_attempts"),
        func.coalesce(func.max(case((brk, r.newer_started_at))), func.min(r.started_at))
        .label("first_agreeing_at"),
        func.count().label("conclusive_attempts"),
        _count_if(r.status == Status.ACCESS.value).label("access_attempts"),
        func.count(distinct(r.outcome)).label("distinct_outcomes"),
        func.max(case((r.rn == 1, r.id))).label("latest_measurement_id"),
    ).group_by(r.app, r.country).subquery("streaks")


def _conclusive_instances(filters: Filters, streaks: Subquery) -> Select[Any]:
    """Instances with a conclusive attempt: the streak with the latest attempt's own
    columns, by primary key (one lookup per instance)."""
    k = streaks.c
    latest = source(filters, "latest", (*OUTCOME_COLUMNS, "app_name", "stage", "rule_id",
                                        "rules_version", "reclassified"))
    return select(
        k.app, k.country, latest.c.app_name.label("app_name"),
        region_of(latest, filters).label("region"),
        outcome_expr(latest).label("outcome"), latest.c.status.label("status"),
        latest.c.barrier.label("barrier"), k.agreeing_attempts, k.first_agreeing_at,
        latest.c.started_at.label("latest_at"), k.conclusive_attempts, k.access_attempts,
        (k.conclusive_attempts - k.access_attempts).label("barrier_attempts"),
        literal(0).label("failure_attempts"), literal(0).label("aborted_attempts"),
        k.distinct_outcomes, k.latest_measurement_id,
        latest.c.run_id.label("latest_run_id"), latest.c.stage.label("latest_stage"),
        latest.c.rule_id.label("latest_rule_id"),
        latest.c.rules_version.label("latest_rules_version"),
        sql_cast(latest.c.reclassified, Integer).label("latest_reclassified"),
    ).select_from(streaks.join(latest, latest.c.id == k.latest_measurement_id))


def _inconclusive_instances(filters: Filters, src: Subquery,
                            where: list[ColumnElement[bool]]) -> Select[Any]:
    """The failed and aborted attempts per instance, with typed NULLs for the outcome."""
    nothing = {name: cast_null(type_) for name, type_ in _STREAK_TYPES.items()}
    return select(
        src.c.scenario_id.label("app"), src.c.country,
        func.max(src.c.app_name).label("app_name"),
        func.max(region_expr(filters, src)).label("region"),
        nothing["outcome"], nothing["status"], nothing["barrier"],
        literal(0).label("agreeing_attempts"), nothing["first_agreeing_at"],
        nothing["latest_at"], literal(0).label("conclusive_attempts"),
        literal(0).label("access_attempts"), literal(0).label("barrier_attempts"),
        _count_if(src.c.status == Status.FAILURE.value).label("failure_attempts"),
        _count_if(src.c.status == Status.ABORTED.value).label("aborted_attempts"),
        literal(0).label("distinct_outcomes"), nothing["latest_measurement_id"],
        nothing["latest_run_id"], nothing["latest_stage"], nothing["latest_rule_id"],
        nothing["latest_rules_version"], nothing["latest_reclassified"],
    ).where(*where, src.c.status.in_((Status.FAILURE.value, Status.ABORTED.value))
            ).group_by(src.c.scenario_id, src.c.country)


def _merged(conclusive: Select[Any], other: Select[Any]) -> Subquery:
    """Both kinds of rows of an instance as one row."""
    both = union_all(conclusive, other).subquery("both")
    b = both.c
    return select(
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


def _signup_outcome(filters: Filters, runs: Sequence[str], inst: Subquery
                    ) -> ColumnElement[Any]:
    """The sign-up side: the latest outcome, unless it is the store barrier itself."""
    i = inst.c
    sp = source(filters, "signup_m", OUTCOME_COLUMNS)
    sp_outcome = outcome_expr(sp)
    before = (select(sp_outcome)
              .where(sp.c.scenario_id == i.app, sp.c.country == i.country,
                     *scope(filters, sp, runs), sp.c.status.in_(CONCLUSIVE_STATUSES),
                     sp_outcome != STORE_BARRIER_LABEL)
              .order_by(sp.c.started_at.desc(), sp.c.id.desc()).limit(1)
              .correlate(inst).scalar_subquery())
    return case((i.outcome == STORE_BARRIER_LABEL, before), else_=i.outcome)


def _with_sides(filters: Filters, runs: Sequence[str], inst: Subquery, rule: Confirmation
                ) -> Subquery:
    """Each instance with its confirmation, RNR flag, store side and sign-up side."""
    i = inst.c
    span = ((epoch_seconds(i.latest_at) - epoch_seconds(i.first_agreeing_at)) / 3600.0)
    # julianday() arithmetic is exact to ~0.1 ms: compare to the millisecond
    confirmed = and_(i.agreeing_attempts >= rule.min_attempts,
                     span >= rule.min_hours - SPAN_TOLERANCE_HOURS)
    st = _store_sides(filters, runs)
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
        i.latest_stage, i.latest_rule_id, i.latest_rules_version, i.latest_reclassified,
        st.c.store_result, st.c.store_rule_id,
        _signup_outcome(filters, runs, inst).label("signup_outcome"),
    ).select_from(inst.outerjoin(st, and_(st.c.app == i.app, st.c.country == i.country)))
            # OFFSET 0 keeps the database from copying the sign-up lookup into every
            # expression below (SQLite does not flatten a subquery with an OFFSET)
            .offset(0).subquery("sides"))


def _barrier_cases(sides: Subquery) -> Select[Any]:
    """The instances with their store barrier, sign-up barrier and ``barrier_case``."""
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


def cluster_counts_select(i: FromClause) -> Select[Any]:
    """Counts per (study region, app) over conclusive instances abroad: the clusters of
    the regional and headline shares' intervals (``harness.analysis.intervals``)."""
    return (select(
        i.c.region, i.c.app,
        func.count(i.c.outcome).label("instances"),
        _sum_if(i.c.status == Status.BARRIER.value).label("barrier_instances"),
        _sum_if(i.c.rnr == 1).label("rnr_instances"),
        _sum_if(i.c.confirmed == 1).label("confirmed_instances"),
    ).where(_abroad(i), i.c.outcome.isnot(None))
        .group_by(i.c.region, i.c.app).order_by(i.c.region, i.c.app))


def case_counts_select(i: FromClause) -> Select[Any]:
    """Instances abroad per (app, ``barrier_case``): the clusters of the case shares."""
    return (select(i.c.app, i.c.barrier_case, func.count().label("n")).where(_abroad(i))
            .group_by(i.c.app, i.c.barrier_case).order_by(i.c.app, i.c.barrier_case))


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


__all__ = [
    "abroad_totals_select",
    "barrier_cases_select",
    "by_app_select",
    "by_region_select",
    "case_counts_select",
    "cluster_counts_select",
    "funnel_select",
    "instances_select",
]
