"""The report's sections for the study's conclusions: headline findings, regional
contrasts, and the download trend once download data is stored (a real SQLite file,
the shipped synthetic downloads, ``harness trends import`` as a user runs it)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from _export_data import Counter, measurement

from harness.analysis.filters import Filters
from harness.analysis.findings import stored_downloads
from harness.analysis.report import render_report
from harness.analysis.tables import Analysis
from harness.cli.main import main
from harness.storage.models import Run
from harness.storage.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "trends"
AFFECTED = ("wechat", "qq", "weibo", "douyin", "xiaohongshu", "bilibili", "zhihu",
            "kuaishou")
COMPARISON = ("alipay", "dingtalk", "tieba", "toutiao", "wecom")
RUN = "e5" * 16


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r"data:image/png;base64,([^'\"]+)", page)]


def test_the_report_opens_with_the_findings_and_tests_regions(db_path: Path) -> None:
    with Analysis(str(db_path), Filters(include_simulated=True)) as analysis:
        page = render_report(analysis, db_path.parent)
    assert page.index("id='findings'") < page.index("<h2>Key figures</h2>")
    findings = page[page.index("id='findings'"):page.index("<h2>Key figures</h2>")]
    for title in ("enforce identifiability", "instances abroad with a barrier",
                  "download change", "by region"):
        assert title in findings
    assert re.search(r"\d+ / \d+", findings)  # the sample behind each share
    regional = page[page.index("id='regional-contrasts'"):page.index("id='downloads'")]
    # two countries per region at most: no model can compare regions, and it says why
    assert "no pair of regions could be compared" in regional
    assert "fewer than" in regional and "nan" not in regional.lower()
    assert "harness trends import FILE" in page[page.index("id='downloads'"):]


def _fill(store: Store) -> None:
    """Confirmed outcomes (three attempts over eight hours) for catalog apps: an RNR
    barrier for the affected apps, full access for the comparison apps."""
    ids, rows = Counter(), []
    for app in AFFECTED + COMPARISON:
        for country in ("DE", "FR", "JP"):
            for hours in (0, 4, 8):
                m = (measurement(ids, RUN, "A", country, hours, "barrier",
                                 "id_verification_required") if app in AFFECTED else
                     measurement(ids, RUN, "B", country, hours, "access"))
                m.scenario_id, m.app_name = app, app
                rows.append(m)
    with store.session() as s:
        s.add(Run(id=RUN, started_at=rows[0].started_at, status="completed",
                  harness_version="0.1.0", rules_version="r1", backend="appium",
                  hostname="test", pid=1))
        s.flush()
        s.add_all(rows)
        s.commit()


def test_with_downloads_stored_the_report_draws_the_trend_of_the_evidence_groups(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "results.db"
    store = Store.open(str(db))
    try:
        _fill(store)
    finally:
        store.close()
    assert main(["trends", "import", str(FIXTURES / "synthetic_downloads.csv"),
                 "--db", str(db)]) == 0
    capsys.readouterr()
    with Analysis(str(db)) as analysis:
        figure, result = stored_downloads(analysis)
        before = len(_images(render_report(analysis, tmp_path)))
        page = render_report(analysis, tmp_path)
    assert figure is not None and result is not None and result.groups is not None
    assert sorted(result.groups.affected) == sorted(AFFECTED)
    assert sorted(result.groups.comparison) == sorted(COMPARISON)
    truth = 1 - 0.4493  # make_synthetic.py: rate ratio exp(-0.8)
    assert figure.ci_low is not None and figure.ci_high is not None
    assert figure.ci_low <= truth <= figure.ci_high
    trend = page[page.index("id='downloads'"):]
    assert "synthetic_downloads" in trend and "affected" in trend and "wechat" in trend
    chart = _images(trend)[0]
    assert chart[:4] == b"\x89PNG" and len(chart) > 20_000
    assert before == len(_images(page))
    findings = page[page.index("id='findings'"):page.index("<h2>Key figures</h2>")]
    assert "prevented downloads" in findings and "DiD" in findings
