"""A real Selenium Grid 4.48.0 hub with two relay nodes, each in front of its own real
Appium 3 + fake-driver server, configured by ``harness farm nodes``'s code: routing by
profile, one session per device, which node serves a session, and how soon the hub
notices a dead Appium or a dead node."""

from __future__ import annotations

import json
import threading
import time
import tomllib

import httpx
from _appium import AppiumServer
from _grid import GridFarm, GridNodeProcess

from harness.devices.grid import hub_status, matching_slots, session_node


def knows(appium: AppiumServer, session_id: str) -> bool:
    """Ask an Appium server itself whether it holds the session (a dead one holds none)."""
    try:
        resp = httpx.get(f"{appium.url}/session/{session_id}/source", timeout=10)
    except httpx.ConnectError:
        return False
    return resp.status_code == 200


def open_session(farm: GridFarm, profile: str) -> tuple[str, dict[str, object]]:
    resp = farm.new_session(farm.request(profile))
    assert resp.status_code == 200, resp.text
    value = resp.json()["value"]
    return value["sessionId"], value["capabilities"]


def serving(farm: GridFarm, session_id: str) -> GridNodeProcess:
    holders = [n for n in farm.nodes if knows(n.appium, session_id)]
    assert len(holders) == 1
    return holders[0]


def test_every_node_registers_with_the_stereotypes_the_inventory_wrote(
        grid_farm: GridFarm) -> None:
    status = hub_status(grid_farm.hub_url)
    assert status is not None and status.ready
    by_uri = {n.uri: n for n in status.nodes}
    assert sorted(by_uri) == sorted(n.uri for n in grid_farm.nodes)
    for node in grid_farm.nodes:
        written = tomllib.loads(node.toml.read_text("utf-8"))["relay"]["configs"]
        advertised = [s.stereotype for s in by_uri[node.uri].slots]
        assert sorted(advertised, key=json.dumps) == sorted(
            (json.loads(c) for c in written[1::2]), key=json.dumps)
        assert by_uri[node.uri].up and by_uri[node.uri].max_sessions == 1
    assert grid_farm.timings["grid_s"] < 90


def test_a_plain_appium_server_is_not_a_grid(grid_farm: GridFarm) -> None:
    assert hub_status(grid_farm.nodes[0].appium.url) is None


def test_a_profile_is_routed_to_its_device_with_the_stereotype_merged(
        grid_farm: GridFarm) -> None:
    session_id, caps = open_session(grid_farm, "GRID-FR")
    try:
        node = serving(grid_farm, session_id)
        assert node.spec.name == "emu-a"  # the only device serving GRID-FR
        # what only the node's TOML says reached Appium
        assert caps["appium:udid"] == node.spec.udid == "emulator-5554"
        assert caps["appium:systemPort"] == node.spec.system_port
        assert caps["harness:device"] == "loopback/emu-a"
        assert session_node(grid_farm.hub_url, session_id) == node.uri
        busy = [s for s in grid_farm.grid_status().slots() if s.busy]
        assert [(s.session_id, s.stereotype["harness:profile"]) for s in busy] == [
            (session_id, "GRID-FR")]
    finally:
        grid_farm.delete_session(session_id)
    assert session_node(grid_farm.hub_url, session_id) is None


def test_one_device_runs_one_session_whatever_profiles_it_serves(grid_farm: GridFarm) -> None:
    """emu-b serves GRID-DE and GRID-AT (two slots, max-sessions 1): while it runs one, a
    request for the other waits in the hub's queue."""
    fr, _ = open_session(grid_farm, "GRID-FR")           # emu-a is busy now
    de, _ = open_session(grid_farm, "GRID-DE")           # so GRID-DE goes to emu-b
    emu_b = grid_farm.node("emu-b")
    queued: list[httpx.Response] = []
    waiter = threading.Thread(target=lambda: queued.append(
        grid_farm.new_session(grid_farm.request("GRID-AT"))))
    try:
        assert serving(grid_farm, de) is emu_b
        waiter.start()
        time.sleep(3)
        assert waiter.is_alive() and not queued  # waiting, not started beside GRID-DE
        assert sum(s.busy for n in grid_farm.grid_status().nodes if n.uri == emu_b.uri
                   for s in n.slots) == 1
        grid_farm.delete_session(de)
        waiter.join(60)
        assert queued and queued[0].status_code == 200, queued
        at = queued[0].json()["value"]["sessionId"]
        assert serving(grid_farm, at) is emu_b and not knows(emu_b.appium, de)
        grid_farm.delete_session(at)
    finally:
        waiter.join(60)
        grid_farm.delete_session(fr)


def test_a_profile_no_node_serves_is_refused_at_once(grid_farm: GridFarm) -> None:
    caps = {**grid_farm.request("GRID-FR"), "harness:profile": "GRID-JP",
            "harness:country": "JP"}
    assert matching_slots(grid_farm.grid_status(), caps) == []
    t0 = time.monotonic()
    resp = grid_farm.new_session(caps)
    assert resp.status_code == 500
    assert "No nodes support the capabilities" in resp.json()["value"]["message"]
    assert time.monotonic() - t0 < 10  # reject-unsupported-caps: no queue timeout


def test_a_dead_appium_makes_its_node_down_at_the_next_health_check(
        own_grid_farm: GridFarm) -> None:
    farm = own_grid_farm
    emu_b = farm.kill_appium("emu-b")
    took = farm.wait_availability(emu_b, "DOWN", timeout=60)
    print(f"hub noticed the dead Appium after {took:.1f} s (healthcheck-interval 1 s)")
    status = farm.grid_status()
    at = farm.request("GRID-AT")
    assert matching_slots(status, at) == []
    de = matching_slots(status, farm.request("GRID-DE"))
    assert [s.stereotype["harness:device"] for s in de] == ["loopback/emu-a"]
    resp = farm.new_session(at)  # refused at once: no UP node supports it
    assert resp.status_code == 500 and "No nodes support" in resp.text
    session_id, _ = open_session(farm, "GRID-DE")
    assert serving(farm, session_id) is farm.node("emu-a")
    farm.delete_session(session_id)


def test_a_killed_node_is_down_then_dropped(own_grid_farm: GridFarm) -> None:
    farm = own_grid_farm
    emu_a = farm.kill_node("emu-a")
    down = farm.wait_availability(emu_a, "DOWN", timeout=60)
    gone = farm.wait_availability(emu_a, "GONE", timeout=120)
    print(f"killed node DOWN after {down:.1f} s, dropped by the hub {gone:.1f} s later")
    assert matching_slots(farm.grid_status(), farm.request("GRID-FR")) == []
    session_id, _ = open_session(farm, "GRID-DE")  # the other device still serves DE
    assert serving(farm, session_id) is farm.node("emu-b")
    farm.delete_session(session_id)
