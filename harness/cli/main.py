"""The ``harness`` command: the parser of every command group, and the one place where a
user's mistake becomes a one-paragraph error (file, field, fix) and exit status 2.

It never shows a traceback for a mistake the user can fix. Each group lives in its own
module of this package with ``register(subparsers)``, which sets ``func`` (taking the
parsed arguments, returning the exit status) on its parsers.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from harness import __version__
from harness.cli.common import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    HelpFormatter,
    exit_codes_epilog,
)
from harness.support.errors import ConfigError, ConfigErrors, HarnessError
from harness.support.secrets import install_log_scrubbing

#: The command groups, in the order of ``harness --help``.
GROUPS: tuple[str, ...] = (
    "harness.cli.run",        # harness demo, harness run
    "harness.cli.profiles",   # harness profiles check|new
    "harness.cli.scenarios",  # harness scenarios check
    "harness.cli.runs",       # harness runs, harness show
    "harness.cli.sim",        # harness sim
    "harness.cli.stores",     # harness stores check|changes|verify
    "harness.cli.export",     # harness export, harness report
    "harness.cli.publish",    # harness publish
    "harness.cli.classify",   # harness classify, harness reclassify
    "harness.cli.vantage",    # harness vantage check
    "harness.cli.farm",       # harness farm nodes|check
    "harness.cli.nightly",    # harness nightly --config FILE
    "harness.cli.trends",     # harness trends import|list|fit
    "harness.cli.findings",   # harness findings
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Measure where real-name-registration and app-store barriers stop "
                    "sign-up, per country.")
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(sub)
    _with_exit_codes(parser)
    return parser


def _with_exit_codes(parser: argparse.ArgumentParser) -> None:
    """Every parser, sub-commands included, ends its help with the exit statuses (a
    command with statuses of its own sets ``exit_codes`` in its defaults)."""
    parser.formatter_class = HelpFormatter
    own = parser.get_default("exit_codes")
    parser.epilog = "\n".join(x for x in (parser.epilog, exit_codes_epilog(own)) if x)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _with_exit_codes(child)


def main(argv: Sequence[str] | None = None) -> int:
    install_log_scrubbing(tracebacks=True)  # no secret in a log line or a traceback
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ConfigErrors as exc:
        n = len(exc.errors)
        print(f"error: {n} problem{'s' if n != 1 else ''} found:", file=sys.stderr)
        for e in exc.errors:
            print(f"- {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, HarnessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM during a run: 128 + its number
        return int(getattr(exc, "exit_status", EXIT_INTERRUPTED))


__all__ = ["EXIT_FAILURES", "EXIT_OK", "EXIT_USAGE", "GROUPS", "build_parser", "main"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
