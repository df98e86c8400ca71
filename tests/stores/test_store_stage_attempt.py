"""The store stage inside a whole attempt: a store barrier ends the attempt before any
device session, unless the tester sideloads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from harness.attempt import run_attempt
from harness.outcomes import Backend, Failure, Stage, Status
from harness.profiles import load_profile
from harness.scenarios import load_scenario
from harness.storage.store import Store
from harness.stores.replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer
from harness.stores.stage import check_store_stage
from harness.stores.sweep import StoreClients

REPO = Path(__file__).resolve().parents[2]


class NoDevice(Exception):
    pass


@pytest.mark.parametrize("sideload", [False, True])
def test_store_barrier_ends_the_attempt_without_a_session(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sideload: bool,
        make_replay: Callable[..., ReplayServer],
        make_clients: Callable[..., StoreClients]) -> None:
    monkeypatch.delenv("HARNESS_PROXY_DE", raising=False)
    monkeypatch.setenv("HARNESS_PHONE_DE", "+4915123456789")
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c == "DE"
                         else PLAY_AVAILABLE)
    clients = make_clients(server)
    store = Store.open(str(tmp_path / "r.db"))
    opened: list[Mapping[str, Any]] = []

    def open_device(caps: Mapping[str, Any]) -> Any:
        opened.append(caps)
        from harness.devices.base import DeviceUnavailable
        raise DeviceUnavailable("no device in this test")

    try:
        profile = load_profile(REPO / "device_profiles" / "DE.yaml")
        result = run_attempt(
            store=store, run_id=store.start_run("appium", "t"),
            scenario=load_scenario(REPO / "scenarios" / "wechat.yaml"), profile=profile,
            phone=profile.resolve_phone(Backend.APPIUM), backend=Backend.APPIUM,
            open_device=open_device, sideload=sideload,
            store_stage=lambda s, p, egress: check_store_stage(store, s, p, run_id="t",
                                                               clients=clients))
        m = store.get_measurement(result.measurement_id)
    finally:
        store.close()
    assert m is not None
    if sideload:  # the store said no, the tester goes on: a device session is asked for
        assert len(opened) == 1
        assert (m.status, m.failure) == (Status.FAILURE.value, Failure.DEVICE_UNAVAILABLE.value)
    else:
        assert opened == []
        assert (m.status, m.barrier, m.stage, m.rule_id) == (
            "barrier", "store_unavailable", Stage.STORE.value, "store.play.unavailable")
        assert m.access_level == "none"
