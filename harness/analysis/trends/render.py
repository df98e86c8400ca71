"""A trend result as JSON (``--json``, ``fit.json``) and as text for the terminal."""

from __future__ import annotations

import math
from typing import Any

from harness.analysis.trends.did import DidFit
from harness.analysis.trends.effects import Estimate, drops, none_if_nan, prevented
from harness.analysis.trends.fitting import Series, TrendResult
from harness.analysis.trends.its import ItsFit


def its_dict(series: Series, fit: ItsFit, years: tuple[int, int] | None) -> dict[str, Any]:
    """One series' fit: terms, diagnostics, prevented counts and every drop."""
    post = fit.post == 1
    return {
        "label": series.label, "months": len(fit.months), "first_month": fit.months[0],
        "last_month": fit.months[-1], "pre_months": int((~post).sum()),
        "post_months": int(post.sum()), "errors": fit.errors_label,
        "dispersion": fit.dispersion, "alpha": fit.alpha, "df_resid": fit.df_resid,
        "coefficients": [c.as_dict() for c in fit.coefficients],
        "autocorrelation": fit.autocorrelation.as_dict(),
        "observed_post": float(fit.observed[post].sum()),
        "fitted_post": float(fit.fitted[post].sum()),
        "counterfactual_post": float(fit.counterfactual[post].sum()),
        "prevented": prevented(fit).as_dict(),
        "drop": {k: (v.as_dict() if v else None) for k, v in drops(fit, years).items()},
        "warnings": fit.warnings,
    }


def did_dict(did: DidFit) -> dict[str, Any]:
    """The DiD estimate, its event study and what it implies."""
    drop = did.drop
    return {
        "model": f"{did.family}: count ~ affected x post | app + month",
        "effect": did.effect.as_dict(), "affected_apps": did.affected_units,
        "comparison_apps": did.comparison_units, "observations": did.n_obs,
        "observations_used": did.n_obs_used, "clusters": did.clusters,
        "event_bin_months": did.event_bin, "event_study": [e.as_dict() for e in did.events],
        "pretrend_wald": {"stat": none_if_nan(did.pretrend_stat),
                          "p": none_if_nan(did.pretrend_p),
                          "df": did.pretrend_df},
        "observed_affected_post": did.observed_affected_post,
        "prevented": did.prevented.as_dict() if did.prevented else None,
        "drop": drop.as_dict() if drop else None, "warnings": did.warnings,
    }


def result_dict(result: TrendResult) -> dict[str, Any]:
    """The whole result, JSON-ready."""
    spec = result.spec
    return {
        "source": result.source,
        "spec": {"intervention": spec.intervention, "family": spec.family,
                 "harmonics": spec.harmonics, "slope_change": spec.slope_change,
                 "errors": spec.errors, "hac_lags": spec.hac_lags, "draws": spec.draws,
                 "seed": spec.seed, "compare_years": list(result.years) if result.years
                 else None},
        "groups": result.groups.as_dict() if result.groups else None,
        "series": [its_dict(s, f, result.years) for s, f in result.series],
        "did": did_dict(result.did) if result.did else None,
        "warnings": result.warnings,
    }


def _ci(e: Estimate, fmt: str) -> str:
    if math.isnan(e.ci_low):
        return format(e.value, fmt)
    return f"{format(e.value, fmt)} (95% CI {format(e.ci_low, fmt)} to {format(e.ci_high, fmt)})"


def _its_lines(series: Series, fit: ItsFit, years: tuple[int, int] | None) -> list[str]:
    lines = [f"== {series.label}: {fit.months[0]}..{fit.months[-1]}, {fit.n} months "
             f"({int((fit.post == 0).sum())} before, {int(fit.post.sum())} from "
             f"{fit.spec.intervention}); errors: {fit.errors_label}",
             f"   {'term':<8} {'estimate':>10} {'se':>9} {'rate ratio':>11}  95% CI"]
    for c in fit.coefficients:
        lo, hi = c.rate_ratio_ci()
        lines.append(f"   {c.term:<8} {c.estimate:>10.4f} {c.se:>9.4f} {c.rate_ratio:>11.4f}"
                     f"  {lo:.4f} to {hi:.4f}")
    ac = fit.autocorrelation
    lines.append(f"   dispersion {fit.dispersion:.3f}; residual lag-1 ACF {ac.acf[0]:.2f}, "
                 f"Ljung-Box p {ac.ljung_box_p:.3g} (lag {ac.ljung_box_lag}), "
                 f"Durbin-Watson {ac.durbin_watson:.2f}")
    lines.append(f"   prevented (counterfactual - observed, post period): "
                 f"{_ci(prevented(fit), ',.0f')}")
    for name, d in drops(fit, years).items():
        if d is not None:
            lines.append(f"   drop [{name}]: {_ci(d, '.1%')} - {d.method}")
    lines += [f"   warning: {w}" for w in fit.warnings]
    return lines


def _did_lines(did: DidFit) -> list[str]:
    e = did.effect
    lo, hi = e.rate_ratio_ci()
    lines = [f"== difference-in-differences ({did.family} with app and month fixed effects, "
             f"errors clustered by app): {len(did.affected_units)} affected vs "
             f"{len(did.comparison_units)} comparison apps, {did.n_obs_used} app-months",
             f"   affected x post: {e.estimate:.4f} (se {e.se:.4f}); rate ratio "
             f"{e.rate_ratio:.4f} (95% CI {lo:.4f} to {hi:.4f})"]
    if did.drop is not None:
        lines.append(f"   drop [did]: {_ci(did.drop, '.1%')}")
    if did.prevented is not None:
        lines.append(f"   prevented: {_ci(did.prevented, ',.0f')}")
    if did.events:
        cells = ", ".join(f"{ev.bin:+d}: {math.exp(ev.estimate):.2f}" for ev in did.events)
        lines.append(f"   event study ({did.event_bin}-month periods, rate ratios): {cells}")
    if did.pretrend_p is not None:
        lines.append(f"   pre-trend: joint Wald chi2({did.pretrend_df}) = "
                     f"{did.pretrend_stat:.2f}, p = {did.pretrend_p:.3g}")
    lines += [f"   warning: {w}" for w in did.warnings]
    return lines


def result_text(result: TrendResult) -> str:
    """The result for a terminal."""
    lines: list[str] = []
    g = result.groups
    if g is not None:
        lines += [f"groups: {g.rule}", f"   affected ({len(g.affected)}): "
                  f"{', '.join(g.affected) or '-'}", f"   comparison ({len(g.comparison)}): "
                  f"{', '.join(g.comparison) or '-'}"]
        lines += [f"   left out: {app} ({why})" for app, why in sorted(g.excluded.items())]
    for series, fit in result.series:
        lines += _its_lines(series, fit, result.years)
    if result.did is not None:
        lines += _did_lines(result.did)
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


__all__ = ["did_dict", "its_dict", "result_dict", "result_text"]
