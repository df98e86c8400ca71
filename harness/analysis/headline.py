"""The rows of the ``summary`` table: the headline figures of a selection, one metric per
row, with Wilson 95% intervals for shares.

:meth:`harness.analysis.tables.Analysis.summary` reads the inputs from the database (the
status counts, the regional and per-app tables, the barrier cases); :func:`summary_frame`
turns them into the table, so the figures are computed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from harness.analysis.definitions import BARRIER_CASES
from harness.analysis.frames import typed_frame
from harness.analysis.schemas import SUMMARY_COLUMNS
from harness.analysis.stats import wilson_columns
from harness.vocabulary.outcomes import Status

_Row = dict[str, object]


def _count(metric: str, value: int, text: str) -> _Row:
    """A summary row of a plain count."""
    return {"metric": metric, "value": value, "description": text}


def _share(metric: str, k: int, n: int, text: str) -> _Row:
    """A summary row of the share ``k/n`` with its Wilson 95% interval."""
    s, lo, hi = wilson_columns(pd.Series([k]), pd.Series([n]))
    return {"metric": metric, "value": s.iloc[0], "numerator": k, "denominator": n,
            "ci_low": lo.iloc[0], "ci_high": hi.iloc[0], "description": text}


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


def _instance_rows(apps: int, countries: int, reg: pd.DataFrame) -> list[_Row]:
    """Apps, countries and instances tested abroad, and the barrier, RNR and confirmed
    shares of the instances (from the ``by_region`` table)."""
    n_inst = int(reg["instances"].sum())
    return [
        _count("apps_tested", apps, "apps with a conclusive result abroad"),
        _count("countries_tested", countries, "countries with a conclusive result (abroad)"),
        _count("instances_tested", n_inst,
               "(app, country) instances abroad with a conclusive result"),
        _count("instances_no_result", int(reg["no_result_instances"].sum()),
               "instances abroad tried but with failures or aborted attempts only"),
        _share("barrier_share", int(reg["barrier_instances"].sum()), n_inst,
               "share of tested instances whose latest conclusive outcome is a barrier"),
        _share("rnr_share", int(reg["rnr_instances"].sum()), n_inst,
               "share of tested instances whose latest conclusive outcome is an RNR barrier"),
        _share("confirmed_share", int(reg["confirmed_instances"].sum()), n_inst,
               "share of tested instances whose latest outcome is confirmed"),
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


def _case_rows(cases: Mapping[str, int]) -> list[_Row]:
    """The shares of the four barrier cases, and the instances with an incomplete case."""
    complete = sum(n for case, n in cases.items() if case != "incomplete")
    rows = [_share(metric, cases[case], complete,
                   f"share of instances abroad with both sides observed: {BARRIER_CASES[case]}")
            for case, metric in (("store_and_signup", "store_and_signup_barrier_share"),
                                 ("store_only", "store_barrier_only_share"),
                                 ("signup_only", "signup_barrier_only_share"),
                                 ("neither", "neither_barrier_share"))]
    rows.append(_count("instances_barrier_case_incomplete", cases["incomplete"],
                       "instances abroad without a conclusive store or sign-up side "
                       "(not in the four shares above)"))
    return rows


def summary_frame(counts: Mapping[str, int], apps: int, countries: int,
                  by_region: pd.DataFrame, by_app: pd.DataFrame, cases: Mapping[str, int],
                  reclassified: int) -> pd.DataFrame:
    """The ``summary`` table from its inputs.

    ``counts`` are rows in scope per status plus ``"simulated_excluded"``
    (``Analysis.status_counts``); ``apps`` and ``countries`` those with a conclusive result
    abroad; ``cases`` the instances abroad per ``BARRIER_CASES`` code; ``reclassified`` the
    exported attempts whose verdict comes from a reclassification.
    """
    rows = [*_attempt_rows(counts), *_instance_rows(apps, countries, by_region),
            *_app_rows(by_app), *_case_rows(cases),
            _count("attempts_reclassified", reclassified,
                   "exported attempts whose verdict comes from a reclassification (0 with "
                   "--as-measured)")]
    return typed_frame(pd.DataFrame(rows), SUMMARY_COLUMNS)


__all__ = [
    "summary_frame",
]
