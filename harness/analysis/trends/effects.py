"""What a fitted interrupted time series implies: prevented counts and the "% drop" under
each of its definitions, kept apart because they answer different questions.

- ``prevented``: the sum over the post period of counterfactual minus observed counts.
  Its interval comes from parametric draws of the model's parameters (normal, with the
  fit's covariance: model-based, quasi-likelihood or Newey-West); it is the interval of
  the *expected* counterfactual, so it leaves out the Poisson noise of the months
  themselves.
- ``drop`` = 1 - ratio, so 0.82 is a fall of 82% and a negative drop is a rise:
  ``level``: 1 - the rate ratio of the level change (the model's ``exp(b2)``, at the
  intervention month; with a slope change it is not the change over the whole period);
  ``counterfactual``: 1 - observed / counterfactual over the post period, with the
  draws' interval; ``last_12_months``: the last 12 months of the series against the 12
  before the intervention, as observed (no model, no interval); ``calendar_years``: one
  calendar year's observed total against another's (the 2024 study's 2017 vs 2023).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.analysis.trends.its import ItsFit


def none_if_nan(x: float | None) -> float | None:
    """``x``, or None for a missing or NaN value (JSON has no NaN)."""
    return None if x is None or math.isnan(x) else x


@dataclass(frozen=True)
class Estimate:
    """A derived figure with its 95% interval (NaN when it has none) and how it was had."""

    value: float
    ci_low: float
    ci_high: float
    method: str

    def as_dict(self) -> dict[str, float | str | None]:
        return {"value": none_if_nan(self.value), "ci_low": none_if_nan(self.ci_low),
                "ci_high": none_if_nan(self.ci_high), "method": self.method}


def _interval(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def prevented(fit: ItsFit) -> Estimate:
    """Counterfactual minus observed, summed over the post period."""
    post = fit.post == 1
    observed = float(fit.observed[post].sum())
    value = float(fit.counterfactual[post].sum()) - observed
    draws = fit.counterfactual_draws[:, post].sum(axis=1) - observed
    lo, hi = _interval(draws)
    return Estimate(value, lo, hi, f"parametric draws ({fit.spec.draws}, seed "
                                   f"{fit.spec.seed}) of the parameters, {fit.errors_label}")


def _level(fit: ItsFit) -> Estimate:
    level = fit.term("level")
    assert level is not None
    lo, hi = level.rate_ratio_ci()
    note = " at the intervention month (a slope change is fitted too)" \
        if fit.spec.slope_change else ""
    return Estimate(1 - level.rate_ratio, 1 - hi, 1 - lo,
                    f"1 - rate ratio of the level change{note}, {fit.errors_label}")


def _counterfactual(fit: ItsFit) -> Estimate:
    post = fit.post == 1
    observed = float(fit.observed[post].sum())
    value = 1 - observed / float(fit.counterfactual[post].sum())
    draws = 1 - observed / fit.counterfactual_draws[:, post].sum(axis=1)
    lo, hi = _interval(draws)
    return Estimate(value, lo, hi, "1 - observed / counterfactual over the post period "
                                   "(interval from the parameter draws)")


def _last_12_months(fit: ItsFit) -> Estimate | None:
    pre = np.flatnonzero(fit.post == 0)
    post = np.flatnonzero(fit.post == 1)
    if len(pre) < 12 or len(post) < 12:
        return None
    before = float(fit.observed[pre[-12:]].sum())
    after = float(fit.observed[post[-12:]].sum())
    if before == 0:
        return None
    return Estimate(1 - after / before, math.nan, math.nan,
                    f"observed: {fit.months[post[-12]]}..{fit.months[post[-1]]} against "
                    f"{fit.months[pre[-12]]}..{fit.months[pre[-1]]} (no model, no interval)")


def year_totals(months: list[str], values: np.ndarray) -> dict[int, tuple[int, float]]:
    """Per calendar year: the months present and their total."""
    out: dict[int, tuple[int, float]] = {}
    for month, value in zip(months, values, strict=True):
        year = int(month[:4])
        n, total = out.get(year, (0, 0.0))
        out[year] = (n + 1, total + float(value))
    return out


def default_years(fit: ItsFit) -> tuple[int, int] | None:
    """The intervention's calendar year and the last complete calendar year after it."""
    totals = year_totals(fit.months, fit.observed)
    first = int(fit.spec.intervention[:4])
    complete = [y for y, (n, _) in totals.items() if n == 12 and y > first]
    if first not in totals or not complete:
        return None
    return (first, max(complete))


def _calendar_years(fit: ItsFit, years: tuple[int, int] | None) -> Estimate | None:
    years = years or default_years(fit)
    if years is None:
        return None
    totals = year_totals(fit.months, fit.observed)
    a, b = years
    if a not in totals or b not in totals or totals[a][1] == 0:
        return None
    (na, ta), (nb, tb) = totals[a], totals[b]
    partial = [f"{y} has {n} month(s)" for y, n in ((a, na), (b, nb)) if n != 12]
    note = f" ({'; '.join(partial)})" if partial else ""
    return Estimate(1 - tb / ta, math.nan, math.nan,
                    f"observed: calendar {b} against {a}: {tb:,.0f} against {ta:,.0f}{note} "
                    "(no model, no interval)")


def drops(fit: ItsFit, years: tuple[int, int] | None = None) -> dict[str, Estimate | None]:
    """The drop under each definition (None where the series cannot give it)."""
    return {"level": _level(fit), "counterfactual": _counterfactual(fit),
            "last_12_months": _last_12_months(fit),
            "calendar_years": _calendar_years(fit, years)}


def counterfactual_band(fit: ItsFit) -> tuple[np.ndarray, np.ndarray]:
    """The 95% band of the counterfactual mean per month (from the draws)."""
    lo, hi = np.percentile(fit.counterfactual_draws, [2.5, 97.5], axis=0)
    return lo, hi


__all__ = [
    "Estimate",
    "counterfactual_band",
    "default_years",
    "drops",
    "none_if_nan",
    "prevented",
    "year_totals",
]
