"""Monthly count series from a user's file: reading, month parsing, row-naming errors.

Both ``harness trends import`` (download counts) and ``harness trends fit --data`` (any
monthly count series) read files here. A file is CSV (``.csv``, ``.tsv``, ``.txt``),
Parquet (``.parquet``, ``.pq``) or an Excel sheet (``.xlsx``, first sheet). Every error
names the file, the row as the user sees it (the line of a CSV file, counting the header
as line 1; the 1-based row of a Parquet or Excel file), the column and the fix.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from harness.support.errors import ConfigError, ConfigErrors, display_path

#: The most row errors reported at once; the rest are counted.
MAX_ERRORS = 12

_MONTH_NAMES = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ISO_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[T ].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})$")
_NAMED = re.compile(r"^([A-Za-z]{3,9})[ -]?(\d{4})$")
_MONTH_HINT = "Use YYYY-MM (2017-06), YYYY-MM-DD (2017-06-01), YYYYMM or 'Jun 2017'"


def read_frame(path: Path) -> pd.DataFrame:
    """The file as a frame of its columns, every value as read (strings for CSV)."""
    where = display_path(path)
    if not path.is_file():
        raise ConfigError(where, None, "no such file" if not path.exists() else "not a file",
                          "Give the path of a CSV, Parquet or XLSX file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            return _with_lines(df, path, ",")
        if suffix == ".tsv":
            return _with_lines(pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False),
                               path, "\t")
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix == ".xlsx":
            return pd.read_excel(path, dtype=object)
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        raise ConfigError(where, None, f"cannot read this file: {exc}",
                          "Check that it is a valid CSV (UTF-8), Parquet or XLSX file"
                          ) from None
    raise ConfigError(where, None, f"cannot read {suffix or 'extension-less'} files",
                      "Give a .csv, .tsv, .parquet or .xlsx file")


def _with_lines(df: pd.DataFrame, path: Path, sep: str) -> pd.DataFrame:
    """``df`` with the line each row starts on (``df.attrs["lines"]``): blank lines and
    quoted line breaks inside a cell make it other than the row's index + 2."""
    counted = [0]

    def lines() -> Iterator[str]:  # ended by \n, \r\n or \r, as pandas reads them
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line in fh:
                counted[0] += 1
                yield line

    starts: list[int] = []
    try:
        reader = csv.reader(lines(), delimiter=sep, skipinitialspace=sep == ",")
        start = 1
        for record in reader:
            if record and not (len(record) == 1 and not record[0].strip()):
                starts.append(start)
            start = counted[0] + 1
    except (csv.Error, UnicodeDecodeError, OSError):
        return df
    if len(starts) == len(df) + 1:  # the reading agrees with the frame's: keep it
        df.attrs["lines"] = starts[1:]
    return df


def row_label(path: Path, index: int, lines: Sequence[int] | None = None) -> str:
    """Where row ``index`` (0-based, in file order) is, as the user would look for it:
    its line in a text file (``lines``: each row's line, when it is not index + 2)."""
    where = display_path(path)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        line = lines[index] if lines is not None and index < len(lines) else index + 2
        return f"{where}:{line}"
    return f"{where} (row {index + 1})"


class RowErrors:
    """Row errors collected in one pass, raised together (at most ``MAX_ERRORS`` shown)."""

    def __init__(self, path: Path, lines: Sequence[int] | None = None) -> None:
        self.path = path
        self.lines = lines
        self.errors: list[ConfigError] = []
        self.more = 0

    def add(self, index: int | None, field: str | None, problem: str,
            fix: str | None = None) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.more += 1
            return
        where = (display_path(self.path) if index is None
                 else row_label(self.path, index, self.lines))
        self.errors.append(ConfigError(where, field, problem, fix))

    def row(self, index: int) -> str:
        """Where row ``index`` is (``file:line``)."""
        return row_label(self.path, index, self.lines)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        if self.more:
            self.errors.append(ConfigError(display_path(self.path), None,
                                           f"and {self.more} more rows with problems",
                                           "Fix the ones above and run again"))
        raise ConfigErrors(self.errors)


