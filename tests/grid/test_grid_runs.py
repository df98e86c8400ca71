"""`harness run` and `pytest scenarios/` through a real Selenium Grid 4 hub with two relay
nodes, each in front of its own real Appium 3 + fake-driver server.

Proven here: attempts wait in the Grid's queue (no local locks) and never overlap on one
device; every attempt records the node and device that served it; a node whose Appium
died, or can open no session, has its attempts stored as ``device_unavailable`` and tried
once more, on the other node; a profile no node serves is one clear error before the
run.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from _appium import AppiumServer
from _cli import harness, run_pytest
from _grid import FAKEAPP, TWO_NODES, GridFarm

PHONES = {"GRID-DE": "+4915123450001", "GRID-FR": "+33612340002", "GRID-AT": "+436641230003",
          "GRID-JP": "+819012340004"}
COUNTRY = {"GRID-DE": "DE", "GRID-FR": "FR", "GRID-AT": "AT", "GRID-JP": "JP"}


def write_profiles(folder: Path) -> Path:
    """The harness's profiles for the grid's devices: no emulator named (the Grid picks
    the device), the fake driver's platform and app."""
    folder.mkdir(parents=True, exist_ok=True)
    for pid, phone in PHONES.items():
        cc = COUNTRY[pid]
        (folder / f"{pid}.yaml").write_text(f"""\
id: {pid}
country: {cc}
locale: en_{cc}
language: en
timezone: Europe/Berlin
phone: "{phone}"
device:
  capabilities:
    platformName: Fake
    appium:automationName: Fake
    appium:app: {FAKEAPP / "signup.xml"}
""", encoding="utf-8")
    return folder


def write_scenarios(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"fake{i}.yaml").write_text(f"""\
id: fake-signup-{i}
app: {{name: Fake {i}, android_package: org.harnessdemo.fake}}
defaults: {{timeout: 5}}
steps:
  - launch: {{clear: true}}
  - tap: ["同意", "Agree"]
    stage: signup
  - input: {{into: {{xpath: "//MockInputField[@id='phone_input']"}}, text: "{{phone.national}}"}}
    stage: phone
  - tap: "Get code"
  - wait: "Welcome"
    stage: account
""", encoding="utf-8")
    return folder


def run_through(farm: GridFarm, tmp: Path, countries: str, n_scenarios: int,
                workers: int = 4) -> tuple[Any, Path]:
    db = tmp / "grid.db"
    res = harness(["run", str(write_scenarios(tmp / "scenarios", n_scenarios)),
                   "--appium-url", farm.hub_url, "--profiles",
                   str(write_profiles(tmp / "profiles")), "--country", countries,
                   "--db", str(db), "--workers", str(workers), "--no-vantage-check",
                   "--no-store-check", "--min-interval", "0"], tmp, timeout=600)
    return res, db


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def node_of(farm: GridFarm) -> dict[str, str]:
    return {n.uri: n.spec.name for n in farm.nodes}


def test_attempts_over_two_nodes_record_their_node_and_never_share_a_device(
        grid_farm: GridFarm, tmp_path: Path) -> None:
    res, db = run_through(grid_farm, tmp_path, "GRID-DE,GRID-FR,GRID-AT", 4)
    assert res.returncode == 0, res.stdout + res.stderr
    measured = rows(db, "select id, profile_id, status, node, device_id, capabilities "
                        "from measurements")
    assert len(measured) == 12 and {m[2] for m in measured} == {"access"}
    names = node_of(grid_farm)
    by_node: dict[str, list[str]] = defaultdict(list)
    for mid, profile, _status, node, device, caps in measured:
        assert node in names, (node, names)
        by_node[names[node]].append(mid)
        # the device the node's stereotype names, and a profile that node serves
        assert device == {"emu-a": "emulator-5554", "emu-b": "emulator-5556"}[names[node]]
        assert profile in grid_farm.node(names[node]).profiles
        # the request named no device of its own: the Grid chose it
        assert "appium:avd" not in caps and "appium:udid" not in caps
        assert '"harness:profile": "' + profile + '"' in caps
    assert {len(v) > 0 for v in by_node.values()} == {True} and len(by_node) == 2
    # per device, each session (from its first step to its last) ends before the next
    for mids in by_node.values():
        spans = sorted(_span(db, mid) for mid in mids)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, spans


def _span(db: Path, mid: str) -> tuple[datetime, datetime]:
    (start, end), = rows(db, f"select min(started_at), max(ended_at) from steps "
                             f"where measurement_id = '{mid}'")
    return datetime.fromisoformat(start), datetime.fromisoformat(end)


