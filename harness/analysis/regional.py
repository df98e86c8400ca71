"""Regional variability, tested: does the chance of a barrier abroad differ by region?

Three views over the conclusive instances abroad (latest conclusive outcome of each
(app, country); ``DOMESTIC_COUNTRIES`` left out), each defined in docs/analysis.md,
"Regional variability, tested":

1. :func:`fit_regional_model`: a logistic regression of *the latest conclusive outcome is
   a barrier* (or, with ``outcome="rnr"``, *an RNR barrier*) on study region with app
   fixed effects, fitted by statsmodels (``Logit``, Newton's method) with standard
   errors clustered by country (CRV1; t with clusters - 1 degrees of freedom). Apps
   whose outcome never varies have an infinite fixed effect and are dropped first, as
   fixest does; regions left with too few instances, too few countries or no variation
   are left out and reported.
2. :func:`regional_contrasts`: every pair of modelled regions, from the model's
   coefficients and cluster-robust covariance (statsmodels ``t_test``), with Holm-adjusted
   p-values.
3. :func:`app_region_profiles` / :func:`app_region_tests`: each app's barrier share per
   region (Wilson 95%) and pairwise Fisher exact tests between its regions, Holm-adjusted
   within the app.

Every function takes the instances from :func:`regional_instances` (one row per
conclusive (app, country) abroad, built from ``Analysis.barrier_matrix()``). statsmodels
and scipy are imported on first use.
"""

from __future__ import annotations

import functools
import gc
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from harness.analysis.definitions import (
    CONCLUSIVE_STATUSES,
    DOMESTIC_COUNTRIES,
    REGION_LABELS,
)
from harness.analysis.frames import typed_frame
from harness.analysis.schemas import APP_REGIONS_COLUMNS, REGIONAL_CONTRASTS_COLUMNS, Kind
from harness.analysis.stats import wilson_columns

Outcome = Literal["barrier", "rnr"]

#: The two outcomes a regional model can have: any barrier, or an RNR barrier.
OUTCOMES: tuple[Outcome, ...] = ("barrier", "rnr")

#: Below this many clusters (countries) cluster-robust standard errors are unreliable:
#: they understate the uncertainty, so intervals are too narrow and p-values too small.
MIN_CLUSTERS = 20

#: A modelled region with fewer countries than this gets a note: its coefficient rests
#: on that few clusters.
FEW_REGION_COUNTRIES = 5

#: The significance level of ``differs`` (after Holm's adjustment).
ALPHA = 0.05

#: The pairwise Fisher tests of :func:`app_region_tests`, one row per pair of regions.
APP_REGION_TESTS_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("app", "str"), ("outcome", "str"), ("region_a", "str"), ("region_b", "str"),
    ("region_a_instances", "int"), ("region_a_events", "int"),
    ("region_b_instances", "int"), ("region_b_events", "int"), ("odds_ratio", "float"),
    ("p_value", "float"), ("p_holm", "float"), ("differs", "bool"),
)


@dataclass(frozen=True)
class RegionEffect:
    """One region's odds ratio against the reference region, with app fixed effects.

    ``ci_low``/``ci_high`` are the cluster-robust 95% interval of the odds ratio;
    ``instances``/``events``/``countries`` count what the model used in the region.
    """

    region: str
    odds_ratio: float
    ci_low: float
    ci_high: float
    log_odds_ratio: float
    std_error: float
    p_value: float
    instances: int
    events: int
    countries: int


@dataclass(frozen=True)
class ExcludedRegion:
    """A region left out of the model, with its counts after dropped apps and why."""

    region: str
    instances: int
    events: int
    countries: int
    reason: str


@dataclass(frozen=True)
class RegionalModel:
    """A fitted (or, with ``message``, unfittable) regional model; see the module doc.

    ``effects``: every modelled region but the reference, in display order. ``apps`` to
    ``events`` count the data used; ``dropped_apps``: apps with one outcome everywhere,
    ``dropped_instances`` theirs; ``clusters``: countries; ``warnings``: few clusters,
    no convergence; ``message``: ``None`` when fitted, else why not.
    """

    outcome: str
    reference: str | None
    effects: tuple[RegionEffect, ...]
    apps: int
    countries: int
    instances: int
    events: int
    clusters: int
    dropped_apps: tuple[str, ...]
    dropped_instances: int
    excluded_regions: tuple[ExcludedRegion, ...]
    warnings: tuple[str, ...]
    message: str | None
    #: The statsmodels results (``LogitResults``), for contrasts; ``None`` when not fitted.
    fit: Any = field(default=None, repr=False, compare=False)
    #: The modelled regions in parameter order (the reference first, without a column).
    regions: tuple[str, ...] = ()

    @property
    def fitted(self) -> bool:
        return self.message is None and self.fit is not None

    @property
    def few_clusters(self) -> bool:
        return self.clusters < MIN_CLUSTERS

    def effect(self, region: str) -> RegionEffect | None:
        """The effect of ``region`` against the reference (``None`` for the reference or
        a region not modelled)."""
        return next((e for e in self.effects if e.region == region), None)


