"""Each export format read back equals the tables; every exported column is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from harness.analysis import FORMATS, SCHEMAS, TABLE_NAMES, Analysis, Filters, read_table
from harness.analysis.formats import (
    MANIFEST_FILE,
    XLSX_FILE,
    parse_formats,
    parse_tables,
    write_export,
)
from harness.support.errors import ConfigError

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


@pytest.fixture(scope="module")
def exported(db_path: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("export")
    with Analysis(db_path, Filters(include_simulated=True)) as a:
        write_export(a, out, FORMATS, chunk_rows=7)  # several chunks per table
        tables = a.tables()
        tables["measurements"] = a.measurements()
    return out, tables


def _path(out: Path, table: str, fmt: str) -> Path:
    return out / (XLSX_FILE if fmt == "xlsx" else f"{table}.{fmt}")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLE_NAMES)
def test_round_trip(exported: tuple[Path, dict[str, pd.DataFrame]], table: str,
                    fmt: str) -> None:
    out, tables = exported
    expected = tables[table]
    got = read_table(_path(out, table, fmt), table)
    if fmt == "xlsx":  # Excel keeps milliseconds and no time zone (written as UTC)
        for name in expected.columns:
            if isinstance(expected[name].dtype, pd.DatetimeTZDtype):
                expected = expected.assign(**{name: expected[name].dt.round("ms")})
                got = got.assign(**{name: got[name].dt.round("ms")})
    assert len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_csv_is_plain_and_masks_secrets(exported: tuple[Path, dict[str, pd.DataFrame]]
                                        ) -> None:
    out, _ = exported
    text = (out / "measurements.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header.startswith('"measurement_id","run_id"')
    assert "phone_hash" not in header and "egress_ip_hash" not in header
    assert "capabilities" not in header and "proxy_masked" not in header
    for blob in [p.read_bytes() for p in out.iterdir()]:
        for secret in (b"12345678", b"203.0.113.7", b"secret-hash-value", b"iphash-secret",
                       b"proxy.example"):
            assert secret not in blob
    assert "2024-03-01 08:00:00.000000Z" in text


def test_manifest_records_selection_and_definitions(
        exported: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    out, tables = exported
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["filters"]["include_simulated"] is True
    assert manifest["definitions"]["confirmation_min_attempts"] == 3
    assert "feature_restricted" in manifest["definitions"]["rnr_barriers"]
    assert manifest["tables"] == {t: len(df) for t, df in tables.items()}
    assert manifest["rows_in_scope_by_status"]["running"] == 1


def test_every_exported_column_is_in_the_data_dictionary(
        exported: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    text = DICTIONARY.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `(\w+)`\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    assert set(TABLE_NAMES) <= set(sections), "every table needs a `## `name`` section"
    _, tables = exported
    for table in TABLE_NAMES:
        documented = set(re.findall(r"^\| `([^`]+)` \|", sections[table], re.M))
        columns = [c for c, _ in SCHEMAS[table]]
        if table == "barrier_matrix_wide":
            assert "XX" in documented
        missing = [c for c in columns if c not in documented]
        assert not missing, f"{table}: {missing} not in docs/data-dictionary.md"
        extra = set(tables[table].columns) - set(columns)
        if table == "barrier_matrix_wide":
            assert all(re.fullmatch(r"[A-Z]{2}", c) for c in extra)
        else:
            assert not extra, f"{table}: undeclared columns {extra}"


def test_bad_format_and_table_names() -> None:
    assert parse_formats(None) == ("csv",)
    assert parse_formats(["csv,parquet", "xlsx"]) == ("csv", "parquet", "xlsx")
    assert parse_formats("all") == FORMATS
    with pytest.raises(ConfigError, match=re.escape(
            "'xls' is not an export format. Valid formats: csv, jsonl, parquet, xlsx")):
        parse_formats("csv,xls")
    assert parse_tables("funnel,by_region") == ("by_region", "funnel")
    with pytest.raises(ConfigError, match="'regions' is not a table"):
        parse_tables("regions")


def test_xlsx_refuses_more_rows_than_a_sheet(db_path: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.analysis.formats as formats

    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 5)
    with Analysis(db_path) as a, pytest.raises(ConfigError, match="more than an Excel"):
        write_export(a, tmp_path, ("xlsx",))
    assert not (tmp_path / XLSX_FILE).exists()


def test_generic_driver_path_matches_the_sqlite_fast_path(db_path: Path) -> None:
    from harness.analysis import queries as q
    from harness.analysis.frames import measurement_batch

    with Analysis(db_path) as a, a.store.engine.connect() as conn:
        stmt = q.measurements_select(a.filters, a.runs)
        result = conn.execute(stmt)
        raw = [tuple(r) for r in result.cursor.fetchall()]
    fast = measurement_batch(raw, sqlite_raw=True)
    generic = measurement_batch(raw, sqlite_raw=False)
    assert fast.equals(generic)
    assert measurement_batch([], sqlite_raw=True).num_rows == 0


def test_jsonl_escapes_every_string(tmp_path: Path) -> None:
    import pyarrow as pa

    from harness.analysis.formats import _JsonlSink

    values = ['quote " and \\ backslash', "line\nbreak\ttab", "bell\x07", "中文 😀", "", None]
    sink = _JsonlSink(tmp_path / "t.jsonl")
    sink.write(pa.table({"s": pa.array(values, pa.string()),
                         "f": pa.array([1.5, float("nan"), None, 0.1, -2.0, 3.0])}))
    sink.close()
    lines = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    back = [json.loads(line) for line in lines]
    assert [b["s"] for b in back] == values
    assert [b["f"] for b in back] == [1.5, None, None, 0.1, -2.0, 3.0]
