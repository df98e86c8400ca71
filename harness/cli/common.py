"""What every command group shares: exit statuses, the default database, the usage of a
group given without its action."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness.support.errors import HarnessError

EXIT_OK = 0
#: Some attempts or checks failed (the instrument, never a barrier).
EXIT_FAILURES = 1
#: Bad input: a one-paragraph error was printed.
EXIT_USAGE = 2


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


__all__ = ["EXIT_FAILURES", "EXIT_OK", "EXIT_USAGE", "db_default", "require_db", "usage"]