@dataclass(frozen=True)
class RegionContrast:
    """Region ``a`` against region ``b``: the log odds ratio ``beta_a - beta_b`` (app
    fixed effects held), its cluster-robust standard error and 95% interval (odds-ratio
    scale), the raw p-value, the Holm-adjusted one over every pair of the model, and
    whether they differ at ``ALPHA`` after adjustment."""

    outcome: str
    region_a: str
    region_b: str
    log_odds_ratio: float
    std_error: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    differs: bool


# ---------------------------------------------------------------------------- instances

def regional_instances(matrix: pd.DataFrame) -> pd.DataFrame:
    """The conclusive instances abroad of a barrier matrix (``Analysis.barrier_matrix``
    or any frame with ``app``, ``country``, ``region``, ``status`` and ``rnr``): one row
    each with ``app``, ``app_name``, ``country``, ``region`` and 0/1 ``barrier`` and
    ``rnr``. Instances without a region or in ``DOMESTIC_COUNTRIES`` are left out."""
    keep = (matrix["status"].isin(CONCLUSIVE_STATUSES).fillna(False).astype(bool)
            & ~matrix["country"].isin(DOMESTIC_COUNTRIES).fillna(False).astype(bool)
            & matrix["region"].notna())
    m = matrix.loc[keep]
    names = m["app_name"] if "app_name" in m.columns else m["app"]
    return pd.DataFrame({
        "app": m["app"].astype(str).to_numpy(),
        "app_name": names.astype(str).to_numpy(),
        "country": m["country"].astype(str).to_numpy(),
        "region": m["region"].astype(str).to_numpy(),
        "barrier": (m["status"] == "barrier").astype(int).to_numpy(),
        "rnr": m["rnr"].fillna(False).astype(bool).astype(int).to_numpy(),
    })


def region_order(regions: Sequence[str] | pd.Series) -> list[str]:
    """Distinct region codes in display order (``REGION_LABELS``), unknown ones last."""
    rank = {r: i for i, r in enumerate(REGION_LABELS)}
    return sorted({str(r) for r in regions}, key=lambda r: (rank.get(r, len(rank)), r))


def _check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")


# ---------------------------------------------------------------------------- the model

@dataclass
class _Sample:
    """The instances left for the model and what was taken out on the way."""

    data: pd.DataFrame
    dropped_apps: list[str] = field(default_factory=list)
    dropped_instances: int = 0
    excluded: dict[str, ExcludedRegion] = field(default_factory=dict)


def _drop_constant_apps(sample: _Sample, y: str) -> bool:
    """Drop apps whose outcome never varies; True if any was dropped."""
    share = sample.data.groupby("app")[y].transform("mean")
    constant = (share == 0) | (share == 1)
    if not constant.any():
        return False
    sample.dropped_apps += sorted(set(sample.data.loc[constant, "app"]))
    sample.dropped_instances += int(constant.sum())
    sample.data = sample.data.loc[~constant]
    return True


def _exclude_regions(sample: _Sample, y: str, min_instances: int, min_countries: int
                     ) -> bool:
    """Leave out regions with too few instances or countries or no variation."""
    groups = sample.data.groupby("region", sort=True)
    stats = pd.DataFrame({"n": groups.size(), "k": groups[y].sum(),
                          "c": groups["country"].nunique()})
    out = []
    for region, row in stats.iterrows():
        n, k, c = int(row["n"]), int(row["k"]), int(row["c"])
        reason = (f"fewer than {min_instances} instances" if n < min_instances else
                  f"fewer than {min_countries} countries" if c < min_countries else
                  "no instance with the outcome" if k == 0 else
                  "every instance has the outcome" if k == n else None)
        if reason is not None:
            sample.excluded[str(region)] = ExcludedRegion(str(region), n, k, c, reason)
            out.append(region)
    sample.data = sample.data.loc[~sample.data["region"].isin(out)]
    return bool(out)


