"""Writing (and reading back) the analyst tables as CSV, JSON Lines, Parquet and XLSX.

One file per table for CSV (``<table>.csv``), JSON Lines (``<table>.jsonl``) and Parquet
(``<table>.parquet``); one workbook ``export.xlsx`` with a sheet per table and an
``about`` sheet. Beside them, ``manifest.json`` records what was exported: the selection,
the definitions in force, the row counts and the files.

Conventions, the same in every format: timestamps are UTC (CSV and JSON Lines write ISO
8601 with a ``Z``; Parquet stores ``timestamp[us, UTC]``; XLSX has no time zones, so it
holds UTC wall-clock times); booleans are ``True``/``False`` in CSV and ``true``/``false``
in JSON; a missing value is an empty CSV field, JSON ``null``, a Parquet null or an empty
cell. The measurements table is written in chunks, so memory stays bounded.
"""

from __future__ import annotations

import csv
import json
import math
import queue
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from harness import __version__
from harness.analysis.definitions import (
    BARRIER_CASES,
    DOMESTIC_COUNTRIES,
    FORMATS,
    RNR_BARRIERS,
    TABLE_NAMES,
    Z_95,
)
from harness.analysis.frames import ARROW_TYPES, arrow_to_pandas, pandas_to_arrow, typed_frame
from harness.analysis.schemas import SCHEMAS, Kind
from harness.analysis.tables import Analysis
from harness.support.errors import ConfigError
from harness.support.secrets import mask_url
from harness.vocabulary.outcomes import DATA_FORMAT_VERSION

#: Rows an XLSX sheet can hold below its header row (Excel's limit is 1,048,576).
XLSX_MAX_ROWS = 1_048_575
#: Characters an XLSX cell can hold.
XLSX_MAX_CELL = 32_767
XLSX_FILE = "export.xlsx"
MANIFEST_FILE = "manifest.json"
_ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

