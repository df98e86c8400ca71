"""``harness findings``: the study's four kinds of headline figure from the current data,
with intervals and the apps, countries and attempts behind each (docs/analysis.md,
"Headline findings")."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from harness.cli.common import EXIT_OK, db_default, require_db

#: China's Cybersecurity Law took effect on 1 June 2017 (the same default as
#: ``harness.analysis.findings.CYBERSECURITY_LAW``, kept here so that ``--help`` does not
#: import the statistics stack).
CYBERSECURITY_LAW = "2017-06"
DEFAULT_HARMONICS = 1


def register(subparsers: Any) -> None:
    """Add ``findings`` to the ``harness`` command's subparsers."""
    p = subparsers.add_parser(
        "findings", help="the headline figures, with intervals",
        description="Apps enforcing identifiability abroad, instances with a barrier, the "
                    "download change of the affected apps (when download data is stored) "
                    "and the regional rates, from the current data.")
    p.add_argument("--db", default=db_default(), help="SQLite path or SQLAlchemy URL")
    p.add_argument("--include-simulated", action="store_true",
                   help="count the simulator's measurements (the demo's)")
    p.add_argument("--dataset", default=None, help="stored download dataset (default newest)")
    p.add_argument("--intervention", default=CYBERSECURITY_LAW, metavar="YYYY-MM",
                   help="first post month of the download models (default 2017-06, the "
                        "Cybersecurity Law)")
    p.add_argument("--harmonics", type=int, default=DEFAULT_HARMONICS,
                   help=f"Fourier pairs (default {DEFAULT_HARMONICS})")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_findings)


def _downloads(args: argparse.Namespace, analysis: Any) -> Any:
    from harness.analysis.findings import stored_downloads
    from harness.analysis.trends.its import ItsSpec

    figure, _ = stored_downloads(analysis, args.dataset,
                                 ItsSpec(args.intervention, args.harmonics))
    return figure


def cmd_findings(args: argparse.Namespace) -> int:
    from harness.analysis.filters import Filters
    from harness.analysis.findings import figure_lines, findings
    from harness.analysis.tables import Analysis

    require_db(args.db)
    with Analysis(args.db, Filters(include_simulated=args.include_simulated)) as analysis:
        figs = findings(analysis, _downloads(args, analysis))
    if args.json:
        json.dump([f.as_dict() for f in figs], sys.stdout, indent=2, ensure_ascii=False)
        print()
        return EXIT_OK
    basis = figs[0].basis
    print(f"from {basis['apps_tested']} apps, {basis['countries_tested']} countries, "
          f"{basis['instances_tested']} instances abroad, "
          f"{(basis['attempts_access'] or 0) + (basis['attempts_barrier'] or 0)} conclusive "
          f"attempts ({basis['attempts_failure']} failures not counted)")
    if args.include_simulated:
        print("note: includes the simulator's measurements: these are not findings about "
              "real apps")
    for i, fig in enumerate(figs, 1):
        print(f"{i}. " + "\n".join(figure_lines(fig)))
    return EXIT_OK


__all__ = ["cmd_findings", "register"]
