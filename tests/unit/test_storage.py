"""The store on a real SQLite file and a real PostgreSQL database: migrations (from an
empty database and from each earlier revision, by several processes at once), the running
-> completed life of a row, aborting rows of dead runs, evidence files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from harness.storage import MeasurementStart, StorageError, Store, Vantage
from harness.storage.db import current_revision, head_revision
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import (
    DATA_FORMAT_VERSION,
    AccessLevel,
    Barrier,
    Stage,
    Status,
    Verdict,
)


def start(run_id: str, **kw: object) -> MeasurementStart:
    base: dict[str, object] = dict(
        run_id=run_id, scenario_id="demo-x", scenario_version=1, app_id="org.x",
        app_name="X", country="DE", region="europe", profile_id="DE", backend="sim",
        rules_version="r1", phone_masked="+49*********78", phone_hash="abc")
    base.update(kw)
    return MeasurementStart(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    s = Store.open(db_url, tmp_path / "artifacts")
    yield s  # type: ignore[misc]
    s.close()


def test_schema_is_migrated_from_an_empty_database(store: Store, db_url: str,
                                                   tmp_path: Path) -> None:
    assert current_revision(store.engine) == head_revision() is not None
    tables = set(inspect(store.engine).get_table_names())
    assert {"runs", "measurements", "steps", "artifacts", "alembic_version"} <= tables
    # opening again is a no-op, not a second migration
    Store.open(db_url, tmp_path / "artifacts").close()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    Store.open(str(tmp_path / "results.db")).close()
    conn = sqlite3.connect(tmp_path / "results.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


_OPEN_AND_RECORD = """
import sys, time
from pathlib import Path
from harness.storage import Store
time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # all start together
store = Store.open(sys.argv[1], Path(sys.argv[2]))
store.ensure_run(sys.argv[3] * 32, "sim", "r1")
store.close()
"""


def test_several_processes_migrate_one_new_database_at_once(db_url: str,
                                                           tmp_path: Path) -> None:
    """Hosts of a farm starting together on a new, empty database: one migrates, the
    others wait for it; every process then writes its run, and nothing is lost."""
    import time

    at = str(time.time() + 4.0)  # after every interpreter has imported the harness
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AND_RECORD, db_url,
                               str(tmp_path / "artifacts"), letter, at],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for letter in "abcdef"]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    store = Store.open(db_url, tmp_path / "artifacts")
    try:
        assert current_revision(store.engine) == head_revision()
        assert sorted(r.id[0] for r, _ in store.recent_runs()) == list("abcdef")
    finally:
        store.close()


def test_row_is_running_then_completed_once(store: Store) -> None:
    rid = store.start_run("sim", "r1")
    mid = store.begin_measurement(start(rid))
    m = store.get_measurement(mid)
    assert m is not None and m.status == "running" and m.ended_at is None
    store.record_vantage(mid, Vantage(device_id="emu-1", sim_country="US",
                                      sim_country_match=False))
    verdict = Verdict(status=Status.BARRIER, stage=Stage.VERIFICATION,
                      barrier=Barrier.ID_VERIFICATION_REQUIRED, rule_id="verify.id.zh_hans",
                      matched_text="请完成实名认证", access_level=AccessLevel.NONE)
    store.complete_measurement(mid, verdict, 7, {"post": "ok"})
    m = store.get_measurement(mid[:10])
    assert m is not None
    assert (m.status, m.barrier, m.stage, m.rule_id, m.steps_done) == (
        "barrier", "id_verification_required", "verification", "verify.id.zh_hans", 7)
    assert m.sim_country == "US" and m.sim_country_match is False
    assert m.duration_s is not None and m.duration_s >= 0
    assert m.data_format_version == DATA_FORMAT_VERSION == "1.1"
    with pytest.raises(StorageError, match="never rewritten"):
        store.complete_measurement(mid, verdict, 7)


def test_artifacts_are_files_referenced_by_hash(store: Store) -> None:
    rid = store.start_run("sim", "r1")
    mid = store.begin_measurement(start(rid))
    store.add_step(mid, 0, "tap", "tap", "signup", 3, "tap text=Agree")
    url = store.add_artifact(mid, rid, 0, "page_source", b"<hierarchy/>", ".xml")
    store.finish_step(mid, 0, "ok", None)
    assert store.artifacts_dir is not None
    path = store.artifacts_dir / rid / mid / "000-page_source.xml"
    assert url == path.resolve().as_uri()
    assert path.read_bytes() == b"<hierarchy/>"
    assert not list(path.parent.glob("*.tmp"))
    m = store.get_measurement(mid)
    assert m is not None and len(m.artifacts) == 1
    art = m.artifacts[0]
    assert (store.artifacts_dir / art.path) == path and art.url == url
    assert art.size == 12 and len(art.sha256) == 64
    assert m.steps[0].outcome == "ok"


def test_rows_of_a_dead_run_become_aborted(store: Store, tmp_path: Path) -> None:
    # a run owned by a process that has exited
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(proc.stdout)
    rid = store.start_run("sim", "r1")
    from sqlalchemy import update

    from harness.storage.models import Run
    with store.session() as s, s.begin():
        s.execute(update(Run).where(Run.id == rid).values(pid=dead_pid))
    done = store.begin_measurement(start(rid))
    store.complete_measurement(done, Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT,
                                             access_level=AccessLevel.FULL), 3)
    left = store.begin_measurement(start(rid, profile_id="FR", country="FR"))
    # a live run (this process) is left alone
    live = store.start_run("sim", "r1")
    live_m = store.begin_measurement(start(live))
    assert store.abort_stale() == 1
    assert store.get_measurement(left).status == "aborted"  # type: ignore[union-attr]
    assert store.get_measurement(done).status == "access"  # type: ignore[union-attr]
    assert store.get_measurement(live_m).status == "running"  # type: ignore[union-attr]
    runs = {r.id: r.status for r, _ in store.recent_runs()}
    assert runs[rid] == "aborted" and runs[live] == "running"


def test_finishing_a_run_aborts_its_unfinished_rows(store: Store) -> None:
    rid = store.start_run("sim", "r1")
    mid = store.begin_measurement(start(rid))
    store.finish_run(rid, "interrupted")
    m = store.get_measurement(mid)
    assert m is not None and m.status == "aborted"


def test_ensure_run_is_idempotent(store: Store) -> None:
    store.ensure_run("a" * 32, "sim", "r1")
    store.ensure_run("a" * 32, "sim", "r1")
    assert [r.id for r, _ in store.recent_runs()] == ["a" * 32]


def test_bad_database_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Store.open(str(tmp_path / "missing" / "r.db"))
    with pytest.raises(ConfigError, match="cannot use this database"):
        Store.open("nosuchdialect+x://")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="cannot open or migrate"):
        Store.open(str(junk))


@pytest.mark.parametrize("revision", ["0001", "0002", "0003", "0004"])
def test_upgrade_from_each_earlier_revision_keeps_rows(db_url: str, tmp_path: Path,
                                                       revision: str) -> None:
    from alembic import command

    from harness.storage.db import _alembic_config, make_engine, migrate

    engine = make_engine(db_url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, started_at, status, harness_version, rules_version, "
            "backend, hostname, pid) VALUES ('old-run', '2024-03-01 00:00:00', "
            "'completed', '0.1', 'r1', 'appium', 'h', 1)")
    assert current_revision(engine) == revision
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert [r.id for r, _ in Store(engine, tmp_path).recent_runs()] == ["old-run"]
    assert "store_checks" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_migrated_schema_is_the_models(store: Store) -> None:
    """Every model column exists in the migrated database, with the same nullability:
    a column added to a model without a migration (or the reverse) fails here."""
    from harness.storage.models import Base

    inspector = inspect(store.engine)
    for table in Base.metadata.sorted_tables:
        migrated = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (
                table.name, column.name)


def test_upgrade_from_0003_keeps_rows_and_adds_empty_columns(db_url: str) -> None:
    from alembic import command

    from harness.storage.db import _alembic_config, make_engine, migrate

    engine = make_engine(db_url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, started_at, status, harness_version, rules_version, "
            "backend, hostname, pid) VALUES ('r', '2024-03-01 00:00:00', 'completed', "
            "'0.1', 'r1', 'appium', 'h', 1)")
        conn.exec_driver_sql(
            "INSERT INTO measurements (id, run_id, data_format_version, harness_version, "
            "scenario_id, scenario_version, app_id, app_name, country, region, profile_id, "
            "backend, started_at, status, stage, barrier, rule_id, rules_version) VALUES "
            "('m', 'r', '1.0', '0.1', 'wechat', 1, 'com.tencent.mm', 'WeChat', 'DE', "
            "'europe', 'DE', 'appium', '2024-03-01 00:00:00', 'barrier', 'store', "
            "'store_unavailable', 'store.play.unavailable', 'r1')")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT status, barrier, store_result, store_rule_id, store_detail "
            "FROM measurements").one()
        assert tuple(row) == ("barrier", "store_unavailable", None, None, None)
        cols = {c["name"] for c in inspect(conn).get_columns("reclassifications")}
        assert {"failure", "access_level"} <= cols
        cols = {c["name"] for c in inspect(conn).get_columns("store_checks")}
        assert {"scope", "scope_detail", "reference"} <= cols
    # and back: 0004 drops only what it added
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    with engine.connect() as conn:
        assert "store_result" not in {c["name"] for c in
                                      inspect(conn).get_columns("measurements")}
        assert conn.exec_driver_sql("SELECT count(*) FROM measurements").scalar() == 1
    engine.dispose()


def test_0005_adds_the_plan_and_claims_and_drops_only_them(store: Store, db_url: str
                                                           ) -> None:
    from alembic import command

    from harness.storage.db import _alembic_config

    rid = store.start_run("sim", "r1")
    mid = store.begin_measurement(start(rid))
    tables = set(inspect(store.engine).get_table_names())
    assert {"run_plan", "instance_claims", "job_locks"} <= tables
    cfg = _alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with store.engine.connect() as conn:
        insp = inspect(conn)
        assert not {"run_plan", "instance_claims", "job_locks"} & set(insp.get_table_names())
        assert not {"node", "retry_of"} & {c["name"] for c in insp.get_columns("measurements")}
        assert "url" not in {c["name"] for c in insp.get_columns("artifacts")}
        assert conn.exec_driver_sql("SELECT id FROM measurements").scalar() == mid


def test_the_store_stage_observation_is_recorded_beside_the_verdict(store: Store) -> None:
    rid = store.start_run("appium", "r1")
    mid = store.begin_measurement(start(rid, backend="appium"))
    store.record_store(mid, "absent_in_country", "store.play.absent_in_country",
                       "play DE org.x: play.http_404: ...")
    store.complete_measurement(mid, Verdict(status=Status.BARRIER, stage=Stage.VERIFICATION,
                                            barrier=Barrier.ID_VERIFICATION_REQUIRED), 6)
    m = store.get_measurement(mid)
    assert m is not None
    assert (m.status, m.barrier, m.store_result, m.store_rule_id) == (
        "barrier", "id_verification_required", "absent_in_country",
        "store.play.absent_in_country")


_WRITE_ATTEMPTS = """
import sys
from pathlib import Path
from harness.storage import MeasurementStart, Store
from harness.vocabulary.outcomes import AccessLevel, Stage, Status, Verdict
store = Store.open(sys.argv[1], Path(sys.argv[2]))
run_id, worker = sys.argv[3], sys.argv[4]
store.ensure_run(run_id, "sim", "r1")
for i in range(25):
    mid = store.begin_measurement(MeasurementStart(
        run_id=run_id, scenario_id=f"app-{worker}", scenario_version=1, app_id="org.x",
        app_name="X", country="DE", region="europe", profile_id=f"P{i}", backend="sim",
        rules_version="r1", phone_masked="+49*********78", phone_hash="abc"))
    store.complete_measurement(mid, Verdict(status=Status.ACCESS, stage=Stage.ACCOUNT,
                                            access_level=AccessLevel.FULL), 3)
store.close()
"""


def test_several_processes_writing_one_run_lose_and_duplicate_nothing(
        store: Store, db_url: str, tmp_path: Path) -> None:
    run_id = "c" * 32
    procs = [subprocess.Popen([sys.executable, "-c", _WRITE_ATTEMPTS, db_url,
                               str(tmp_path / "artifacts"), run_id, str(w)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT scenario_id, profile_id, status FROM measurements "
            f"WHERE run_id = '{run_id}'").all()
    assert len(rows) == 100
    assert len({(a, p) for a, p, _ in rows}) == 100
    assert {s for _, _, s in rows} == {"access"}
    assert [r.id for r, _ in store.recent_runs()] == [run_id]
