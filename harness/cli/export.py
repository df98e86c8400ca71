"""``harness export`` and ``harness report``: the analyst commands.

Both take the same selection options (``--run``, ``--since``, ``--country``, ``--region``,
``--app``, ``--include-simulated``, ``--verified-only``, ``--regions-file``), the same
choice of verdicts (the latest classification, or ``--as-measured``) and confirmation
rule (``--min-attempts``, ``--min-hours``). A bad option is one paragraph on standard error and
exit status 2 (raised as ``ConfigError``, printed by ``harness.cli.main``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.analysis.definitions import FORMATS, TABLE_NAMES, Confirmation
from harness.analysis.filters import Filters, parse_filters
from harness.cli.common import EXIT_OK, db_default
from harness.support.errors import ConfigError, HarnessError, display_path
from harness.support.secrets import shown_db

if TYPE_CHECKING:
    from harness.analysis.tables import Analysis


def add_selection(p: argparse.ArgumentParser) -> None:
    """The database, selection, verdict and confirmation options that `harness export`,
    `report` and `publish` share (read back by ``selection``)."""
    p.add_argument("--db", default=db_default(),
                   help="SQLite path or SQLAlchemy URL (default results.db or $HARNESS_DB)")
    g = p.add_argument_group("selection")
    g.add_argument("--run", default=None, metavar="ID[,ID]",
                   help="run ids or unique prefixes (`harness runs`), or 'latest'")
    g.add_argument("--since", default=None, metavar="WHEN",
                   help="attempts started at or after: 2024-03-01, 2024-03-01T18:30 (UTC "
                        "unless an offset is given), or an age such as 7d, 12h, 2w")
    g.add_argument("--country", default=None, metavar="XX[,YY]",
                   help="ISO 3166-1 alpha-2 codes of the target country")
    g.add_argument("--region", default=None, metavar="R[,R]",
                   help="study regions: asia_pacific, europe, mena, north_america, "
                        "latin_america, sub_saharan_africa, central_asia")
    g.add_argument("--app", default=None, metavar="ID[,ID]", help="scenario ids")
    g.add_argument("--include-simulated", action="store_true",
                   help="keep measurements taken on the simulator (backend sim; the demo's)")
    g.add_argument("--verified-only", action="store_true",
                   help="keep only measurements whose scenario was verified "
                        "(scenario_verified; rows that did not record it are left out)")
    g.add_argument("--regions-file", type=Path, default=None, metavar="CSV",
                   help="alpha2,region CSV that remaps countries to study regions")
    v = p.add_argument_group("verdicts")
    v.add_argument("--as-measured", action="store_true",
                   help="every table from the verdicts as measured; by default each "
                        "measurement's latest classification (its newest `harness "
                        "reclassify` row) counts")
    c = p.add_argument_group("confirmation")
    c.add_argument("--min-attempts", type=int, default=Confirmation.min_attempts,
                   help="consistent conclusive attempts needed to confirm (default 3)")
    c.add_argument("--min-hours", type=float, default=Confirmation.min_hours,
                   help="hours the consistent attempts must span (default 6)")


def register(subparsers: Any) -> None:
    """Add ``export`` and ``report`` to the ``harness`` command's subparsers."""
    exp = subparsers.add_parser(
        "export", help="barrier tables as CSV, JSON Lines, Parquet or XLSX",
        description="Write the analyst tables (measurements, barrier_matrix, "
                    "barrier_matrix_wide, by_region, by_app, funnel, summary, changes) and a "
                    "manifest.json. Columns: docs/data-dictionary.md; definitions: "
                    "docs/analysis.md.")
    add_selection(exp)
    exp.add_argument("--format", action="append", default=None, metavar="FMT[,FMT]",
                     help=f"{', '.join(FORMATS)} or all; comma-separated or repeated "
                          "(default csv)")
    exp.add_argument("--out", type=Path, default=Path("exports"),
                     help="output folder (default exports/)")
    exp.add_argument("--tables", default=None, metavar="T[,T]",
                     help=f"tables to write (default all): {', '.join(TABLE_NAMES)}")
    exp.set_defaults(func=cmd_export)

    rep = subparsers.add_parser(
        "report", help="the report site: static pages with the figures and the evidence",
        description="Write the report site into a folder: an overview (headline figures "
                    "with intervals, the app x country matrix, the world map, regional "
                    "rates, the funnel), one page per app and per country (evidence "
                    "screenshots inline, vantage fidelity), the changes, the methodology "
                    "and links to the published data. Opens from the file system; loads "
                    "nothing from the internet. An --out ending in .html writes the "
                    "single-page report instead. docs/report.md describes the site.")
    add_selection(rep)
    rep.add_argument("--out", type=Path, default=Path("reports/site"),
                     help="folder of the site (default reports/site/); a path ending in "
                          ".html writes the single-page report")
    rep.add_argument("--data", type=Path, default=None, metavar="DIR",
                     help="the folder `harness publish --out DIR` wrote: the data page "
                          "links its files (datapackage.json), CITATION.cff and licence")
    rep.add_argument("--title", default=None, help="page title")
    rep.set_defaults(func=cmd_report)


