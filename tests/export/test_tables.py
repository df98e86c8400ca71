"""Every figure of the analyst tables against values computed by hand from the data in
conftest.py: confirmation, exclusion of failures, aborted, running and simulator rows,
regional rates with intervals clustered by app, per-app enforcement (Wilson), the funnel
and the changes."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from _export_data import R1, R2, R3, T0
from scipy.stats import t as student_t

from harness.analysis import Analysis, Confirmation, Filters, wilson
from harness.analysis.filters import parse_filters
from harness.support.errors import ConfigError


def clustered(k: list[int], n: list[int]) -> tuple[float, float]:
    """The 95% interval of ``sum(k)/sum(n)`` clustered by app (one entry per app), by the
    textbook closed form: CR1 variance of the mean ``G/(G-1) * sum_g (k_g - n_g p)^2 /
    N^2`` (Cameron and Miller 2015; for an intercept-only model (N-1)/(N-K) is 1), the
    delta method to the log odds, t with G - 1 degrees of freedom, back-transformed."""
    g, total, p = len(k), sum(n), sum(k) / sum(n)
    var = g / (g - 1) * sum((kg - ng * p) ** 2 for kg, ng in zip(k, n, strict=True)) / total**2
    se = math.sqrt(var) / (p * (1 - p))
    q = float(student_t.ppf(0.975, g - 1))
    logit = math.log(p / (1 - p))
    return tuple(round(1 / (1 + math.exp(-(logit + s * q * se))), 4)  # type: ignore[return-value]
                 for s in (-1, 1))


def matrix(db: Path, filters: Filters | None = None, rule: Confirmation | None = None
           ) -> pd.DataFrame:
    with Analysis(db, filters, rule) as a:
        return a.barrier_matrix().set_index(["app", "country"])


def test_wilson_matches_hand_computed_bounds() -> None:
    # p = 3/10, z² = 3.841459: centre 0.355504, half-width 0.247715
    assert [round(x, 4) for x in wilson(3, 10)] == [0.1078, 0.6032]
    assert [round(x, 4) for x in wilson(3, 5)] == [0.2307, 0.8824]
    assert [round(x, 4) for x in wilson(1, 2)] == [0.0945, 0.9055]
    assert wilson(0, 5)[0] == 0.0 and round(wilson(0, 5)[1], 4) == 0.4345
    assert wilson(5, 5)[1] == 1.0 and round(wilson(5, 5)[0], 4) == 0.5655
    low, high = wilson(0, 0)
    assert pd.isna(low) and pd.isna(high)
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_matrix_has_one_row_per_tried_instance_and_no_running_or_sim(analysis_db: str) -> None:
    m = matrix(analysis_db)
    assert sorted(m.index) == [("app-a", "CN"), ("app-a", "DE"), ("app-a", "FR"),
                               ("app-a", "JP"), ("app-a", "US"), ("app-b", "DE"),
                               ("app-b", "FR"), ("app-b", "JP"), ("app-c", "DE")]
    # B/US has only a running row, C/BR only a simulator row: neither is an instance


def test_confirmation_rule_counts_agreeing_attempts_and_span(analysis_db: str) -> None:
    m = matrix(analysis_db)
    de = m.loc[("app-a", "DE")]
    assert de["outcome"] == "barrier:id_verification_required"
    assert (de["agreeing_attempts"], de["span_hours"], de["confirmation"]) == (3, 8.0,
                                                                               "confirmed")
    # the failure and the aborted attempt after the streak neither count nor break it
    assert (de["conclusive_attempts"], de["failure_attempts"], de["aborted_attempts"]) == (
        3, 1, 1)
    assert de["confirmed"] is True or bool(de["confirmed"])
    assert de["latest_run_id"] == R3 and de["latest_stage"] == "verification"
    fr = m.loc[("app-a", "FR")]  # access, then id at 2 h and 8.5 h: only 2 agree
    assert (fr["agreeing_attempts"], fr["span_hours"], fr["confirmation"]) == (
        2, 6.5, "unconfirmed")
    assert fr["distinct_outcomes"] == 2
    jp = m.loc[("app-a", "JP")]  # 3 agreeing retries within one hour: span too short
    assert (jp["agreeing_attempts"], jp["span_hours"], jp["confirmation"]) == (
        3, 1.0, "unconfirmed")
    assert jp["first_agreeing_at"] == pd.Timestamp(T0 + pd.Timedelta(hours=7))
    b_de = m.loc[("app-b", "DE")]
    assert (b_de["outcome"], b_de["agreeing_attempts"], b_de["span_hours"],
            b_de["confirmation"]) == ("access:full", 3, 7.0, "confirmed")
    b_fr = m.loc[("app-b", "FR")]  # sms barrier, then access: latest wins, alone
    assert (b_fr["outcome"], b_fr["agreeing_attempts"]) == ("access:full", 1)
    us = m.loc[("app-a", "US")]  # failures only: shown, never a result
    assert (us["outcome"], us["confirmation"], us["failure_attempts"],
            us["conclusive_attempts"]) == ("no_result", "no_result", 2, 0)
    assert pd.isna(us["rnr"]) and pd.isna(us["confirmed"])
    assert bool(m.loc[("app-c", "DE"), "rnr"]) is True            # feature_restricted
    assert bool(m.loc[("app-b", "JP"), "rnr"]) is False           # calling code: not RNR


def test_confirmation_thresholds_are_parameters(analysis_db: str) -> None:
    m = matrix(analysis_db, rule=Confirmation(min_attempts=2, min_hours=6))
    assert m.loc[("app-a", "FR"), "confirmation"] == "confirmed"
    assert m.loc[("app-a", "JP"), "confirmation"] == "unconfirmed"
    m = matrix(analysis_db, rule=Confirmation(min_attempts=3, min_hours=0))
    assert m.loc[("app-a", "JP"), "confirmation"] == "confirmed"


def test_by_region_rates_and_wilson_intervals(analysis_db: str) -> None:
    with Analysis(analysis_db) as a:
        r = a.by_region().set_index("region")
    assert list(r.index) == ["asia_pacific", "europe", "mena", "north_america",
                             "latin_america", "sub_saharan_africa", "central_asia"]
    eu = r.loc["europe"]  # A/DE id, A/FR id, C/DE feature, B/DE access, B/FR access
    assert (eu["instances"], eu["barrier_instances"], eu["rnr_instances"], eu["apps"],
            eu["countries"], eu["confirmed_instances"], eu["confirmed_barrier_instances"]
            ) == (5, 3, 3, 3, 2, 2, 1)
    assert round(eu["barrier_share"], 4) == 0.6
    # barriers per app: A 2 of 2, B 0 of 2, C 1 of 1; three apps, so the interval is wide
    # (Wilson over the five instances as if independent would be [0.2307, 0.8824])
    assert (eu["barrier_ci_method"], eu["ci_clusters"]) == ("cluster_logit", 3)
    assert (round(eu["barrier_ci_low"], 4), round(eu["barrier_ci_high"], 4)) == clustered(
        [2, 0, 1], [2, 2, 1]) == (0.0021, 0.9991)
    ap = r.loc["asia_pacific"]  # A/JP id, B/JP calling code; CN is domestic, left out
    assert (ap["instances"], ap["barrier_instances"], ap["rnr_instances"]) == (2, 2, 1)
    # every instance a barrier: Wilson with the two apps as the sample
    assert ap["barrier_ci_method"] == "wilson_clusters"
    assert (round(ap["barrier_ci_low"], 4), ap["barrier_ci_high"]) == (0.3424, 1.0)
    assert ap["rnr_ci_method"] == "cluster_logit"
    assert (round(ap["rnr_ci_low"], 4), round(ap["rnr_ci_high"], 4)) == clustered([1, 0],
                                                                                  [1, 1])
    na = r.loc["north_america"]  # A/US failed twice: tried, but no result
    assert (na["instances"], na["no_result_instances"]) == (0, 1)
    assert pd.isna(na["barrier_share"]) and pd.isna(na["barrier_ci_low"])
    assert pd.isna(na["barrier_ci_method"]) and na["ci_clusters"] == 0
    assert r.loc["latin_america", "instances"] == 0  # the simulator row is excluded


def test_simulated_rows_only_with_include_simulated(analysis_db: str) -> None:
    with Analysis(analysis_db, Filters(include_simulated=True)) as a:
        r = a.by_region().set_index("region")
        m = a.barrier_matrix().set_index(["app", "country"])
        counts = a.status_counts()
    assert r.loc["latin_america", "instances"] == 1
    assert m.loc[("app-c", "BR"), "outcome"] == "barrier:id_verification_required"
    assert counts["simulated_excluded"] == 0
    with Analysis(analysis_db) as a:
        assert a.status_counts()["simulated_excluded"] == 1


def test_by_app_identifiability(analysis_db: str) -> None:
    with Analysis(analysis_db) as a:
        b = a.by_app().set_index("app")
    a_ = b.loc["app-a"]  # DE, FR, JP all id; US no result; CN domestic
    assert (a_["countries_tested"], a_["no_result_countries"], a_["barrier_countries"],
            a_["rnr_countries"], a_["confirmed_rnr_countries"],
            a_["id_verification_required_countries"]) == (3, 1, 3, 3, 1, 3)
    assert bool(a_["enforces_identifiability"]) and bool(a_["enforces_identifiability_confirmed"])
    assert a_["rnr_barriers"] == "id_verification_required"
    assert (round(a_["barrier_ci_low"], 4), a_["barrier_ci_high"]) == (0.4385, 1.0)
    b_ = b.loc["app-b"]  # calling code refused in JP: a barrier, not RNR
    assert (b_["countries_tested"], b_["barrier_countries"], b_["rnr_countries"]) == (3, 1, 0)
    assert not bool(b_["enforces_identifiability"]) and pd.isna(b_["rnr_barriers"])
    assert (round(b_["barrier_ci_low"], 4), round(b_["barrier_ci_high"], 4)) == (0.0615,
                                                                                 0.7923)
    c = b.loc["app-c"]
    assert bool(c["enforces_identifiability"]) and not bool(
        c["enforces_identifiability_confirmed"])
    assert c["feature_restricted_countries"] == 1


def test_summary_figures(analysis_db: str) -> None:
    with Analysis(analysis_db) as a:
        s = a.summary().set_index("metric")
    counts = {k: int(s.loc[k, "value"]) for k in (
        "attempts_access", "attempts_barrier", "attempts_failure", "attempts_aborted",
        "simulated_rows_excluded", "apps_tested", "countries_tested", "instances_tested",
        "instances_no_result")}
    assert counts == {"attempts_access": 6, "attempts_barrier": 12, "attempts_failure": 3,
                      "attempts_aborted": 1, "simulated_rows_excluded": 1, "apps_tested": 3,
                      "countries_tested": 3, "instances_tested": 7, "instances_no_result": 1}
    def share(metric: str) -> tuple[int, int, float, float]:
        row = s.loc[metric]
        return (int(row["numerator"]), int(row["denominator"]), round(row["ci_low"], 4),
                round(row["ci_high"], 4))
    # instances abroad per app: A 3 of 3 barriers (all RNR), B 1 of 3 (not RNR), C 1 of 1
    assert share("barrier_share") == (5, 7, *clustered([3, 1, 1], [3, 3, 1]))
    assert share("rnr_share") == (4, 7, *clustered([3, 0, 1], [3, 3, 1]))
    assert (s.loc["barrier_share", "ci_method"], s.loc["barrier_share", "ci_clusters"]) == (
        "cluster_logit", 3)
    # a share of apps: each app one unit, Wilson
    assert share("apps_enforcing_identifiability") == (2, 3, 0.2077, 0.9385)
    assert s.loc["apps_enforcing_identifiability", "ci_method"] == "wilson"
    assert pd.isna(s.loc["apps_enforcing_identifiability", "ci_clusters"])
    assert share("apps_enforcing_identifiability_confirmed") == (1, 3, 0.0615, 0.7923)
    assert round(s.loc["barrier_share", "value"], 4) == round(5 / 7, 4)


def test_funnel_by_latest_stage(analysis_db: str) -> None:
    with Analysis(analysis_db) as a:
        f = a.funnel().set_index("stage")
    assert list(f["reached"]) == [7, 7, 7, 7, 7, 7, 6, 6, 3, 2]
    assert f.loc["phone", "stopped_by_barrier"] == 1          # B/JP calling code
    assert f.loc["verification", "stopped_by_barrier"] == 3   # A/DE, A/FR, A/JP
    assert f.loc["account", "ended_with_access"] == 1         # B/FR
    assert (f.loc["features", "stopped_by_barrier"], f.loc["features", "ended_with_access"],
            f.loc["features", "continued"]) == (1, 1, 0)
    assert round(f.loc["features", "reached_share"], 4) == round(2 / 7, 4)


def test_changes_since_previous_run(analysis_db: str) -> None:
    with Analysis(analysis_db) as a:
        assert a.current_run() == R3
        ch = a.changes().set_index(["app", "country"])
        every = a.changes(include_unchanged=True).set_index(["app", "country"])
    assert sorted(ch.index) == [("app-a", "JP"), ("app-c", "DE")]
    jp = ch.loc[("app-a", "JP")]
    assert (jp["change"], jp["previous_outcome"], jp["current_outcome"],
            jp["previous_run_id"]) == ("changed", "access:full",
                                       "barrier:id_verification_required", R1)
    assert ch.loc[("app-c", "DE"), "change"] == "new"
    assert dict(every["change"]) == {("app-a", "DE"): "same", ("app-a", "FR"): "same",
                                     ("app-a", "JP"): "changed", ("app-b", "DE"): "same",
                                     ("app-c", "DE"): "new"}
    assert every.loc[("app-a", "DE"), "previous_run_id"] == R2
    # two runs selected: the newer is compared with the older only
    with Analysis(analysis_db, Filters(runs=(R1[:8], R2[:8]))) as a:
        two = a.changes(include_unchanged=True).set_index(["app", "country"])
    assert set(two["current_run_id"]) == {R2}
    assert two.loc[("app-a", "FR"), "change"] == "changed"
    assert two.loc[("app-b", "FR"), "previous_outcome"] == "barrier:sms_not_delivered"


def test_filters(analysis_db: str) -> None:
    assert sorted(matrix(analysis_db, parse_filters(country="de")).index) == [
        ("app-a", "DE"), ("app-b", "DE"), ("app-c", "DE")]
    assert sorted(matrix(analysis_db, parse_filters(region="asia_pacific")).index) == [
        ("app-a", "CN"), ("app-a", "JP"), ("app-b", "JP")]
    assert {a for a, _ in matrix(analysis_db, parse_filters(app="app-b")).index} == {"app-b"}
    since = matrix(analysis_db, parse_filters(since="2024-03-01T06:00"))
    assert since.loc[("app-a", "DE"), "agreeing_attempts"] == 1
    assert ("app-b", "FR") not in since.index
    run2 = matrix(analysis_db, parse_filters(run=R2[:6]))
    assert sorted(run2.index) == [("app-a", "DE"), ("app-a", "FR"), ("app-a", "US"),
                                  ("app-b", "DE"), ("app-b", "FR")]
    with Analysis(analysis_db, parse_filters(run="latest")) as a:
        assert a.runs == (R3,)


def test_region_overrides_remap_countries(analysis_db: str, tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text("alpha2,region\nJP,europe\n", encoding="utf-8")
    with Analysis(analysis_db, parse_filters(regions_file=path)) as a:
        r = a.by_region().set_index("region")
        m = a.barrier_matrix().set_index(["app", "country"])
        meas = a.measurements()
    assert r.loc["europe", "instances"] == 7 and r.loc["asia_pacific", "instances"] == 0
    assert m.loc[("app-a", "JP"), "region"] == "europe"
    assert set(meas.loc[meas["country"] == "JP", "region"]) == {"europe"}
    assert sorted(matrix(analysis_db, parse_filters(regions_file=path, region="europe"))
                  .index.get_level_values("country").unique()) == ["DE", "FR", "JP"]


def test_measurements_export_rows_and_masking(analysis_db: str) -> None:
    with Analysis(analysis_db) as a:
        m = a.measurements()
    assert len(m) == 21  # 6 access + 12 barrier + 3 failure; no aborted, running or sim
    assert set(m["status"]) == {"access", "barrier", "failure"}
    assert (m["backend"] == "appium").all()
    assert list(m["started_at"]) == sorted(m["started_at"])
    text = m.astype(str).to_csv()
    for secret in ("12345678", "203.0.113.7", "secret-hash-value", "iphash-secret",
                   "proxy.example", "avdArgs"):
        assert secret not in text, secret
    assert "+<phone>" in text and "<ip>" in text
    row = m[m["matched_text"].str.contains("实名认证", na=False)].iloc[0]
    assert row["rnr_barrier"] and row["outcome"] == "barrier:id_verification_required"
    assert m.loc[m["status"] == "access", "rnr_barrier"].isna().all()


def test_unknown_run_and_app_are_clear_errors(analysis_db: str) -> None:
    with pytest.raises(ConfigError, match="no run has this id"):
        Analysis(analysis_db, Filters(runs=("ffff",)))
    with pytest.raises(ConfigError, match="Did you mean app-a"):
        Analysis(analysis_db, Filters(apps=("app-aa",)))


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such database"):
        Analysis(tmp_path / "missing.db")
