"""``harness farm nodes`` (the Grid's TOML from the inventory) and ``harness farm check``
(which profiles the hub's ``UP`` slots serve)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from harness.cli.common import EXIT_FAILURES, EXIT_OK, usage
from harness.support.console import out_console
from harness.support.errors import HarnessError, display_path
from harness.support.secrets import mask_url

if TYPE_CHECKING:
    from harness.runs.farm import FarmCheck


def register(subparsers: Any) -> None:
    farm = subparsers.add_parser("farm", help="a device farm on Selenium Grid 4")
    fsub = farm.add_subparsers(dest="action", metavar="ACTION")
    nodes = fsub.add_parser("nodes", help="write the hub's and every relay node's TOML "
                                          "from an inventory file")
    nodes.add_argument("inventory", type=Path, help="the inventory YAML (docs/farm.md)")
    nodes.add_argument("--out", type=Path, required=True,
                       help="folder for hub.toml and HOST/DEVICE.toml")
    nodes.add_argument("--profiles", type=Path, default=Path("device_profiles"),
                       help="folder of device profiles (default device_profiles)")
    nodes.set_defaults(func=cmd_nodes)
    check = fsub.add_parser("check", help="which profiles the hub's UP slots serve "
                                          "(exit 1 when some profile has none)")
    check.add_argument("--hub", required=True, help="the hub's URL, e.g. http://hub:4444")
    check.add_argument("--profiles", type=Path, default=Path("device_profiles"),
                       help="folder of device profiles (default device_profiles)")
    check.add_argument("--country", default="all",
                       help="only these profiles (ids or country codes, comma-separated)")
    check.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                       help="seconds to wait for each node's answer (default 5)")
    check.set_defaults(func=cmd_check)
    farm.set_defaults(func=lambda args: usage(farm))


def cmd_nodes(args: argparse.Namespace) -> int:
    from harness.runs.farm import write_farm
    from harness.runs.inventory import load_inventory
    from harness.spec.profiles import load_profiles

    profiles = load_profiles(args.profiles)
    inventory = load_inventory(args.inventory, profiles)
    for warning in inventory.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    written = write_farm(inventory, profiles, args.out)
    console = out_console()
    console.print(f"{len(written) - 1} relay nodes on {len(inventory.hosts)} hosts, hub at "
                  f"{inventory.hub.url}:")
    for path in written:
        console.print(f"  {display_path(path)}", highlight=False)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from harness.devices.grid import hub_status
    from harness.runs.farm import check_farm
    from harness.spec.profiles import load_profiles, select_profiles

    profiles = select_profiles(load_profiles(args.profiles), args.country)
    status = hub_status(args.hub, timeout=args.timeout)
    if status is None:
        raise HarnessError(f"--hub={mask_url(args.hub)}: this answers, but not as a "
                           "Selenium Grid hub (its /status lists no nodes: a plain Appium "
                           "server?). Give the hub's address")
    result = check_farm(status, profiles)
    console = out_console()
    console.print(_nodes_table(args.hub, result))
    console.print(_profiles_table(result))
    unserved = result.unserved
    if not unserved:
        console.print(f"[green]All {len(profiles)} profiles are served.[/]")
        return EXIT_OK
    console.print(f"[red]{len(unserved)} of {len(profiles)} profiles have no UP slot:[/] "
                  + ", ".join(p.id for p in unserved), highlight=False)
    console.print("A DOWN node's Appium server (or the device behind it) is not answering; "
                  "a profile on no node needs a device in the inventory (`harness farm "
                  "nodes`) and its node started.", highlight=False)
    return EXIT_FAILURES


def _nodes_table(hub: str, result: FarmCheck) -> Table:
    status = result.status
    table = Table(title=f"{len(status.nodes)} nodes at {mask_url(hub)}")
    for col in ("node", "state", "busy", "device", "profiles"):
        table.add_column(col)
    for node in status.nodes:
        devices = {str(s.stereotype.get("harness:device", "-")) for s in node.slots}
        served = [str(s.stereotype.get("harness:profile", "?")) for s in node.slots]
        busy = sum(1 for s in node.slots if s.busy)
        state = node.availability if node.up else f"[red]{node.availability}[/]"
        table.add_row(node.uri, state, f"{busy}/{node.max_sessions}",
                      ", ".join(sorted(devices)), ", ".join(served) or "-")
    return table


def _profiles_table(result: FarmCheck) -> Table:
    table = Table(title=f"{len(result.coverage)} profiles")
    for col in ("profile", "country", "served by"):
        table.add_column(col)
    for cov in result.coverage:
        served = ", ".join(result.devices_for(cov)) if cov.served else "[red]no UP slot[/]"
        table.add_row(cov.profile.id, cov.profile.country, served)
    return table


__all__ = ["cmd_check", "cmd_nodes", "register"]
