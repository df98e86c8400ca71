"""``harness scenarios check``: every scenario file parsed and checked, as a run would."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.cli.common import EXIT_OK, usage
from harness.support.console import out_console
from harness.support.errors import ConfigError


def register(subparsers: Any) -> None:
    scen = subparsers.add_parser("scenarios", help="scenarios")
    ssub = scen.add_subparsers(dest="action", metavar="ACTION")
    scheck = ssub.add_parser("check", help="validate every scenario file")
    scheck.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")],
                        help="scenario files or folders (default scenarios/)")
    scheck.set_defaults(func=cmd_scenarios_check)
    scen.set_defaults(func=lambda args: usage(scen))


def cmd_scenarios_check(args: argparse.Namespace) -> int:
    from harness.spec.scenarios import load_scenarios

    scenarios = load_scenarios(args.paths)
    if not scenarios:
        shown = ", ".join(str(p) for p in args.paths)
        raise ConfigError(shown, None, "no scenario files found (*.yaml, flows/ and _*.yaml "
                          "files excepted)", "Name a folder that holds scenarios, e.g. "
                          "`harness scenarios check scenarios/`")
    table = Table(title=f"{len(scenarios)} scenarios OK")
    for col in ("id", "version", "app", "package", "steps", "own rules", "file"):
        table.add_column(col)
    for s in scenarios:
        table.add_row(s.id, str(s.version), s.app.name, s.app.android_package,
                      str(len(s.all_steps())), str(len(s.rules)), s.name)
    out_console().print(table)
    out_console().print(
        "Checked: each file's YAML and fields, its flows, templates and variables, and its "
        "own rules. Not checked: that the selectors find the app's screens; only an attempt "
        "on a device (or, for the demo apps, `harness demo`) shows that.")
    return EXIT_OK


__all__ = ["cmd_scenarios_check", "register"]
