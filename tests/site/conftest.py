"""Fixtures of the report-site tests: the hand-made database of tests/export (every figure
known) and a site built by the real commands from a small simulator run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "export"))
from _cli import harness  # noqa: E402  (tests/integration, put on the path by tests/conftest)
from _export_data import filled_sqlite  # noqa: E402
from _sitedemo import DEMO_APPS, DEMO_COUNTRIES, DemoSite  # noqa: E402

#: The hand-written data package the data page links to (what `harness publish` writes).
DATA_FIXTURE = HERE / "data"


@pytest.fixture(scope="session")
def export_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filled database of tests/export/_export_data.py (tests only read it)."""
    return filled_sqlite(tmp_path_factory.mktemp("site-results") / "results.db")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    tmp = tmp_path_factory.mktemp("site-demo")
    db = tmp / "results.db"
    demo = harness(["demo", "--db", str(db), "--country", ",".join(DEMO_COUNTRIES),
                    "--app", ",".join(DEMO_APPS), "--workers", "2",
                    "--report", str(tmp / "run.html")], tmp, timeout=300)
    assert demo.returncode == 0, demo.stderr[-2000:]
    site = tmp / "site"
    report = harness(["report", "--db", str(db), "--include-simulated", "--data",
                      str(DATA_FIXTURE), "--out", f"{site}/"], tmp, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    return DemoSite(db, site, report.stdout)
