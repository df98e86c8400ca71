"""A run killed with SIGKILL mid-way: nothing completed is lost, nothing unfinished reads
as a result, and the next run marks the unfinished rows aborted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from _cli import BIN, REPO, env, harness


def count(db: Path, where: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(f"select count(*) from measurements where {where}")
                   .fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def test_sigkill_loses_nothing_completed(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    proc = subprocess.Popen(
        [str(BIN / "harness"), "demo", "--db", str(db), "--workers", "2", "--report",
         str(tmp_path / "r.html")],
        cwd=REPO, env=env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if db.exists() and count(db, "status in ('access', 'barrier')") >= 5 and \
                    count(db, "status = 'running'") >= 1:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the demo never had 5 completed and 1 running attempt")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = count(db, "status in ('access', 'barrier', 'failure')")
    running = count(db, "status = 'running'")
    assert done >= 5 and running >= 1
    # every row that reads as a result is complete
    assert count(db, "status in ('access', 'barrier', 'failure') and "
                     "(ended_at is null or stage is null)") == 0
    assert count(db, "status = 'running' and (barrier is not null or stage is not null)") == 0
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()

    again = harness(["demo", "--db", str(db), "--app", "demo-openchat", "--country", "DE",
                     "--report", str(tmp_path / "r2.html")], tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"marked {running} unfinished attempts" in again.stderr
    assert count(db, "status = 'running'") == 0
    assert count(db, "status = 'aborted'") == running
    assert count(db, "status in ('access', 'barrier', 'failure')") == done + 1
