"""``harness profiles check`` and ``harness profiles new XX``: device profiles."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.cli.common import EXIT_OK, usage
from harness.spec.config import RunConfig
from harness.support.console import out_console
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import Backend


def register(subparsers: Any) -> None:
    prof = subparsers.add_parser("profiles", help="device profiles")
    psub = prof.add_subparsers(dest="action", metavar="ACTION")
    pcheck = psub.add_parser("check", help="validate every profile file")
    pcheck.add_argument("dir", nargs="?", type=Path, default=Path("device_profiles"),
                        help="folder of device profiles (default device_profiles)")
    pcheck.add_argument("--backend", choices=[b.value for b in Backend], default=None,
                        help="also resolve secrets from the environment for this backend")
    pcheck.set_defaults(func=cmd_profiles_check)
    pnew = psub.add_parser("new", help="scaffold device_profiles/XX.yaml from country data")
    pnew.add_argument("country", help="ISO 3166-1 alpha-2 code, e.g. DE")
    pnew.add_argument("--dir", type=Path, default=Path("device_profiles"),
                      help="folder to write the new profile into (default device_profiles)")
    pnew.add_argument("--force", action="store_true", help="overwrite an existing file")
    pnew.set_defaults(func=cmd_profiles_new)
    prof.set_defaults(func=lambda args: usage(prof))


def cmd_profiles_new(args: argparse.Namespace) -> int:
    from harness.spec.scaffold import new_profile_command

    return new_profile_command(args)


def cmd_profiles_check(args: argparse.Namespace) -> int:
    from harness.spec.profiles import load_profiles

    profiles = load_profiles(args.dir)
    if not profiles:
        raise ConfigError(str(args.dir), None, "no device profiles found (*.yaml)",
                          "Name the profiles folder, e.g. `harness profiles check "
                          "device_profiles/`, or make one with `harness profiles new DE`")
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
    if not args.backend:
        out_console().print(
            "Checked: the files and their fields. Not checked: the phone numbers, proxy "
            "passwords and SMS-provider keys that profiles take from the environment; "
            "`harness profiles check --backend appium` resolves them as a real run would.")
    return EXIT_OK


__all__ = ["cmd_profiles_check", "cmd_profiles_new", "register"]
