"""Before any work: every place a command will write is checked, so that a bad path is one
paragraph naming the option, the path, the reason the system gave and the fix, never a
traceback halfway through (or, under pytest, once per item).

The places are the database (a SQLite file: its folder takes new files, which SQLite's
journal and the migration lock need, and the file opens for writing; a server URL: it
connects), the evidence folder, an export folder, a report file and the device-lease lock
folder. Whether a folder takes new files is found by making one (and removing it): the
permission bits say nothing for root, which may still not write in ``/proc``, on a
read-only mount or inside a path whose parent is a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from harness.storage.db import normalize_url, sqlite_path
from harness.storage.locations import S3Location, parse_location
from harness.support.errors import ConfigError, ConfigErrors, display_path
from harness.support.secrets import mask_urls, shown_db

#: The environment variable that moves the device-lease lock folder.
LOCK_DIR_ENV = "HARNESS_LOCK_DIR"
#: Seconds a database server may take to accept the check's connection.
CONNECT_TIMEOUT = 10


def lock_dir() -> Path:
    """Where device leases are kept: ``$HARNESS_LOCK_DIR``, else ``rnr-harness-locks`` in
    the system's temporary folder (not created here)."""
    return Path(os.environ.get(LOCK_DIR_ENV)
                or os.path.join(tempfile.gettempdir(), "rnr-harness-locks"))


@dataclass(frozen=True)
class Target:
    """One place a command will write, and how an error names it.

    ``kind``: ``database`` (``value`` is a path or URL), ``folder`` (made with its
    parents if missing) or ``file`` (its folder made if missing). ``where`` is the
    error's location (``--out=exports``, ``nightly.yaml:4``), ``field`` its field.
    """

    kind: Literal["database", "folder", "file"]
    value: str | Path
    where: str
    field: str | None = None
    fix: str | None = None


def database(db: str, option: str = "--db") -> Target:
    return Target("database", db, f"{option}={shown_db(db)}")


def folder(path: Path, option: str, fix: str | None = None) -> Target:
    return Target("folder", path, f"{option}={display_path(path)}",
                  fix=fix or f"Give {option} a folder this user may write")


def output_file(path: Path, option: str, fix: str | None = None) -> Target:
    return Target("file", path, f"{option}={display_path(path)}",
                  fix=fix or f"Give {option} a file in a folder this user may write")


def artifacts(value: Path | str | None, db: str, option: str = "--artifacts"
              ) -> Target | None:
    """The evidence folder (given, or ``artifacts/`` beside a SQLite database, else in
    the working folder); None for an object store, which is checked when it opens."""
    if value is None:
        base = _sqlite_file(db)
        where = (base.parent if base is not None else Path.cwd()) / "artifacts"
        return Target("folder", where, f"{option} (default {display_path(where)})",
                      fix=f"Give a folder this user may write with {option} DIR")
    parsed = parse_location(value, option)
    if isinstance(parsed, S3Location):
        return None
    return Target("folder", parsed, f"{option}={display_path(parsed)}",
                  fix="Give a folder this user may write, or an s3://bucket/prefix URL")


def locks(option: str = LOCK_DIR_ENV) -> Target:
    where = lock_dir()
    return Target("folder", where, f"{option}={display_path(where)}",
                  fix=f"Set {LOCK_DIR_ENV} to a folder this user may write")


def for_run(db: str, artifacts_dir: Path | str | None, *, report: Path | None = None,
            leases: bool = False) -> list[Target | None]:
    """What a run writes: its database, its evidence, its report (``--report``) and, when
    it leases devices itself (``leases``: the appium backend), the lock folder."""
    return [database(db), artifacts(artifacts_dir, db),
            output_file(report, "--report") if report is not None else None,
            locks() if leases else None]


