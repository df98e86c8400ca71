"""The farm inventory and the nightly configuration: any change parses or names its file,
line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from _parsing import (
    REPO,
    Mutated,
    Rejected,
    check_errors,
    damaged,
    line_of,
    mutated,
    names_place,
    parse,
    parse_change,
)
from hypothesis import given
from hypothesis import strategies as st

from harness.runs.inventory import INVENTORY_EXAMPLE, Inventory, load_inventory
from harness.runs.nightly_config import NIGHTLY_EXAMPLE, NightlyConfig, load_nightly_config
from harness.spec.profiles import load_profiles

PROFILES = load_profiles(REPO / "device_profiles")
INVENTORY = """\
hub: {host: 10.0.0.10, port: 4444, healthcheck_interval: 5}
nodes: {heartbeat_period: 10, session_timeout: 600}
hosts:
  - name: farm-a
    address: 10.0.0.11
    devices:
      - emulator: harness_DE
        udid: emulator-5554
        appium: http://127.0.0.1:4723
        system_port: 8200
        profiles: [DE, FR]
      - udid: R58M123ABC
        appium: http://127.0.0.1:4725/
        system_port: 8201
        profiles: HK
        capabilities: {appium:platformVersion: "14"}
  - name: farm-b
    address: 10.0.0.12
    node_port: 6000
    devices:
      - emulator: harness_JP
        appium: http://127.0.0.1:4723
        system_port: 8200
        profiles: [JP]
"""
NIGHTLY_SIM = """\
scenarios: [scenarios/demo]
apps: [demo-openchat, demo-dialcode]
profiles: device_profiles
countries: [DE, HK]
regions: europe, asia_pacific
backend: sim
db: results.db
artifacts: artifacts
workers: 2
min_interval_hours: 0
failure_rate_threshold: 0.5
summary_dir: nightly
resume_hours: 0
store_checks: {enabled: false}
confirmation: {min_attempts: 3, min_hours: 6}
"""


def _load_inventory(path: Path) -> Inventory:
    return load_inventory(path, PROFILES)


@given(seed=st.sampled_from([INVENTORY, INVENTORY_EXAMPLE]), data=st.data())
def test_a_changed_inventory_parses_or_names_the_change(tmp_path: Path, seed: str,
                                                        data: st.DataObject) -> None:
    change: Mutated = data.draw(mutated(yaml.safe_load(seed)))
    path = tmp_path / "inventory.yaml"
    got = parse_change(_load_inventory, change, path, tmp_path)
    if got is not None:
        assert got.devices and all(d.profiles for d in got.devices)


@given(data=st.data())
def test_a_damaged_inventory_text_parses_or_names_its_file(tmp_path: Path,
                                                           data: st.DataObject) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(data.draw(damaged(INVENTORY)), encoding="utf-8")
    got = parse(_load_inventory, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])


@pytest.fixture
def farm_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to hold a nightly configuration, with the variables its example names."""
    monkeypatch.setenv("HARNESS_DB_PASSWORD", "pw-not-shown")
    return tmp_path


@given(seed=st.sampled_from([NIGHTLY_SIM, NIGHTLY_EXAMPLE]), data=st.data())
def test_a_changed_nightly_config_parses_or_names_the_change(farm_dir: Path, seed: str,
                                                             data: st.DataObject) -> None:
    change: Mutated = data.draw(mutated(yaml.safe_load(seed)))
    path = farm_dir / "nightly.yaml"
    text = change.text()
    path.write_text(text, encoding="utf-8")
    got = parse(load_nightly_config, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])
        assert names_place(got, change.loc, line_of(text, change.loc, farm_dir)), \
            (change.kind, change.loc, [str(e) for e in got])
        assert all("pw-not-shown" not in str(e) for e in got)
    else:
        assert isinstance(got, NightlyConfig) and got.scenarios
        assert "pw-not-shown" not in got.db_shown


@given(data=st.data())
def test_a_damaged_nightly_text_parses_or_names_its_file(farm_dir: Path,
                                                         data: st.DataObject) -> None:
    path = farm_dir / "nightly.yaml"
    path.write_text(data.draw(damaged(NIGHTLY_EXAMPLE)), encoding="utf-8")
    got = parse(load_nightly_config, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])
