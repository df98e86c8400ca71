"""Difference-in-differences across apps: Poisson with app and month fixed effects
(pyfixest's ``fepois``), errors clustered by app, and an event study for the pre-trend.

The model::

    E[y_at] = exp(a_a + g_t + d * affected_a * post_t)

``exp(d)`` is the rate ratio of the affected apps' downloads after the intervention
relative to what the comparison apps' path implies for them. The event study replaces
``affected x post`` by ``affected x`` one dummy per ``bin``-month period relative to the
intervention (bin -1, the last period before it, is the reference): leads near 0 support
parallel trends; their joint Wald test is reported. Prevented counts: with Poisson fixed
effects the fitted total of the affected post cells equals the observed total, so the
counterfactual total is ``observed x exp(-d)`` and prevented = ``observed (exp(-d) - 1)``,
with the interval from draws of ``d`` (normal, cluster-robust standard error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.trends.effects import Estimate
from harness.analysis.trends.its import Coefficient
from harness.support.errors import ConfigError

#: Fewer clusters than this and cluster-robust errors are too narrow (a warning).
FEW_CLUSTERS = 30


@dataclass(frozen=True)
class EventTerm:
    """One relative period of the event study (``bin`` periods from the intervention)."""

    bin: int
    first_month: str
    estimate: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, Any]:
        return {"bin": self.bin, "first_month": self.first_month, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high,
                "rate_ratio": math.exp(self.estimate)}


@dataclass
class DidFit:
    """The DiD estimate, its event study and what it implies."""

    intervention: str
    effect: Coefficient
    affected_units: list[str]
    comparison_units: list[str]
    n_obs: int
    n_obs_used: int
    clusters: int
    events: list[EventTerm]
    event_bin: int
    pretrend_stat: float | None
    pretrend_p: float | None
    pretrend_df: int
    prevented: Estimate | None
    observed_affected_post: float
    family: str = "poisson"
    warnings: list[str] = field(default_factory=list)

    @property
    def drop(self) -> Estimate | None:
        """1 - the rate ratio (None for ``ols``, whose effect is a difference)."""
        if self.family != "poisson":
            return None
        lo, hi = self.effect.rate_ratio_ci()
        return Estimate(1 - self.effect.rate_ratio, 1 - hi, 1 - lo,
                        "1 - DiD rate ratio (Poisson FE, errors clustered by app)")


def _prepare(panel: pd.DataFrame, intervention: str, event_bin: int) -> pd.DataFrame:
    df = panel[["unit", "month", "count", "affected"]].copy()
    df["affected"] = df["affected"].astype(int)
    ordinal = pd.PeriodIndex(df["month"], freq="M").asi8
    since = ordinal - pd.Period(intervention, "M").ordinal
    df["post"] = (since >= 0).astype(int)
    df["treat_post"] = df["affected"] * df["post"]
    df["rel"] = np.floor_divide(since, event_bin).astype(int)
    return df


def _check(df: pd.DataFrame, intervention: str) -> None:
    groups = df.groupby("affected")["unit"].nunique()
    if groups.get(1, 0) == 0 or groups.get(0, 0) == 0:
        raise ConfigError("trends fit", "groups",
                          f"a difference-in-differences needs affected and comparison apps; "
                          f"found {groups.get(1, 0)} affected and {groups.get(0, 0)} "
                          "comparison", "Give apps of both groups (--group / --vs)")
    if df["post"].all() or not df["post"].any():
        raise ConfigError("trends fit", "intervention",
                          f"every month is on one side of {intervention}",
                          "Choose an intervention month inside the series")


def _coefficient(fit: Any, name: str) -> Coefficient:
    b, se = float(fit.coef()[name]), float(fit.se()[name])
    ci = fit.confint().loc[name]
    return Coefficient(name, b, se, float(fit.tstat()[name]), float(fit.pvalue()[name]),
                       float(ci.iloc[0]), float(ci.iloc[1]))


def _rel_of(term: object) -> int:
    """The relative period of an event-study term (pyfixest names it
    ``rel::-2:affected``)."""
    return int(str(term).split("::")[1].split(":")[0])


def _events(fit: Any, intervention: str, event_bin: int) -> list[EventTerm]:
    t0 = pd.Period(intervention, "M")
    ci = fit.confint()
    out = []
    for name, b in fit.coef().items():
        rel = _rel_of(name)
        out.append(EventTerm(rel, str(t0 + rel * event_bin), float(b),
                             float(ci.loc[name].iloc[0]), float(ci.loc[name].iloc[1])))
    out.append(EventTerm(-1, str(t0 - event_bin), 0.0, 0.0, 0.0))
    return sorted(out, key=lambda e: e.bin)


def _pretrend(fit: Any) -> tuple[float | None, float | None, int]:
    names = list(fit.coef().index)
    leads = [i for i, n in enumerate(names) if _rel_of(n) < -1]
    if not leads:
        return None, None, 0
    r = np.zeros((len(leads), len(names)))
    for row, col in enumerate(leads):
        r[row, col] = 1.0
    test = fit.wald_test(R=r, distribution="chi2")
    return float(test["statistic"]), float(test["pvalue"]), len(leads)


def _prevented(effect: Coefficient, observed: float, draws: int, seed: int) -> Estimate:
    rng = np.random.default_rng(seed)
    d = rng.normal(effect.estimate, effect.se, size=draws)
    values = observed * (np.exp(-d) - 1)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return Estimate(observed * (math.exp(-effect.estimate) - 1), float(lo), float(hi),
                    f"observed affected post total x (exp(-d) - 1); {draws} draws of d "
                    f"(seed {seed}), cluster-robust standard error")


def fit_did(panel: pd.DataFrame, intervention: str, event_bin: int = 12,
            draws: int = 5000, seed: int = 2017, family: str = "poisson",
            vcov: str = "cluster") -> DidFit:
    """Fit the DiD and the event study to ``panel`` (columns unit, month ``YYYY-MM``,
    count, affected as 0/1 per unit).

    ``family`` is ``poisson`` (``fepois``, the default) or ``ols`` (``feols``, for a
    continuous outcome such as a log); ``vcov`` is ``cluster`` (by unit), ``iid`` or
    ``hetero``. The event study is skipped (with a warning) when the series has no
    period just before the intervention to be its reference.
    """
    import pyfixest as pf

    df = _prepare(panel, intervention, event_bin)
    _check(df, intervention)
    cov: Any = {"CRV1": "unit"} if vcov == "cluster" else vcov
    estimator = pf.fepois if family == "poisson" else pf.feols
    main = estimator("count ~ treat_post | unit + month", data=df, vcov=cov)
    effect = _coefficient(main, "treat_post")
    observed = float(df.loc[df["treat_post"] == 1, "count"].sum())
    events: list[EventTerm] = []
    stat, p, k = None, None, 0
    has_reference = bool((df["rel"] == -1).any()) and df["rel"].nunique() > 2
    if has_reference:
        event = estimator("count ~ i(rel, affected, ref=-1) | unit + month", data=df,
                          vcov=cov)
        events = _events(event, intervention, event_bin)
        stat, p, k = _pretrend(event)
    units = df.groupby("unit")["affected"].first()
    fit = DidFit(intervention, effect, sorted(units[units == 1].index),
                 sorted(units[units == 0].index), len(df), int(main._N),
                 int(df["unit"].nunique()), events, event_bin, stat, p, k,
                 _prevented(effect, observed, draws, seed) if family == "poisson" else None,
                 observed, family)
    if not has_reference:
        fit.warnings.append(f"no event study: the series has no {event_bin}-month period "
                            "before the intervention to compare with, or too few periods")
    if vcov == "cluster":
        fit.warnings.extend(_warnings(fit))
    return fit


def _warnings(fit: DidFit) -> list[str]:
    out = []
    if fit.clusters < FEW_CLUSTERS:
        out.append(f"{fit.clusters} apps (clusters): cluster-robust errors are too narrow "
                   f"with fewer than {FEW_CLUSTERS}; read the interval as a lower bound "
                   "of the uncertainty")
    if fit.n_obs_used < fit.n_obs:
        out.append(f"{fit.n_obs - fit.n_obs_used} of {fit.n_obs} app-months were dropped "
                   "by the Poisson fixed-effects fit (apps or months with only zeros)")
    if fit.pretrend_p is not None and fit.pretrend_p < 0.05:
        out.append(f"the leads of the event study differ from 0 (joint Wald p = "
                   f"{fit.pretrend_p:.3g}): the parallel-trends assumption is in doubt")
    return out


__all__ = [
    "FEW_CLUSTERS",
    "DidFit",
    "EventTerm",
    "fit_did",
]
