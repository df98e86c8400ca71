"""Interrupted time series of one monthly count series: a log-link count model with a
level change (and optionally a slope change) at the intervention.

The model (statsmodels; nothing here estimates by hand)::

    log E[y_t] = log(exposure_t) + b0 + b1 t + b2 post_t [+ b3 (t - t0) post_t]
                 + sum_k (s_k sin(2 pi k m_t / 12) + c_k cos(2 pi k m_t / 12))

``t`` counts months from the first month of the series (so a gap keeps its place),
``post_t`` is 1 from the intervention month ``t0`` on, ``m_t`` is the calendar month and
``k = 1..K`` the Fourier pairs. ``exp(b2)`` is the rate ratio of the level change at
``t0``; ``exp(b3)`` the ratio per month of the slope change, counted from ``t0`` (0 in the
intervention month). The family is Poisson (variance = mean), quasi-Poisson (variance
proportional to the mean; the scale is Pearson's chi-squared over the residual degrees of
freedom, as R's ``quasipoisson``) or negative binomial (NB2, dispersion estimated).
Errors are the model's, or Newey-West (HAC) with ``hac_lags`` lags, robust to residual
autocorrelation. The residual autocorrelation is always reported (ACF, Ljung-Box,
Durbin-Watson) so the choice can be checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.stattools import acf

from harness.support.errors import ConfigError

Family = Literal["poisson", "quasipoisson", "negbin"]
Errors = Literal["model", "hac"]
FAMILIES: tuple[str, ...] = ("poisson", "quasipoisson", "negbin")
ERRORS: tuple[str, ...] = ("model", "hac")
#: The fewest months the model accepts before and after the intervention.
MIN_SIDE_MONTHS = 3


@dataclass(frozen=True)
class ItsSpec:
    """The choices of an interrupted-time-series fit (each is printed with the result)."""

    intervention: str
    harmonics: int = 0
    family: Family = "quasipoisson"
    slope_change: bool = False
    errors: Errors = "model"
    hac_lags: int | None = None
    draws: int = 5000
    seed: int = 2017

    def lags(self, n: int) -> int:
        """Newey-West lags: as given, else the usual rule floor(4 (n/100)^(2/9))."""
        if self.hac_lags is not None:
            return self.hac_lags
        return max(1, int(4 * (n / 100) ** (2 / 9)))


@dataclass(frozen=True)
class Coefficient:
    """One model term, with its rate ratio ``exp(estimate)`` and 95% intervals."""

    term: str
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float

    @property
    def rate_ratio(self) -> float:
        return math.exp(self.estimate)

    def rate_ratio_ci(self) -> tuple[float, float]:
        return (math.exp(self.ci_low), math.exp(self.ci_high))

    def as_dict(self) -> dict[str, float | str]:
        lo, hi = self.rate_ratio_ci()
        return {"term": self.term, "estimate": self.estimate, "se": self.se, "z": self.z,
                "p": self.p, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "rate_ratio": self.rate_ratio, "rate_ratio_ci_low": lo,
                "rate_ratio_ci_high": hi}


@dataclass(frozen=True)
class Autocorrelation:
    """Autocorrelation of the Pearson residuals, in month order."""

    acf: list[float]
    ljung_box_lag: int
    ljung_box_stat: float
    ljung_box_p: float
    durbin_watson: float

    def as_dict(self) -> dict[str, Any]:
        return {"acf": self.acf, "ljung_box_lag": self.ljung_box_lag,
                "ljung_box_stat": self.ljung_box_stat, "ljung_box_p": self.ljung_box_p,
                "durbin_watson": self.durbin_watson}


@dataclass
class ItsFit:
    """A fitted series: the terms, the fitted and counterfactual means per month, and the
    parameter draws behind every interval of a derived quantity."""

    spec: ItsSpec
    months: list[str]
    observed: np.ndarray
    exposure: np.ndarray | None
    post: np.ndarray
    coefficients: list[Coefficient]
    fitted: np.ndarray
    counterfactual: np.ndarray
    counterfactual_draws: np.ndarray
    dispersion: float
    alpha: float | None
    autocorrelation: Autocorrelation
    n: int
    df_resid: float
    errors_label: str
    warnings: list[str] = field(default_factory=list)

    def term(self, name: str) -> Coefficient | None:
        return next((c for c in self.coefficients if c.term == name), None)


def design(months: list[str], intervention: str, harmonics: int, slope_change: bool
           ) -> tuple[pd.DataFrame, np.ndarray]:
    """The design matrix of ``months`` and the post-period indicator."""
    periods = pd.PeriodIndex(months, freq="M")
    t0 = pd.Period(intervention, "M")
    t = np.asarray(periods.asi8 - periods.asi8.min(), dtype=float)
    since = np.asarray(periods.asi8 - t0.ordinal, dtype=float)
    post = (since >= 0).astype(float)
    cols: dict[str, np.ndarray] = {"const": np.ones(len(months)), "time": t, "level": post}
    if slope_change:
        cols["slope"] = since * post
    month = np.asarray(periods.month, dtype=float)
    for k in range(1, harmonics + 1):
        angle = 2 * math.pi * k * month / 12
        if k < 6:
            cols[f"sin{k}"] = np.sin(angle)
        cols[f"cos{k}"] = np.cos(angle)
    return pd.DataFrame(cols), post


def _check(spec: ItsSpec, months: list[str], post: np.ndarray, where: str) -> None:
    if spec.family not in FAMILIES:
        raise ConfigError(where, "family", f"unknown family {spec.family!r}",
                          f"Use one of {', '.join(FAMILIES)}")
    if spec.errors not in ERRORS:
        raise ConfigError(where, "errors", f"unknown errors {spec.errors!r}",
                          f"Use one of {', '.join(ERRORS)}")
    if not 0 <= spec.harmonics <= 6:
        raise ConfigError(where, "harmonics", f"{spec.harmonics} Fourier pairs",
                          "Use 0 to 6 pairs (6 resolves every calendar month)")
    pre, after = int((post == 0).sum()), int(post.sum())
    if pre < MIN_SIDE_MONTHS or after < MIN_SIDE_MONTHS:
        raise ConfigError(where, "intervention",
                          f"{spec.intervention} leaves {pre} month(s) before and {after} "
                          f"after it in {months[0]}..{months[-1]}",
                          f"Choose an intervention month with at least {MIN_SIDE_MONTHS} "
                          "months of data on each side")


def _fit_model(spec: ItsSpec, y: np.ndarray, x: pd.DataFrame, offset: np.ndarray | None
               ) -> Any:
    n = len(y)
    cov: dict[str, Any] = ({"cov_type": "HAC", "cov_kwds": {"maxlags": spec.lags(n)}}
                           if spec.errors == "hac" else {})
    if spec.family == "negbin":
        model = sm.NegativeBinomial(y, x, offset=offset)
        return model.fit(disp=0, maxiter=200, **cov)
    glm = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    if spec.family == "quasipoisson" and spec.errors == "model":
        return glm.fit(scale="X2")
    return glm.fit(**cov)


def _coefficients(res: Any, names: list[str]) -> list[Coefficient]:
    """The fit's own Wald z, p and 95% interval of each term."""
    ci = res.conf_int(alpha=0.05)
    return [Coefficient(name, float(res.params[name]), float(res.bse[name]),
                        float(res.tvalues[name]), float(res.pvalues[name]),
                        float(ci.loc[name].iloc[0]), float(ci.loc[name].iloc[1]))
            for name in names]


