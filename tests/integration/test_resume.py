"""A run is a plan: killed with SIGKILL, it resumes and measures each instance once; two
runs over one plan never measure an instance twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _cli import BIN, REPO, env, harness
from databases import database
from sqlalchemy import text

from harness.storage import make_engine

# 4 apps x 5 profiles = 20 instances: long enough to be killed mid-way
SELECTION = ["--app", "demo-openchat,demo-dialcode,demo-gatedpost,demo-zhenming",
             "--country", "DE,FR,JP,US,BR"]
INSTANCES = 20


def scalar(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # the schema is not there yet
        return 0
    finally:
        engine.dispose()


def start(db: str, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "harness"), "demo", "--db", db, "--workers", "2", "--report",
         str(tmp / "r.html"), *SELECTION, *extra],
        cwd=REPO, env=env(tmp), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True)


def kill_when(proc: subprocess.Popen[str], db: str, done: int) -> None:
    """SIGKILL the run once ``done`` attempts are stored and one is under way."""
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            if scalar(db, "select count(*) from measurements where status in "
                          "('access','barrier','failure')") >= done and \
                    scalar(db, "select count(*) from measurements where status = 'running'"):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return
            if proc.poll() is not None:
                raise AssertionError(f"the run ended before it could be killed:\n"
                                     f"{proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.05)
        raise AssertionError("the run never had the attempts to kill it at")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


MEASURED_TWICE = """
select count(*) from (select scenario_id, profile_id from measurements
                      where status <> 'aborted' group by scenario_id, profile_id
                      having count(*) > 1) twice"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_killed_mid_way_resumes_and_measures_each_instance_once(
        backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as db:
        kill_when(start(db, tmp_path), db, done=6)
        run_id = str(scalar_text(db, "select id from runs"))
        assert scalar(db, "select count(*) from run_plan") == INSTANCES
        under_way = scalar(db, "select count(*) from run_plan where state = 'claimed'")
        settled = scalar(db, "select count(*) from run_plan where state = 'done'")
        assert under_way >= 1 and 6 <= settled < INSTANCES

        again = harness(["run", "--resume", "--backend", "sim", "--db", db, "--workers", "2"],
                        tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        # a count, not a line per instance
        assert (f"resuming run {run_id[:12]}: {settled} of {INSTANCES} instances settled "
                f"earlier, {INSTANCES - settled} to measure") in again.stderr
        assert "skipped" not in again.stderr
        assert scalar(db, "select count(*) from runs") == 1
        assert scalar_text(db, "select status from runs") == "completed"
        assert scalar(db, "select count(*) from run_plan where state = 'done'") == INSTANCES
        # each instance measured once; the attempts the kill cut short are aborted
        assert scalar(db, MEASURED_TWICE) == 0
        assert scalar(db, "select count(distinct scenario_id || profile_id) from measurements "
                          "where status <> 'aborted'") == INSTANCES
        # (an instance may be claimed before its attempt's row is written)
        assert 1 <= scalar(db, "select count(*) from measurements where status = "
                               "'aborted'") <= under_way
        assert scalar(db, "select count(*) from measurements where status = 'running'") == 0
        assert scalar(db, "select count(*) from instance_claims") == 0
        # every plan row names the measurement that settled it, a completed one
        assert scalar(db, "select count(*) from run_plan p join measurements m on "
                          "m.id = p.measurement_id where m.status <> 'aborted'") == INSTANCES

        nothing = harness(["run", "--resume", run_id[:12], "--backend", "sim", "--db", db],
                          tmp_path)
        assert nothing.returncode == 2
        assert f"--resume={run_id[:12]}: the run has no instances left to measure" \
            in nothing.stderr


def scalar_text(url: str, sql: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text(sql)).scalar())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_overlapping_runs_never_measure_an_instance_twice(
        backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as db:
        harness(["demo", "--db", db, "--app", "demo-openchat", "--country", "DE"], tmp_path)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = start(db, tmp_path / "a", "--min-interval", "20")
        second = start(db, tmp_path / "b", "--min-interval", "20")
        outs = [p.communicate(timeout=300)[0] for p in (first, second)]
        assert [p.returncode for p in (first, second)] == [0, 0], outs
        assert scalar(db, MEASURED_TWICE) == 0
        # between them, the two runs measured every instance but the one measured before
        assert scalar(db, "select count(*) from measurements where status <> 'aborted'") \
            == INSTANCES
        # the run before settled 1; of the 19 left, each was measured by one of the two
        # runs and skipped by the other, and both skipped the one measured before
        assert scalar(db, "select count(*) from run_plan where state = 'done'") == INSTANCES
        assert scalar(db, "select count(*) from run_plan where state = 'skipped'") \
            == (INSTANCES - 1) + 2
        assert scalar(db, "select count(*) from instance_claims") == 0
        # what a run skips when it plans is said as a count (the later run may already
        # see some of the earlier one's measurements)
        for out in outs:
            assert re.search(r"skipped \d+ of 20 instances attempted less than "
                             r"--min-interval 20 h ago", out), out
            assert "was attempted" not in out  # no line per instance