def break_appium(farm: GridFarm, name: str) -> None:
    """Replace the node's Appium by one on the same port that answers /status but opens
    no session (its driver, or the device behind it, is gone): the hub's health check
    keeps the node UP, so it is asked, and fails at once, for as long as the test runs."""
    node = farm.node(name)
    node.appium.kill()
    home = farm.workdir / "appium-home-without-drivers"
    home.mkdir(exist_ok=True)
    broken = AppiumServer(farm.workdir / f"appium-{name}-broken.log", port=node.appium.port,
                          home=home)
    broken.start()
    node.appium = broken  # stopped with the farm


def test_a_node_whose_device_failed_has_its_attempts_retried_on_the_other(
        make_grid_farm: Any, tmp_path: Path) -> None:
    farm = make_grid_farm(TWO_NODES, healthcheck_interval=1)
    break_appium(farm, "emu-a")
    res, db = run_through(farm, tmp_path, "GRID-DE,GRID-FR", 4, workers=2)
    assert set(farm.availability().values()) == {"UP"}  # the hub never saw a fault
    assert res.returncode == 1, res.stdout + res.stderr  # GRID-FR has no other device
    names = node_of(farm)
    final = rows(db, "select p.profile_id, m.status, m.failure, m.node, m.retry_of "
                     "from run_plan p join measurements m on m.id = p.measurement_id")
    assert len(final) == 8
    for profile, status, failure, node, retry_of in final:
        if profile == "GRID-DE":  # served by emu-b, first or second time
            assert status == "access" and names[node] == "emu-b"
        else:  # only emu-a serves GRID-FR: no other device, so no retry
            assert (status, failure, names[node]) == ("failure", "device_unavailable",
                                                      "emu-a")
            assert retry_of is None
    # each failed first try names the failed node; its retry went to the other one
    retried = rows(db, "select f.profile_id, f.failure, f.failure_detail, f.node, r.node "
                       "from measurements r join measurements f on f.id = r.retry_of")
    assert retried, "the failed node was never asked"
    for profile, failure, detail, failed_node, retry_node in retried:
        assert (profile, failure) == ("GRID-DE", "device_unavailable")
        assert "could not start a new session" in (detail or "").lower()
        assert (names[failed_node], names[retry_node]) == ("emu-a", "emu-b")
    # never more than one retry of an instance
    assert rows(db, "select max(n) from (select count(*) n from measurements "
                    "group by scenario_id, profile_id)")[0][0] <= 2
    assert "tried again" in res.stderr


def test_a_killed_nodes_attempts_end_on_the_other_node(make_grid_farm: Any,
                                                       tmp_path: Path) -> None:
    """Appium killed: until the hub's health check marks the node DOWN it is sent
    requests, and each such attempt is retried on the other node; after, the hub routes
    around it. Either way every attempt ends measured on the live node."""
    farm = make_grid_farm(TWO_NODES, healthcheck_interval=300)
    farm.node("emu-a").appium.kill()
    res, db = run_through(farm, tmp_path, "GRID-DE", 6, workers=2)
    assert res.returncode == 0, res.stdout + res.stderr
    names = node_of(farm)
    final = rows(db, "select m.status, m.node from run_plan p "
                     "join measurements m on m.id = p.measurement_id")
    assert len(final) == 6
    assert {(status, names[node]) for status, node in final} == {("access", "emu-b")}
    for failed_node, retry_node in rows(db, "select f.node, r.node from measurements r "
                                            "join measurements f on f.id = r.retry_of"):
        assert (names[failed_node], names[retry_node]) == ("emu-a", "emu-b")
    assert rows(db, "select max(n) from (select count(*) n from measurements "
                    "group by scenario_id, profile_id)")[0][0] <= 2


def test_a_profile_no_node_serves_is_one_error_before_the_run(
        grid_farm: GridFarm, tmp_path: Path) -> None:
    res, db = run_through(grid_farm, tmp_path, "GRID-DE,GRID-JP", 2)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "no UP slot of the Grid at" in res.stderr
    assert "serves profile GRID-JP (" in res.stderr and "harness:country=JP" in res.stderr
    assert "harness farm check" in res.stderr
    assert "GRID-DE" not in res.stderr.split("no UP slot", 1)[1]
    assert not db.exists() or rows(db, "select count(*) from measurements")[0][0] == 0


def test_pytest_through_the_grid_records_the_node(grid_farm: GridFarm,
                                                  tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    db = tmp_path / "pytest.db"
    res = run_pytest([str(scenarios), "--appium-url", grid_farm.hub_url, "--profiles",
                      str(write_profiles(tmp_path / "profiles")), "--country",
                      "GRID-FR,GRID-AT", "--db", str(db), "--no-vantage-check",
                      "--no-store-check", "--min-interval", "0", "-n", "2", "-q"], tmp_path,
                     timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    names = node_of(grid_farm)
    got = {(p, names[n]) for p, n in rows(db, "select profile_id, node from measurements")}
    assert got == {("GRID-FR", "emu-a"), ("GRID-AT", "emu-b")}


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
