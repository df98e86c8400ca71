"""Store barrier only, sign-up barrier only, both, neither: per (app, country) instance,
from each attempt's store observation (``store_result``) and its sign-up verdict, in the
barrier matrix, the summary, the export and the report (a real SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from _export_data import R1, T0, Counter, measurement
from databases import BACKENDS, filled_database

from harness.analysis import Analysis, read_table
from harness.analysis.definitions import BARRIER_CASES
from harness.cli.main import main
from harness.storage.models import Run
from harness.storage.store import Store

#: (country, hours, status, code, store_result, store_rule_id, stage)
ATTEMPTS = [
    # store absent here only, and sign-up stops at an ID check: both
    ("DE", 0, "barrier", "id_verification_required", "absent_in_country",
     "store.play.absent_in_country", None),
    # not on Play anywhere, but sideloaded sign-up works: store only
    ("FR", 0, "access", None, "absent_everywhere", "store.play.absent_everywhere", None),
    # on the store, sign-up refuses the number: sign-up only
    ("JP", 0, "barrier", "phone_country_unsupported", "available", None, None),
    # absent once, available at the newer check; access: neither
    ("KR", 0, "access", None, "absent_in_country", "store.play.absent_in_country", None),
    ("KR", 1, "access", None, "available", None, None),
    # the store check failed: the store side is unknown
    ("BR", 0, "barrier", "id_verification_required", "check_failed", None, None),
    # before schema 0004 a store barrier ended the attempt; an older attempt got access
    ("GB", 0, "access", None, None, None, None),
    ("GB", 1, "barrier", "store_unavailable", None, None, "store"),
    # --no-sideload: the newest attempt stopped at the store; sign-up measured before it
    ("IT", 0, "barrier", "phone_number_rejected", "absent_in_country",
     "store.play.absent_in_country", None),
    ("IT", 1, "barrier", "store_unavailable", "absent_in_country",
     "store.play.absent_in_country", "store"),
    # only --no-sideload attempts: no sign-up measured
    ("ES", 0, "barrier", "store_unavailable", "absent_scope_unknown",
     "store.play.unavailable", "store"),
    # mainland China: in the matrix, never in the rates
    ("CN", 0, "barrier", "mainland_phone_required", "not_checked", None, None),
]

EXPECTED = {"DE": "store_and_signup", "FR": "store_only", "JP": "signup_only",
            "KR": "neither", "BR": "incomplete", "GB": "store_only",
            "IT": "store_and_signup", "ES": "incomplete", "CN": "incomplete"}


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[str]:
    """The attempts of ``ATTEMPTS``, on each backend."""
    folder = tmp_path_factory.mktemp(f"cases-{request.param}")
    with filled_database(request.param, folder, _fill) as url:
        yield url


def _fill(store: Store) -> None:
    ids = Counter()
    rows = []
    for country, hours, status, code, result, rule, stage in ATTEMPTS:
        m = measurement(ids, R1, "A", "DE", hours, status, code, stage=stage)
        m.country, m.profile_id = country, country
        m.region = {"JP": "asia_pacific", "KR": "asia_pacific", "CN": "asia_pacific",
                    "BR": "latin_america"}.get(country, "europe")
        m.store_result, m.store_rule_id = result, rule
        if stage == "store":
            m.rule_id = rule or "store.play.unavailable"
        rows.append(m)
    with store.session() as s, s.begin():
        s.add(Run(id=R1, started_at=T0, status="completed", harness_version="0.1.0",
                  rules_version="r1", backend="appium", hostname="test", pid=1))
        s.flush()
        s.add_all(rows)


def test_each_instance_has_its_case(db: str) -> None:
    with Analysis(db) as a:
        m = a.barrier_matrix().set_index("country")
    assert dict(m["barrier_case"]) == EXPECTED
    assert (m.loc["DE", "store_result"], m.loc["DE", "signup_outcome"]) == (
        "absent_in_country", "barrier:id_verification_required")
    assert m.loc["KR", "store_result"] == "available"  # the newer store check wins
    # a legacy store barrier reads as an absence of unknown scope, with its rule id
    assert (m.loc["GB", "outcome"], m.loc["GB", "store_result"], m.loc["GB", "store_rule_id"],
            m.loc["GB", "signup_outcome"]) == (
        "barrier:store_unavailable", "absent_scope_unknown", "store.play.unavailable",
        "access:full")
    # the outcome stays the latest conclusive attempt's; the sign-up side looks past it
    assert (m.loc["IT", "outcome"], m.loc["IT", "signup_outcome"]) == (
        "barrier:store_unavailable", "barrier:phone_number_rejected")
    assert pd.isna(m.loc["ES", "signup_outcome"])
    assert bool(m.loc["FR", "store_barrier"]) and not bool(m.loc["FR", "signup_barrier"])
    assert not bool(m.loc["JP", "store_barrier"]) and bool(m.loc["JP", "signup_barrier"])
    assert m["store_barrier"].isna()["BR"] and m["signup_barrier"].isna()["ES"]


def test_summary_counts_the_cases_abroad(db: str) -> None:
    with Analysis(db) as a:
        cases = a.barrier_cases()
        s = a.summary().set_index("metric")
    # CN is domestic: left out
    assert cases == {"store_and_signup": 2, "store_only": 2, "signup_only": 1, "neither": 1,
                     "incomplete": 2}
    assert list(cases) == list(BARRIER_CASES)

    def share(metric: str) -> tuple[int, int, float]:
        row = s.loc[metric]
        return int(row["numerator"]), int(row["denominator"]), round(row["ci_low"], 4)

    assert share("store_and_signup_barrier_share") == (2, 6, 0.0968)
    # every instance is one app's: one cluster, so its rate keeps the Wilson interval
    assert (s.loc["store_and_signup_barrier_share", "ci_method"],
            s.loc["store_and_signup_barrier_share", "ci_clusters"]) == ("wilson", 1)
    assert share("store_barrier_only_share")[:2] == (2, 6)
    assert share("signup_barrier_only_share")[:2] == (1, 6)
    assert share("neither_barrier_share")[:2] == (1, 6)
    assert int(s.loc["instances_barrier_case_incomplete", "value"]) == 2


def test_measurements_export_and_report_show_both_sides(db: str, tmp_path: Path) -> None:
    out = tmp_path / "x"
    assert main(["export", "--db", str(db), "--out", str(out), "--format", "csv"]) == 0
    m = read_table(out / "measurements.csv", "measurements")
    de = m[m["country"] == "DE"].iloc[0]
    assert (de["outcome"], de["store_result"], de["store_rule_id"]) == (
        "barrier:id_verification_required", "absent_in_country",
        "store.play.absent_in_country")
    matrix = read_table(out / "barrier_matrix.csv", "barrier_matrix").set_index("country")
    assert dict(matrix["barrier_case"]) == EXPECTED
    page = tmp_path / "r.html"
    assert main(["report", "--db", str(db), "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    section = html.split("<h2>Store and sign-up barriers</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<td>store_and_signup</td><td class='n'>2</td>" in section
    assert "<td>incomplete</td><td class='n'>2</td>" in section
    assert "over the instances abroad whose store and sign-up sides are both observed (6)" in (
        section)
    assert "store: absent_in_country (store.play.absent_in_country)" in html


def test_the_attempt_time_order_decides_each_side(db: str) -> None:
    # KR's store side is its newest check (available at 1 h), not its first (absent)
    with Analysis(db) as a:
        m = a.measurements()
    kr = m[m["country"] == "KR"].sort_values("started_at")
    assert list(kr["store_result"]) == ["absent_in_country", "available"]
    assert kr["started_at"].iloc[1] - kr["started_at"].iloc[0] == timedelta(hours=1)
