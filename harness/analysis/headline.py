"""The rows of the ``summary`` table: the headline figures of a selection, one metric per
row, with 95% intervals for shares: clustered by app for shares of (app, country)
instances (``harness.analysis.intervals``), Wilson for shares of apps.

:meth:`harness.analysis.tables.Analysis.summary` reads the inputs from the database (the
status counts, the regional and per-app tables, the barrier cases); :func:`summary_frame`
turns them into the table, so the figures are computed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from harness.analysis.definitions import BARRIER_CASES
from harness.analysis.frames import typed_frame
from harness.analysis.intervals import WILSON, ShareInterval, cluster_share
from harness.analysis.schemas import SUMMARY_COLUMNS
from harness.analysis.stats import wilson_columns
from harness.vocabulary.outcomes import Status

_Row = dict[str, object]

#: The summary's shares of instances and the ``cluster_counts`` column each counts.
INSTANCE_SHARES: tuple[tuple[str, str], ...] = (
    ("barrier_share", "barrier_instances"), ("rnr_share", "rnr_instances"),
    ("confirmed_share", "confirmed_instances"))

#: The summary's share of each barrier case (over instances with both sides observed).
CASE_SHARES: tuple[tuple[str, str], ...] = (
    ("store_and_signup", "store_and_signup_barrier_share"),
    ("store_only", "store_barrier_only_share"),
    ("signup_only", "signup_barrier_only_share"),
    ("neither", "neither_barrier_share"))


def headline_shares(clusters: pd.DataFrame, cases: pd.DataFrame) -> dict[str, ShareInterval]:
    """The instance shares of the summary (metric -> interval clustered by app), from the
    per-(region, app) counts (``Analysis.cluster_counts``) and the per-(app, case) counts
    (``instances.case_counts_select``)."""
    per_app = (clusters.groupby("app")[["instances", *(c for _, c in INSTANCE_SHARES)]].sum()
               if not clusters.empty else pd.DataFrame(columns=["instances"]))
    out = {metric: cluster_share(per_app.get(col, pd.Series(dtype=int)).to_numpy(int),
                                 per_app["instances"].to_numpy(int))
           for metric, col in INSTANCE_SHARES}
    table = (cases.pivot_table(index="app", columns="barrier_case", values="n",
                               aggfunc="sum", fill_value=0)
             if not cases.empty else pd.DataFrame())
    table = table.reindex(columns=list(BARRIER_CASES), fill_value=0).fillna(0).astype(int)
    complete = table.drop(columns="incomplete").sum(axis=1)
    for case, metric in CASE_SHARES:
        out[metric] = cluster_share(table[case].to_numpy(int), complete.to_numpy(int))
    return out


def _count(metric: str, value: int, text: str) -> _Row:
    """A summary row of a plain count."""
    return {"metric": metric, "value": value, "description": text}


def _share(metric: str, k: int, n: int, text: str,
           intervals: Mapping[str, ShareInterval] | None = None) -> _Row:
    """A summary row of the share ``k/n`` with its 95% interval: the one of
    ``intervals[metric]`` (clustered by app) when given, else Wilson's."""
    iv = (intervals or {}).get(metric)
    if iv is None:
        s, lo, hi = wilson_columns(pd.Series([k]), pd.Series([n]))
        return {"metric": metric, "value": s.iloc[0], "numerator": k, "denominator": n,
                "ci_low": lo.iloc[0], "ci_high": hi.iloc[0],
                "ci_method": WILSON if n else None, "description": text}
    if (iv.successes, iv.trials) != (k, n):  # pragma: no cover - a developer's mistake
        raise AssertionError(f"{metric}: clustered counts {iv.successes}/{iv.trials} "
                             f"differ from {k}/{n}")
    return {"metric": metric, "value": iv.share, "numerator": k, "denominator": n,
            "ci_low": iv.low, "ci_high": iv.high, "ci_method": iv.method,
            "ci_clusters": iv.clusters if n else None, "description": text}


