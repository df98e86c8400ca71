"""The regional tables (``regional_contrasts``, ``app_regions``) in `harness export`
output of a `harness demo` database, and in the export of the hand-made database."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from harness.analysis import SCHEMAS, Analysis, Filters, read_table
from harness.cli.main import main

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
APPS = ("demo-dialcode", "demo-geofence", "demo-openchat")
COUNTRIES = ("DE", "FR", "HK", "SG", "JP", "US")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from _cli import harness  # the integration tests' subprocess helper

    tmp = tmp_path_factory.mktemp("regional-demo")
    db = tmp / "results.db"
    demo = harness(["demo", "--db", str(db), "--country", ",".join(COUNTRIES), "--app",
                    ",".join(APPS), "--report", str(tmp / "demo.html")], tmp, timeout=300)
    assert demo.returncode == 0, demo.stderr[-2000:]
    return db


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_export_of_a_demo_database_has_the_regional_tables(
        demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["export", "--db", str(demo_db), "--include-simulated", "--format",
                 "csv,parquet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "regional_contrasts: 6 rows" in printed and "app_regions: 9 rows" in printed
    for table in ("regional_contrasts", "app_regions"):
        with (out / f"{table}.csv").open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header == [c for c, _ in SCHEMAS[table]]
        assert read_table(out / f"{table}.parquet", table).equals(
            read_table(out / f"{table}.csv", table))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["regional_contrasts"] == 6
    profiles = {(r["app"], r["region"]): r for r in _rows(out / "app_regions.csv")}
    # GeoFence serves HK, SG and JP (Asia-Pacific), nobody in Europe or North America
    assert float(profiles[("demo-geofence", "asia_pacific")]["barrier_share"]) == 0.0
    assert float(profiles[("demo-geofence", "europe")]["barrier_share"]) == 1.0
    assert profiles[("demo-openchat", "europe")]["barrier_instances"] == "0"
    assert profiles[("demo-dialcode", "asia_pacific")]["instances"] == "3"
    # six instances per region at most: nothing to model, and every row says why
    contrasts = _rows(out / "regional_contrasts.csv")
    assert {(r["region_a"], r["region_b"]) for r in contrasts} == {
        ("asia_pacific", "europe"), ("asia_pacific", "north_america"),
        ("europe", "north_america")}
    assert all(r["odds_ratio"] == "" and r["note"] for r in contrasts)
    assert all("fewer than 10 instances" in r["note"] or "no region" in r["note"]
               for r in contrasts)


def test_only_the_regional_tables(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "only"
    assert main(["export", "--db", str(demo_db), "--include-simulated", "--tables",
                 "regional_contrasts,app_regions", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"regional_contrasts.csv", "app_regions.csv",
                                               "manifest.json"}


def test_the_analysis_api_gives_the_same_tables(db_path: Path) -> None:
    with Analysis(db_path, Filters(include_simulated=True)) as a:
        tables = a.tables()
        matrix = a.barrier_matrix()
        assert a.app_regions(matrix).equals(tables["app_regions"])
        model = a.regional_model("rnr", matrix=matrix)
    assert not model.fitted and model.message
    regions = set(tables["app_regions"]["region"])
    assert regions == {"europe", "asia_pacific", "latin_america"}  # CN is domestic
    assert len(tables["regional_contrasts"]) == 2 * 3  # two outcomes, three pairs
