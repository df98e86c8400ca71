"""``harness profiles check`` and ``harness profiles new XX``: device profiles."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.cli.common import EXIT_OK
from harness.spec.config import RunConfig
from harness.support.console import out_console
from harness.vocabulary.outcomes import Backend


def register(subparsers: Any) -> None:
    prof = subparsers.add_parser("profiles", help="device profiles")
    psub = prof.add_subparsers(dest="action", metavar="ACTION")
    pcheck = psub.add_parser("check", help="validate every profile file")
    pcheck.add_argument("dir", nargs="?", type=Path, default=Path("device_profiles"))
    pcheck.add_argument("--backend", choices=[b.value for b in Backend], default=None,
                        help="also resolve secrets from the environment for this backend")
    pcheck.set_defaults(func=cmd_profiles_check)
    pnew = psub.add_parser("new", help="scaffold device_profiles/XX.yaml from country data")
    pnew.add_argument("country", help="ISO 3166-1 alpha-2 code, e.g. DE")
    pnew.add_argument("--dir", type=Path, default=Path("device_profiles"))
    pnew.add_argument("--force", action="store_true", help="overwrite an existing file")
    pnew.set_defaults(func=cmd_profiles_new)
    prof.set_defaults(func=lambda args: prof.parse_args(["--help"]))


def cmd_profiles_new(args: argparse.Namespace) -> int:
    from harness.spec.scaffold import new_profile_command

    return new_profile_command(args)


def cmd_profiles_check(args: argparse.Namespace) -> int:
    from harness.spec.profiles import load_profiles

    profiles = load_profiles(args.dir)
    if args.backend:
        from harness.runs.batch import preflight

        preflight(profiles, RunConfig(backend=Backend(args.backend)))
    table = Table(title=f"{len(profiles)} profiles OK in {args.dir}")
    for col in ("id", "country", "region", "locale", "timezone", "phone", "proxy", "device"):
        table.add_column(col)
    for p in profiles:
        dev = p.device.udid or p.device.emulator or ("farm" if p.device.capabilities else "-")
        table.add_row(p.id, p.country, p.region.value, p.locale, p.timezone,
                      p.phone_ref or "(example number on sim)", p.proxy_masked or "direct", dev)
    out_console().print(table)
    return EXIT_OK



__all__ = ["cmd_profiles_check", "cmd_profiles_new", "register"]