def _sample(instances: pd.DataFrame, y: str, min_instances: int, min_countries: int
            ) -> _Sample:
    """Alternate dropping constant apps and unusable regions until neither changes."""
    return _settle(_Sample(instances), y, min_instances, min_countries)


def _settle(sample: _Sample, y: str, min_instances: int, min_countries: int) -> _Sample:
    while True:
        apps = _drop_constant_apps(sample, y)
        regions = _exclude_regions(sample, y, min_instances, min_countries)
        if not (apps or regions):
            return sample


def _not_fitted(outcome: str, sample: _Sample, reference: str | None, message: str
                ) -> RegionalModel:
    d = sample.data
    return RegionalModel(
        outcome=outcome, reference=reference, effects=(), apps=int(d["app"].nunique()),
        countries=int(d["country"].nunique()), instances=len(d),
        events=int(d[outcome].sum()), clusters=int(d["country"].nunique()),
        dropped_apps=tuple(sample.dropped_apps), dropped_instances=sample.dropped_instances,
        excluded_regions=tuple(sample.excluded.values()), warnings=(), message=message)


def _pick_reference(sample: _Sample, reference: str | None) -> tuple[str | None, str | None]:
    """The reference region and, when there is none to be had, why."""
    counts = sample.data["region"].value_counts()
    excluded = "; ".join(f"{e.region}: {e.reason}" for e in sample.excluded.values())
    why = f" (left out: {excluded})" if excluded else ""
    if len(counts) < 2:
        have = (f"only one region ({counts.index[0]}) has" if len(counts) else "no region has"
                + (f" (all {len(sample.dropped_apps)} apps have one outcome in every "
                   "country they were tested in)" if sample.dropped_apps else ""))
        return None, (f"{have} instances the model can use; comparing regions needs at "
                      f"least two{why}")
    if reference is None:
        order = region_order(list(counts.index))
        return max(order, key=lambda r: (int(counts[r]), -order.index(r))), None
    if reference not in counts.index:
        return None, f"the reference region {reference!r} is not in the model{why}"
    return reference, None


def _design(data: pd.DataFrame, regions: Sequence[str]) -> np.ndarray:
    """Region indicators (all but the reference, ``regions[0]``), then app indicators."""
    region_cols = [(data["region"] == r).to_numpy(float) for r in regions[1:]]
    apps = pd.get_dummies(data["app"], dtype=float).to_numpy()
    return np.column_stack([*region_cols, apps]) if region_cols else apps


