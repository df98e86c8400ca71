"""The regional model, its pairwise contrasts and the per-app profiles, on data whose
truth is known: simulated instances with set regional odds ratios, and hand-made tables.

The model is checked against the truth (bias, interval coverage over replications, the
standard error against the spread of the estimates) and against independent statsmodels
routes (a formula-built Logit, and the sandwich estimator applied by hand to a plain fit),
so that no test compares the module with itself.
"""

from __future__ import annotations

import ctypes
import glob
import os
import time
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests

from harness.analysis.regional import (
    APP_REGION_TESTS_COLUMNS,
    MIN_CLUSTERS,
    app_region_profiles,
    app_region_tests,
    fit_regional_model,
    regional_contrasts,
    regional_contrasts_table,
    regional_instances,
)
from harness.analysis.schemas import APP_REGIONS_COLUMNS, REGIONAL_CONTRASTS_COLUMNS
from harness.analysis.stats import wilson

REGIONS = ("asia_pacific", "europe", "mena", "latin_america")
COUNTRIES = (9, 8, 7, 6)  # 30 countries: asia_pacific (the reference) is the largest
#: True log odds ratios against asia_pacific: mena equals the reference.
TRUTH = {"europe": 0.8, "mena": 0.0, "latin_america": -0.6}


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """OpenBLAS threads spin against each other on a small shared machine, making each
    small fit 10x slower: use one while these tests run (best effort)."""
    import numpy

    libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), os.pardir,
                                  "numpy.libs", "libscipy_openblas64_*.so"))
    try:
        lib = ctypes.CDLL(libs[0])
        before = int(lib.scipy_openblas_get_num_threads64_())
        lib.scipy_openblas_set_num_threads64_(1)
    except (IndexError, OSError, AttributeError):
        yield
        return
    yield
    lib.scipy_openblas_set_num_threads64_(before)