def _attempt_rows(counts: Mapping[str, int]) -> list[_Row]:
    """Attempts per status, and the simulator rows left out."""
    st = Status
    return [
        _count("attempts_access", counts.get(st.ACCESS.value, 0),
               "attempts that obtained an account"),
        _count("attempts_barrier", counts.get(st.BARRIER.value, 0),
               "attempts stopped by a barrier"),
        _count("attempts_failure", counts.get(st.FAILURE.value, 0),
               "attempts the instrument could not measure (never counted as barriers)"),
        _count("attempts_aborted", counts.get(st.ABORTED.value, 0),
               "attempts whose run died (never exported or counted)"),
        _count("simulated_rows_excluded", counts["simulated_excluded"],
               "simulator rows left out (add --include-simulated to keep them)"),
    ]


def _instance_rows(apps: int, countries: int, reg: pd.DataFrame,
                   intervals: Mapping[str, ShareInterval] | None) -> list[_Row]:
    """Apps, countries and instances tested abroad, and the barrier, RNR and confirmed
    shares of the instances (from the ``by_region`` table)."""
    n_inst = int(reg["instances"].sum())
    iv = intervals
    return [
        _count("apps_tested", apps, "apps with a conclusive result abroad"),
        _count("countries_tested", countries, "countries with a conclusive result (abroad)"),
        _count("instances_tested", n_inst,
               "(app, country) instances abroad with a conclusive result"),
        _count("instances_no_result", int(reg["no_result_instances"].sum()),
               "instances abroad tried but with failures or aborted attempts only"),
        _share("barrier_share", int(reg["barrier_instances"].sum()), n_inst,
               "share of tested instances whose latest conclusive outcome is a barrier", iv),
        _share("rnr_share", int(reg["rnr_instances"].sum()), n_inst,
               "share of tested instances whose latest conclusive outcome is an RNR barrier",
               iv),
        _share("confirmed_share", int(reg["confirmed_instances"].sum()), n_inst,
               "share of tested instances whose latest outcome is confirmed", iv),
    ]


def _app_rows(app: pd.DataFrame) -> list[_Row]:
    """The shares of tested apps that enforce identifiability (from the ``by_app`` table)."""
    n_apps = int((app["countries_tested"] > 0).sum()) if not app.empty else 0
    return [
        _share("apps_enforcing_identifiability",
               int(app["enforces_identifiability"].fillna(False).sum()), n_apps,
               "share of tested apps with an RNR barrier as latest outcome in some country"),
        _share("apps_enforcing_identifiability_confirmed",
               int(app["enforces_identifiability_confirmed"].fillna(False).sum()), n_apps,
               "as above, counting only confirmed RNR outcomes"),
    ]


def _case_rows(cases: Mapping[str, int], intervals: Mapping[str, ShareInterval] | None
               ) -> list[_Row]:
    """The shares of the four barrier cases, and the instances with an incomplete case."""
    complete = sum(n for case, n in cases.items() if case != "incomplete")
    rows = [_share(metric, cases[case], complete,
                   f"share of instances abroad with both sides observed: {BARRIER_CASES[case]}",
                   intervals)
            for case, metric in CASE_SHARES]
    rows.append(_count("instances_barrier_case_incomplete", cases["incomplete"],
                       "instances abroad without a conclusive store or sign-up side "
                       "(not in the four shares above)"))
    return rows


def summary_frame(counts: Mapping[str, int], apps: int, countries: int,
                  by_region: pd.DataFrame, by_app: pd.DataFrame, cases: Mapping[str, int],
                  reclassified: int, intervals: Mapping[str, ShareInterval] | None = None
                  ) -> pd.DataFrame:
    """The ``summary`` table from its inputs.

    ``counts`` are rows in scope per status plus ``"simulated_excluded"``
    (``Analysis.status_counts``); ``apps`` and ``countries`` those with a conclusive result
    abroad; ``cases`` the instances abroad per ``BARRIER_CASES`` code; ``reclassified`` the
    exported attempts whose verdict comes from a reclassification; ``intervals`` the
    instance shares clustered by app (:func:`headline_shares`; without them, Wilson).
    """
    rows = [*_attempt_rows(counts), *_instance_rows(apps, countries, by_region, intervals),
            *_app_rows(by_app), *_case_rows(cases, intervals),
            _count("attempts_reclassified", reclassified,
                   "exported attempts whose verdict comes from a reclassification (0 with "
                   "--as-measured)")]
    return typed_frame(pd.DataFrame(rows), SUMMARY_COLUMNS)


__all__ = [
    "CASE_SHARES",
    "INSTANCE_SHARES",
    "headline_shares",
    "summary_frame",
]