def _logit(y: np.ndarray, x: np.ndarray, groups: np.ndarray
           ) -> tuple[Any, list[str], str | None]:
    """The logit fit with country-clustered errors, the warnings it raised, and why it
    could not be fitted (``None`` when it was)."""
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the app indicators sum to one: an implicit constant (saves statsmodels' check)
        model = Logit(y, x, hasconst=True)
        if model.df_model + 1 < x.shape[1]:
            return None, [], ("region and app effects cannot be told apart: some "
                              "region's instances belong to apps tested in no other region")
        try:
            fit = model.fit(disp=0, maxiter=100, cov_type="cluster",
                            cov_kwds={"groups": groups}, use_t=True)
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            return None, [], f"the model cannot be fitted: {exc}"
    notes = sorted({f"statsmodels: {w.category.__name__}: {w.message}" for w in caught})
    if not fit.mle_retvals.get("converged", True):
        notes.append("the fit did not converge: the estimates are not reliable")
    return fit, notes, None


def fit_regional_model(instances: pd.DataFrame, outcome: str = "barrier",
                       reference: str | None = None, *, min_instances: int = 10,
                       min_countries: int = 2) -> RegionalModel:
    """Logistic regression of ``outcome`` (``"barrier"`` or ``"rnr"``) on region with app
    fixed effects, errors clustered by country; see the module doc and docs/analysis.md.

    ``instances`` comes from :func:`regional_instances`. ``reference`` defaults to the
    modelled region with most instances. Never raises on thin data: a model that cannot
    be fitted (fewer than two usable regions, regions confounded with apps) comes back
    with ``message`` saying why; raises ``ValueError`` only for an unknown ``outcome``.
    """
    _check_outcome(outcome)
    sample = _sample(instances, outcome, min_instances, min_countries)
    while True:
        ref, why = _pick_reference(sample, reference)
        if ref is None:
            return _not_fitted(outcome, sample, reference, why or "no reference region")
        d = sample.data
        regions = (ref, *[r for r in region_order(d["region"]) if r != ref])
        groups = pd.factorize(d["country"])[0]
        fit, notes, why = _logit(d[outcome].to_numpy(float), _design(d, regions), groups)
        if why is not None:
            return _not_fitted(outcome, sample, ref, why)
        separated = _separated(fit, regions)
        if not separated:
            return _fitted(outcome, sample, regions, fit, notes)
        if 2 * len(separated) > len(regions):  # the reference's side is the smaller
            separated = [r for r in regions if r not in separated]
        _exclude(sample, outcome, separated, _SEPARATED)
        _settle(sample, outcome, min_instances, min_countries)


#: A region coefficient beyond this (odds ratio ~22,000) or without a finite standard
#: error diverges (separation). The smaller side, the diverging regions or the reference
#: with those that did not diverge, is left out and the model refitted.
SEPARATION_LOG_ODDS = 10.0

_SEPARATED = "quasi-complete separation: its odds ratio against the others is infinite"


def _separated(fit: Any, regions: Sequence[str]) -> list[str]:
    """The modelled regions (not the reference) whose coefficient diverges."""
    params, bse = np.asarray(fit.params, float), np.asarray(fit.bse, float)
    return [r for i, r in enumerate(regions[1:])
            if not (math.isfinite(bse[i]) and abs(params[i]) <= SEPARATION_LOG_ODDS)]


def _exclude(sample: _Sample, y: str, regions: Sequence[str], reason: str) -> None:
    for r in regions:
        rows = sample.data[sample.data["region"] == r]
        sample.excluded[r] = ExcludedRegion(r, len(rows), int(rows[y].sum()),
                                            int(rows["country"].nunique()), reason)
    sample.data = sample.data.loc[~sample.data["region"].isin(regions)]


def _effects(d: pd.DataFrame, outcome: str, regions: Sequence[str], fit: Any
             ) -> tuple[RegionEffect, ...]:
    params, bse, pvalues = (np.asarray(v) for v in (fit.params, fit.bse, fit.pvalues))
    ci = np.asarray(fit.conf_int(alpha=ALPHA))
    out = []
    for i, region in enumerate(regions[1:]):
        rows = d[d["region"] == region]
        out.append(RegionEffect(
            region=region, odds_ratio=math.exp(params[i]), ci_low=math.exp(ci[i, 0]),
            ci_high=math.exp(ci[i, 1]), log_odds_ratio=float(params[i]),
            std_error=float(bse[i]), p_value=float(pvalues[i]), instances=len(rows),
            events=int(rows[outcome].sum()), countries=int(rows["country"].nunique())))
    return tuple(out)


def _fitted(outcome: str, sample: _Sample, regions: Sequence[str], fit: Any,
            notes: list[str]) -> RegionalModel:
    d = sample.data
    clusters = int(d["country"].nunique())
    messages = []
    if clusters < MIN_CLUSTERS:
        messages.append(
            f"only {clusters} clusters (countries): cluster-robust standard errors are "
            f"unreliable below about {MIN_CLUSTERS} and tend to be too small, so treat "
            "the intervals and p-values as optimistic")
    per_region = d.groupby("region")["country"].nunique()
    thin = [r for r in regions if int(per_region[r]) < FEW_REGION_COUNTRIES]
    if thin:
        messages.append(f"regions with fewer than {FEW_REGION_COUNTRIES} countries "
                        f"({', '.join(thin)}): their estimates rest on that few clusters")
    return RegionalModel(
        outcome=outcome, reference=regions[0], effects=_effects(d, outcome, regions, fit),
        apps=int(d["app"].nunique()), countries=clusters, instances=len(d),
        events=int(d[outcome].sum()), clusters=clusters,
        dropped_apps=tuple(sample.dropped_apps), dropped_instances=sample.dropped_instances,
        excluded_regions=tuple(sample.excluded.values()),
        warnings=tuple(messages + notes), message=None, fit=fit, regions=tuple(regions))


# ---------------------------------------------------------------------------- contrasts

def _holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels ``multipletests``). statsmodels runs a full
    ``gc.collect()`` per call (tens of ms, once per app here); frozen, it skips every
    object that existed before."""
    from statsmodels.stats.multitest import multipletests

    if not len(pvalues):
        return np.array([], dtype=float)
    gc.freeze()
    try:
        return np.asarray(multipletests(np.asarray(pvalues, float), method="holm")[1])
    finally:
        gc.unfreeze()


def regional_contrasts(model: RegionalModel, alpha: float = ALPHA
                       ) -> tuple[RegionContrast, ...]:
    """Every pair (a, b) of the model's regions, a before b in display order: the log
    odds ratio of a against b from the model's coefficients and cluster-robust
    covariance (``fit.t_test`` on a contrast matrix), Holm-adjusted over all pairs.
    Empty for a model that was not fitted."""
    if not model.fitted:
        return ()
    regions = region_order(model.regions)
    pairs = list(itertools.combinations(regions, 2))
    if not pairs:
        return ()
    column = {r: i - 1 for i, r in enumerate(model.regions)}  # the reference has none
    matrix = np.zeros((len(pairs), len(np.asarray(model.fit.params))))
    for k, (a, b) in enumerate(pairs):
        if column[a] >= 0:
            matrix[k, column[a]] += 1.0
        if column[b] >= 0:
            matrix[k, column[b]] -= 1.0
    test = model.fit.t_test(matrix)
    effect, sd = np.ravel(test.effect), np.ravel(test.sd)
    p, ci = np.ravel(test.pvalue), np.asarray(test.conf_int(alpha=alpha))
    adjusted = _holm(p)
    return tuple(RegionContrast(
        outcome=model.outcome, region_a=a, region_b=b, log_odds_ratio=float(effect[k]),
        std_error=float(sd[k]), odds_ratio=math.exp(effect[k]),
        ci_low=math.exp(ci[k, 0]), ci_high=math.exp(ci[k, 1]), p_value=float(p[k]),
        p_holm=float(adjusted[k]), differs=bool(adjusted[k] < alpha))
        for k, (a, b) in enumerate(pairs))


def _contrast_rows(instances: pd.DataFrame, model: RegionalModel) -> list[dict[str, Any]]:
    """Table rows for every pair of regions with instances, estimable or not."""
    counts = instances["region"].value_counts()
    got = {(c.region_a, c.region_b): c for c in regional_contrasts(model)}
    excluded = {e.region: e.reason for e in model.excluded_regions}
    common = {"outcome": model.outcome, "reference": model.reference,
              "model_apps": model.apps, "model_countries": model.countries,
              "model_instances": model.instances, "clusters": model.clusters,
              "dropped_apps": len(model.dropped_apps)}
    rows = []
    for a, b in itertools.combinations(region_order(instances["region"]), 2):
        row: dict[str, Any] = {**common, "region_a": a, "region_b": b,
                               "region_a_instances": int(counts.get(a, 0)),
                               "region_b_instances": int(counts.get(b, 0))}
        c = got.get((a, b))
        if c is not None:
            row.update({k: getattr(c, k) for k in (
                "log_odds_ratio", "std_error", "odds_ratio", "ci_low", "ci_high",
                "p_value", "p_holm", "differs")})
            row["note"] = "; ".join(model.warnings) or None
        else:
            reasons = [f"{r} left out: {excluded[r]}" for r in (a, b) if r in excluded]
            row["note"] = "; ".join(reasons) or model.message or "not estimable"
        rows.append(row)
    return rows


def regional_contrasts_table(instances: pd.DataFrame, reference: str | None = None
                             ) -> pd.DataFrame:
    """The ``regional_contrasts`` table: for each outcome (barrier, rnr) every pair of
    regions with instances, estimated by :func:`regional_contrasts` where the model
    could, otherwise empty estimates and a ``note`` saying why (docs/data-dictionary.md).
    """
    rows: list[dict[str, Any]] = []
    for outcome in OUTCOMES:
        rows += _contrast_rows(instances, fit_regional_model(instances, outcome, reference))
    return typed_frame(pd.DataFrame(rows), REGIONAL_CONTRASTS_COLUMNS)


# ---------------------------------------------------------------------------- per app

@functools.lru_cache(maxsize=65_536)
def _fisher(ka: int, na: int, kb: int, nb: int) -> tuple[float, float]:
    """scipy's two-sided Fisher exact test of ka/na against kb/nb: (odds ratio, p).
    Cached: apps share tables (all barriers, none), and each test costs a millisecond."""
    from scipy.stats import fisher_exact

    odds, p = fisher_exact([[ka, na - ka], [kb, nb - kb]], alternative="two-sided")
    return float(odds), float(p)


def _fisher_rows(app: str, outcome: str, counts: dict[str, tuple[int, int]], alpha: float
                 ) -> list[dict[str, Any]]:
    """Pairwise two-sided Fisher exact tests between one app's regions, Holm within it.
    ``counts`` maps each region to (instances, instances with the outcome)."""
    rows, pvalues = [], []
    for a, b in itertools.combinations(region_order(list(counts)), 2):
        (na, ka), (nb, kb) = counts[a], counts[b]
        odds, p = _fisher(ka, na, kb, nb)
        pvalues.append(p)
        rows.append({"app": app, "outcome": outcome, "region_a": a, "region_b": b,
                     "region_a_instances": na, "region_a_events": ka,
                     "region_b_instances": nb, "region_b_events": kb,
                     "odds_ratio": float(odds), "p_value": float(p)})
    adjusted = _holm(pvalues)
    for row, q in zip(rows, adjusted, strict=True):
        row["p_holm"], row["differs"] = float(q), bool(q < alpha)
    return rows


def app_region_tests(instances: pd.DataFrame, outcome: str = "barrier",
                     alpha: float = ALPHA) -> pd.DataFrame:
    """Per app, every pair of the regions it was tested in: a two-sided Fisher exact
    test of ``outcome`` share (scipy), Holm-adjusted over that app's pairs;
    ``odds_ratio`` is the sample odds ratio of region a against b (may be 0 or inf).
    Columns: ``APP_REGION_TESTS_COLUMNS``."""
    _check_outcome(outcome)
    rows: list[dict[str, Any]] = []
    for app, part in instances.groupby("app", sort=True):
        groups = part.groupby("region")[outcome]
        sizes, sums = groups.size(), groups.sum()
        counts = {str(r): (int(sizes[r]), int(sums[r])) for r in sizes.index}
        rows += _fisher_rows(str(app), outcome, counts, alpha)
    return typed_frame(pd.DataFrame(rows), APP_REGION_TESTS_COLUMNS)


def _differs_from(tests: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(app, region) -> the regions its share differs from (after Holm), ``;``-joined."""
    hits: dict[tuple[str, str], list[str]] = {}
    for row in tests[tests["differs"].fillna(False).astype(bool)].itertuples():
        hits.setdefault((str(row.app), str(row.region_a)), []).append(str(row.region_b))
        hits.setdefault((str(row.app), str(row.region_b)), []).append(str(row.region_a))
    return {key: ";".join(region_order(found)) for key, found in hits.items()}


