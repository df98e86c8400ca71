"""Faults of the storage a run writes to, each with the record it must leave: the
database locked by another process for a moment and beyond its busy timeout, the database
full (SQLite's ``max_page_count``, set on every connection the run's pool hands out), and
the evidence folder's disk full (a small tmpfs).

The runs are ``harness run`` (in this process, so that the connection hook applies) on
the simulator, into a real SQLite file. Afterwards the file is intact (``integrity_check``)
and every row that reads as a result is one that was measured and stored whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _cli import BIN, env, harness
from sqlalchemy import event
from sqlalchemy.pool import Pool

from harness.cli.main import main
from harness.runs.batch import UNSTORED_LIMIT

REPO = Path(__file__).resolve().parents[2]
ARGS = ["run", str(REPO / "scenarios" / "demo"), "--backend", "sim", "--app",
        "demo-openchat,demo-dialcode,demo-zhenming", "--country", "DE,FR,GB,HK",
        "--workers", "2"]
PLANNED = 12


@contextlib.contextmanager
def on_checkout(*pragmas: str) -> Iterator[list[str]]:
    """Each pragma in the list (which the test may change) run on every connection the
    harness's pools hand out, after the harness's own pragmas."""
    live = list(pragmas)

    def apply(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in live:
            cur.execute(pragma)
        cur.close()

    event.listen(Pool, "checkout", apply)
    try:
        yield live
    finally:
        event.remove(Pool, "checkout", apply)


def results(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=0.2)
        try:
            return int(conn.execute("select count(*) from measurements where status in "
                                    "('access', 'barrier')").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def after_results(db: Path, n: int, then: Any) -> threading.Thread:
    """Call ``then()`` in a thread once ``n`` results are stored."""
    def watch() -> None:
        deadline = time.monotonic() + 120
        while results(db) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        then()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def check_intact(db: Path) -> list[tuple[Any, ...]]:
    """The file is sound, and every result row is complete."""
    assert table(db, "pragma integrity_check") == [("ok",)]
    rows = table(db, "select status, stage, ended_at, failure from measurements")
    assert all(r[1] is not None and r[2] is not None for r in rows
               if r[0] in ("access", "barrier", "failure"))
    return rows


def test_a_lock_shorter_than_the_busy_timeout_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "r.db"

    def hold() -> None:
        conn = sqlite3.connect(db, timeout=30, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(0.5)
        conn.execute("COMMIT")
        conn.close()

    with on_checkout("PRAGMA busy_timeout=5000"):
        locker = after_results(db, 2, hold)
        code = main([*ARGS, "--db", str(db)])
    locker.join(10)
    assert code == 0
    rows = check_intact(db)
    assert len(rows) == PLANNED and all(r[0] in ("access", "barrier") for r in rows)
    assert table(db, "select status from runs") == [("completed",)]


def run_cli(args: list[str], tmp: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BIN / "harness"), *args], cwd=REPO,
                            env={**env(tmp), **extra}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def test_a_lock_held_past_the_busy_timeout_stops_the_run(tmp_path: Path) -> None:
    """Writes wait 0.3 s (``HARNESS_DB_BUSY_TIMEOUT``); another process holds the lock
    until the run has given up: it stops after ``UNSTORED_LIMIT`` attempts in a row were
    refused, and the next run, ``--resume``, finishes it."""
    db = tmp_path / "r.db"
    proc = run_cli([*ARGS, "--db", str(db)], tmp_path, HARNESS_DB_BUSY_TIMEOUT="0.3")
    try:
        deadline = time.monotonic() + 120
        while results(db) < 2:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        lock = sqlite3.connect(db, timeout=30, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        _out, err = proc.communicate(timeout=120)
        lock.execute("COMMIT")
        lock.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, err
    assert f"the run stopped: {UNSTORED_LIMIT} attempts in a row could not be stored" in err
    assert "database is locked" in err and "Traceback" not in err
    rows = check_intact(db)
    assert sum(r[0] in ("access", "barrier") for r in rows) >= 2 and len(rows) < PLANNED

    again = harness([*ARGS, "--db", str(db), "--resume"], tmp_path)
    assert again.returncode in (0, 1), again.stderr
    per_instance = table(db, "select scenario_id, profile_id, count(*) from measurements "
                             "where status in ('access', 'barrier', 'failure') "
                             "group by 1, 2")
    assert len(per_instance) == PLANNED and all(n == 1 for *_k, n in per_instance)
    assert table(db, "select count(*) from measurements where status = 'running'") == [(0,)]


def test_a_full_database_stops_the_run_and_keeps_what_was_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite's page limit reached mid-run (set on every pooled connection)."""
    db = tmp_path / "r.db"
    with on_checkout() as pragmas:
        def cap() -> None:
            pages = table(db, "pragma page_count")[0][0]
            pragmas.append(f"PRAGMA max_page_count={pages + 2}")

        watcher = after_results(db, 3, cap)
        code = main([*ARGS, "--db", str(db)])
        watcher.join(10)
        assert pragmas, "the cap was never set"
    err = capsys.readouterr().err
    assert code == 2 and "database or disk is full" in err and "Traceback" not in err
    assert f"{UNSTORED_LIMIT} attempts in a row could not be stored" in err
    rows = check_intact(db)
    assert sum(r[0] in ("access", "barrier") for r in rows) >= 3
    assert len(rows) < PLANNED


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Any]:
    """``tmpfs(size)``: a folder on a tmpfs of that size (root only: skipped where
    mounting is not allowed); unmounted when the test ends."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(where)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)


def test_a_full_evidence_disk_is_a_failure_of_each_attempt_it_hits(
        tmp_path: Path, tmpfs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"
    small_disk = tmpfs("400k")
    code = main([*ARGS, "--db", str(db), "--artifacts", str(small_disk)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    rows = check_intact(db)
    assert len(rows) == PLANNED
    hit = table(db, "select failure, failure_detail from measurements "
                    "where status = 'failure'")
    assert hit and all(f == "unknown_failure" and "No space left on device" in (d or "")
                       for f, d in hit)
    # the evidence of every stored result is whole; no partial file is left behind
    assert not list(small_disk.rglob("*.tmp"))
    for path, sha in table(db, "select a.url, a.sha256 from artifacts a join measurements m "
                               "on m.id = a.measurement_id where m.status in "
                               "('access', 'barrier')"):
        local = Path(path.removeprefix("file://"))
        assert hashlib.sha256(local.read_bytes()).hexdigest() == sha


def test_a_full_disk_under_the_database_stops_the_run_until_there_is_room(
        tmp_path: Path, tmpfs: Any) -> None:
    """The database itself on a tmpfs: the disk fills mid-run, the run stops; once the
    disk is made larger, ``--resume`` finishes the run."""
    small_disk = tmpfs("8m")
    db = small_disk / "r.db"
    ballast = small_disk / "ballast"
    proc = run_cli([*ARGS, "--db", str(db), "--artifacts", str(tmp_path / "evidence")],
                   tmp_path)
    try:
        deadline = time.monotonic() + 120
        while results(db) < 3:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        with contextlib.suppress(OSError), open(ballast, "wb") as fh:
            while True:  # the rest of the disk
                fh.write(b"\0" * 4096)
                fh.flush()
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, err
    assert "disk is full" in err and "Traceback" not in err
    rows = check_intact(db)
    assert sum(r[0] in ("access", "barrier") for r in rows) >= 3 and len(rows) < PLANNED

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = harness([*ARGS, "--db", str(db), "--artifacts", str(tmp_path / "evidence"),
                     "--resume"], tmp_path)
    assert again.returncode in (0, 1), again.stderr
    done = table(db, "select count(distinct scenario_id || profile_id) from measurements "
                     "where status in ('access', 'barrier', 'failure')")[0][0]
    assert done == PLANNED