def missing(value: object) -> bool:
    """An empty cell: None, NaN, NaT or a blank string."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def parse_month(value: object) -> str | None:
    """``YYYY-MM`` of a cell, or None when it is not a month this module reads."""
    if isinstance(value, datetime | date | pd.Timestamp):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, pd.Period):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    m = _ISO_MONTH.match(text) or _COMPACT.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        n = _NAMED.match(text)
        if not n or n.group(1)[:3].lower() not in _MONTH_NAMES:
            return None
        year, month = int(n.group(2)), _MONTH_NAMES[n.group(1)[:3].lower()]
    if not 1 <= month <= 12 or not 1000 <= year <= 9999:
        return None
    return f"{year:04d}-{month:02d}"


def parse_month_of_year(value: object) -> int | None:
    """1-12 from a number or an English month name (``Jun``, ``June``)."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return _MONTH_NAMES.get(text[:3].lower()) if len(text) >= 3 else None
    return int(number) if number.is_integer() and 1 <= number <= 12 else None


def months_column(df: pd.DataFrame, path: Path, errors: RowErrors, date_col: str | None,
                  year_col: str | None, month_col: str | None) -> list[str | None]:
    """The ``YYYY-MM`` of every row, from one date column or a year and a month column."""
    out: list[str | None] = []
    if date_col is not None:
        for i, value in enumerate(df[date_col].tolist()):
            month = None if missing(value) else parse_month(value)
            if month is None:
                errors.add(i, date_col, f"{value!r} is not a month", _MONTH_HINT)
            out.append(month)
        return out
    assert year_col is not None and month_col is not None
    for i, (y, m) in enumerate(zip(df[year_col].tolist(), df[month_col].tolist(),
                                   strict=True)):
        year = None if missing(y) else parse_month(f"{str(y).strip().split('.')[0]}-01")
        moy = None if missing(m) else parse_month_of_year(m)
        if year is None:
            errors.add(i, year_col, f"{y!r} is not a year", "Use a four-digit year")
        if moy is None:
            errors.add(i, month_col, f"{m!r} is not a month of the year",
                       "Use 1-12 or a month name (Jun, June)")
        out.append(None if year is None or moy is None else f"{year[:4]}-{moy:02d}")
    return out


def numbers_column(df: pd.DataFrame, errors: RowErrors, column: str, what: str,
                   required: bool = True, positive: bool = False) -> list[float | None]:
    """A column of non-negative finite numbers (``positive``: above zero)."""
    out: list[float | None] = []
    for i, value in enumerate(df[column].tolist()):
        if missing(value):
            if required:
                errors.add(i, column, f"the {what} is empty",
                           "Give a number (0 if the source reports zero)")
            out.append(None)
            continue
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError:
            errors.add(i, column, f"{value!r} is not a number", f"Give the {what} as a number")
            out.append(None)
            continue
        if not math.isfinite(number) or number < 0 or (positive and number == 0):
            need = "above zero" if positive else "zero or more"
            errors.add(i, column, f"the {what} {value!r} is not {need}",
                       f"A {what} must be a finite number {need}")
            out.append(None)
            continue
        out.append(number)
    return out


def require_columns(df: pd.DataFrame, path: Path, wanted: Sequence[tuple[str, str]]) -> None:
    """Every ``(column, option)`` named is in the file, or one error listing the columns."""
    have = [str(c) for c in df.columns]
    errors = [ConfigError(display_path(path), option,
                          f"the file has no column {column!r}",
                          f"Columns in this file: {', '.join(have) or '(none)'}; pass the "
                          f"right name with {option}")
              for column, option in wanted if column not in have]
    if errors:
        raise ConfigErrors(errors)


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    periods = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    return [str(p) for p in periods]


def gaps(months: Sequence[str]) -> list[str]:
    """The months missing between the first and last of ``months``."""
    if not months:
        return []
    have = set(months)
    return [m for m in month_range(min(have), max(have)) if m not in have]


__all__ = [
    "MAX_ERRORS",
    "RowErrors",
    "gaps",
    "missing",
    "month_range",
    "months_column",
    "numbers_column",
    "parse_month",
    "parse_month_of_year",
    "read_frame",
    "require_columns",
    "row_label",
]
