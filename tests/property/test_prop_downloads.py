"""Download files (``harness trends import``) and monthly series (``harness trends fit
--data``): any CSV is read or every error names the file's line and the column."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from _parsing import Rejected, check_errors, parse
from hypothesis import given
from hypothesis import strategies as st

from harness.analysis.trends.downloads import ImportedFile, parse_mapping, read_downloads
from harness.analysis.trends.fitting import SeriesColumns, load_series
from harness.spec.catalog import default_catalog
from harness.support.errors import ConfigError

CATALOG = default_catalog()
APPS = [a.id for a in CATALOG.apps] + [CATALOG.apps[0].android_package, "WeChat", "nope", ""]
HEADER = ["app", "month", "country", "store", "downloads"]


def cells() -> st.SearchStrategy[str]:
    """A cell as a vendor's file may have it: mostly right, sometimes anything."""
    return st.one_of(st.text(max_size=8), st.sampled_from(
        ["", " ", "-1", "1,000", "1e400", "nan", "inf", "0", "12.5", "2017-13", "2017-06",
         "Jun 2017", "201706", "US", "ww", "XX", "play", '"', "\n", "9999-12", "1000-01"]))


@st.composite
def download_rows(draw: st.DrawFn) -> list[list[str]]:
    months = [f"{2016 + i // 12}-{i % 12 + 1:02d}" for i in range(draw(st.integers(1, 14)))]
    rows = [[draw(st.sampled_from(APPS[:3])), m, "US", "play", str(draw(st.integers(0, 10**7)))]
            for m in months]
    for _ in range(draw(st.integers(0, 3))):  # a few cells replaced by anything
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(HEADER) - 1))
        rows[r][c] = draw(cells())
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], blank_after: set[int]
              ) -> list[range]:
    """Write the file; return the lines of each row (a header is line 1; a line ends at
    \\n, \\r\\n or \\r, as pandas reads it; blank lines are written after the rows
    in ``blank_after``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)

    def line() -> int:
        return len(re.findall(r"\r\n|\r|\n", out.getvalue())) + 1

    spans = []
    for i, row in enumerate(rows):
        start = line()
        writer.writerow(row)
        spans.append(range(start, line()))
        if i in blank_after:
            out.write("\n")
    path.write_text(out.getvalue(), encoding="utf-8")
    return spans


@given(rows=download_rows(), blank_after=st.sets(st.integers(0, 14), max_size=3),
       allow_gaps=st.booleans(), allow_unknown=st.booleans())
def test_any_download_file_imports_or_names_the_line(tmp_path: Path, rows: list[list[str]],
                                                     blank_after: set[int], allow_gaps: bool,
                                                     allow_unknown: bool) -> None:
    path = tmp_path / "downloads.csv"
    spans = write_csv(path, HEADER, rows, blank_after)
    got = parse(lambda p: read_downloads(p, CATALOG, allow_unknown=allow_unknown,
                                         allow_gaps=allow_gaps), path)
    if not isinstance(got, Rejected):
        assert isinstance(got, ImportedFile) and got.rows
        return
    check_errors(got, [path], need_line=False)
    for e in got:
        line = e.location.rsplit(":", 1)[-1]
        if e.field in HEADER and line.isdigit():  # a row's error: at a line of that row
            assert any(int(line) in span for span in spans), (e.location, spans, str(e))


@given(header=st.lists(st.sampled_from([*HEADER, "Date", "Downloads (est.)", "year",
                                        "month_of_year", ""]), min_size=1, max_size=6),
       rows=st.lists(st.lists(cells(), min_size=1, max_size=6), max_size=6),
       mapping=st.lists(st.sampled_from(["month=Date", "downloads=Downloads (est.)", "app=app",
                                         "year=year", "month_of_year=month_of_year"]),
                        max_size=2))
def test_any_table_with_any_mapping_imports_or_is_an_error(tmp_path: Path, header: list[str],
                                                           rows: list[list[str]],
                                                           mapping: list[str]) -> None:
    path = tmp_path / "vendor.csv"
    write_csv(path, header, rows, set())
    got = parse(lambda p: read_downloads(p, CATALOG, parse_mapping(mapping),
                                         allow_unknown=True, allow_gaps=True), path)
    if isinstance(got, Rejected):
        check_errors(got, [path], need_line=False)


@given(items=st.lists(st.text(max_size=15), max_size=4))
def test_any_map_option_is_a_mapping_or_names_the_option(items: list[str]) -> None:
    try:
        got = parse_mapping(items)
    except ConfigError as exc:
        assert exc.location == "--map" and "Traceback" not in str(exc)
        return
    assert all(k and v for k, v in got.items())


@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".tsv", ".parquet",
                                                              ".xlsx", ".txt", ".json"]))
def test_any_bytes_as_a_series_file_are_read_or_one_error(tmp_path: Path, data: bytes,
                                                          suffix: str) -> None:
    path = tmp_path / f"series{suffix}"
    path.write_bytes(data)
    got = parse(lambda p: load_series(p, SeriesColumns(count="count", date="month")), path)
    if isinstance(got, Rejected):
        check_errors(got, [path], need_line=False)
