"""``harness nightly --config FILE`` end to end: real processes, the simulator, a loopback
store, a SQLite file and (parametrized) PostgreSQL.

Two nights over one database: the second sees a changed outcome (the DE profile's SIM is
swapped for a Hong Kong number, which DialCode accepts), a store that stopped offering an
app, and the same unknown screen again (not new the second time). Then the exit
statuses: a failure rate above the threshold, a bad file, a lock held by a running
nightly, and a lock left by one killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _cli import BIN, REPO, env, harness
from databases import database
from sqlalchemy import text

from harness.analysis.definitions import Confirmation
from harness.runs.nightly import LOCK, Heartbeat
from harness.runs.nightly_summary import instance_changes
from harness.storage import make_engine
from harness.storage.models import JobLock
from harness.storage.plan import acquire_lock, release_lock
from harness.storage.store import Store

sys.path.insert(0, str(REPO / "tests" / "stores"))
from store_helpers import replay_server
from store_replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer

HK_NUMBER = "+85251234567"
PASSWORD = "pw-never-shown-4711"
#: Stops on a screen the scenario does not know: failure ui_unrecognized, every time.
STUCK = """\
id: demo-stuck
version: 1
app:
  name: Stuck
  developer: Harness demo
  android_package: org.harnessdemo.openchat
  apple_id: null
  demo: true
steps:
  - launch: {clear: true}
  - tap: {text: ["Agree", "同意"]}
    stage: signup
  - wait: "A screen this app never shows"
    timeout: 1
  - wait: "Welcome to OpenChat"
    stage: account