def selection(args: argparse.Namespace) -> tuple[Filters, Confirmation]:
    """The filters and confirmation rule given on the command line."""
    filters = parse_filters(run=args.run, since=args.since, country=args.country,
                            region=args.region, app=args.app,
                            include_simulated=args.include_simulated,
                            regions_file=args.regions_file,
                            verified_only=args.verified_only,
                            as_measured=args.as_measured)
    if args.min_attempts < 1:
        raise ConfigError(f"--min-attempts={args.min_attempts}", None,
                          "must be at least 1", None, "--min-attempts 3")
    if args.min_hours < 0:
        raise ConfigError(f"--min-hours={args.min_hours:g}", None, "must not be negative",
                          None, "--min-hours 6")
    return filters, Confirmation(args.min_attempts, args.min_hours)


def _require_rows(analysis: Analysis, db: str) -> None:
    """An empty selection is an error: nothing is written, and the message says what
    left the rows out."""
    counts = analysis.status_counts()
    results = sum(v for k, v in counts.items() if k in ("access", "barrier", "failure"))
    if results:
        return
    hidden = counts["simulated_excluded"]
    hint = (f"; {hidden:,} simulator measurements are left out: add --include-simulated"
            if hidden else "")
    if analysis.filters.verified_only:
        hint += ("; --verified-only keeps only measurements of verified scenarios: drop it "
                 "to see the others")
    raise HarnessError(f"--db={shown_db(db)}: no measurement matches the "
                       f"selection{hint}. Nothing was written")


def _note_verdicts(analysis: Analysis) -> None:
    if analysis.filters.as_measured:
        print("verdicts: as measured (--as-measured)")
        return
    n = analysis.reclassified_count()
    if n:
        print(f"verdicts: latest classification; {n:,} attempts carry a reclassified "
              "verdict (--as-measured shows the verdicts as measured)")


def cmd_export(args: argparse.Namespace) -> int:
    from harness.analysis.formats import parse_formats, parse_tables, write_export
    from harness.analysis.tables import Analysis
    from harness.storage.preflight import check_targets, database, folder

    formats = parse_formats(args.format)
    tables = parse_tables(args.tables)
    filters, rule = selection(args)
    check_targets([database(args.db), folder(args.out, "--out")])
    with Analysis(args.db, filters, rule) as analysis:
        _require_rows(analysis, args.db)
        _note_verdicts(analysis)
        result = write_export(analysis, args.out, formats, tables)
    for table, rows in result.rows.items():
        print(f"{table}: {rows:,} rows")
    print(f"wrote {len(result.files)} files to {display_path(result.out_dir)} "
          f"({', '.join(formats)})")
    return EXIT_OK


def _report_target(args: argparse.Namespace) -> bool:
    """Whether ``--out`` names the single-page report (a ``.html`` file) rather than
    the site's folder; ``--data`` needs the site."""
    single = args.out.suffix.lower() in (".html", ".htm")
    if single and args.data is not None:
        raise ConfigError(f"--out={args.out}", None,
                          "--data links the published files from the report site, which "
                          "is a folder, but --out names one .html file",
                          "Give --out a folder, e.g. --data reports/data --out reports/site/")
    if not single and args.out.is_file():
        raise ConfigError(f"--out={args.out}", None, "is a file; the report site is a "
                          "folder of pages", "Give --out a folder, e.g. reports/site/ (or a "
                          "path ending in .html for the single-page report)")
    return single


def cmd_report(args: argparse.Namespace) -> int:
    from harness.analysis.tables import Analysis
    from harness.storage.preflight import check_targets, database, folder, output_file

    filters, rule = selection(args)
    single = _report_target(args)
    check_targets([database(args.db), output_file(args.out, "--out") if single
                   else folder(args.out, "--out")])
    if args.data is not None:
        from harness.analysis.site import read_data_folder
        read_data_folder(args.data)  # a bad folder fails before any work
    with Analysis(args.db, filters, rule) as analysis:
        _require_rows(analysis, args.db)
        _note_verdicts(analysis)
        if single:
            from harness.analysis.report import write_report
            path = write_report(analysis, args.out, args.title)
            print(f"report written to {display_path(path)}")
            return EXIT_OK
        from harness.analysis.site import write_site
        site = write_site(analysis, args.out, args.title, args.data)
    print(f"report site written to {display_path(site.out_dir)}/ ({len(site.pages)} pages, "
          f"{site.evidence_files} evidence files; open "
          f"{display_path(site.out_dir / 'index.html')})")
    return EXIT_OK
