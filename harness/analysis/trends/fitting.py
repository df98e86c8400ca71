"""The two ways in to the trend models: any monthly count series in a file (``harness
trends fit --data FILE``), or the stored download counts of an affected and a
comparison group (``harness trends fit --group affected --vs comparison``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.trends.did import DidFit, fit_did
from harness.analysis.trends.groups import Groups
from harness.analysis.trends.its import ItsFit, ItsSpec, fit_its
from harness.analysis.trends.series import (
    RowErrors,
    missing,
    months_column,
    numbers_column,
    read_frame,
    require_columns,
)
from harness.storage.downloads import CountRow
from harness.support.errors import ConfigError, display_path


@dataclass(frozen=True)
class SeriesColumns:
    """Which columns of a file hold the month, the count, the exposure and the group."""

    count: str
    date: str | None = None
    year: str | None = None
    month: str | None = None
    exposure: str | None = None
    group: str | None = None

    def check(self) -> None:
        if (self.date is None) == (self.year is None and self.month is None):
            raise ConfigError("trends fit", "--date-col",
                              "give either --date-col, or --year-col and --month-col",
                              "e.g. --date-col month, or --year-col year --month-col month")
        if self.date is None and (self.year is None or self.month is None):
            raise ConfigError("trends fit", "--year-col" if self.year is None
                              else "--month-col", "--year-col and --month-col go together",
                              "Give both")


@dataclass
class Series:
    """One monthly series: months in order and the count (and exposure) of each."""

    label: str
    months: list[str]
    counts: np.ndarray
    exposure: np.ndarray | None


@dataclass
class TrendResult:
    """Everything one ``trends fit`` computed, in the order it is printed."""

    source: dict[str, Any]
    spec: ItsSpec
    series: list[tuple[Series, ItsFit]]
    years: tuple[int, int] | None = None
    groups: Groups | None = None
    did: DidFit | None = None
    warnings: list[str] = field(default_factory=list)


def _frame(path: Path, cols: SeriesColumns) -> tuple[pd.DataFrame, list[str | None]]:
    df = read_frame(path)
    wanted = [(c, opt) for c, opt in ((cols.count, "--count-col"), (cols.date, "--date-col"),
                                      (cols.year, "--year-col"), (cols.month, "--month-col"),
                                      (cols.exposure, "--exposure-col"),
                                      (cols.group, "--group-col")) if c is not None]
    require_columns(df, path, wanted)
    errors = RowErrors(path, df.attrs.get("lines"))
    months = months_column(df, path, errors, cols.date, cols.year, cols.month)
    df["_count"] = pd.Series(numbers_column(df, errors, cols.count, "count"), index=df.index,
                             dtype="float64")
    if cols.exposure:
        df["_exposure"] = pd.Series(numbers_column(df, errors, cols.exposure, "exposure",
                                                   positive=True), index=df.index,
                                    dtype="float64")
    errors.raise_if_any()
    return df, months


def load_series(path: Path, cols: SeriesColumns) -> list[Series]:
    """The file's series: one, or one per value of the group column (in file order)."""
    cols.check()
    df, months = _frame(path, cols)
    df["_month"] = pd.Series(months, index=df.index, dtype="object")
    df["_row"] = range(len(df))
    labels = (["all"] * len(df) if cols.group is None
              else ["(empty)" if missing(v) else str(v) for v in df[cols.group]])
    lines = df.attrs.get("lines")
    df = df.assign(_group=labels)
    errors = RowErrors(path, lines)
    out = []
    for label, part in df.groupby("_group", sort=False):
        dupes = part[part.duplicated("_month", keep="first")]
        row: Any
        for row in dupes.itertuples():
            errors.add(int(row._row), cols.date or cols.month,
                       f"{row._month} appears twice" + (f" in group {label}" if cols.group
                                                        else ""),
                       "Give one row per month" + (" and group" if cols.group else
                                                   ", or name the series with --group-col"))
        part = part.sort_values("_month")
        out.append(Series(str(label), part["_month"].tolist(),
                          part["_count"].to_numpy(dtype=float),
                          part["_exposure"].to_numpy(dtype=float) if cols.exposure else None))
    errors.raise_if_any()
    return out


def fit_file(path: Path, cols: SeriesColumns, spec: ItsSpec,
             years: tuple[int, int] | None = None) -> TrendResult:
    """An interrupted time series for each series of the file."""
    series = load_series(path, cols)
    fits = [(s, fit_its(s.months, s.counts, s.exposure, spec,
                        f"{display_path(path)} ({s.label})" if cols.group else
                        display_path(path))) for s in series]
    source = {"file": display_path(path), "columns": {k: v for k, v in vars(cols).items()
                                                      if v is not None}}
    return TrendResult(source, spec, fits, years)


def app_panel(rows: list[CountRow], apps: set[str]) -> pd.DataFrame:
    """Downloads per app and month (summed over countries and stores) for ``apps``."""
    df = pd.DataFrame([(r.app_id, r.month, r.downloads) for r in rows if r.app_id in apps],
                      columns=["unit", "month", "count"])
    summed: Any = df.groupby(["unit", "month"], as_index=False)["count"].sum()
    return pd.DataFrame(summed)


def _group_total(panel: pd.DataFrame, label: str) -> Series:
    total = panel.groupby("month")["count"].sum().sort_index()
    return Series(label, [str(m) for m in total.index], total.to_numpy(dtype=float), None)


def fit_groups(rows: list[CountRow], groups: Groups, spec: ItsSpec, dataset: dict[str, Any],
               years: tuple[int, int] | None = None, event_bin: int = 12) -> TrendResult:
    """ITS of each group's total and the DiD of the affected apps against the others."""
    have = {r.app_id for r in rows}
    result = TrendResult({"dataset": dataset}, spec, [], years, groups)
    for label, apps in (("affected", groups.affected), ("comparison", groups.comparison)):
        absent = sorted(set(apps) - have)
        if absent:
            result.warnings.append(f"{label} apps without download data: {', '.join(absent)}")
        present = set(apps) & have
        if not present:
            raise ConfigError("trends fit", "--group" if label == "affected" else "--vs",
                              f"no {label} app has download data in dataset "
                              f"{dataset.get('name')!r} ({label}: {', '.join(apps) or 'none'})",
                              "Import counts for these apps, or give the groups with "
                              "--group-apps / --vs-apps")
        s = _group_total(app_panel(rows, present), f"{label} ({len(present)} apps)")
        result.series.append((s, fit_its(s.months, s.counts, None, spec, f"{label} total")))
    panel = app_panel(rows, set(groups.affected) | set(groups.comparison))
    panel["affected"] = panel["unit"].isin(groups.affected).astype(int)
    result.did = fit_did(panel, spec.intervention, event_bin, spec.draws, spec.seed)
    return result


__all__ = ["Series", "SeriesColumns", "TrendResult", "app_panel", "fit_file", "fit_groups",
           "load_series"]
