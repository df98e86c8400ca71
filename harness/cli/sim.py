"""``harness sim``: the simulator in the foreground, on loopback."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    sim = subparsers.add_parser("sim", help="run the simulator in the foreground")
    sim.add_argument("--port", type=int, default=4723,
                     help="TCP port on 127.0.0.1 to listen on (default 4723, Appium's)")
    sim.set_defaults(func=cmd_sim)


def cmd_sim(args: argparse.Namespace) -> int:
    from harness.sim.__main__ import main as sim_main

    return sim_main(["--port", str(args.port)])


__all__ = ["cmd_sim", "register"]
