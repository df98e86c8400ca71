"""``python -m harness.sim``: run the simulator in the foreground for scenario authors.

Prints the URL to give the harness (or any Appium client) and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from harness.sim.apps import DEMO_APPS
from harness.sim.server import SimServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.sim",
        description="Simulated Android device speaking the Appium (UiAutomator2) protocol.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=4723, help="port (0 = any free port)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="seconds added to every command, a real device's pace "
                             "(default 0)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if options.latency < 0:
        parser.error("--latency must be zero or more seconds")
    server = SimServer(options.host, options.port, latency=options.latency)
    try:
        server.bind()
    except OSError as exc:
        print(f"cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Harness simulator listening on {server.url}", flush=True)
    print(f"Apps: {', '.join(sorted(DEMO_APPS))}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