def app_region_profiles(instances: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """The ``app_regions`` table: one row per (app, region) it was tested in, its barrier
    and RNR shares with Wilson 95% intervals, and the regions whose share differs from
    it by :func:`app_region_tests` (docs/data-dictionary.md)."""
    if instances.empty:
        return typed_frame(None, APP_REGIONS_COLUMNS)
    df = (instances.groupby(["app", "region"], sort=False)
          .agg(app_name=("app_name", "max"), countries=("country", "nunique"),
               instances=("barrier", "size"), barrier_instances=("barrier", "sum"),
               rnr_instances=("rnr", "sum")).reset_index())
    rank = {r: i for i, r in enumerate(region_order(df["region"]))}
    df = (df.assign(_rank=df["region"].map(rank)).sort_values(["app", "_rank"])
          .drop(columns="_rank").reset_index(drop=True))
    df["region_name"] = df["region"].map(REGION_LABELS).fillna(df["region"])
    for key in OUTCOMES:
        share, low, high = wilson_columns(df[f"{key}_instances"], df["instances"])
        df[f"{key}_share"], df[f"{key}_ci_low"], df[f"{key}_ci_high"] = share, low, high
        found = _differs_from(app_region_tests(instances, key, alpha))
        df[f"{key}_differs_from"] = [found.get((str(a), str(r)))
                                     for a, r in zip(df["app"], df["region"], strict=True)]
    return typed_frame(df, APP_REGIONS_COLUMNS)


__all__ = [
    "ALPHA",
    "APP_REGION_TESTS_COLUMNS",
    "FEW_REGION_COUNTRIES",
    "MIN_CLUSTERS",
    "OUTCOMES",
    "SEPARATION_LOG_ODDS",
    "ExcludedRegion",
    "Outcome",
    "RegionContrast",
    "RegionEffect",
    "RegionalModel",
    "app_region_profiles",
    "app_region_tests",
    "fit_regional_model",
    "region_order",
    "regional_contrasts",
    "regional_contrasts_table",
    "regional_instances",
]
