"""Corrections reach the tables: every table is computed from each measurement's latest
classification, ``--as-measured`` gives the verdicts as measured, and ``--verified-only``
keeps the measurements of verified scenarios. The data of ``_export_data.py`` (figures as
measured in test_tables.py) with reclassifications written on top, in a real SQLite file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from _export_data import R1, R2, R3, T0, fill
from databases import BACKENDS, filled_database
from sqlalchemy import update

from harness.analysis import Analysis, Filters, read_table
from harness.analysis.api import open_results
from harness.cli.main import main
from harness.storage.models import Measurement, Reclassification
from harness.storage.store import Store
from harness.support.errors import ConfigError


def mid(n: int) -> str:
    """The id of the n-th row of ``_export_data.fill``."""
    return f"m{n:031d}"


A_DE_8H, A_FR_0H, A_US_0H, B_JP_1H, A_JP_8H = mid(15), mid(2), mid(4), mid(7), mid(19)


def reclassification(n: int, hours: float, version: str, status: str, *,
                     barrier: str | None = None, stage: str | None = None,
                     rule: str | None = None, changed: bool = True,
                     failure: str | None = None, access_level: str | None = None,
                     rid: int | None = None) -> Reclassification:
    return Reclassification(
        id=rid, measurement_id=mid(n), classified_at=T0 + timedelta(days=30, hours=hours),
        rules_version=version, previous_rules_version="r1", status=status, stage=stage,
        barrier=barrier, rule_id=rule, matched_text=f"new text {n}" if barrier else None,
        artifact_path=None, changed=changed, failure=failure, access_level=access_level)


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[str]:
    """The reclassified database, on each backend."""
    folder = tmp_path_factory.mktemp(f"reclassified-{request.param}")
    with filled_database(request.param, folder, _fill) as url:
        yield url


def _fill(store: Store) -> None:
    fill(store)
    with store.session() as s, s.begin():
        # app-a's scenario is verified, app-b's is not, app-c's rows did not record it
        s.execute(update(Measurement).where(Measurement.scenario_id == "app-a")
                  .values(scenario_verified=True))
        s.execute(update(Measurement).where(Measurement.scenario_id == "app-b")
                  .values(scenario_verified=False))
        s.add_all([
            # the rule behind A/DE's newest barrier no longer recognises its screen
            # (a row written before schema 0004: no failure code)
            reclassification(15, 0, "r2", "failure", stage="verification"),
            # A/FR's first access was an ID barrier all along
            reclassification(2, 0, "r2", "barrier", barrier="id_verification_required",
                             stage="verification", rule="verify.id.v2"),
            # A/US's timeout: first read as one barrier, then (newer) as another
            reclassification(4, 0, "r2", "barrier", barrier="phone_number_rejected",
                             stage="phone", rule="phone.rejected.v2"),
            reclassification(4, 5, "r3", "barrier", barrier="region_blocked",
                             stage="launch", rule="geo.block.v3"),
            # B/JP's verdict stands under r2 (unchanged): only the version moves
            reclassification(7, 0, "r2", "barrier", barrier="phone_country_unsupported",
                             stage="phone", rule="rule.phone_country_unsupported",
                             changed=False),
            # a row that names its failure code (schema 0004): the code is used
            reclassification(19, 0, "r2", "failure", stage="verification",
                             failure="timeout", access_level="none"),
        ])
        # two reclassifications at the same instant: the higher id is the newer
        s.add_all([
            reclassification(16, 1, "r2", "barrier", barrier="face_verification_required",
                             stage="verification", rule="verify.face.v2", rid=900),
            reclassification(16, 1, "r2", "barrier", barrier="id_verification_required",
                             stage="verification", rule="rule.id_verification_required",
                             changed=False, rid=901),
        ])


def rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("measurement_id")


def test_measurements_carry_the_latest_verdict_and_the_measured_one(db: str) -> None:
    with Analysis(db) as a:
        m = rows(a.measurements())
    de = m.loc[A_DE_8H]
    assert (de["status"], de["outcome"], de["failure"], de["rules_version"]) == (
        "failure", "failure:ui_unrecognized", "ui_unrecognized", "r2")
    assert pd.isna(de["barrier"]) and pd.isna(de["rule_id"]) and pd.isna(de["rnr_barrier"])
    assert (de["measured_status"], de["measured_outcome"], de["measured_barrier"],
            de["measured_rule_id"], de["measured_rules_version"]) == (
        "barrier", "barrier:id_verification_required", "id_verification_required",
        "rule.id_verification_required", "r1")
    assert bool(de["reclassified"]) and de["reclassified_at"] == pd.Timestamp(
        T0 + timedelta(days=30))
    fr = m.loc[A_FR_0H]
    assert (fr["status"], fr["barrier"], fr["rule_id"], fr["rules_version"],
            fr["access_level"], fr["measured_status"]) == (
        "barrier", "id_verification_required", "verify.id.v2", "r2", "none", "access")
    assert bool(fr["rnr_barrier"]) and fr["matched_text"] == "new text 2"
    us = m.loc[A_US_0H]  # the newer of two reclassifications wins
    assert (us["outcome"], us["rules_version"], us["stage"]) == (
        "barrier:region_blocked", "r3", "launch")
    assert pd.isna(us["failure"]) and pd.isna(us["failure_detail"])
    jp = m.loc[B_JP_1H]  # unchanged: the verdict stands, with the newer version
    assert (jp["outcome"], jp["rules_version"], jp["measured_rules_version"],
            jp["access_level"]) == ("barrier:phone_country_unsupported", "r2", "r1", "none")
    assert bool(jp["reclassified"])
    assert m.loc[A_JP_8H, "outcome"] == "failure:timeout"  # the row's own failure code
    assert m.loc[mid(16), "outcome"] == "barrier:id_verification_required"  # id 901 > 900
    untouched = m.loc[mid(1)]
    assert not bool(untouched["reclassified"]) and pd.isna(untouched["reclassified_at"])
    assert (untouched["rules_version"], untouched["measured_rules_version"]) == ("r1", "r1")
    assert len(m) == 21 and int(m["reclassified"].sum()) == 6


def test_as_measured_gives_the_old_verdicts(db: str) -> None:
    with Analysis(db, Filters(as_measured=True)) as a:
        m = rows(a.measurements())
    de = m.loc[A_DE_8H]
    assert (de["outcome"], de["rules_version"], de["rule_id"]) == (
        "barrier:id_verification_required", "r1", "rule.id_verification_required")
    assert m.loc[A_FR_0H, "outcome"] == "access:full"
    assert m.loc[A_US_0H, "outcome"] == "failure:timeout"
    assert not m["reclassified"].any()
    assert (m["outcome"] == m["measured_outcome"]).all()
    assert (m["rules_version"] == m["measured_rules_version"]).all()


def test_derived_tables_follow_the_latest_verdicts(db: str) -> None:
    with Analysis(db) as a:
        matrix = a.barrier_matrix().set_index(["app", "country"])
        regions = a.by_region().set_index("region")
        summary = a.summary().set_index("metric")
        funnel = a.funnel().set_index("stage")
        changes = a.changes(include_unchanged=True).set_index(["app", "country"])
    # A/DE: its newest barrier is now a failure: 2 agreeing barriers over 4 h, unconfirmed
    de = matrix.loc[("app-a", "DE")]
    assert (de["outcome"], de["agreeing_attempts"], de["span_hours"], de["confirmation"],
            de["failure_attempts"], de["latest_run_id"]) == (
        "barrier:id_verification_required", 2, 4.0, "unconfirmed", 2, R2)
    # A/FR: three ID barriers from 0 h to 8.5 h: confirmed now
    fr = matrix.loc[("app-a", "FR")]
    assert (fr["agreeing_attempts"], fr["span_hours"], fr["confirmation"]) == (
        3, 8.5, "confirmed")
    assert fr["latest_rules_version"] == "r2" and bool(fr["latest_reclassified"])
    # A/US: no result as measured; a region block after reclassification
    us = matrix.loc[("app-a", "US")]
    assert (us["outcome"], us["conclusive_attempts"], us["failure_attempts"],
            us["latest_rule_id"], us["latest_rules_version"]) == (
        "barrier:region_blocked", 1, 1, "geo.block.v3", "r3")
    b_jp = matrix.loc[("app-b", "JP")]
    assert (b_jp["outcome"], b_jp["latest_rules_version"]) == (
        "barrier:phone_country_unsupported", "r2")
    assert not bool(matrix.loc[("app-b", "DE"), "latest_reclassified"])
    na = regions.loc["north_america"]
    assert (na["instances"], na["barrier_instances"], na["no_result_instances"]) == (1, 1, 0)

    def share(metric: str) -> tuple[int, int]:
        return int(summary.loc[metric, "numerator"]), int(summary.loc[metric, "denominator"])

    assert share("barrier_share") == (6, 8)  # 5/7 as measured
    assert share("rnr_share") == (4, 8)      # a region block is not RNR
    assert int(summary.loc["attempts_reclassified", "value"]) == 6
    assert int(summary.loc["attempts_failure", "value"]) == 4  # 3, -A/US +A/DE +A/JP
    assert funnel.loc["launch", "stopped_by_barrier"] == 1  # A/US
    # R3 has no conclusive A/DE attempt any more: A/DE leaves the current run's changes
    assert ("app-a", "DE") not in changes.index
    assert changes.loc[("app-a", "JP"), "current_outcome"] == (
        "barrier:id_verification_required")
    with Analysis(db, Filters(as_measured=True)) as a:
        old = a.barrier_matrix().set_index(["app", "country"])
        old_summary = a.summary().set_index("metric")
        old_changes = a.changes(include_unchanged=True).set_index(["app", "country"])
    assert (old.loc[("app-a", "DE"), "confirmation"], old.loc[("app-a", "US"), "outcome"]
            ) == ("confirmed", "no_result")
    assert old.loc[("app-a", "FR"), "latest_rules_version"] == "r1"
    assert int(old_summary.loc["barrier_share", "numerator"]) == 5
    assert int(old_summary.loc["attempts_reclassified", "value"]) == 0
    assert old_changes.loc[("app-a", "DE"), "change"] == "same"


def test_verified_only_keeps_verified_scenarios(db: str) -> None:
    with Analysis(db, Filters(verified_only=True)) as a:
        m = a.measurements()
        matrix = a.barrier_matrix()
        counts = a.status_counts()
    assert set(m["scenario_id"]) == {"app-a"} and m["scenario_verified"].all()
    assert set(matrix["app"]) == {"app-a"}
    assert sum(counts[k] for k in ("access", "barrier", "failure")) == len(m) == 14
    with Analysis(db) as a:
        every = a.measurements()
    def verified(app: str) -> pd.Series:
        return every.loc[every["scenario_id"] == app, "scenario_verified"]

    assert verified("app-b").eq(False).all() and verified("app-c").isna().all()
    assert len(verified("app-c")) == 1
    with open_results(db, verified_only=True, as_measured=True) as r:
        assert set(r.barrier_matrix()["app"]) == {"app-a"}
        assert r.barrier_matrix().set_index("country").loc["US", "outcome"] == "no_result"
    with pytest.raises(ConfigError, match="verified_only='yes': must be True or False"):
        open_results(db, verified_only="yes")  # type: ignore[arg-type]


def test_export_and_report_commands(db: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "latest"
    assert main(["export", "--db", str(db), "--out", str(out), "--format", "csv,parquet"]) == 0
    printed = capsys.readouterr().out
    assert "verdicts: latest classification; 6 attempts carry a reclassified verdict" in (
        printed)
    m = read_table(out / "measurements.csv", "measurements").set_index("measurement_id")
    assert (m.loc[A_US_0H, "outcome"], m.loc[A_US_0H, "rules_version"],
            m.loc[A_US_0H, "measured_outcome"], m.loc[A_US_0H, "measured_rules_version"]) == (
        "barrier:region_blocked", "r3", "failure:timeout", "r1")
    matrix = read_table(out / "barrier_matrix.parquet", "barrier_matrix")
    assert matrix.set_index("country").query("app == 'app-a'").loc["US", "outcome"] == (
        "barrier:region_blocked")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["verdicts"] == {"mode": "latest", "attempts_reclassified": 6}

    old = tmp_path / "old"
    assert main(["export", "--db", str(db), "--out", str(old), "--as-measured",
                 "--verified-only"]) == 0
    assert "verdicts: as measured" in capsys.readouterr().out
    m = read_table(old / "measurements.csv", "measurements").set_index("measurement_id")
    assert m.loc[A_US_0H, "outcome"] == "failure:timeout"
    assert set(m["scenario_id"]) == {"app-a"}
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["verdicts"]["mode"] == "as_measured"
    assert manifest["filters"]["verified_only"] is True

    page = tmp_path / "report.html"
    assert main(["report", "--db", str(db), "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "6 attempts in the selection carry a reclassified verdict" in html
    assert "reclassified, as measured: failure:timeout" in html  # A/US's evidence row
    assert "rules r3" in html and "Store and sign-up barriers" in html
    # the failure list follows the verdicts too: A/DE's reclassified barrier is there
    assert re.search(rf"<tr id='m-{A_DE_8H}'><td>app-a</td>", html)
    assert main(["report", "--db", str(db), "--out", str(page), "--as-measured"]) == 0
    html = page.read_text(encoding="utf-8")
    assert "Verdicts as measured" in html and "reclassified, as measured" not in html
    assert not re.search(rf"<tr id='m-{A_DE_8H}'><td>app-a</td>", html)


def test_the_run_ids_still_resolve(db: str) -> None:
    # "latest" is the run of the newest conclusive verdict in effect
    with Analysis(db, Filters(runs=("latest",))) as a:
        assert a.runs == (R3,)
    with Analysis(db, Filters(runs=(R1[:6],))) as a:
        assert set(a.measurements()["run_id"]) == {R1}


def test_without_reclassifications_both_ways_of_reading_agree(db_path: Path) -> None:
    """A database without reclassifications skips the join that finds the latest one:
    the join, run anyway, gives the very same rows."""
    from harness.analysis import Confirmation
    from harness.analysis import instances as iq
    from harness.analysis import queries as q

    with Analysis(db_path) as a, a.store.engine.connect() as conn:
        assert not q.has_reclassifications(conn)
        for latest, measured in (
                (q.measurements_select(Filters(), ()),
                 q.measurements_select(Filters(as_measured=True), ())),
                (iq.instances_select(Filters(), (), Confirmation()),
                 iq.instances_select(Filters(as_measured=True), (), Confirmation())),
                (q.changes_select(Filters(), (), R3),
                 q.changes_select(Filters(as_measured=True), (), R3))):
            got = conn.execute(latest).all()
            assert got == conn.execute(measured).all() and len(got) > 4