def simulate(rng: np.random.Generator, apps: int = 40, truth: dict[str, float] = TRUTH,
             regions: tuple[str, ...] = REGIONS, countries: tuple[int, ...] = COUNTRIES
             ) -> pd.DataFrame:
    """Every app in every country; P(barrier) = logistic(app effect + region effect)."""
    beta = np.array([truth.get(r, 0.0) for r in regions])
    region_of = np.repeat(np.arange(len(regions)), countries)
    n_countries = len(region_of)
    app = np.repeat(np.arange(apps), n_countries)
    country = np.tile(np.arange(n_countries), apps)
    eta = rng.normal(-0.3, 1.0, apps)[app] + beta[region_of[country]]
    y = (rng.random(eta.size) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({
        "app": [f"app-{i:02d}" for i in app], "app_name": [f"App {i}" for i in app],
        "country": [f"C{j:02d}" for j in country],
        "region": [regions[k] for k in region_of[country]],
        "barrier": y, "rnr": y})


# ------------------------------------------------------------------------- against truth

def test_estimates_are_near_the_truth_and_intervals_cover_it() -> None:
    rng = np.random.default_rng(20240301)
    reps, started = 200, time.perf_counter()
    est: dict[str, list[float]] = {r: [] for r in TRUTH}
    se: dict[str, list[float]] = {r: [] for r in TRUTH}
    covered: dict[str, list[bool]] = {r: [] for r in TRUTH}
    equal_flagged = 0
    for _ in range(reps):
        model = fit_regional_model(simulate(rng))
        assert model.fitted and model.reference == "asia_pacific"
        for region, beta in TRUTH.items():
            e = model.effect(region)
            assert e is not None
            est[region].append(e.log_odds_ratio)
            se[region].append(e.std_error)
            covered[region].append(e.ci_low <= np.exp(beta) <= e.ci_high)
        pairs = {(c.region_a, c.region_b): c for c in regional_contrasts(model)}
        equal_flagged += pairs[("asia_pacific", "mena")].differs
    elapsed = time.perf_counter() - started
    for region, beta in TRUTH.items():
        bias = float(np.mean(est[region])) - beta
        spread = float(np.std(est[region], ddof=1))
        assert abs(bias) < 0.08, (region, bias)  # Monte Carlo SE of the mean ~0.013
        assert 0.85 < float(np.mean(se[region])) / spread < 1.15, region
        assert np.mean(covered[region]) >= 0.88, (region, np.mean(covered[region]))
    # CRV1 with 6-9 countries behind each region is a little liberal: over 1,000
    # replications the pooled coverage is 0.933 (Monte Carlo SE ~0.005)
    pooled = np.mean([c for cs in covered.values() for c in cs])
    assert 0.90 <= pooled <= 0.98, pooled
    assert equal_flagged / reps <= 0.1  # at most ~alpha, Holm-adjusted
    assert elapsed < 60, elapsed


def test_equal_regions_are_not_flagged_different_ones_are() -> None:
    model = fit_regional_model(simulate(np.random.default_rng(7), apps=80))
    contrasts = {(c.region_a, c.region_b): c for c in regional_contrasts(model)}
    assert len(contrasts) == 6  # every pair of four regions, once
    assert not contrasts[("asia_pacific", "mena")].differs
    assert contrasts[("europe", "latin_america")].differs
    assert contrasts[("asia_pacific", "europe")].differs
    raw = [c.p_value for c in contrasts.values()]
    holm = multipletests(raw, method="holm")[1]
    assert [c.p_holm for c in contrasts.values()] == pytest.approx(list(holm))
    # europe vs latin america is beta_europe - beta_latin_america, in both directions
    eu, la = model.effect("europe"), model.effect("latin_america")
    assert eu is not None and la is not None
    el = contrasts[("europe", "latin_america")]
    assert el.log_odds_ratio == pytest.approx(eu.log_odds_ratio - la.log_odds_ratio)
    assert el.ci_low < el.odds_ratio < el.ci_high


# ------------------------------------------------------------------------- independent routes

def test_cluster_robust_errors_match_independent_statsmodels_routes() -> None:
    """The module fits a Logit by Newton's method on its own design; here a binomial GLM
    (IRLS) on a formula-built design, and the CRV1 sandwich applied to a plain fit."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.stats.sandwich_covariance import cov_cluster

    data = simulate(np.random.default_rng(3))
    data = data[data.groupby("app")["barrier"].transform("std") > 0]  # finite effects
    model = fit_regional_model(data)
    assert model.fitted and model.dropped_apps == () and model.clusters == 30
    groups = pd.factorize(data["country"])[0]
    formula = "barrier ~ C(region, Treatment('asia_pacific')) + C(app)"
    term = "C(region, Treatment('asia_pacific'))[T.{}]".format
    glm = smf.glm(formula, data, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    for region in TRUTH:
        e = model.effect(region)
        assert e is not None
        assert e.log_odds_ratio == pytest.approx(glm.params[term(region)], rel=1e-6)
        assert e.std_error == pytest.approx(glm.bse[term(region)], rel=1e-5)
        assert e.p_value == pytest.approx(glm.pvalues[term(region)], rel=1e-4)
        low, high = glm.conf_int().loc[term(region)]
        assert (e.ci_low, e.ci_high) == pytest.approx((np.exp(low), np.exp(high)), rel=1e-5)
    test = glm.t_test(f"{term('europe')} - {term('latin_america')} = 0")
    pairs = {(c.region_a, c.region_b): c for c in regional_contrasts(model)}
    el = pairs[("europe", "latin_america")]
    assert el.std_error == pytest.approx(float(np.ravel(test.sd)[0]), rel=1e-5)
    assert el.p_value == pytest.approx(float(np.ravel(test.pvalue)[0]), rel=1e-4)
    # the CRV1 sandwich (small-sample corrected) on the GLM fitted without it
    plain = sm.GLM(glm.model.endog, glm.model.exog, family=sm.families.Binomial()).fit()
    cov = cov_cluster(plain, groups, use_correction=True)
    names = list(glm.model.exog_names)
    for region in TRUTH:
        i = names.index(term(region))
        e = model.effect(region)
        assert e is not None and e.std_error == pytest.approx(np.sqrt(cov[i, i]), rel=1e-5)


# ------------------------------------------------------------------------- thin data

def test_apps_without_variation_are_dropped_and_reported() -> None:
    data = simulate(np.random.default_rng(11))
    constant = []
    for i, value in enumerate((1, 1, 1, 0, 0)):
        one = data[data["app"] == "app-00"].assign(app=f"const-{i}", barrier=value,
                                                   rnr=value)
        constant.append(one)
    varied = data[data.groupby("app")["barrier"].transform("std") > 0]
    model = fit_regional_model(pd.concat([varied, *constant], ignore_index=True))
    assert set(model.dropped_apps) >= {f"const-{i}" for i in range(5)}
    assert model.dropped_instances == 5 * 30 + (len(data) - len(varied))
    assert model.instances == len(varied) and model.apps == varied["app"].nunique()
    # the dropped apps carry no information: the estimates are those without them
    alone = fit_regional_model(varied)
    assert alone.dropped_apps == ()
    for region in TRUTH:
        a, b = model.effect(region), alone.effect(region)
        assert a is not None and b is not None
        assert a.log_odds_ratio == pytest.approx(b.log_odds_ratio, rel=1e-9)


def test_one_region_gives_a_message_not_a_traceback() -> None:
    data = simulate(np.random.default_rng(5)).assign(region="europe")
    model = fit_regional_model(data)
    assert not model.fitted and model.effects == () and model.reference is None
    assert model.message is not None and "only one region (europe)" in model.message
    assert regional_contrasts(model) == ()
    assert regional_contrasts_table(regional_instances(_matrix(data))).empty
    empty = fit_regional_model(data.iloc[:0])
    assert empty.message is not None and "no region" in empty.message
    assert app_region_profiles(data.iloc[:0]).columns.tolist() == [
        c for c, _ in APP_REGIONS_COLUMNS]


def test_thin_and_constant_regions_are_reported_and_the_rest_is_fitted() -> None:
    rng = np.random.default_rng(9)
    data = simulate(rng)
    one_country = data[data["country"] == "C00"].assign(country="KZ", region="central_asia")
    no_barrier = data[data["region"] == "mena"].assign(
        country=lambda d: "N" + d["country"], region="sub_saharan_africa", barrier=0, rnr=0)
    model = fit_regional_model(pd.concat([data, one_country, no_barrier], ignore_index=True))
    assert model.fitted and {e.region for e in model.effects} == set(TRUTH)
    reasons = {e.region: e.reason for e in model.excluded_regions}
    assert reasons == {"central_asia": "fewer than 2 countries",
                       "sub_saharan_africa": "no instance with the outcome"}
    table = regional_contrasts_table(pd.concat([data, one_country, no_barrier]))
    barrier = table[table["outcome"] == "barrier"]
    assert len(barrier) == 15  # six regions with instances: every pair
    thin = barrier[(barrier["region_a"] == "europe") & (barrier["region_b"] == "central_asia")]
    assert thin["odds_ratio"].isna().all() and thin["differs"].isna().all()
    assert "central_asia left out: fewer than 2 countries" in thin["note"].iloc[0]
    assert barrier["odds_ratio"].notna().sum() == 6
    assert table.columns.tolist() == [c for c, _ in REGIONAL_CONTRASTS_COLUMNS]


def _separated_regions(data: pd.DataFrame, regions: dict[str, str]) -> pd.DataFrame:
    """``data`` with copies of its mena countries in ``regions`` (region: country prefix)
    where every app meets a barrier except the last, which keeps its outcome there and
    never meets one elsewhere: the new regions' odds ratios are infinite."""
    last = sorted(data["app"].unique())[-1]
    data = data.copy()
    data.loc[data["app"] == last, ["barrier", "rnr"]] = 0
    base = simulate(np.random.default_rng(11))
    mena = base[base["region"] == "mena"]
    copies = []
    for region, prefix in regions.items():
        rows = mena.assign(country=prefix + mena["country"], region=region)
        rows.loc[rows["app"] != last, ["barrier", "rnr"]] = 1
        own = rows["app"] == last
        rows.loc[own, "barrier"] = rows.loc[own, "rnr"] = np.arange(int(own.sum())) % 2
        copies.append(rows)
    return pd.concat([data, *copies], ignore_index=True)


def test_separated_regions_are_left_out_with_their_reason_not_a_nan_interval() -> None:
    data = _separated_regions(simulate(np.random.default_rng(4)),
                              {"sub_saharan_africa": "S", "north_america": "N"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = fit_regional_model(data)
        table = regional_contrasts_table(data)
    assert model.fitted and {e.region for e in model.effects} == set(TRUTH)
    reasons = {e.region: e.reason for e in model.excluded_regions}
    assert set(reasons) == {"sub_saharan_africa", "north_america"}
    assert all(r.startswith("quasi-complete separation") for r in reasons.values())
    assert all(np.isfinite([e.std_error, e.ci_low, e.ci_high]).all() for e in model.effects)
    barrier = table[table["outcome"] == "barrier"]
    assert barrier["odds_ratio"].notna().sum() == 6  # the four modelled regions' pairs
    ssa = barrier[barrier["region_b"] == "sub_saharan_africa"]
    assert ssa["odds_ratio"].isna().all() and ssa["note"].str.contains("separation").all()


def test_when_most_regions_diverge_from_the_reference_its_side_is_left_out() -> None:
    """Outside asia_pacific every app but two always meets a barrier and those two are
    not tested in asia_pacific: asia_pacific is the region apart, so it is left out and
    the others are compared through the two apps whose outcome varies among them."""
    data = simulate(np.random.default_rng(6), countries=(12, 8, 7, 6))
    last = sorted(data["app"].unique())[-2:]
    outside, kept = data["region"] != "asia_pacific", data["app"].isin(last)
    data.loc[outside & ~kept, ["barrier", "rnr"]] = 1
    data = data[outside | ~kept]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = fit_regional_model(data)
    reasons = {e.region: e.reason for e in model.excluded_regions}
    assert list(reasons) == ["asia_pacific"] and "separation" in reasons["asia_pacific"]
    assert model.fitted and model.apps == 2 and len(model.effects) == 2
    assert model.reference in {"europe", "mena", "latin_america"}


def test_few_clusters_are_warned_about() -> None:
    data = simulate(np.random.default_rng(2), apps=60, countries=(4, 4, 3, 3))
    model = fit_regional_model(data)
    assert model.fitted and model.clusters == 14 < MIN_CLUSTERS and model.few_clusters
    assert any("only 14 clusters" in w and "unreliable" in w for w in model.warnings)
    assert any("fewer than 5 countries" in w for w in model.warnings)
    big = fit_regional_model(simulate(np.random.default_rng(2)))
    assert not big.few_clusters and not any("clusters" in w for w in big.warnings)


def test_reference_region_and_outcome_are_parameters() -> None:
    data = simulate(np.random.default_rng(4))
    data["rnr"] = np.where(data["region"] == "europe", data["barrier"], 0)
    data.loc[data.index % 3 == 0, "rnr"] = 1  # RNR everywhere, more of it in Europe
    ref = fit_regional_model(data, reference="europe")
    assert ref.reference == "europe" and ref.effect("europe") is None
    assert {e.region for e in ref.effects} == {"asia_pacific", "mena", "latin_america"}
    rnr = fit_regional_model(data, "rnr")
    assert rnr.outcome == "rnr" and rnr.events == int(data["rnr"].sum())
    barrier = fit_regional_model(data)
    eu_rnr, eu_barrier = rnr.effect("europe"), barrier.effect("europe")
    assert eu_rnr is not None and eu_barrier is not None
    assert eu_rnr.odds_ratio != pytest.approx(eu_barrier.odds_ratio)
    missing = fit_regional_model(data, reference="central_asia")
    assert missing.message is not None and "'central_asia' is not in the model" in missing.message
    with pytest.raises(ValueError, match="outcome must be one of barrier, rnr"):
        fit_regional_model(data, "access")


def _matrix(instances: pd.DataFrame) -> pd.DataFrame:
    """A barrier-matrix-like frame for these instances."""
    return instances.assign(status=np.where(instances["barrier"] == 1, "barrier", "access"),
                            rnr=instances["rnr"].astype(bool))


def test_regional_instances_keep_conclusive_instances_abroad() -> None:
    matrix = pd.DataFrame({
        "app": ["a", "a", "a", "a", "a", "b"],
        "app_name": ["A"] * 5 + ["B"],
        "country": ["DE", "CN", "FR", "JP", "US", "DE"],
        "region": ["europe", "asia_pacific", "europe", "asia_pacific", None, "europe"],
        "status": ["barrier", "barrier", None, "access", "access", "barrier"],
        "rnr": pd.array([True, True, None, False, False, False], dtype="boolean")})
    got = regional_instances(matrix)
    assert got[["app", "country", "barrier", "rnr"]].values.tolist() == [
        ["a", "DE", 1, 1], ["a", "JP", 0, 0], ["b", "DE", 1, 0]]


# ------------------------------------------------------------------------- per app

def _hand_made() -> pd.DataFrame:
    """App x: Europe 9 of 10 barriers, Asia-Pacific 1 of 10, MENA 5 of 8; app y: 3 of 4
    and 2 of 4 (no difference)."""
    rows = []
    for app, region, n, k in (("x", "europe", 10, 9), ("x", "asia_pacific", 10, 1),
                              ("x", "mena", 8, 5), ("y", "europe", 4, 3),
                              ("y", "asia_pacific", 4, 2)):
        for i in range(n):
            rows.append({"app": app, "app_name": app.upper(), "country": f"{region[:2]}{i}",
                         "region": region, "barrier": int(i < k), "rnr": int(i < k - 1)})
    return pd.DataFrame(rows)


def test_per_app_fisher_tests_match_scipy_and_holm_within_the_app() -> None:
    tests = app_region_tests(_hand_made())
    assert tests.columns.tolist() == [c for c, _ in APP_REGION_TESTS_COLUMNS]
    x = tests[tests["app"] == "x"].set_index(["region_a", "region_b"])
    assert list(x.index) == [("asia_pacific", "europe"), ("asia_pacific", "mena"),
                             ("europe", "mena")]
    expected = {pair: fisher_exact(table) for pair, table in {
        ("asia_pacific", "europe"): [[1, 9], [9, 1]],
        ("asia_pacific", "mena"): [[1, 9], [5, 3]],
        ("europe", "mena"): [[9, 1], [5, 3]]}.items()}
    for pair, result in expected.items():
        assert x.loc[pair, "p_value"] == pytest.approx(result.pvalue, rel=1e-12)
        assert x.loc[pair, "odds_ratio"] == pytest.approx(result.statistic, rel=1e-12)
    # Holm by hand: the k-th smallest of m p-values times (m - k + 1), kept monotone
    p = sorted(r.pvalue for r in expected.values())
    holm = np.maximum.accumulate([min(1.0, v * (3 - i)) for i, v in enumerate(p)])
    assert sorted(x["p_holm"]) == pytest.approx(list(holm), rel=1e-12)
    assert x.loc[("asia_pacific", "europe"), "differs"]
    assert not x.loc[("europe", "mena"), "differs"]
    y = tests[tests["app"] == "y"]
    assert len(y) == 1 and y["p_holm"].iloc[0] == pytest.approx(
        fisher_exact([[2, 2], [3, 1]]).pvalue)  # one pair: nothing to adjust


def test_app_region_profiles_shares_wilson_and_differences() -> None:
    profiles = app_region_profiles(_hand_made())
    assert profiles.columns.tolist() == [c for c, _ in APP_REGIONS_COLUMNS]
    assert profiles[["app", "region"]].values.tolist() == [
        ["x", "asia_pacific"], ["x", "europe"], ["x", "mena"], ["y", "asia_pacific"],
        ["y", "europe"]]  # display order of regions within each app
    row = profiles.set_index(["app", "region"]).loc[("x", "europe")]
    assert (row["instances"], row["barrier_instances"], row["rnr_instances"]) == (10, 9, 8)
    assert row["barrier_share"] == pytest.approx(0.9)
    assert (row["barrier_ci_low"], row["barrier_ci_high"]) == pytest.approx(wilson(9, 10))
    assert (row["rnr_ci_low"], row["rnr_ci_high"]) == pytest.approx(wilson(8, 10))
    assert row["barrier_differs_from"] == "asia_pacific"
    assert row["region_name"] == "Europe (incl. extended Europe)"
    assert profiles["barrier_differs_from"].isna().sum() == 3  # mena and both of y
