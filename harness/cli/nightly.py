"""``harness nightly --config FILE``: the store checks and every attempt of one
configuration, then the night's summary (``summary.md`` and ``summary.json``).

Exit status: 0 when the run completed with an instrument-failure rate at or below the
threshold, 1 when the rate is above it or the run did not complete, 2 for a
configuration error or when another nightly holds the database's lock.
See docs/nightly.md.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.cli.common import EXIT_FAILURES, EXIT_OK
from harness.support.console import out_console
from harness.support.errors import display_path


def register(subparsers: Any) -> None:
    nightly = subparsers.add_parser(
        "nightly", help="the nightly job: store checks, every attempt, a summary",
        description="Run the store checks and every (scenario, profile) attempt of one "
                    "configuration file, then write the night's summary (Markdown and "
                    "JSON). One nightly at a time per database. See docs/nightly.md.")
    nightly.add_argument("--config", type=Path, required=True, metavar="FILE",
                         help="the nightly configuration (YAML; docs/nightly.md)")
    nightly.set_defaults(func=cmd_nightly)


def cmd_nightly(args: argparse.Namespace) -> int:
    from harness.runs.nightly import run_nightly
    from harness.runs.nightly_config import load_nightly_config

    config = load_nightly_config(args.config)
    console = Console(stderr=True, soft_wrap=True)
    summary = run_nightly(config, console,
                          command=shlex.join(["harness", *sys.argv[1:]]))
    out = out_console()
    run = summary.run
    counts = ", ".join(f"{n} {k}" for k, n in summary.by_status.items())
    out.print(f"nightly run {run.run_id}: {run.status}" + (f"; {counts}" if counts else "")
              if run else "nightly: no run was started", highlight=False)
    for path in summary.written:
        out.print(f"summary written to {display_path(path)}", highlight=False)
    problems = summary.problems
    for problem in problems:
        out.print(f"[bold red]not ok[/]: {problem}", highlight=False)
    return EXIT_FAILURES if problems else EXIT_OK


__all__ = ["cmd_nightly", "register"]