def check_targets(targets: Iterable[Target | None]) -> None:
    """Raise ``ConfigError`` (one problem) or ``ConfigErrors`` (several) for every target
    that cannot be written; a default evidence folder beside a database that failed is
    not reported again."""
    errors: list[ConfigError] = []
    failed_db = False
    for t in targets:
        if t is None or (failed_db and t.where.startswith("--artifacts (default")):
            continue
        error = problem(t)
        if error is not None:
            errors.append(error)
            failed_db = failed_db or t.kind == "database"
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)


def problem(t: Target) -> ConfigError | None:
    """Why ``t`` cannot be written, as the error to show; None when it can."""
    if t.kind == "database":
        return _database_problem(t)
    path = Path(t.value)
    if t.kind == "file":
        if path.is_dir():
            return _error(t, f"{display_path(path)} is a folder, not a file",
                          "Name the file to write, e.g. reports/report.html")
        reason = (_open_problem(path) if path.exists() else None) or folder_problem(
            path.parent)
    else:
        reason = folder_problem(path)
    return None if reason is None else _error(t, reason, t.fix or "Choose a place this "
                                              "user may write")


def folder_problem(path: Path) -> str | None:
    """Why files cannot be made in ``path`` (or, if it does not exist yet, in the nearest
    folder above it, where it would be made); None when they can."""
    existing = path.absolute()
    while not _exists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{display_path(existing)} is not a folder this user may write (it is a file)"
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".harness-write-check-")
    except OSError as exc:
        return (f"{display_path(existing)} is not a folder this user may write (making a "
                f"file there fails: {_reason(exc)})")
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def _database_problem(t: Target) -> ConfigError | None:
    db = str(t.value)
    path = _sqlite_file(db)
    if path is not None:
        parent = path.parent
        if not _exists(parent):
            above = folder_problem(parent)
            return _error(t, above or f"the folder {display_path(parent)} does not exist",
                          "Create the folder or choose another path, e.g. --db results.db")
        if path.is_dir():
            return _error(t, f"{display_path(path)} is a folder, not a database file",
                          "Name the database file, e.g. --db results.db")
        reason = folder_problem(parent) or (_open_problem(path) if path.exists() else None)
        if reason is not None:  # SQLite makes its journal and the migration lock beside it
            return _error(t, reason, "Give a path in a folder this user may write, e.g. "
                          "--db results.db")
        return None
    if "://" in db and make_url(normalize_url(db)).get_backend_name() != "sqlite":
        return _connect_problem(t, db)
    return None


def _connect_problem(t: Target, db: str) -> ConfigError | None:
    """Whether a database server answers and lets this user in (one short connection)."""
    url = make_url(db)
    args = {"connect_timeout": CONNECT_TIMEOUT} if url.get_backend_name() == "postgresql" \
        else {}
    try:
        engine = create_engine(url, connect_args=args)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        return _error(t, f"cannot use this database: {exc}", "Install its driver or check "
                      "the URL")
    try:
        with engine.connect():
            return None
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return _error(t, f"the database does not answer: {mask_urls(reason)}",
                      "Check the host, port and database name, and that the user and the "
                      "password (from the environment) are right")
    finally:
        engine.dispose()


def _sqlite_file(db: str) -> Path | None:
    try:
        return sqlite_path(normalize_url(db))
    except ArgumentError:
        return None


def _open_problem(path: Path) -> str | None:
    """Why an existing file cannot be opened for writing (it is not changed)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        return f"{display_path(path)} cannot be opened for writing ({_reason(exc)})"
    os.close(fd)
    return None


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except OSError:
        return False
    return True


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _error(t: Target, problem_text: str, fix: str) -> ConfigError:
    return ConfigError(t.where, t.field, problem_text, fix)


__all__ = [
    "CONNECT_TIMEOUT",
    "LOCK_DIR_ENV",
    "Target",
    "artifacts",
    "check_targets",
    "database",
    "folder",
    "folder_problem",
    "for_run",
    "lock_dir",
    "locks",
    "output_file",
    "problem",
]
