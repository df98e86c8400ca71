"""``harness farm check`` against a real hub: which profiles its UP slots serve."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from _grid import GridFarm, write_profiles

from harness.cli.main import main
from harness.devices.grid import hub_status
from harness.runs.farm import check_farm
from harness.spec.profiles import load_profiles


def check(hub: str, profiles: Path, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, str, str]:
    code = main(["farm", "check", "--hub", hub, "--profiles", str(profiles)])
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> dict[str, list[str]]:
    """The profiles table's rows, by profile id."""
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in out.splitlines()
             if line.startswith("│ GRID-")]
    return {r[0]: r for r in cells}


def test_every_profile_served(grid_farm: GridFarm, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(grid_farm.hub_url, grid_farm.profiles_dir, capsys)
    assert code == 0, out
    assert f"2 nodes at {grid_farm.hub_url}" in out
    assert "All 3 profiles are served." in out
    served = rows(out)
    assert served["GRID-FR"] == ["GRID-FR", "FR", "loopback/emu-a"]
    assert served["GRID-DE"] == ["GRID-DE", "DE", "loopback/emu-a, loopback/emu-b"]
    assert served["GRID-AT"] == ["GRID-AT", "AT", "loopback/emu-b"]


def test_a_profile_without_a_device_is_reported(grid_farm: GridFarm, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "profiles"
    shutil.copytree(grid_farm.profiles_dir, folder)
    write_profiles(folder, ["GRID-JP"])
    code, out, _ = check(grid_farm.hub_url, folder, capsys)
    assert code == 1
    assert "1 of 4 profiles have no UP slot: GRID-JP" in out
    status = hub_status(grid_farm.hub_url)
    assert status is not None
    assert [p.id for p in check_farm(status, load_profiles(folder)).unserved] == ["GRID-JP"]


def test_a_killed_nodes_profile_becomes_unserved(own_grid_farm: GridFarm,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    farm = own_grid_farm
    code, out, _ = check(farm.hub_url, farm.profiles_dir, capsys)
    assert code == 0, out
    farm.node("emu-b").appium.kill()
    farm.wait_availability(farm.node("emu-b"), "DOWN", timeout=60)
    code, out, _ = check(farm.hub_url, farm.profiles_dir, capsys)
    assert code == 1, out
    assert "1 of 3 profiles have no UP slot: GRID-AT" in out
    served = rows(out)
    assert served["GRID-AT"][2] == "no UP slot"
    assert served["GRID-DE"][2] == "loopback/emu-a"  # still served by the other device
    assert any(farm.node("emu-b").uri in line and "DOWN" in line for line in out.splitlines())


def test_not_a_hub_and_no_hub_are_usage_errors(grid_farm: GridFarm,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(grid_farm.nodes[0].appium.url, grid_farm.profiles_dir, capsys)
    assert code == 2
    assert "answers, but not as a Selenium Grid hub" in err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    code, _, err = check(f"http://127.0.0.1:{closed}", grid_farm.profiles_dir, capsys)
    assert code == 2 and "nothing answers there" in err
