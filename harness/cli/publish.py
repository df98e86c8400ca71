"""``harness publish``: the measurements as an open-data package (docs/publishing.md).

It takes the selection options of ``harness export`` (``--run``, ``--since``,
``--country``, ``--region``, ``--app``, ``--include-simulated``, ``--verified-only``,
``--regions-file``, ``--as-measured``, ``--min-attempts``, ``--min-hours``; a test keeps
the two lists the same) and writes the folder of ``harness.analysis.publish``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.common import EXIT_OK
from harness.cli.export import add_selection, selection
from harness.support.errors import display_path

#: The licences ``--license`` offers (``harness.analysis.datapackage.LICENSES``).
LICENSE_CHOICES = ("CC-BY-4.0", "CC0-1.0", "ODbL-1.0")


def register(subparsers: Any) -> None:
    """Add ``publish`` to the ``harness`` command's subparsers."""
    p = subparsers.add_parser(
        "publish", help="the measurements as an open-data package (JSON Lines, CSV, "
                        "Parquet, datapackage.json)",
        description="Write the raw measurements as versioned JSON Lines envelopes, every "
                    "analyst table as CSV and Parquet, a data dictionary, a Frictionless "
                    "datapackage.json, CITATION.cff and the data licence to one folder, "
                    "atomically. No secret is written. See docs/publishing.md.")
    add_selection(p)
    o = p.add_argument_group("package")
    o.add_argument("--out", type=Path, default=Path("open-data"),
                   help="folder to write (default open-data/); a package written there "
                        "before is replaced, a folder with other files is refused")
    o.add_argument("--title", default=None, help="the dataset's title")
    o.add_argument("--name", default=None,
                   help="the package's name (lower case, digits, - . _; default "
                        "rnr-harness-measurements)")
    o.add_argument("--package-version", default=None, metavar="VERSION",
                   help="the dataset's version (default the UTC date, YYYY.MM.DD)")
    o.add_argument("--license", default="CC-BY-4.0", choices=LICENSE_CHOICES,
                   help="the data's licence (default CC-BY-4.0)")
    o.add_argument("--author", action="append", default=None, metavar="NAME",
                   help="an author or organisation to credit (repeat for several; default "
                        "'rnr-harness contributors')")
    p.set_defaults(func=cmd_publish)


def _options(args: argparse.Namespace) -> Any:
    import re

    from harness.analysis.publish import PublishOptions
    from harness.support.errors import ConfigError

    defaults = PublishOptions()
    name = args.name or defaults.name
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ConfigError(f"--name={name}", None,
                          "a package name is lower-case letters, digits, '-', '.' and '_'",
                          None, "--name rnr-barriers-2024")
    return PublishOptions(
        title=args.title or defaults.title, name=name, version=args.package_version,
        license_id=args.license,
        authors=tuple(a.strip() for a in args.author if a.strip()) if args.author
        else defaults.authors)


def cmd_publish(args: argparse.Namespace) -> int:
    from harness.analysis.publish import write_package
    from harness.analysis.tables import Analysis
    from harness.storage.preflight import check_targets, database, folder

    options = _options(args)
    filters, rule = selection(args)
    check_targets([database(args.db), folder(args.out, "--out")])
    with Analysis(args.db, filters, rule) as analysis:
        result = write_package(analysis, args.out, options)
    sim = (f", {result.simulated:,} of them simulated" if result.simulated else "")
    print(f"measurements.jsonl: {result.envelopes:,} envelopes{sim}")
    for table, rows in result.rows.items():
        print(f"tables/{table}: {rows:,} rows")
    print(f"published {len(result.files)} files to {display_path(result.out_dir)} "
          f"(datapackage.json, licence {options.license_id})")
    return EXIT_OK


__all__ = ["LICENSE_CHOICES", "cmd_publish", "register"]
