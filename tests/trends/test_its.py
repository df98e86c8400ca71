"""The interrupted time series against a published tutorial, its invariants, and the
coverage of its intervals on series with a known effect."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.analysis.trends.effects import drops, prevented
from harness.analysis.trends.its import ItsSpec, fit_its
from harness.support.errors import ConfigError

SICILY = Path(__file__).parents[1] / "fixtures" / "trends" / "sicily.csv"


def _sicily() -> tuple[list[str], np.ndarray, np.ndarray]:
    d = pd.read_csv(SICILY)
    months = [f"{y}-{m:02d}" for y, m in zip(d.year, d.month, strict=True)]
    return months, d.aces.to_numpy(float), d.stdpop.to_numpy(float)


# Lopez Bernal, Cummins & Gasparrini (2017), "Interrupted time series regression for the
# evaluation of public health interventions: a tutorial", IJE 46(1):348-355, with its
# published data (tests/fixtures/trends/README.md): the smoking ban's rate ratio, 95% CI.
@pytest.mark.parametrize(("family", "harmonics", "rr", "low", "high"), [
    ("poisson", 0, 0.894, 0.865, 0.925),       # step 4: Poisson, offset log(stdpop)
    ("quasipoisson", 0, 0.894, 0.839, 0.953),  # step 5a: quasi-Poisson
    ("quasipoisson", 2, 0.885, 0.839, 0.933),  # step 5c: + 2 Fourier pairs
])
def test_the_published_rate_ratios_of_the_tutorial_are_reproduced(
        family: str, harmonics: int, rr: float, low: float, high: float) -> None:
    months, aces, stdpop = _sicily()
    fit = fit_its(months, aces, stdpop, ItsSpec("2005-01", harmonics, family))  # type: ignore[arg-type]
    level = fit.term("level")
    assert level is not None
    lo, hi = level.rate_ratio_ci()
    assert (round(level.rate_ratio, 3), round(lo, 3), round(hi, 3)) == (rr, low, high)


def test_the_seasonal_model_reports_the_published_trend_and_its_dispersion() -> None:
    months, aces, stdpop = _sicily()
    fit = fit_its(months, aces, stdpop, ItsSpec("2005-01", 2, "quasipoisson"))
    time = fit.term("time")
    assert time is not None
    # exp(12 b_time): the tutorial's yearly trend, 1.067
    assert round(math.exp(12 * time.estimate), 3) == 1.067
    assert fit.dispersion == pytest.approx(2.262, abs=1e-3)
    assert len(fit.autocorrelation.acf) == 12


def test_with_a_step_term_fitted_and_observed_post_totals_agree() -> None:
    months, aces, stdpop = _sicily()
    for spec in (ItsSpec("2005-01", 0, "poisson"), ItsSpec("2005-01", 2, "quasipoisson"),
                 ItsSpec("2005-01", 2, "poisson", slope_change=True, errors="hac")):
        fit = fit_its(months, aces, stdpop, spec)
        post = fit.post == 1
        assert fit.fitted[post].sum() == pytest.approx(fit.observed[post].sum(), rel=1e-8)
        # so prevented = counterfactual - fitted over the post period
        assert prevented(fit).value == pytest.approx(
            fit.counterfactual[post].sum() - fit.fitted[post].sum(), rel=1e-6)


def test_the_drop_definitions_differ_and_say_how_they_were_had() -> None:
    months, aces, stdpop = _sicily()
    fit = fit_its(months, aces, stdpop, ItsSpec("2005-01", 2))
    d = drops(fit, (2004, 2006))
    assert d["level"] is not None and d["level"].value == pytest.approx(1 - 0.8851, abs=1e-3)
    assert d["counterfactual"] is not None and d["counterfactual"].ci_low < d[
        "counterfactual"].value < d["counterfactual"].ci_high
    last = d["last_12_months"]
    assert last is not None and math.isnan(last.ci_low)  # observed, no model
    # observed totals: 2006 has 11 months only, and the method says so
    years = d["calendar_years"]
    a, b = aces[[m.startswith("2004") for m in months]], aces[[m.startswith("2006")
                                                               for m in months]]
    assert years is not None and years.value == pytest.approx(1 - b.sum() / a.sum())
    assert "2006 has 11 month(s)" in years.method


def _series(rng: np.random.Generator, effect: float, n: int = 72, t0: int = 36,
            alpha: float = 0.0) -> tuple[list[str], np.ndarray]:
    months = [str(p) for p in pd.period_range("2015-01", periods=n, freq="M")]
    t = np.arange(n)
    mu = np.exp(5.0 + 0.005 * t + 0.2 * np.cos(2 * np.pi * (t % 12 + 1) / 12)
                + effect * (t >= t0))
    if alpha > 0:  # negative binomial: a gamma-distributed rate per month
        mu = mu * rng.gamma(1 / alpha, alpha, size=n)
    return months, rng.poisson(mu).astype(float)


@pytest.mark.parametrize("family", ["poisson", "negbin"])
def test_intervals_cover_a_known_effect_about_95_percent_of_the_time(family: str) -> None:
    rng = np.random.default_rng(7)
    effect, reps, covered, prevented_cover = -0.3, 200, 0, 0
    for _ in range(reps):
        months, y = _series(rng, effect, alpha=0.05 if family == "negbin" else 0.0)
        fit = fit_its(months, y, None, ItsSpec("2018-01", 1, family, draws=400))  # type: ignore[arg-type]
        level = fit.term("level")
        assert level is not None
        covered += level.ci_low <= effect <= level.ci_high
        post = fit.post == 1
        true_cf = fit.observed[post].sum() * 0 + np.exp(
            5.0 + 0.005 * np.arange(72) + 0.2 * np.cos(2 * np.pi * (np.arange(72) % 12 + 1)
                                                       / 12))[post].sum()
        truth = true_cf - fit.observed[post].sum()
        p = prevented(fit)
        prevented_cover += p.ci_low <= truth <= p.ci_high
    assert 0.90 <= covered / reps <= 0.99
    assert 0.85 <= prevented_cover / reps <= 0.995


def test_an_intervention_outside_the_series_is_one_clear_error() -> None:
    months, aces, stdpop = _sicily()
    with pytest.raises(ConfigError, match=r"intervention.*leaves 59 month"):
        fit_its(months, aces, stdpop, ItsSpec("2010-01"))
    with pytest.raises(ConfigError, match="harmonics"):
        fit_its(months, aces, stdpop, ItsSpec("2005-01", harmonics=7))


def test_overdispersion_and_autocorrelation_are_flagged_not_hidden() -> None:
    months, aces, stdpop = _sicily()
    fit = fit_its(months, aces, stdpop, ItsSpec("2005-01", 0, "poisson"))
    assert any("dispersion 3.56" in w for w in fit.warnings)
    assert any("autocorrelated" in w for w in fit.warnings)
    hac = fit_its(months, aces, stdpop, ItsSpec("2005-01", 0, "poisson", errors="hac",
                                                 hac_lags=3))
    assert hac.errors_label == "Newey-West (HAC), 3 lags"
    assert not any("autocorrelated" in w for w in hac.warnings)
    level, hlevel = fit.term("level"), hac.term("level")
    assert level is not None and hlevel is not None
    assert hlevel.estimate == pytest.approx(level.estimate) and hlevel.se > level.se
