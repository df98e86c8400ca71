"""A batch on the simulator in which the harness itself raises: every planned attempt still
leaves exactly one row, and the run says it had errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from harness.attempt import run as attempt_module
from harness.runs.batch import run_batch
from harness.spec.config import RunConfig
from harness.spec.profiles import load_profiles, select_profiles
from harness.spec.scenarios import load_scenarios
from harness.storage.store import Store
from harness.vocabulary.outcomes import Backend

REPO = Path(__file__).resolve().parents[2]


def test_an_exception_in_a_worker_is_that_attempts_failure_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = attempt_module.build_capabilities

    def flaky(profile: Any, *args: Any, **kwargs: Any) -> Any:
        if profile.id == "FR":
            raise RuntimeError("capability builder exploded for +33612345678")
        return real(profile, *args, **kwargs)

    monkeypatch.setattr(attempt_module, "build_capabilities", flaky)
    scenarios = [s for s in load_scenarios([REPO / "scenarios" / "demo"])
                 if s.id in ("demo-openchat", "demo-dialcode")]
    profiles = select_profiles(load_profiles(REPO / "device_profiles"), "DE,FR,HK", None)
    store = Store.open(str(tmp_path / "results.db"))
    try:
        batch = run_batch(scenarios, profiles, RunConfig(backend=Backend.SIM,
                                                         db=str(tmp_path / "results.db")),
                          store, workers=3)
    finally:
        store.close()
    assert batch.errors == 2 and batch.status == "completed_with_errors"
    conn = sqlite3.connect(tmp_path / "results.db")
    got = conn.execute("select profile_id, status, failure, failure_detail from measurements "
                       "order by profile_id, scenario_id").fetchall()
    [(run_status, planned)] = conn.execute("select status, planned from runs").fetchall()
    conn.close()
    assert len(got) == planned == 6 and run_status == "completed_with_errors"
    crashed = [r for r in got if r[0] == "FR"]
    assert [(r[1], r[2]) for r in crashed] == [("failure", "unknown_failure")] * 2
    assert all("RuntimeError" in r[3] and "+33612345678" not in r[3] for r in crashed)
    assert all(r[1] in ("access", "barrier") for r in got if r[0] != "FR")
