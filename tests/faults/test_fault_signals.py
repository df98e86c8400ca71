"""SIGINT and SIGTERM to ``harness run`` in the middle of a batch on the simulator.

The run stops its attempts, waits for those under way to end, stores itself as
``interrupted`` and exits 130 (SIGINT) or 143 (SIGTERM). Afterwards the completed
measurements are intact, each attempt the stop cut short is ``aborted`` (never a
result, no half-written row), and ``harness run --resume`` measures exactly what is left.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from _cli import BIN, REPO, env, harness

APPS = "demo-openchat,demo-dialcode,demo-zhenming,demo-quietsms"
COUNTRIES = "DE,FR,GB,HK,JP,US"
ARGS = ["run", "scenarios/demo", "--backend", "sim", "--app", APPS, "--country", COUNTRIES,
        "--workers", "2"]
PLANNED = 4 * 6


def count(db: Path, where: str) -> int:
    try:
        conn = sqlite3.connect(db, timeout=30)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute(f"select count(*) from measurements where {where}")
                   .fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_batch_stops_marks_and_resumes(tmp_path: Path, sig: int,
                                                    status: int) -> None:
    db = tmp_path / "r.db"
    proc = subprocess.Popen([str(BIN / "harness"), *ARGS, "--db", str(db)], cwd=REPO,
                            env=env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 120
        while count(db, "status in ('access', 'barrier', 'failure')") < 3 or \
                count(db, "status = 'running'") < 1:
            assert time.monotonic() < deadline and proc.poll() is None, \
                "the run never had 3 completed attempts and 1 under way"
            time.sleep(0.02)
        sent = time.monotonic()
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, err
    assert took < 15, f"the run took {took:.1f} s to stop"
    assert "Traceback" not in err and "--resume" in err

    conn = sqlite3.connect(db)
    [(run_id, run_status)] = conn.execute("select id, status from runs").fetchall()
    rows = conn.execute("select status, stage, barrier, failure, ended_at "
                        "from measurements").fetchall()
    plan = dict(conn.execute("select state, count(*) from run_plan group by state").fetchall())
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert run_status == "interrupted"
    done = [r for r in rows if r[0] in ("access", "barrier", "failure")]
    aborted = [r for r in rows if r[0] == "aborted"]
    assert len(done) >= 3 and aborted, rows
    assert not [r for r in rows if r[0] == "running"]  # nothing left half-written
    assert all(r[1] is not None and r[4] is not None for r in done)  # results complete
    assert all(r[2] is None and r[3] is None for r in aborted)  # aborted: no finding
    assert plan.get("done") == len(done) and plan.get("aborted") == len(aborted)
    assert sum(plan.values()) == PLANNED

    again = harness([*ARGS, "--db", str(db), "--resume", run_id[:12]], tmp_path)
    assert again.returncode in (0, 1), again.stderr
    conn = sqlite3.connect(db)
    results = conn.execute("select scenario_id, profile_id, count(*) from measurements "
                           "where status in ('access', 'barrier', 'failure') "
                           "group by scenario_id, profile_id").fetchall()
    [(final,)] = conn.execute("select status from runs").fetchall()
    conn.close()
    assert len(results) == PLANNED and all(n == 1 for *_k, n in results)
    assert final in ("completed", "completed_with_errors")
    assert count(db, "status = 'aborted'") == len(aborted)  # history is kept