"""
MEASURED_TWICE = """
select count(*) from (select scenario_id, profile_id from measurements
                      where status <> 'aborted' group by scenario_id, profile_id
                      having count(*) > 1) twice"""


# --------------------------------------------------------------------------- helpers


def rows(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params).all()]
    except Exception:  # the schema is not there yet
        return []
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params: Any) -> Any:
    found = rows(url, sql, **params)
    return found[0][0] if found else None


def night_files(tmp: Path) -> None:
    """DialCode and the stuck scenario; DE (its SIM may be foreign) and HK profiles."""
    (tmp / "scen").mkdir()
    (tmp / "prof").mkdir()
    shutil.copy(REPO / "scenarios" / "demo" / "dialcode.yaml", tmp / "scen")
    (tmp / "scen" / "stuck.yaml").write_text(STUCK, encoding="utf-8")
    de = (REPO / "device_profiles" / "DE.yaml").read_text(encoding="utf-8")
    (tmp / "prof" / "DE.yaml").write_text(de.replace("foreign_sim: false",
                                                     "foreign_sim: true"), encoding="utf-8")
    shutil.copy(REPO / "device_profiles" / "HK.yaml", tmp / "prof")


def write_config(tmp: Path, db: str, **fields: Any) -> Path:
    config: dict[str, Any] = {
        "scenarios": ["scen"], "profiles": "prof", "countries": ["DE", "HK"],
        "backend": "sim", "db": db, "workers": 2, "failure_rate_threshold": 0.6,
        "summary_dir": "out", "store_checks": {"enabled": False}}
    config.update(fields)
    path = tmp / "nightly.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def summary(tmp: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp / "out" / "summary.json").read_text("utf-8"))
    return data


def with_password(url: str) -> str:
    """A PostgreSQL URL naming its password through an environment variable (the test
    cluster trusts local connections, so the password is never checked, only carried)."""
    return url.replace("harness@", "harness:${NIGHTLY_DB_PASSWORD}@", 1)


@pytest.fixture
def store_server() -> Iterator[tuple[ReplayServer, dict[str, str]]]:
    """A loopback App Store and Play; ``state[country]`` says what Play answers there."""
    state: dict[str, str] = {}
    server = replay_server(
        play_state=lambda country, package: state.get(country.upper(), PLAY_AVAILABLE))
    server.start()
    yield server, state
    server.stop()


def store_checks(server: ReplayServer) -> dict[str, Any]:
    return {"stores": ["apple", "play"], "apps": ["wechat"], "countries": "profiles",
            "apple_url": server.apple_url, "play_url": server.play_url, "apple_rate": 0,
            "play_rate": 0, "backoff": 0, "direct": True}


# --------------------------------------------------------------------------- two nights


def check_first_night(tmp: Path, db: str, out: subprocess.CompletedProcess[str]) -> str:
    """Night 1: the summary's figures are the database's."""
    assert out.returncode == 0, out.stdout + out.stderr
    s = summary(tmp)
    run_id = s["run"]["run_id"]
    assert s["ok"] is True and s["problems"] == [] and s["run"]["status"] == "completed"
    assert s["previous_night"] is None
    assert s["counts_by_status"] == dict(rows(
        db, "select status, count(*) from measurements where run_id = :r group by status",
        r=run_id)) == {"access": 1, "barrier": 1, "failure": 2}
    assert s["failures_by_code"] == {"ui_unrecognized": 2}
    assert s["plan"] == {"done": 4}
    rate = s["instrument_failure_rate"]
    assert (rate["attempts"], rate["failures"], rate["rate"]) == (4, 2, 0.5)
    assert {p["profile"]: (p["attempts"], p["failures"]) for p in rate["by_profile"]} \
        == {"DE": (2, 1), "HK": (2, 1)}
    assert rate["by_node"] == [{"node": None, "attempts": 4, "failures": 2, "rate": 0.5}]
    # both unknown screens are one new screen, each attempt with its command
    stuck = sorted(r[0] for r in rows(
        db, "select id from measurements where run_id = :r and failure = 'ui_unrecognized'",
        r=run_id))
    [screen] = s["triage"]["new_screens"]
    assert screen["scenario"] == "demo-stuck"
    assert sorted(m["id"] for m in screen["measurements"]) == stuck
    md = (tmp / "out" / "summary.md").read_text("utf-8")
    for mid in stuck:
        assert f"`harness show {mid[:12]}`" in md
    assert s["changes"] == {"changed": [], "new": 2, "unchanged": 0}
    check_store_counts(s, db)
    return str(run_id)


def check_store_counts(s: dict[str, Any], db: str) -> None:
    st = s["store_checks"]
    stored = rows(db, "select store, result, count(*) from store_checks where run_id = :r "
                      "and (reference is null or reference = false) group by store, result",
                  r=st["run_id"])
    assert st["checks"] == sum(n for _, _, n in stored) == 4  # 2 stores x DE, HK
    assert st["by_store_and_result"] == {
        store: {res: n for s2, res, n in stored if s2 == store} for store, _, _ in stored}


def check_second_night(tmp: Path, db: str, out: subprocess.CompletedProcess[str],
                       first: str) -> str:
    """Night 2: one instance changed, one store stopped offering the app, the unknown
    screen is not new any more."""
    assert out.returncode == 0, out.stdout + out.stderr
    s = summary(tmp)
    assert s["previous_night"]["run_id"] == first
    [change] = s["changes"]["changed"]
    assert (change["app"], change["country"], change["previous_outcome"],
            change["current_outcome"], change["previous_run_id"]) == (
        "demo-dialcode", "DE", "barrier:phone_country_unsupported", "access:full", first)
    assert (change["confirmation"], change["agreeing_attempts"]) == ("confirmed", 1)
    assert (s["changes"]["new"], s["changes"]["unchanged"]) == (0, 1)
    assert s["triage"] == {"ui_unrecognized": 2, "known": 2, "new_screens": []}
    assert [(c["app"], c["store"], c["country"], c["previous"], c["current"],
             c["confirmation"]) for c in s["store_checks"]["changes"]] == [
        ("wechat", "play", "HK", "available", "unavailable", "confirmed")]
    md = (tmp / "out" / "summary.md").read_text("utf-8")
    assert "| demo-dialcode | DE | barrier:phone_country_unsupported | access:full | " \
           "confirmed (1 agreeing)" in md
    assert len(list((tmp / "out" / "history").iterdir())) == 4
    return str(s["run"]["run_id"])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_nights_summarise_what_was_measured_and_what_changed(
        backend: str, tmp_path: Path,
        store_server: tuple[ReplayServer, dict[str, str]]) -> None:
    server, play = store_server
    night_files(tmp_path)
    secret = {"NIGHTLY_DB_PASSWORD": PASSWORD}
    with database(backend, tmp_path) as url:
        db = with_password(url) if backend == "postgresql" else "results.db"
        config = write_config(tmp_path, db, store_checks=store_checks(server),
                              confirmation={"min_attempts": 1, "min_hours": 0})
        db_path = url if backend == "postgresql" else str(tmp_path / "results.db")
        first_out = harness(["nightly", "--config", str(config)], tmp_path, extra_env=secret)
        first = check_first_night(tmp_path, db_path, first_out)

        play["HK"] = PLAY_NOT_FOUND
        second_out = harness(["nightly", "--config", str(config)], tmp_path,
                             extra_env={**secret, "HARNESS_PHONE_DE": HK_NUMBER})
        second = check_second_night(tmp_path, db_path, second_out, first)

        # the new outcome has not repeated: under a rule that wants two attempts, it
        # is unconfirmed
        store = Store.open(db_path, tmp_path / "artifacts")
        try:
            [again] = instance_changes(store, second, Confirmation(2, 0), True).changed
        finally:
            store.close()
        assert (again.confirmation, again.agreeing_attempts) == ("unconfirmed", 1)
        shown = [first_out.stdout, first_out.stderr, second_out.stdout, second_out.stderr,
                 *(p.read_text("utf-8") for p in (tmp_path / "out").rglob("summary*"))]
        assert not any(PASSWORD in t for t in shown)
        assert scalar(db_path, "select count(*) from job_locks") == 0


def test_a_failure_rate_above_the_threshold_exits_1(tmp_path: Path) -> None:
    night_files(tmp_path)
    config = write_config(tmp_path, "results.db", apps=["demo-stuck"], countries=["HK"],
                          failure_rate_threshold=0.5)
    out = harness(["nightly", "--config", str(config)], tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "instrument-failure rate of the attempts 100.0 % is above the threshold " \
           "50.0 %" in out.stdout
    s = summary(tmp_path)
    assert s["ok"] is False and s["run"]["status"] == "completed"
    assert s["instrument_failure_rate"]["above_threshold"] is True
    assert "**NOT OK**" in (tmp_path / "out" / "summary.md").read_text("utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if needle in line)


@pytest.mark.parametrize(("fields", "needle", "field", "problem"), [
    ({"worker": 2}, "worker:", "worker", "is not a known field"),
    ({"failure_rate_threshold": 2}, "failure_rate_threshold:", "failure_rate_threshold",
     "less than or equal to 1"),
    ({"countries": ["DE", "XX"]}, "countries:", "countries", "no device profile for 'XX'"),
    ({"db": "postgresql+psycopg://h:${NIGHTLY_UNSET_PW}@127.0.0.1/db"}, "db:", "db",
     "environment variable NIGHTLY_UNSET_PW is not set"),
    ({"store_checks": {"apps": ["no-such-app"]}}, "apps:", "store_checks.apps",
     "no app 'no-such-app' in the catalog"),
    ({"summary_dir": "nightly.yaml/out"}, "summary_dir:", "summary_dir",
     "nightly.yaml is not a folder this user may write"),
])
def test_a_bad_configuration_exits_2_naming_file_line_and_field(
        tmp_path: Path, fields: dict[str, Any], needle: str, field: str,
        problem: str) -> None:
    night_files(tmp_path)
    config = write_config(tmp_path, **{"db": "results.db", **fields})
    out = harness(["nightly", "--config", str(config)], tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    line = line_of(config, needle)
    assert re.search(rf"nightly\.yaml:{line}: field `{re.escape(field)}`: .*"
                     rf"{re.escape(problem)}", out.stderr), out.stderr
    assert "Traceback" not in out.stderr
    # nothing was written: no database, no summary
    assert not (tmp_path / "results.db").exists() and not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- the lock


def demo_config(tmp: Path, db: str, apps: list[str], countries: list[str]) -> Path:
    return write_config(tmp, db, scenarios=[str(REPO / "scenarios" / "demo")],
                        profiles=str(REPO / "device_profiles"), apps=apps,
                        countries=countries)


def start(config: Path, tmp: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "harness"), "nightly", "--config", str(config)], cwd=REPO, env=env(tmp),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for(proc: subprocess.Popen[str], what: str, ready: Any) -> None:
    deadline = time.monotonic() + 180
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"the nightly ended before {what}:\n"
                                 f"{proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_second_nightly_refuses_while_the_first_holds_the_lock(
        backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        db = url if backend == "postgresql" else str(tmp_path / "results.db")
        config = demo_config(tmp_path, db, ["demo-dialcode", "demo-openchat", "demo-zhenming"],
                             ["DE", "FR", "JP", "US"])
        first = start(config, tmp_path)
        try:
            wait_for(first, "it took the lock",
                     lambda: scalar(db, "select pid from job_locks") == first.pid)
            second = harness(["nightly", "--config", str(config)], tmp_path)
            assert first.poll() is None, "the first nightly ended before the second tried"
            out = first.communicate(timeout=300)[0]
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait()
        assert second.returncode == 2, second.stdout + second.stderr
        assert "another `nightly` job holds its lock in the database" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        # the first was not disturbed: it measured everything, once, and let go
        assert first.returncode == 0, out
        assert summary(tmp_path)["ok"] is True
        assert scalar(db, "select count(*) from runs") == 1
        assert scalar(db, "select count(*) from run_plan where state = 'done'") == 12
        assert scalar(db, MEASURED_TWICE) == 0
        assert scalar(db, "select count(*) from job_locks") == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_lock_left_by_a_killed_nightly_is_taken_over_and_its_night_finished(
        backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        db = url if backend == "postgresql" else str(tmp_path / "results.db")
        config = demo_config(tmp_path, db, ["demo-dialcode", "demo-openchat",
                                            "demo-zhenming"], ["DE", "FR", "JP", "US"])
        first = start(config, tmp_path)
        try:
            wait_for(first, "4 attempts were stored and one was under way", lambda: (
                (scalar(db, "select count(*) from measurements where status in "
                            "('access', 'barrier', 'failure')") or 0) >= 4
                and (scalar(db, "select count(*) from measurements where status = "
                                "'running'") or 0) >= 1))
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        killed_run = scalar(db, "select id from runs")
        assert scalar(db, "select pid from job_locks") == first.pid

        second = harness(["nightly", "--config", str(config)], tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert re.search(rf"took over the nightly lock left by a process that is gone "
                         rf"\(host \S+, pid {first.pid},", second.stderr), second.stderr
        assert f"resuming run {killed_run[:12]}" in second.stderr
        s = summary(tmp_path)
        assert s["resumed"] is True and s["run"]["run_id"] == killed_run, second.stderr
        assert s["run"]["status"] == "completed" and s["ok"] is True, s["problems"]
        assert s["plan"] == {"done": 12}
        assert scalar(db, "select count(*) from runs") == 1
        assert scalar(db, MEASURED_TWICE) == 0, rows(
            db, "select scenario_id, profile_id, status, started_at from measurements "
                "order by scenario_id, profile_id, started_at")
        assert scalar(db, "select count(*) from job_locks") == 0


def test_the_heartbeat_keeps_the_lock_fresh(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "results.db"), tmp_path / "artifacts")
    try:
        acquire_lock(store, LOCK)
        with store.session() as s:
            before = s.get(JobLock, LOCK)
        assert before is not None
        with Heartbeat(store, interval=0.05):
            time.sleep(0.4)
        with store.session() as s:
            after = s.get(JobLock, LOCK)
        assert after is not None and after.heartbeat_at > before.heartbeat_at
        assert after.acquired_at == before.acquired_at
    finally:
        release_lock(store, LOCK)
        store.close()
