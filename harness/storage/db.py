"""Opening the database: engine settings, SQLite WAL mode, and automatic migrations."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from harness.support.errors import ConfigError
from harness.support.secrets import mask_url, register_secret, url_secrets

DEFAULT_DB = "results.db"


def normalize_url(db: str) -> str:
    """Accept a path (``results.db``) or any SQLAlchemy URL."""
    if not db.strip():
        raise ConfigError("--db", None, "the database is empty",
                          "Give a SQLite path or a database URL, e.g. --db results.db")
    if "://" not in db:
        try:  # ~ and ~user as a shell expands them; left as written for no such user
            return f"sqlite:///{Path(db).expanduser()}"
        except RuntimeError:
            return f"sqlite:///{Path(db)}"
    return db


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


#: How long a write waits for another process's lock on a SQLite file before it is
#: refused (seconds; ``HARNESS_DB_BUSY_TIMEOUT`` sets it).
BUSY_TIMEOUT = 30.0


def busy_timeout() -> float:
    """``$HARNESS_DB_BUSY_TIMEOUT`` seconds (0 to 3600), else ``BUSY_TIMEOUT``."""
    raw = os.environ.get("HARNESS_DB_BUSY_TIMEOUT", "").strip()
    if not raw:
        return BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:  # NaN too
        raise ConfigError("HARNESS_DB_BUSY_TIMEOUT", None,
                          f"{raw!r} is not a number of seconds from 0 to 3600",
                          "Set it to how long a write may wait for another process's lock, "
                          "e.g. HARNESS_DB_BUSY_TIMEOUT=30, or unset it")
    return value


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cur.close()


def make_engine(db: str) -> Engine:
    url = normalize_url(db)
    register_secret(*url_secrets(url)[1:3])  # its password, in any log line or traceback
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"--db={mask_url(db)}", None, "not a database URL or path",
                          "Give a file path such as results.db or a URL such as "
                          "postgresql+psycopg://user@host/harness") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None and not path.parent.is_dir():
            raise ConfigError(f"--db={mask_url(db)}", None,
                              f"the folder {path.parent} does not exist" if not
                              path.parent.exists() else f"{path.parent} is not a folder",
                              "Create it or choose another path")
        kwargs["connect_args"] = {"timeout": busy_timeout()}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise ConfigError(f"--db={mask_url(db)}", None, f"cannot use this database: {exc}",
                          "Install its driver or check the URL") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config() -> Config:
    cfg = Config()
    location = Path(str(resources.files("harness.storage").joinpath("migrations")))
    cfg.set_main_option("script_location", str(location))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


#: The key of the PostgreSQL advisory lock that serialises migrations ("rnr-harness").
MIGRATION_LOCK_KEY = 0x726E725F68726E73


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes sharing one database: a file lock beside a
    SQLite file (xdist workers, several runs), a session advisory lock on PostgreSQL
    (several hosts of a farm starting on one new database at once)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                conn.commit()
        return
    path = sqlite_path(str(engine.url))
    if path is None:
        yield
        return
    lock = path.with_name(path.name + ".migrate.lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"--db={path}", None, f"the migration lock {lock} cannot be made "
                          f"({exc.strerror or exc})", "Give a path in a folder this user may "
                          "write, e.g. --db results.db") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it already is."""
    shown = mask_url(str(engine.url))
    try:
        with _migration_lock(engine):
            if current_revision(engine) == head_revision():
                return
            cfg = _alembic_config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise ConfigError(f"--db={shown}", None,
                          "cannot open or migrate the database: "
                          + " ".join(str(getattr(exc, "orig", None) or exc).split()),
                          "Check that the file is writable and is a harness database, or "
                          "that the server is reachable") from None