def parse_formats(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"csv,parquet"`` (or a list of such) -> ``("csv", "parquet")``; ``all`` -> every
    format; unknown names raise ``ConfigError`` listing the valid ones."""
    if text is None:
        return ("csv",)
    parts = [text] if isinstance(text, str) else list(text)
    names = [p.strip().lower() for chunk in parts for p in chunk.split(",") if p.strip()]
    if names == ["all"]:
        return FORMATS
    for name in names:
        if name not in FORMATS:
            raise ConfigError(f"--format={','.join(names)}", None,
                              f"{name!r} is not an export format",
                              f"Valid formats: {', '.join(FORMATS)} (or all)",
                              "--format csv,parquet")
    return tuple(dict.fromkeys(names)) or ("csv",)


def parse_tables(text: str | None) -> tuple[str, ...]:
    """``"by_region,funnel"`` -> those tables; ``None``/``all`` -> every table."""
    if text is None or text.strip().lower() == "all":
        return TABLE_NAMES
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    for name in names:
        if name not in TABLE_NAMES:
            raise ConfigError(f"--tables={text}", None, f"{name!r} is not a table",
                              f"Valid tables: {', '.join(TABLE_NAMES)} (or all)",
                              "--tables barrier_matrix,by_region")
    return tuple(n for n in TABLE_NAMES if n in names)


def _columns(table: str, names: Sequence[str]) -> list[tuple[str, Kind]]:
    known = dict(SCHEMAS[table])
    return [(str(c), known.get(str(c), "str")) for c in names]


class _Sink(Protocol):
    def write(self, batch: pa.Table) -> None: ...

    def close(self) -> None: ...


class _CsvSink:
    """RFC 4180 CSV through Arrow: a header row, strings quoted, a null is an empty field
    and an empty string is ``""``; timestamps ``YYYY-MM-DD HH:MM:SS.ffffffZ`` (UTC)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pacsv.CSVWriter | None = None

    def write(self, batch: pa.Table) -> None:
        if self.writer is None:
            self.writer = pacsv.CSVWriter(self.path, batch.schema, write_options=(
                pacsv.WriteOptions(quoting_style="needed")))
        self.writer.write_table(batch)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'))
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
_CONTROL = r"[\x00-\x1f]"


def _json_values(array: pa.Array, encode: bool = True) -> pa.Array:
    """Each value of ``array`` as JSON text (``null`` for missing), computed by Arrow."""
    t = array.type
    if pa.types.is_timestamp(t):
        # Arrow's cast writes '2024-03-01 08:00:00.000000Z' (much faster than strftime)
        iso = pc.replace_substring(array.cast(pa.timestamp("us", tz="UTC")).cast(pa.string()),
                                   " ", "T", max_replacements=1)
        text = pc.binary_join_element_wise('"', iso, '"', "")
    elif pa.types.is_boolean(t) or pa.types.is_integer(t):
        text = array.cast(pa.string())
    elif pa.types.is_floating(t):
        finite = pc.is_finite(array)
        text = pc.if_else(finite, array.cast(pa.string()), pa.scalar(None, pa.string()))
    elif encode and len(array) > 64:
        # values repeat (countries, statuses, rule texts): encode each distinct one once
        encoded = array.cast(pa.string()).dictionary_encode()
        values = _json_values(encoded.dictionary, encode=False)
        return pc.fill_null(pc.take(values, encoded.indices), "null")
    else:
        text = array.cast(pa.string())
        if pc.any(pc.match_substring_regex(text, _NEEDS_ESCAPE)).as_py():
            if pc.any(pc.match_substring_regex(text, _CONTROL)).as_py():
                return pa.array([None if v is None else json.dumps(v, ensure_ascii=False)
                                 for v in text.to_pylist()], pa.string()).fill_null("null")
            for old, new in _JSON_ESCAPES:
                text = pc.replace_substring(text, old, new)
        text = pc.binary_join_element_wise('"', text, '"', "")
    return pc.fill_null(text, "null")


class _JsonlSink:
    """One JSON object per line, keys in column order; timestamps
    ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"``, missing values ``null``. Built column-wise by Arrow
    and written straight from Arrow's buffer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("wb")

    def write(self, batch: pa.Table) -> None:
        if batch.num_rows == 0:
            return
        parts: list[pa.Array | str] = []
        for i, name in enumerate(batch.schema.names):
            key = ("{" if i == 0 else ",") + json.dumps(name, ensure_ascii=False) + ":"
            parts.extend([key, _json_values(batch.column(i).combine_chunks())])
        lines = pc.binary_join_element_wise(*parts, "}\n", "")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        _, offsets, data = lines.buffers()
        bounds = memoryview(offsets).cast("i")
        start, end = bounds[lines.offset], bounds[lines.offset + len(lines)]
        self.fh.write(memoryview(data)[start:end])

    def close(self) -> None:
        self.fh.close()


class _ParquetSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, batch: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, batch.schema, compression="zstd")
        self.writer.write_table(batch)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _xlsx_clean(value: object) -> object:
    if isinstance(value, str):
        value = _ILLEGAL_XLSX.sub("", value)
        if len(value) > XLSX_MAX_CELL:
            value = value[:XLSX_MAX_CELL - 1] + "…"
    return value


class _XlsxBook:
    """An openpyxl write-only workbook: rows stream to disk, one sheet per table."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)

    def sheet(self, name: str) -> _XlsxSheet:
        return _XlsxSheet(self.book.create_sheet(title=name[:31]))

    def close(self) -> None:
        self.book.save(self.path)


class _XlsxSheet:
    """Timestamps become UTC wall-clock times (Excel has no time zones, and keeps
    milliseconds); text is cut at Excel's 32,767 characters per cell."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.header = False
        self.rows = 0

    def write(self, batch: pa.Table) -> None:
        if not self.header:
            self.ws.append(list(batch.schema.names))
            self.header = True
        self.rows += batch.num_rows
        if self.rows > XLSX_MAX_ROWS:
            raise ConfigError("--format=xlsx", None,
                              f"the table has more than {XLSX_MAX_ROWS:,} rows, more than an "
                              "Excel sheet holds",
                              "Use --format parquet or csv for it, or narrow the selection "
                              "with --since, --run, --country or --app")
        df = arrow_to_pandas(batch)
        text_cols = []
        for i, name in enumerate(df.columns):
            col = df[name]
            if isinstance(col.dtype, pd.DatetimeTZDtype):
                df[name] = col.dt.tz_convert("UTC").dt.tz_localize(None)
            elif pd.api.types.is_string_dtype(col.dtype):
                text_cols.append(i)
        values = df.astype(object).where(df.notna(), None)
        for row in values.itertuples(index=False, name=None):
            cells = list(row)
            for i in text_cols:
                cells[i] = _xlsx_clean(cells[i])
            self.ws.append(cells)

    def close(self) -> None:
        pass


@dataclass
class ExportResult:
    """What ``write_export`` produced: files in order, rows per table, the manifest."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


def _sinks(table: str, out_dir: Path, formats: Sequence[str], book: _XlsxBook | None
           ) -> tuple[list[_Sink], list[Path]]:
    sinks: list[_Sink] = []
    files: list[Path] = []
    for fmt in formats:
        if fmt == "csv":
            sinks.append(_CsvSink(out_dir / f"{table}.csv"))
            files.append(out_dir / f"{table}.csv")
        elif fmt == "jsonl":
            sinks.append(_JsonlSink(out_dir / f"{table}.jsonl"))
            files.append(out_dir / f"{table}.jsonl")
        elif fmt == "parquet":
            sinks.append(_ParquetSink(out_dir / f"{table}.parquet"))
            files.append(out_dir / f"{table}.parquet")
        elif fmt == "xlsx" and book is not None:
            sinks.append(book.sheet(table))
    return sinks, files


def _check_xlsx_fits(analysis: Analysis, formats: Sequence[str], tables: Sequence[str]
                     ) -> None:
    """Raise ``ConfigError`` if XLSX is asked for and measurements outgrow an Excel sheet."""
    if "xlsx" in formats and "measurements" in tables:
        n = analysis.count_measurements()
        if n > XLSX_MAX_ROWS:
            raise ConfigError("--format=xlsx", None,
                              f"the measurements table has {n:,} rows, more than an Excel "
                              f"sheet holds ({XLSX_MAX_ROWS:,})",
                              "Use --format parquet or csv for it, narrow the selection "
                              "(--since, --run, --country, --app), or leave it out with "
                              "--tables barrier_matrix,by_region,by_app,funnel,summary,changes")


def _stream_measurements(analysis: Analysis, sinks: list[_Sink], chunk_rows: int) -> int:
    """Write the measurements table to ``sinks`` batch by batch; return its row count."""
    # reading (Python-bound) and formatting (Arrow, which releases the GIL) overlap:
    # a writer thread drains a short queue of batches
    rows = 0
    batches: queue.Queue[pa.Table | None] = queue.Queue(maxsize=2)

    def drain() -> None:
        try:
            while (batch := batches.get()) is not None:
                for sink in sinks:
                    sink.write(batch)
        finally:
            for sink in sinks:
                sink.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-write") as w:
        writing = w.submit(drain)
        try:
            for batch in analysis.iter_measurement_batches(chunk_rows):
                rows += batch.num_rows
                while True:
                    try:
                        batches.put(batch, timeout=0.5)
                        break
                    except queue.Full:
                        if writing.done():  # the writer failed: stop reading
                            writing.result()
        finally:
            while True:
                try:
                    batches.put(None, timeout=0.5)
                    break
                except queue.Full:
                    if writing.done():
                        break
        writing.result()
    return rows


def _write_measurements_and_aggregate(
        analysis: Analysis, out_dir: Path, formats: Sequence[str], tables: Sequence[str],
        book: _XlsxBook | None, chunk_rows: int, progress: Callable[[str], None] | None,
        result: ExportResult) -> dict[str, pd.DataFrame]:
    """Stream measurements (if asked for) while computing the aggregates; return those."""
    # The measurements stream (its own connection; Python-bound) runs beside the
    # aggregates (database-bound), so the two overlap on two cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-measurements") as pool:
        streaming = None
        if "measurements" in tables:
            if progress:
                progress("measurements")
            sinks, files = _sinks("measurements", out_dir, formats, book)
            result.files.extend(files)
            streaming = pool.submit(_stream_measurements, analysis, sinks, chunk_rows)
        rest = [t for t in tables if t != "measurements"]
        aggregated = analysis.tables() if rest else {}
        if streaming is not None:
            result.rows["measurements"] = streaming.result()
    return aggregated


def _write_aggregate(table: str, aggregated: dict[str, pd.DataFrame], out_dir: Path,
                     formats: Sequence[str], book: _XlsxBook | None, result: ExportResult
                     ) -> None:
    """Write one aggregate table to each format's sink, noting its rows and files."""
    sinks, files = _sinks(table, out_dir, formats, book)
    df = aggregated[table]
    batch = pandas_to_arrow(df, _columns(table, list(df.columns)))
    try:
        for sink in sinks:
            sink.write(batch)
    finally:
        for sink in sinks:
            sink.close()
    result.rows[table] = len(df)
    result.files.extend(files)


def _close_book(book: _XlsxBook, manifest_data: dict[str, Any]) -> None:
    """Add the ``about`` sheet (the flattened manifest) and save the workbook."""
    flat = _flat(manifest_data)
    about = book.sheet("about")
    about.write(pa.table({"key": list(flat), "value": list(flat.values())}))
    book.close()


def _write_manifest(out_dir: Path, manifest_data: dict[str, Any]) -> Path:
    """Write ``manifest.json`` under ``out_dir`` and return its path."""
    path = out_dir / MANIFEST_FILE
    path.write_text(json.dumps(manifest_data, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def write_export(analysis: Analysis, out_dir: Path, formats: Sequence[str] = ("csv",),
                 tables: Sequence[str] = TABLE_NAMES, chunk_rows: int = 25_000,
                 progress: Callable[[str], None] | None = None) -> ExportResult:
    """Write ``tables`` of ``analysis`` in ``formats`` under ``out_dir`` (created).

    Raises ``ConfigError`` before writing anything if XLSX is asked for and the
    measurements table is longer than an Excel sheet.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ExportResult(out_dir)
    _check_xlsx_fits(analysis, formats, tables)
    book = _XlsxBook(out_dir / XLSX_FILE) if "xlsx" in formats else None
    aggregated = _write_measurements_and_aggregate(analysis, out_dir, formats, tables, book,
                                                   chunk_rows, progress, result)
    for table in [t for t in tables if t != "measurements"]:
        if progress:
            progress(table)
        _write_aggregate(table, aggregated, out_dir, formats, book, result)
    result.manifest = manifest(analysis, result.rows, formats)
    if book is not None:
        _close_book(book, result.manifest)
        result.files.append(out_dir / XLSX_FILE)
    result.files.append(_write_manifest(out_dir, result.manifest))
    return result


def manifest(analysis: Analysis, rows: dict[str, int], formats: Sequence[str]
             ) -> dict[str, Any]:
    """What an export holds and under which definitions, as JSON-able values."""
    counts = analysis.status_counts()
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "harness_version": __version__,
        "data_format_version": DATA_FORMAT_VERSION,
        "database": mask_url(str(analysis.store.engine.url)),
        "filters": analysis.filters.describe(),
        "resolved_runs": list(analysis.runs),
        "verdicts": {
            "mode": "as_measured" if analysis.filters.as_measured else "latest",
            "attempts_reclassified": analysis.reclassified_count(),
        },
        "definitions": {
            "rnr_barriers": list(RNR_BARRIERS),
            "barrier_cases": dict(BARRIER_CASES),
            "confirmation_min_attempts": analysis.confirmation.min_attempts,
            "confirmation_min_hours": analysis.confirmation.min_hours,
            "domestic_countries_excluded_from_rates": list(DOMESTIC_COUNTRIES),
            "wilson_z": Z_95,
            "documentation": "docs/analysis.md, docs/data-dictionary.md",
        },
        "rows_in_scope_by_status": {k: v for k, v in counts.items()
                                    if k != "simulated_excluded"},
        "simulated_rows_excluded": counts["simulated_excluded"],
        "formats": list(formats),
        "tables": rows,
    }


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = json.dumps(value, ensure_ascii=False) if isinstance(
                value, list | bool | None) else str(value)
    return out


# --------------------------------------------------------------------------- reading back

def _bool_from_text(series: pd.Series) -> pd.Series:
    mapping = {"true": True, "false": False, "1": True, "0": False}
    return series.map(lambda v: mapping.get(str(v).strip().lower())
                      if isinstance(v, str) else (None if v is None or (
                          isinstance(v, float) and math.isnan(v)) else bool(v)))


def read_table(path: Path | str, table: str) -> pd.DataFrame:
    """Read an exported table back into the exact dtypes of ``harness.analysis.tables``.

    ``path`` (a ``Path`` or a string) is a ``.csv``, ``.jsonl``, ``.parquet`` file or the
    ``export.xlsx`` workbook (the sheet is ``table``). Use it to load an export in a
    notebook without losing types. An unknown table or a missing file raises
    ``ConfigError``.
    """
    path = Path(path)
    if table not in SCHEMAS:
        raise ConfigError(f"read_table({str(path)!r}, {table!r})", "table",
                          f"no table named {table!r}", "Known tables: " + ", ".join(SCHEMAS))
    if not path.is_file():
        raise ConfigError(str(path), None, "no such file", "Give a file written by "
                          "`harness export`, e.g. exports/barrier_matrix.csv")
    kinds = dict(SCHEMAS[table])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header = path.open(encoding="utf-8").readline()
        names = next(iter(csv.reader([header])), [])
        types = {n: ARROW_TYPES[k] for n, k in _columns(table, names)}
        df = arrow_to_pandas(pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False)))
    elif suffix == ".jsonl":
        if path.stat().st_size == 0:
            return typed_frame(None, SCHEMAS[table])
        df = pd.read_json(path, lines=True, dtype=False)
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix == ".xlsx":
        df = pd.read_excel(path, sheet_name=table[:31], dtype=object)
        for name in df.columns:
            if kinds.get(str(name)) == "datetime":
                df[name] = pd.to_datetime(df[name]).dt.tz_localize("UTC")
    else:
        raise ConfigError(str(path), None, f"cannot read {suffix or 'this'} files",
                          f"Give a file written by `harness export` ({', '.join(FORMATS)})")
    for name in df.columns:
        if kinds.get(str(name)) == "bool" and not pd.api.types.is_bool_dtype(df[name]):
            df[name] = _bool_from_text(df[name].astype(object))
    extra: Kind | None = "str" if table == "barrier_matrix_wide" else None
    return typed_frame(df, SCHEMAS[table], extra=extra)
