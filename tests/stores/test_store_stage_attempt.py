"""The store stage inside a whole attempt: by default sign-up is still measured on a device
that has the app, and the row records both the store's answer and the sign-up verdict;
``--no-sideload`` ends the attempt at the store barrier, without a device session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from store_replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer

from harness.analysis import Analysis, Filters
from harness.attempt.run import run_attempt
from harness.cli.main import build_parser
from harness.devices.appium import AppiumDevice
from harness.sim import SimServer
from harness.spec.config import RunConfig
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage.models import Measurement
from harness.storage.store import Store
from harness.stores.clients import StoreClients
from harness.stores.repository import load_checks
from harness.stores.stage import check_store_stage
from harness.vocabulary.outcomes import Backend, Failure, Stage, Status

REPO = Path(__file__).resolve().parents[2]


def _absent_in_de(c: str, p: str) -> str:
    return PLAY_NOT_FOUND if c == "DE" else PLAY_AVAILABLE


def _attempt(store: Store, scenario_file: Path, backend: Backend, open_device: Any,
             clients: StoreClients, sideload: bool, demo: bool = False) -> Measurement:
    profile = load_profile(REPO / "device_profiles" / "DE.yaml")
    scenario = load_scenario(scenario_file)
    # a demo app is in no store; checked here as if it were one
    scenario = replace(scenario, app=replace(scenario.app, demo=demo))
    run_id = store.start_run(backend.value, "t")
    result = run_attempt(
        store=store, run_id=run_id, scenario=scenario, profile=profile,
        phone=profile.resolve_phone(backend), backend=backend, open_device=open_device,
        sideload=sideload,
        store_stage=lambda s, p, egress: check_store_stage(store, s, p, run_id=run_id,
                                                           clients=clients))
    m = store.get_measurement(result.measurement_id)
    assert m is not None
    return m


@pytest.fixture
def env_de(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_PROXY_DE", raising=False)
    monkeypatch.setenv("HARNESS_PHONE_DE", "+4915123456789")


def test_the_default_is_to_sideload() -> None:
    assert RunConfig().sideload is True
    parser = build_parser()
    assert parser.parse_args(["run", "scenarios"]).sideload is True
    assert parser.parse_args(["run", "scenarios", "--no-sideload"]).sideload is False
    assert parser.parse_args(["demo", "--no-sideload"]).sideload is False


def test_the_pytest_plugin_takes_no_sideload(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from harness.pytest_plugin.state import CONFIG_KEY\n\n"
        "def pytest_collection_finish(session):\n"
        "    print('SIDELOAD', session.config.stash[CONFIG_KEY].sideload)\n",
        encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = dict(os.environ, HARNESS_HASH_KEY="k")
    for extra, shown in (([], "SIDELOAD True"), (["--no-sideload"], "SIDELOAD False")):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only",
             "-q", "-s", "--backend=sim", *extra], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert shown in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_default_run_records_the_store_absence_and_the_sign_up_verdict(
        tmp_path: Path, env_de: None, make_replay: Callable[..., ReplayServer],
        make_clients: Callable[..., StoreClients]) -> None:
    server = make_replay(play_state=_absent_in_de)
    store = Store.open(str(tmp_path / "r.db"))
    try:
        with SimServer() as sim:
            m = _attempt(store, REPO / "scenarios" / "demo" / "zhenming.yaml", Backend.SIM,
                         lambda caps: AppiumDevice.open(sim.url, caps, backend=Backend.SIM),
                         make_clients(server), sideload=RunConfig().sideload)
        checks = load_checks(store)
    finally:
        store.close()
    # the store's answer: not offered in DE, but in the US (Play's first reference)
    assert (m.store_result, m.store_rule_id) == ("absent_in_country",
                                                 "store.play.absent_in_country")
    assert m.store_detail and m.store_detail.startswith(
        "play DE org.harnessdemo.zhenming: play.http_404")
    # ... and, on the same row, where sign-up stopped on a device that has the app
    assert (m.status, m.barrier) == ("barrier", "id_verification_required")
    assert m.stage not in (Stage.VANTAGE.value, Stage.STORE.value)
    assert m.steps_done and m.steps_done > 3
    assert sorted((c.country, c.result, bool(c.reference)) for c in checks) == [
        ("DE", "unavailable", False), ("US", "available", True)]
    # the export shows both, and the instance is a "both barriers" case
    with Analysis(tmp_path / "r.db", Filters(include_simulated=True)) as a:
        row = a.measurements().iloc[0]
        cell = a.barrier_matrix().iloc[0]
        cases = a.barrier_cases()
    assert (row["outcome"], row["store_result"], row["store_rule_id"]) == (
        "barrier:id_verification_required", "absent_in_country",
        "store.play.absent_in_country")
    assert (cell["outcome"], cell["store_result"], cell["signup_outcome"],
            cell["barrier_case"]) == ("barrier:id_verification_required",
                                      "absent_in_country",
                                      "barrier:id_verification_required", "store_and_signup")
    assert bool(cell["store_barrier"]) and bool(cell["signup_barrier"])
    assert cases["store_and_signup"] == 1 and sum(cases.values()) == 1


def test_no_sideload_ends_the_attempt_at_the_store_barrier(
        tmp_path: Path, env_de: None, make_replay: Callable[..., ReplayServer],
        make_clients: Callable[..., StoreClients]) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)  # not on Play anywhere
    opened: list[Mapping[str, Any]] = []

    def open_device(caps: Mapping[str, Any]) -> Any:
        opened.append(caps)
        raise AssertionError("no device session after a store barrier without sideloading")

    store = Store.open(str(tmp_path / "r.db"))
    try:
        m = _attempt(store, REPO / "scenarios" / "wechat.yaml", Backend.APPIUM, open_device,
                     make_clients(server), sideload=False)
    finally:
        store.close()
    assert opened == []
    assert (m.status, m.barrier, m.stage, m.rule_id, m.access_level) == (
        "barrier", "store_unavailable", Stage.STORE.value, "store.play.absent_everywhere",
        "none")
    assert (m.store_result, m.store_rule_id) == ("absent_everywhere",
                                                 "store.play.absent_everywhere")
    assert m.failure_detail and "play US: unavailable" in m.failure_detail
    assert "play GB: unavailable" in m.failure_detail
    # the instance has a store barrier and no sign-up measured: incomplete, not "store only"
    with Analysis(tmp_path / "r.db") as a:
        cell = a.barrier_matrix().iloc[0]
    assert (cell["outcome"], cell["barrier_case"]) == ("barrier:store_unavailable",
                                                       "incomplete")
    assert bool(cell["store_barrier"]) and pd.isna(cell["signup_outcome"])


def test_sideloading_on_a_real_device_path_opens_a_session(
        tmp_path: Path, env_de: None, make_replay: Callable[..., ReplayServer],
        make_clients: Callable[..., StoreClients]) -> None:
    server = make_replay(play_state=_absent_in_de)
    opened: list[Mapping[str, Any]] = []

    def open_device(caps: Mapping[str, Any]) -> Any:
        opened.append(caps)
        from harness.devices.base import DeviceUnavailable
        raise DeviceUnavailable("no device in this test")

    store = Store.open(str(tmp_path / "r.db"))
    try:
        m = _attempt(store, REPO / "scenarios" / "wechat.yaml", Backend.APPIUM, open_device,
                     make_clients(server), sideload=True)
    finally:
        store.close()
    assert len(opened) == 1
    assert (m.status, m.failure) == (Status.FAILURE.value, Failure.DEVICE_UNAVAILABLE.value)
    assert m.store_result == "absent_in_country"


def test_without_a_store_stage_the_row_says_not_checked(tmp_path: Path, env_de: None) -> None:
    profile = load_profile(REPO / "device_profiles" / "DE.yaml")
    store = Store.open(str(tmp_path / "r.db"))
    try:
        with SimServer() as sim:
            result = run_attempt(
                store=store, run_id=store.start_run("sim", "t"),
                scenario=load_scenario(REPO / "scenarios" / "demo" / "openchat.yaml"),
                profile=profile, phone=profile.resolve_phone(Backend.SIM),
                backend=Backend.SIM,
                open_device=lambda caps: AppiumDevice.open(sim.url, caps, backend=Backend.SIM))
        m = store.get_measurement(result.measurement_id)
    finally:
        store.close()
    assert m is not None and m.status == "access"
    assert (m.store_result, m.store_rule_id) == ("not_checked", None)
