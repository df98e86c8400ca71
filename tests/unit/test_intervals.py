"""Intervals clustered by app (``harness.analysis.intervals``): statsmodels' cluster-robust
interval against the textbook closed form, its coverage on simulated clustered data
against Wilson's, and the cases where the model has no interval."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from harness.analysis.intervals import (
    CLUSTER_LOGIT,
    METHODS,
    WILSON,
    WILSON_CLUSTERS,
    cluster_share,
    grouped_shares,
    interval_columns,
)
from harness.analysis.stats import wilson


def closed_form(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """CR1 variance of an intercept-only model's mean, ``G/(G-1) * sum_g e_g^2 / N^2``
    with ``e_g = k_g - n_g p`` (Cameron and Miller 2015, section 2; the (N-1)/(N-K)
    factor is 1 with one regressor), carried to the log odds by the delta method
    (``se / (p (1 - p))``), t with G - 1 degrees of freedom, transformed back."""
    g, total = len(k), n.sum()
    p = k.sum() / total
    var = g / (g - 1) * np.sum((k - n * p) ** 2) / total**2
    se = math.sqrt(var) / (p * (1 - p))
    q = student_t.ppf(0.975, g - 1)
    centre = math.log(p / (1 - p))
    return (1 / (1 + math.exp(-(centre - q * se))), 1 / (1 + math.exp(-(centre + q * se))))


def test_statsmodels_interval_is_the_closed_form() -> None:
    k, n = np.array([3, 0, 2, 5, 1]), np.array([5, 4, 3, 6, 7])
    iv = cluster_share(k, n)
    assert (iv.method, iv.clusters, iv.successes, iv.trials) == (CLUSTER_LOGIT, 5, 11, 25)
    assert iv.share == pytest.approx(11 / 25)
    assert (iv.low, iv.high) == pytest.approx(closed_form(k, n), rel=1e-9)
    # wider than Wilson over the 25 instances taken as independent
    w = wilson(11, 25)
    assert iv.low < w[0] and iv.high > w[1]


def test_the_interval_is_the_same_from_instance_rows() -> None:
    """The per-app counts are sufficient: the same model on one row per instance, with
    the app as the cluster, gives the same interval."""
    import statsmodels.api as sm

    k, n = np.array([4, 1, 0, 6]), np.array([6, 5, 3, 6])
    y = np.concatenate([[1] * a + [0] * (b - a) for a, b in zip(k, n, strict=True)])
    groups = np.repeat(np.arange(len(k)), n)
    fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    low, high = 1 / (1 + np.exp(-np.asarray(fit.conf_int())[0]))
    iv = cluster_share(k, n)
    assert (iv.low, iv.high) == pytest.approx((low, high), rel=1e-9)


@pytest.mark.parametrize("apps,countries", [(30, 20), (10, 30)])
def test_coverage_on_clustered_data(apps: int, countries: int) -> None:
    """Each app has its own barrier probability (Beta(0.7, 1.3), mean 0.35) and is tested
    in ``countries`` countries: the share's 95% interval clustered by app covers the mean
    in about 95% of 400 samples (fixed seed), Wilson's, which treats the instances as
    independent, in about half."""
    rng = np.random.default_rng(20240301)
    a, b = 0.7, 1.3
    truth = a / (a + b)
    reps, clustered, independent = 400, 0, 0
    for _ in range(reps):
        k = rng.binomial(countries, rng.beta(a, b, apps))
        n = np.full(apps, countries)
        iv = cluster_share(k, n)
        clustered += iv.low <= truth <= iv.high
        low, high = wilson(int(k.sum()), int(n.sum()))
        independent += low <= truth <= high
    assert 0.92 <= clustered / reps <= 0.98
    assert independent / reps < 0.7


def test_one_app_keeps_wilson() -> None:
    iv = cluster_share([3], [10])
    assert (iv.method, iv.clusters) == (WILSON, 1)
    assert (iv.low, iv.high) == pytest.approx(wilson(3, 10))
    # apps with no trials are not clusters
    assert cluster_share([3, 0], [10, 0]).method == WILSON


def test_every_instance_alike_is_wilson_over_the_apps() -> None:
    none = cluster_share([0, 0, 0, 0], [5, 8, 2, 9])
    assert (none.method, none.share, none.low) == (WILSON_CLUSTERS, 0.0, 0.0)
    assert none.high == pytest.approx(wilson(0, 4)[1])
    every = cluster_share([5, 8], [5, 8])
    assert (every.method, every.share, every.high) == (WILSON_CLUSTERS, 1.0, 1.0)
    assert every.low == pytest.approx(wilson(2, 2)[0])
    # far wider than Wilson over the 13 instances
    assert every.low < wilson(13, 13)[0]


def test_no_trials_and_bad_counts() -> None:
    iv = cluster_share([], [])
    assert iv.method is None and iv.clusters == 0 and math.isnan(iv.share)
    with pytest.raises(ValueError, match="successes <= trials"):
        cluster_share([3], [2])
    with pytest.raises(ValueError, match="one 0 <= successes"):
        cluster_share([1, 2], [3])


def test_grouped_and_aligned_columns() -> None:
    counts = pd.DataFrame({"region": ["europe", "europe", "europe", "mena"],
                           "app": ["a", "b", "c", "a"],
                           "instances": [2, 2, 1, 4], "barrier_instances": [2, 0, 1, 1]})
    found = grouped_shares(counts, "region", "barrier_instances")
    assert set(found) == {"europe", "mena"}
    assert (found["europe"].method, found["mena"].method) == (CLUSTER_LOGIT, WILSON)
    share, low, high, method, clusters = interval_columns(
        pd.Series(["mena", "europe", "central_asia"]), found)
    assert list(method) == [WILSON, CLUSTER_LOGIT, None]
    assert list(clusters) == [1, 3, 0]
    assert share.iloc[1] == pytest.approx(0.6) and math.isnan(low.iloc[2])
    assert high.iloc[0] == pytest.approx(wilson(1, 4)[1])
    assert set(METHODS) == {CLUSTER_LOGIT, WILSON_CLUSTERS, WILSON}
