"""Intervals for shares whose instances cluster by app.

The same apps are tested in every country, and one app's outcomes go together across
countries (an app that demands an identity document abroad tends to demand it
everywhere). A share over (app, country) instances, such as the headline barrier share or
a region's share, therefore rests on fewer independent pieces of information than it has
instances, and an interval that treats the instances as independent (Wilson) is too
narrow. Such shares get an interval that accounts for clustering by app:

- ``cluster_logit``: an intercept-only binomial GLM (logit link) fitted by statsmodels
  with cluster-robust (CRV1) standard errors, clustered by app, and a t quantile with
  apps - 1 degrees of freedom; the interval is computed for the log odds and transformed
  back, so it stays inside (0, 1). Its point estimate is the plain share.
- ``wilson_clusters``: when every instance has the same outcome (share 0 or 1) the log
  odds are infinite and the model has no interval; the Wilson interval of the apps as
  the sample (0 or all of them) is used instead, the interval that holds even if each
  app behaved the same in every country.
- ``wilson``: the instances of one app are one cluster, so one app's rate (and a share
  whose instances all belong to one app) keeps the Wilson interval.

The definitions are in docs/analysis.md, "Formulas"; ``METHODS`` describes each.
statsmodels is imported on first use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis.definitions import INTERVAL_METHODS
from harness.analysis.stats import wilson

#: A share over instances of several apps, from the cluster-robust logit model.
CLUSTER_LOGIT = "cluster_logit"
#: A share of 0 or 1 over several apps: Wilson over the apps.
WILSON_CLUSTERS = "wilson_clusters"
#: A share over one app's instances (or over apps, one unit each): Wilson.
WILSON = "wilson"

#: Each interval method and what it is (docs/analysis.md).
METHODS: dict[str, str] = dict(INTERVAL_METHODS)

if set(METHODS) != {CLUSTER_LOGIT, WILSON_CLUSTERS, WILSON}:  # pragma: no cover
    raise RuntimeError("harness.analysis.definitions.INTERVAL_METHODS is out of date")

#: The two-sided level of every interval here.
LEVEL = 0.95


@dataclass(frozen=True)
class ShareInterval:
    """A share ``successes / trials`` over instances of ``clusters`` apps and its 95%
    interval; ``method`` is one of ``METHODS``, ``None`` when there are no trials (then
    the share and bounds are NaN)."""

    successes: int
    trials: int
    clusters: int
    share: float
    low: float
    high: float
    method: str | None


def _logit_interval(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """The cluster-robust interval of the intercept-only logit model, one row per app."""
    import statsmodels.api as sm

    endog = np.column_stack([k, n - k])
    model = sm.GLM(endog, np.ones((len(k), 1)), family=sm.families.Binomial())
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": np.arange(len(k))},
                    use_t=True)
    low, high = np.asarray(fit.conf_int(alpha=1 - LEVEL))[0]
    return float(1 / (1 + math.exp(-low))), float(1 / (1 + math.exp(-high)))


def cluster_share(successes: Sequence[int] | np.ndarray | pd.Series,
                  trials: Sequence[int] | np.ndarray | pd.Series) -> ShareInterval:
    """The share and its interval from per-app counts: ``successes[g]`` of ``trials[g]``
    instances of app ``g`` (see the module doc for the method).

    Apps with no trials are ignored. Raises ``ValueError`` unless
    ``0 <= successes <= trials`` for each app.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if k.shape != n.shape or np.any(k < 0) or np.any(k > n):
        raise ValueError("need one 0 <= successes <= trials pair per app")
    k, n = k[n > 0], n[n > 0]
    total_k, total_n, apps = int(k.sum()), int(n.sum()), len(n)
    if total_n == 0:
        return ShareInterval(0, 0, 0, math.nan, math.nan, math.nan, None)
    share = total_k / total_n
    if apps == 1:
        low, high = wilson(total_k, total_n)
        method = WILSON
    elif total_k in (0, total_n):
        low, high = wilson(0 if total_k == 0 else apps, apps)
        method = WILSON_CLUSTERS
    else:
        low, high = _logit_interval(k, n)
        method = CLUSTER_LOGIT
    return ShareInterval(total_k, total_n, apps, share, low, high, method)


def grouped_shares(counts: pd.DataFrame, by: str, successes: str,
                   trials: str = "instances") -> dict[str, ShareInterval]:
    """:func:`cluster_share` per value of ``by``, from ``counts``: one row per (``by``,
    app) with the ``successes`` and ``trials`` counts of that app in that group."""
    out: dict[str, ShareInterval] = {}
    if counts.empty:
        return out
    for key, part in counts.groupby(by, sort=False):
        out[str(key)] = cluster_share(part[successes].to_numpy(int),
                                      part[trials].to_numpy(int))
    return out


def interval_columns(index: pd.Series, intervals: dict[str, ShareInterval]
                     ) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Share, low, high, method and clusters aligned with the keys in ``index`` (NaN,
    missing method and 0 clusters for a key without an interval)."""
    empty = ShareInterval(0, 0, 0, math.nan, math.nan, math.nan, None)
    rows = [intervals.get(str(key), empty) for key in index]
    idx = index.index
    return (pd.Series([r.share for r in rows], index=idx, dtype="float64"),
            pd.Series([r.low for r in rows], index=idx, dtype="float64"),
            pd.Series([r.high for r in rows], index=idx, dtype="float64"),
            pd.Series([r.method for r in rows], index=idx, dtype=object),
            pd.Series([r.clusters for r in rows], index=idx, dtype="Int64"))


__all__ = [
    "CLUSTER_LOGIT",
    "LEVEL",
    "METHODS",
    "WILSON",
    "WILSON_CLUSTERS",
    "ShareInterval",
    "cluster_share",
    "grouped_shares",
    "interval_columns",
]
