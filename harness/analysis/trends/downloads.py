"""Monthly download counts in, validated: ``harness trends import FILE``.

The documented long format has one row per app and month (and optionally per country
and store)::

    app,month,downloads[,country][,store][,exposure]
    wechat,2017-06,1250000,US,play

A vendor's export is read as it is with a column mapping (``--map month=Date --map
downloads="Downloads (est.)"``), or ``year`` and ``month_of_year`` columns instead of
``month``. ``app`` is matched to the catalog by id, Android package or name (case
insensitive). Rejected, with the row named: a missing column, an unparsable month, an
empty, negative or non-numeric count, a non-positive exposure, a country that is not an
ISO 3166 alpha-2 code, an app the catalog does not know (unless ``allow_unknown``), two
rows for one app, month, country and store, and a month missing inside a series (unless
``allow_gaps``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pycountry

from harness.analysis.trends.series import (
    RowErrors,
    gaps,
    missing,
    months_column,
    numbers_column,
    read_frame,
    require_columns,
)
from harness.spec.catalog import Catalog
from harness.storage.downloads import CountRow
from harness.support.errors import ConfigError, display_path
from harness.vocabulary.countries import get_country

#: The fields of the long format, and whether a file must have them.
FIELDS: dict[str, bool] = {"app": True, "month": True, "downloads": True, "country": False,
                           "store": False, "exposure": False, "year": False,
                           "month_of_year": False}
#: Country cells that mean "not broken down by country".
WORLDWIDE = {"", "ww", "world", "worldwide", "all", "global"}


@dataclass(frozen=True)
class ImportedFile:
    """A validated file: its rows as they will be stored, and what they cover."""

    rows: list[CountRow]
    mapping: dict[str, str]
    sha256: str
    unknown_apps: list[str]


def parse_mapping(items: Sequence[str] | None) -> dict[str, str]:
    """``field=column`` options as a mapping from field to the file's column."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, column = item.partition("=")
        key = key.strip()
        if not sep or not column.strip():
            raise ConfigError("--map", None, f"{item!r} is not FIELD=COLUMN",
                              "Write e.g. --map month=Date --map downloads='Downloads'")
        if key not in FIELDS:
            raise ConfigError("--map", key, "unknown field",
                              f"Fields: {', '.join(FIELDS)}")
        out[key] = column.strip()
    return out


def _columns(df: pd.DataFrame, path: Path, mapping: dict[str, str]) -> dict[str, str]:
    cols = {f: mapping.get(f, f) for f in FIELDS}
    have = {str(c) for c in df.columns}
    split_month = ("year" in mapping or "month_of_year" in mapping
                   or (cols["month"] not in have and {cols["year"],
                                                       cols["month_of_year"]} <= have))
    wanted = [("app", True), ("downloads", True)]
    wanted += [("year", True), ("month_of_year", True)] if split_month else [("month", True)]
    require_columns(df, path, [(cols[f], f"--map {f}=COLUMN") for f, _ in wanted])
    used = {f: cols[f] for f, _ in wanted}
    used |= {f: cols[f] for f in ("country", "store", "exposure") if cols[f] in have}
    return used


def _resolver(catalog: Catalog) -> dict[str, str]:
    keys: dict[str, str] = {}
    for app in catalog.apps:
        for key in (app.id, app.android_package, app.name):
            keys[key.strip().lower()] = app.id
    return keys


def _country(value: object, errors: RowErrors, i: int, column: str) -> str | None:
    text = "" if missing(value) else str(value).strip()
    if text.lower() in WORLDWIDE:
        return None
    if len(text) == 3:
        alpha3 = pycountry.countries.get(alpha_3=text.upper())
        text = str(alpha3.alpha_2) if alpha3 is not None else text
    found = get_country(text) if len(text) == 2 else None
    if found is None:
        errors.add(i, column, f"{text!r} is not an ISO 3166 country code",
                   "Use alpha-2 codes (DE, US) or leave empty for worldwide counts")
        return None
    return found.alpha2


def _check_series(rows: list[tuple[int, CountRow]], errors: RowErrors, allow_gaps: bool
                  ) -> None:
    seen: dict[tuple[str, str | None, str | None, str], int] = {}
    series: dict[tuple[str, str | None, str | None], list[str]] = {}
    for i, r in rows:
        key = (r.app_id, r.country, r.store, r.month)
        if key in seen:
            errors.add(i, "month", f"{r.app_id} {r.month} ({r.country or 'worldwide'}, "
                       f"{r.store or 'all stores'}) is already on "
                       f"{errors.row(seen[key])}", "Keep one row per app, month, country "
                                                   "and store (sum them first if they are parts)")
        seen[key] = i
        series.setdefault(key[:3], []).append(r.month)
    if allow_gaps:
        return
    for (app, country, store), months in series.items():
        missing_months = gaps(months)
        if missing_months:
            shown = ", ".join(missing_months[:6]) + (" ..." if len(missing_months) > 6 else "")
            errors.add(None, "month", f"{app} ({country or 'worldwide'}, "
                       f"{store or 'all stores'}) has no row for {len(missing_months)} "
                       f"month(s) inside its series: {shown}",
                       "Add the months (0 if the source reports zero downloads) or pass "
                       "--allow-gaps to store the series with its gaps")


def read_downloads(path: Path, catalog: Catalog, mapping: dict[str, str] | None = None,
                   allow_unknown: bool = False, allow_gaps: bool = False) -> ImportedFile:
    """Read and validate ``path``; every problem is raised at once (``ConfigErrors``)."""
    df = read_frame(path)
    cols = _columns(df, path, mapping or {})
    errors = RowErrors(path, df.attrs.get("lines"))
    months = months_column(df, path, errors, cols.get("month"), cols.get("year"),
                           cols.get("month_of_year"))
    downloads = numbers_column(df, errors, cols["downloads"], "download count")
    exposure = (numbers_column(df, errors, cols["exposure"], "exposure", required=False,
                               positive=True) if "exposure" in cols else [None] * len(df))
    resolve, unknown = _resolver(catalog), set()
    rows: list[tuple[int, CountRow]] = []
    for i, raw in enumerate(df[cols["app"]].tolist()):
        name = "" if missing(raw) else str(raw).strip()
        app = resolve.get(name.lower())
        if app is None and name and allow_unknown:
            app = name.lower()
            unknown.add(name)
        if app is None:
            errors.add(i, cols["app"], f"app {name!r} is not in the catalog"
                       if name else "the app is empty",
                       "Use a catalog id, Android package or name (harness/data/catalog.yaml),"
                       " pass --catalog FILE with your own, or --allow-unknown-apps")
            continue
        country = (_country(df[cols["country"]].iloc[i], errors, i, cols["country"])
                   if "country" in cols else None)
        store = (None if "store" not in cols or missing(df[cols["store"]].iloc[i])
                 else str(df[cols["store"]].iloc[i]).strip().lower())
        month, count = months[i], downloads[i]
        if month is not None and count is not None:
            rows.append((i, CountRow(app, name, month, country, store, count, exposure[i])))
    _check_series(rows, errors, allow_gaps)
    errors.raise_if_any()
    if not rows:
        raise ConfigError(display_path(path), None, "the file has no rows",
                          "Give a file with a header and one row per app and month")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ImportedFile([r for _, r in rows], cols, digest, sorted(unknown))


__all__ = ["FIELDS", "WORLDWIDE", "ImportedFile", "parse_mapping", "read_downloads"]
