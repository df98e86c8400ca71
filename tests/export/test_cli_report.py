"""The commands, the HTML report, the charts and the run page of `harness demo`."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _export_data import R2, R3

from harness.analysis import Analysis, Filters, charts
from harness.analysis.filters import load_region_overrides, parse_since
from harness.analysis.run_report import write_run_report
from harness.cli.main import main
from harness.storage.store import Store
from harness.support.errors import ConfigError


def test_export_command_writes_every_format(db_path: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["export", "--db", str(db_path), "--format", "all", "--out", str(out),
                 "--country", "DE,FR"]) == 0
    printed = capsys.readouterr().out
    assert "measurements: 13 rows" in printed and "barrier_matrix: 5 rows" in printed
    names = {p.name for p in out.iterdir()}
    assert {"measurements.csv", "by_region.parquet", "funnel.jsonl", "export.xlsx",
            "manifest.json"} <= names


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "europa"], "'europa' is not a study region. Valid regions: asia_pacific, "
                             "europe, mena"),
    (["--since", "last tuesday"], "--since 2024-03-01"),
    (["--format", "xls"], "Valid formats: csv, jsonl, parquet, xlsx"),
    (["--country", "DU"], "Did you mean DE (Germany)"),
    (["--run", "nope"], "`harness runs` lists the runs"),
    (["--app", "app-z"], "Scenario ids in the database: app-a, app-b, app-c"),
    (["--min-attempts", "0"], "must be at least 1"),
])
def test_bad_options_are_one_paragraph_and_exit_2(
        db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        message: str) -> None:
    assert main(["export", "--db", str(db_path), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_empty_selection_says_why(db_path: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["export", "--db", str(db_path), "--out", str(out), "--country", "BR"]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "no measurement matches the selection; 1 simulator measurements are left out: " \
           "add --include-simulated" in said
    assert "Nothing was written" in said and not out.exists()


def test_report_is_self_contained(db_path: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reports" / "report.html"
    assert main(["report", "--db", str(db_path), "--out", str(path)]) == 0
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html)
    assert "<link" not in html and "<script" not in html
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    # one evidence row per instance with a result, plus the newest failures
    assert len(re.findall(r"<tr id='m-", html)) == 8 + 3
    assert "12345678" not in html and "203.0.113.7" not in html
    assert "Changes since the previous run" in html and R3 in html
    assert "1 instance changed outcome" in html
    assert "60.0%" in html  # Europe's barrier share, 3/5


def test_run_page_of_the_demo_command(db_path: Path, tmp_path: Path) -> None:
    store = Store.open(str(db_path))
    try:
        path = write_run_report(store, R2, tmp_path / "run.html")
    finally:
        store.close()
    html = path.read_text(encoding="utf-8")
    # R2: A/DE, A/FR, B/DE, B/FR have results; A/US failed (listed as a failure)
    assert len(re.findall(r"<tr id='m-", html)) == 5
    assert f"run {R2[:8]}" in html


def test_charts_are_png(db_path: Path) -> None:
    with Analysis(db_path, Filters(include_simulated=True)) as a:
        pngs = [charts.heatmap(a.barrier_matrix()), charts.region_rates(a.by_region()),
                charts.funnel(a.funnel())]
    with Analysis(db_path, Filters(countries=("NZ",))) as a:
        pngs += [charts.heatmap(a.barrier_matrix()), charts.region_rates(a.by_region()),
                 charts.funnel(a.funnel())]
    assert all(p.startswith(b"\x89PNG") and len(p) > 1000 for p in pngs)
    assert set(charts.OUTCOME_COLORS) >= {"access:full", "no_result",
                                          "barrier:feature_restricted"}


def test_since_and_regions_file_parsing(tmp_path: Path) -> None:
    now = datetime(2024, 3, 8, 12, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parse_since("2024-03-01") == datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_since("2024-03-01T08:00+08:00") == datetime(2024, 3, 1, tzinfo=UTC)
    path = tmp_path / "r.csv"
    path.write_text("alpha2,name,region,calling_code\nTR,Türkiye,mena,90\nRU,Russia,"
                    "central_asia,7\n", encoding="utf-8")
    assert {k: v.value for k, v in load_region_overrides(path).items()} == {
        "TR": "mena", "RU": "central_asia"}
    path.write_text("alpha2,region\nTR,mena\nRU,siberia\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r.csv:3: field `region`: 'siberia' is not a "
                                          "study region"):
        load_region_overrides(path)
    path.write_text("code,region\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="header must name the columns alpha2 and region"):
        load_region_overrides(path)
