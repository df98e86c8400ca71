"""``harness scenarios check``: every scenario file parsed and checked, as a run would."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.cli.common import EXIT_OK
from harness.support.console import out_console


def register(subparsers: Any) -> None:
    scen = subparsers.add_parser("scenarios", help="scenarios")
    ssub = scen.add_subparsers(dest="action", metavar="ACTION")
    scheck = ssub.add_parser("check", help="validate every scenario file")
    scheck.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])
    scheck.set_defaults(func=cmd_scenarios_check)
    scen.set_defaults(func=lambda args: scen.parse_args(["--help"]))


def cmd_scenarios_check(args: argparse.Namespace) -> int:
    from harness.spec.scenarios import load_scenarios

    scenarios = load_scenarios(args.paths)
    table = Table(title=f"{len(scenarios)} scenarios OK")
    for col in ("id", "version", "app", "package", "steps", "own rules", "file"):
        table.add_column(col)
    for s in scenarios:
        table.add_row(s.id, str(s.version), s.app.name, s.app.android_package,
                      str(len(s.all_steps())), str(len(s.rules)), s.name)
    out_console().print(table)
    return EXIT_OK



__all__ = ["cmd_scenarios_check", "register"]