def _autocorrelation(resid: np.ndarray) -> Autocorrelation:
    n = len(resid)
    lags = max(1, min(12, n // 4))
    values = acf(resid, nlags=lags, fft=False)
    lb = acorr_ljungbox(resid, lags=[lags], return_df=True)
    return Autocorrelation([float(v) for v in values[1:]], lags,
                           float(lb["lb_stat"].iloc[0]), float(lb["lb_pvalue"].iloc[0]),
                           float(durbin_watson(resid)))


def _draws(spec: ItsSpec, params: np.ndarray, cov: np.ndarray, x_cf: np.ndarray,
           offset: np.ndarray) -> np.ndarray:
    """Counterfactual means per month under ``spec.draws`` draws of the parameters from
    their estimated sampling distribution (normal, the fit's covariance)."""
    rng = np.random.default_rng(spec.seed)
    beta = rng.multivariate_normal(params, cov, size=spec.draws, method="eigh")
    result: np.ndarray = np.exp(beta @ x_cf.T + offset)
    return result


def fit_its(months: list[str], counts: np.ndarray, exposure: np.ndarray | None,
            spec: ItsSpec, where: str = "trends fit") -> ItsFit:
    """Fit ``spec`` to the series (months in order, no duplicates)."""
    x, post = design(months, spec.intervention, spec.harmonics, spec.slope_change)
    _check(spec, months, post, where)
    y = np.asarray(counts, dtype=float)
    offset = np.log(exposure) if exposure is not None else np.zeros(len(y))
    res = _fit_model(spec, y, x, offset if exposure is not None else None)
    names = list(x.columns)
    params = np.asarray(res.params[names], dtype=float)
    cov = np.asarray(res.cov_params().loc[names, names], dtype=float)
    if not np.isfinite(cov).all():
        raise ConfigError(where, "family", f"the {spec.family} model's standard errors "
                          "cannot be computed on this series (for negbin: its dispersion "
                          "is estimated at 0, the counts are not overdispersed)",
                          "Use --family quasipoisson or poisson")
    mu = np.exp(x.to_numpy() @ params + offset)
    x_cf = x.copy()
    x_cf["level"] = 0.0
    if "slope" in x_cf:
        x_cf["slope"] = 0.0
    cf = np.exp(x_cf.to_numpy() @ params + offset)
    alpha = float(res.params["alpha"]) if spec.family == "negbin" else None
    var = mu * (1 + alpha * mu) if alpha is not None else mu
    pearson = (y - mu) / np.sqrt(var)
    dispersion = float((pearson ** 2).sum() / res.df_resid)
    fit = ItsFit(spec, list(months), y, exposure, post, _coefficients(res, names), mu, cf,
                 _draws(spec, params, cov, x_cf.to_numpy(), offset), dispersion, alpha,
                 _autocorrelation(pearson), len(y), float(res.df_resid),
                 _errors_label(spec, len(y), dispersion))
    fit.warnings.extend(_warnings(fit, res))
    return fit


def _errors_label(spec: ItsSpec, n: int, dispersion: float) -> str:
    if spec.errors == "hac":
        return f"Newey-West (HAC), {spec.lags(n)} lags"
    if spec.family == "quasipoisson":
        return f"quasi-likelihood (scale = Pearson chi2/df = {dispersion:.3g})"
    return "model-based (" + ("negative binomial" if spec.family == "negbin"
                              else "Poisson, scale 1") + ")"


def _warnings(fit: ItsFit, res: Any) -> list[str]:
    out = []
    conv = getattr(res, "converged", None)
    if conv is None:
        conv = getattr(res, "mle_retvals", {}).get("converged", True)
    if not conv:
        out.append("the model did not converge: treat every estimate as unreliable")
    if fit.spec.family == "poisson" and fit.dispersion > 1.5:
        out.append(f"Pearson dispersion {fit.dispersion:.2f} > 1.5: Poisson errors are too "
                   "narrow; use --family quasipoisson or negbin")
    ac = fit.autocorrelation
    if ac.ljung_box_p < 0.05 and fit.spec.errors != "hac":
        out.append(f"residuals are autocorrelated (Ljung-Box p = {ac.ljung_box_p:.3g} at lag "
                   f"{ac.ljung_box_lag}, lag-1 ACF {ac.acf[0]:.2f}): consider --errors hac "
                   "or more --harmonics")
    gaps = fit.n - (int(np.ptp(pd.PeriodIndex(fit.months, freq="M").asi8)) + 1)
    if gaps:
        out.append(f"{-gaps} month(s) are missing inside the series; Newey-West errors and "
                   "the autocorrelation checks assume evenly spaced months")
    return out


__all__ = [
    "ERRORS",
    "FAMILIES",
    "MIN_SIDE_MONTHS",
    "Autocorrelation",
    "Coefficient",
    "Errors",
    "Family",
    "ItsFit",
    "ItsSpec",
    "design",
    "fit_its",
]
