"""Every query compiles for PostgreSQL too, and the demo's own data flows through
`harness export` and `harness report` with the designed outcome per country."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from harness.analysis import Confirmation, Filters
from harness.analysis import instances as iq
from harness.analysis import queries as q

REPO = Path(__file__).resolve().parents[2]
APPS = ("demo-dialcode", "demo-gatedpost", "demo-quietsms", "demo-zhenming")
sys.path.insert(0, str(REPO / "tests" / "integration"))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()],
                         ids=["sqlite", "postgresql"])
def test_every_query_compiles(dialect: object) -> None:
    from harness.vocabulary.countries import Region

    filters = Filters(include_simulated=False, countries=("DE",), apps=("x",),
                      region_overrides={"JP": Region.EUROPE}, regions=(Region.EUROPE,))
    inst = iq.instances_select(filters, ("r1",), Confirmation()).subquery()
    statements = [
        q.measurements_select(filters, ("r1",)), q.count_select(filters, ()),
        q.simulated_excluded_select(filters, ()), iq.instances_select(filters, (),
                                                                     Confirmation()),
        iq.by_region_select(inst), iq.by_app_select(inst), iq.funnel_select(inst),
        iq.abroad_totals_select(inst), iq.cluster_counts_select(inst),
        iq.case_counts_select(inst), q.current_run_select(filters, ()),
        q.changes_select(filters, ("a", "b"), "b"), q.evidence_select(["m1"]),
        q.failures_select(filters, (), 10)]
    for stmt in statements:
        text = str(stmt.compile(dialect=dialect))  # type: ignore[arg-type]
        assert "SELECT" in text
    pg = str(iq.instances_select(filters, (), Confirmation()).compile(
        dialect=postgresql.dialect()))
    assert "EXTRACT(EPOCH FROM" in pg and "julianday" not in pg


def test_demo_data_through_export_and_report(tmp_path: Path) -> None:
    from _cli import harness  # the integration tests' subprocess helper

    db = tmp_path / "results.db"
    demo = harness(["demo", "--db", str(db), "--country", "DE,HK", "--app", ",".join(APPS),
                    "--report", str(tmp_path / "demo.html")], tmp_path, timeout=300)
    assert demo.returncode == 0, demo.stderr[-2000:]
    out = tmp_path / "exports"
    exp = harness(["export", "--db", str(db), "--include-simulated", "--format", "csv",
                   "--out", str(out)], tmp_path)
    assert exp.returncode == 0, exp.stderr
    with (out / "barrier_matrix.csv").open(encoding="utf-8") as fh:
        cells = {(r["app"], r["country"]): r["outcome"] for r in csv.DictReader(fh)}
    assert cells[("demo-dialcode", "DE")] == "barrier:phone_country_unsupported"
    assert cells[("demo-dialcode", "HK")] == "access:full"
    assert cells[("demo-zhenming", "HK")] == "barrier:id_verification_required"
    assert cells[("demo-quietsms", "DE")] == "barrier:sms_not_delivered"
    assert cells[("demo-gatedpost", "DE")] == "barrier:feature_restricted"
    apps = len(APPS)
    assert len(cells) == apps * 2
    report = harness(["report", "--db", str(db), "--include-simulated", "--out",
                      str(tmp_path / "report.html")], tmp_path)
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3
    assert (tmp_path / "demo.html").read_text(encoding="utf-8").count("<tr id='m-") == apps * 2
    # without --include-simulated the demo's rows are left out: an error that says so
    empty = harness(["export", "--db", str(db), "--out", str(tmp_path / "e")], tmp_path)
    assert empty.returncode == 2 and "add --include-simulated" in empty.stderr
    assert not (tmp_path / "e").exists()
