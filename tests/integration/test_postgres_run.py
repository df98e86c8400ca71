"""A whole run on PostgreSQL, as a farm stores it: ``harness demo``, ``harness export``,
``harness report`` and ``harness runs`` against a real server started by
tests/postgres/with_postgres.sh; the same measurements as on SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli import harness
from databases import postgres_database
from sqlalchemy import create_engine, text

COUNTRIES = "DE,FR,JP"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def verdicts_pg(url: str) -> list[tuple[str, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT scenario_id, country, status, coalesce(barrier, ''), "
                "coalesce(rule_id, '') FROM measurements")).all()
    finally:
        engine.dispose()
    return sorted(tuple(r) for r in rows)


def test_a_demo_run_on_postgresql_stores_what_sqlite_stores(pg_url: str,
                                                            tmp_path: Path) -> None:
    art = tmp_path / "artifacts"
    common = ["--country", COUNTRIES, "--report", str(tmp_path / "demo.html")]
    done = harness(["demo", "--db", pg_url, "--artifacts", str(art), *common], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "21 measurements stored in postgresql+psycopg://***@" in done.stdout
    lite = tmp_path / "lite.db"
    done = harness(["demo", "--db", str(lite), *common], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(lite) as conn:
        expected = sorted(conn.execute(
            "SELECT scenario_id, country, status, coalesce(barrier, ''), "
            "coalesce(rule_id, '') FROM measurements").fetchall())
    assert verdicts_pg(pg_url) == expected and len(expected) == 21

    out = tmp_path / "exports"
    done = harness(["export", "--db", pg_url, "--include-simulated", "--format", "csv",
                    "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "measurements: 21 rows" in done.stdout
    assert (out / "barrier_matrix.csv").read_text("utf-8").count("\n") == 22
    page = tmp_path / "report.html"
    done = harness(["report", "--db", pg_url, "--include-simulated", "--out", str(page)],
                   tmp_path)
    assert done.returncode == 0 and "demo-zhenming" in page.read_text("utf-8")
    done = harness(["runs", "--db", pg_url], tmp_path)
    assert done.returncode == 0 and "completed" in done.stdout
