"""``harness trends import|list|fit``: download counts in, and the trend models out.

``fit`` works on any monthly count series in a file (``--data``), or on the stored
download counts of the affected apps against the comparison apps (``--group affected
--vs comparison``, groups from the measurements, or ``--group-apps`` / ``--vs-apps``).
It prints the terms with rate ratios and 95% intervals, the prevented count and each
definition of the drop, and writes ``fit.json`` and ``trends.png`` to ``--out``.
Definitions: docs/analysis.md, "Download trends".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.cli.common import EXIT_OK, db_default, require_db, usage
from harness.support.errors import ConfigError, display_path


def _import_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="store monthly download counts from CSV / Parquet",
                       description="Read monthly download counts (app, month, downloads; "
                                   "optional country, store, exposure), validate every "
                                   "row and store them as one dataset.")
    p.add_argument("file", type=Path, help="CSV, TSV, Parquet or XLSX file")
    p.add_argument("--db", default=db_default(), help="SQLite path or SQLAlchemy URL")
    p.add_argument("--dataset", default=None, metavar="NAME",
                   help="name of the stored dataset (default: the file's name)")
    p.add_argument("--replace", action="store_true",
                   help="replace a stored dataset of the same name")
    p.add_argument("--map", action="append", default=None, metavar="FIELD=COLUMN",
                   help="read FIELD (app, month, downloads, country, store, exposure, year, "
                        "month_of_year) from the file's COLUMN; repeatable")
    p.add_argument("--catalog", type=Path, default=None,
                   help="app catalog YAML to match apps against (default: the packaged one)")
    p.add_argument("--allow-unknown-apps", action="store_true",
                   help="store apps the catalog does not know under their own name")
    p.add_argument("--allow-gaps", action="store_true",
                   help="store series with months missing inside them")
    p.set_defaults(func=cmd_import)


def _fit_parser(sub: Any) -> None:
    p = sub.add_parser("fit", help="interrupted time series and difference-in-differences",
                       description="Fit an interrupted time series (and, for groups of apps, "
                                   "a difference-in-differences) to monthly counts.")
    p.add_argument("--intervention", required=True, metavar="YYYY-MM",
                   help="first month of the post-intervention period")
    src = p.add_argument_group("any monthly count series in a file")
    src.add_argument("--data", type=Path, default=None, help="CSV, TSV, Parquet or XLSX")
    src.add_argument("--date-col", default=None, help="column with the month (2017-06, ...)")
    src.add_argument("--year-col", default=None, help="column with the year")
    src.add_argument("--month-col", default=None, help="column with the month of the year")
    src.add_argument("--count-col", default=None, help="column with the count")
    src.add_argument("--exposure-col", default=None,
                     help="column with the exposure (population); its log is the offset")
    src.add_argument("--group-col", default=None, help="fit one series per value of it")
    db = p.add_argument_group("stored download counts by group of apps")
    db.add_argument("--db", default=db_default(), help="SQLite path or SQLAlchemy URL")
    db.add_argument("--dataset", default=None, help="stored dataset (default: the newest)")
    db.add_argument("--group", choices=("affected",), default=None,
                    help="the apps whose confirmed measurements show an RNR barrier abroad")
    db.add_argument("--vs", choices=("comparison",), default=None,
                    help="the apps tested abroad with no barrier")
    db.add_argument("--group-apps", default=None, metavar="ID[,ID]",
                    help="the affected apps, given instead of the evidence")
    db.add_argument("--vs-apps", default=None, metavar="ID[,ID]",
                    help="the comparison apps, given instead of the evidence")
    db.add_argument("--include-simulated", action="store_true",
                    help="count the simulator's measurements when forming groups")
    db.add_argument("--event-bin", type=int, default=12, metavar="MONTHS",
                    help="months per event-study period (default 12)")
    _model_options(p)
    p.set_defaults(func=cmd_fit)


def _model_options(p: argparse.ArgumentParser) -> None:
    m = p.add_argument_group("model")
    m.add_argument("--family", choices=("poisson", "quasipoisson", "negbin"),
                   default="quasipoisson", help="count model (default quasipoisson)")
    m.add_argument("--harmonics", type=int, default=0, metavar="K",
                   help="Fourier pairs for seasonality, 0-6 (default 0)")
    m.add_argument("--slope-change", action="store_true",
                   help="also fit a change of slope, in months since the intervention")
    m.add_argument("--errors", choices=("model", "hac"), default="model",
                   help="model-based / quasi-likelihood, or Newey-West (default model)")
    m.add_argument("--hac-lags", type=int, default=None, help="Newey-West lags")
    m.add_argument("--draws", type=int, default=5000,
                   help="parameter draws behind derived intervals (default 5000)")
    m.add_argument("--seed", type=int, default=2017, help="seed of the draws (default 2017)")
    m.add_argument("--compare-years", nargs=2, type=int, default=None, metavar=("FROM", "TO"),
                   help="calendar years of the observed drop (default: the intervention's "
                        "year and the last complete year)")
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, default=Path("reports/trends"),
                   help="folder for fit.json and trends.png (default reports/trends/)")
    o.add_argument("--json", action="store_true", help="print the result as JSON")


def register(subparsers: Any) -> None:
    """Add ``trends`` to the ``harness`` command's subparsers."""
    top = subparsers.add_parser("trends", help="download trends: import counts, fit models",
                                description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = top.add_subparsers(dest="trends_command", metavar="ACTION")
    _import_parser(sub)
    lst = sub.add_parser("list", help="the stored download datasets")
    lst.add_argument("--db", default=db_default(), help="SQLite path or SQLAlchemy URL")
    lst.set_defaults(func=cmd_list)
    _fit_parser(sub)
    top.set_defaults(func=lambda _a: usage(top))


def cmd_import(args: argparse.Namespace) -> int:
    from harness.analysis.trends.downloads import parse_mapping, read_downloads
    from harness.spec.catalog import default_catalog, load_catalog
    from harness.storage.downloads import save_dataset
    from harness.storage.store import Store

    catalog = load_catalog(args.catalog) if args.catalog else default_catalog()
    data = read_downloads(args.file, catalog, parse_mapping(args.map),
                          args.allow_unknown_apps, args.allow_gaps)
    name = args.dataset or args.file.stem
    store = Store.open(args.db)
    try:
        save_dataset(store, name, display_path(args.file), data.sha256, data.mapping,
                     data.rows, args.replace)
    finally:
        store.close()
    apps = {r.app_id for r in data.rows}
    months = sorted({r.month for r in data.rows})
    countries = {r.country for r in data.rows if r.country}
    print(f"imported {len(data.rows)} rows as dataset {name!r}: {len(apps)} apps, "
          f"{months[0]}..{months[-1]}, {len(countries) or 'no'} countries "
          f"(sha256 {data.sha256[:12]})")
    if data.unknown_apps:
        print(f"apps not in the catalog, stored under their own name: "
              f"{', '.join(data.unknown_apps)}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from harness.storage.downloads import list_datasets
    from harness.storage.store import Store

    require_db(args.db)
    store = Store.open(args.db)
    try:
        sets = list_datasets(store)
    finally:
        store.close()
    if not sets:
        print("no download datasets stored; load one with `harness trends import FILE`")
    for d in sets:
        print(f"{d.name}: {d.rows} rows, {d.apps} apps, {d.first_month}..{d.last_month}, "
              f"from {d.source_file}, imported {d.imported_at:%Y-%m-%d %H:%M}")
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    from harness.analysis.trends.chart import trend_chart
    from harness.analysis.trends.render import result_dict, result_text

    result = _fit_from_file(args) if args.data is not None else _fit_from_db(args)
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        doc = result_dict(result)
        (out / "fit.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                                      "utf-8")
        (out / "trends.png").write_bytes(trend_chart(result))
    except OSError as exc:
        raise ConfigError(f"--out={display_path(out)}", None, f"cannot write there: "
                          f"{exc.strerror or exc}", "Choose a writable folder") from None
    if args.json:
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(result_text(result))
        print(f"wrote {display_path(out / 'fit.json')} and {display_path(out / 'trends.png')}")
    return EXIT_OK


def _spec(args: argparse.Namespace) -> Any:
    from harness.analysis.trends.its import ItsSpec
    from harness.analysis.trends.series import parse_month

    month = parse_month(args.intervention)
    if month is None:
        raise ConfigError("--intervention", None, f"{args.intervention!r} is not a month",
                          "Give YYYY-MM, e.g. --intervention 2017-06")
    if args.draws < 100:
        raise ConfigError("--draws", None, f"{args.draws} draws", "Use 100 or more")
    return ItsSpec(month, args.harmonics, args.family, args.slope_change, args.errors,
                   args.hac_lags, args.draws, args.seed)


def _years(args: argparse.Namespace) -> tuple[int, int] | None:
    return (args.compare_years[0], args.compare_years[1]) if args.compare_years else None


def _fit_from_file(args: argparse.Namespace) -> Any:
    from harness.analysis.trends.fitting import SeriesColumns, fit_file

    if args.count_col is None:
        raise ConfigError("trends fit", "--count-col", "no count column given",
                          "Name the column with the monthly count, e.g. --count-col aces")
    cols = SeriesColumns(args.count_col, args.date_col, args.year_col, args.month_col,
                         args.exposure_col, args.group_col)
    return fit_file(args.data, cols, _spec(args), _years(args))


def _fit_from_db(args: argparse.Namespace) -> Any:
    from harness.analysis.trends.fitting import fit_groups
    from harness.storage.downloads import find_dataset, read_counts

    given = args.group_apps is not None or args.vs_apps is not None
    if not given and (args.group is None or args.vs is None):
        raise ConfigError("trends fit", "--data", "nothing to fit",
                          "Give --data FILE with --count-col, or --group affected --vs "
                          "comparison (or --group-apps A,B --vs-apps C,D) for stored counts")
    require_db(args.db)
    groups = _groups(args, given)
    from harness.storage.store import Store

    store = Store.open(args.db)
    try:
        info = find_dataset(store, args.dataset)
        rows = read_counts(store, info.id)
    finally:
        store.close()
    dataset = {"name": info.name, "file": info.source_file, "sha256": info.sha256,
               "rows": info.rows}
    return fit_groups(rows, groups, _spec(args), dataset, _years(args), args.event_bin)


def _groups(args: argparse.Namespace, given: bool) -> Any:
    from harness.analysis.filters import Filters
    from harness.analysis.tables import Analysis
    from harness.analysis.trends.groups import groups_from_evidence, groups_given

    if given:
        if not args.group_apps or not args.vs_apps:
            raise ConfigError("trends fit", "--group-apps", "give both --group-apps and "
                              "--vs-apps", "e.g. --group-apps wechat,qq --vs-apps tiktok")
        return groups_given(args.group_apps.split(","), args.vs_apps.split(","))
    with Analysis(args.db, Filters(include_simulated=args.include_simulated)) as analysis:
        return groups_from_evidence(analysis.by_app())


__all__ = ["cmd_fit", "cmd_import", "cmd_list", "register"]
