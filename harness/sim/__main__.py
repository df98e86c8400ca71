"""``python -m harness.sim``: run the simulator in the foreground for scenario authors.

Prints the URL to give the harness (or any Appium client) and serves until Ctrl-C.
``--pace uiautomator2`` answers each command in the time a real UiAutomator2 device takes
for its kind; ``--latency SECONDS`` adds a flat time to every command (on top of a pace).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from harness.sim.apps import SIM_APPS
from harness.sim.pace import PACES
from harness.sim.server import SimServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.sim",
        description="Simulated Android device speaking the Appium (UiAutomator2) protocol.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=4723, help="port (0 = any free port)")
    parser.add_argument("--pace", choices=sorted(PACES), default=None,
                        help="answer each command in the time a real device takes for its "
                             "kind (uiautomator2: Appium's UiAutomator2 driver; default: "
                             "at once)")
    parser.add_argument("--sized-sources", action="store_true",
                        help="with --pace: price each page source and XPath find by the "
                             "size of the screen it reads, not at the published screen's "
                             "212 ms (docs/simulator.md)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="seconds added to every command, on top of --pace (default 0)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if options.latency < 0:
        parser.error("--latency must be zero or more seconds")
    pace = PACES[options.pace] if options.pace else None
    if options.sized_sources and pace is None:
        parser.error("--sized-sources prices commands of a pace: give --pace too")
    server = SimServer(options.host, options.port, latency=options.latency, pace=pace,
                       sized_sources=options.sized_sources)
    try:
        server.bind()
    except OSError as exc:
        print(f"cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Harness simulator listening on {server.url}", flush=True)
    print(f"Apps: {', '.join(sorted(SIM_APPS))}", flush=True)
    if options.pace:
        print(f"Pace: {options.pace} (a real device's time per command)", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
