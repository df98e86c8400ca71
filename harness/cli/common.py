"""What every command group shares: exit statuses, the default database, the usage of a
group given without its action."""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from pathlib import Path

from harness.support.errors import HarnessError

EXIT_OK = 0
#: Some attempts or checks failed (the instrument, never a barrier).
EXIT_FAILURES = 1
#: Bad input: a one-paragraph error was printed.
EXIT_USAGE = 2
#: Interrupted by Ctrl-C (SIGINT): 128 + 2, the shell's convention.
EXIT_INTERRUPTED = 130
#: Stopped by SIGTERM: 128 + 15.
EXIT_TERMINATED = 143

#: Every exit status of the ``harness`` command and what it means: printed by each
#: command's ``--help`` and listed in docs/cli.md.
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "done; barriers found are results, not errors",
    EXIT_FAILURES: "some attempts or checks failed (the instrument, never a barrier), or "
                   "a run did not complete",
    EXIT_USAGE: "bad input or configuration: a one-paragraph error was printed and "
                "nothing was measured",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); finished attempts are stored, those under way "
                      "are stored aborted, and `harness run --resume` finishes the run",
    EXIT_TERMINATED: "stopped by SIGTERM (128 + 15), as for Ctrl-C",
}


def exit_codes_epilog(overrides: dict[int, str] | None = None) -> str:
    """The ``exit status:`` block of a command's ``--help`` (one line per status)."""
    codes = {**EXIT_CODES, **(overrides or {})}
    return "exit status:\n" + "\n".join(f"  {code:>3}  {text}"
                                          for code, text in sorted(codes.items()))


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that each line of a description or epilog is wrapped
    on its own, an indented ``KEY  text`` line with a hanging indent, so the exit-status
    list keeps one status per line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(_fill_line(line, width, indent) for line in text.splitlines())


def _fill_line(line: str, width: int, indent: str) -> str:
    hanging = re.match(r"(\s+\S+\s+)\S", line)
    lead = hanging.group(1) if hanging and line[0].isspace() else ""
    return textwrap.fill(" ".join(line[len(lead):].split()), width,
                         initial_indent=indent + lead,
                         subsequent_indent=indent + " " * len(lead)) if line.strip() else ""


def db_default() -> str:
    """``$HARNESS_DB``, else ``results.db``."""
    return os.environ.get("HARNESS_DB", "results.db")


def usage(parser: argparse.ArgumentParser) -> int:
    """A command group given without an action: its help on stderr, usage status."""
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def require_db(db: str) -> None:
    """A database path that does not exist yet is an error for commands that read."""
    if "://" not in db and not Path(db).exists():
        raise HarnessError(f"--db={db}: no such database yet; run `harness demo` or a "
                           "scenario run first, or pass --db")


__all__ = [
    "EXIT_CODES",
    "EXIT_FAILURES",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "HelpFormatter",
    "db_default",
    "exit_codes_epilog",
    "require_db",
    "usage",
]
