"""The farm inventory: reading it (good and bad files, errors at file:line with the field
and a fix), and the hub's and relay nodes' TOML written from it (read back with tomllib)."""

from __future__ import annotations

import json
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

from harness.cli.main import main
from harness.runs.farm import farm_files, stereotype, toml_value, write_farm
from harness.runs.inventory import Inventory, load_inventory
from harness.spec.profile import Profile
from harness.spec.profiles import load_profiles
from harness.support.errors import ConfigError, ConfigErrors

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
hub:
  host: 10.0.0.10
  port: 4444
  healthcheck_interval: 5
hosts:
  - name: farm-a
    address: 10.0.0.11
    devices:
      - emulator: harness_DE_1
        udid: emulator-5554
        appium: http://127.0.0.1:4723
        system_port: 8200
        profiles: [DE, AT]
      - udid: R58M123ABC
        appium: http://127.0.0.1:4725/
        system_port: 8201
        profiles: FR
  - name: farm-b
    address: 10.0.0.12
    node_port: 6000
    devices:
      - emulator: harness_DE_2
        appium: http://127.0.0.1:4723
        system_port: 8200
        profiles: [DE]
        capabilities: {appium:platformVersion: "14"}
"""


def write_profiles(folder: Path, countries: dict[str, str]) -> list[Profile]:
    folder.mkdir(exist_ok=True)
    for pid, country in countries.items():
        (folder / f"{pid}.yaml").write_text(
            f"id: {pid}\ncountry: {country}\nlocale: en_{country}\nlanguage: en\n"
            f"timezone: Europe/Berlin\ndevice:\n  emulator: harness_{pid}\n",
            encoding="utf-8")
    return load_profiles(folder)


@pytest.fixture
def profiles(tmp_path: Path) -> list[Profile]:
    return write_profiles(tmp_path / "profiles", {"DE": "DE", "AT": "AT", "FR": "FR",
                                                  "JP": "JP"})


def inventory(tmp_path: Path, text: str, profiles: list[Profile]) -> Inventory:
    path = tmp_path / "farm.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_inventory(path, profiles)


def problems(tmp_path: Path, text: str, profiles: list[Profile]) -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as info:
        inventory(tmp_path, text, profiles)
    return info.value.errors


# --------------------------------------------------------------------------- reading


def test_a_good_inventory(tmp_path: Path, profiles: list[Profile]) -> None:
    inv = inventory(tmp_path, GOOD, profiles)
    assert inv.hub.url == "http://10.0.0.10:4444" and inv.hub.healthcheck_interval == 5
    assert (inv.hub.publish_port, inv.hub.subscribe_port) == (4442, 4443)
    assert inv.hosts == ["farm-a", "farm-b"]
    a1, a2, b1 = inv.devices
    assert (a1.label, a1.udid, a1.emulator, a1.node_port) == (
        "farm-a/harness_DE_1", "emulator-5554", "harness_DE_1", 5600)
    assert (a2.label, a2.node_port, a2.profiles, a2.appium_url) == (
        "farm-a/R58M123ABC", 5601, ("FR",), "http://127.0.0.1:4725")
    assert (b1.node_port, b1.address, b1.platform, b1.automation) == (
        6000, "10.0.0.12", "Android", "UiAutomator2")
    # the same Appium port and systemPort on two different hosts are fine
    assert a1.system_port == b1.system_port == 8200
    assert [w.split(": ", 1)[1] for w in inv.warnings] == [
        "1 of 4 profiles are served by no device of this inventory: JP"]
    assert inv.warnings[0].startswith(str(tmp_path / "farm.yaml"))


def test_duplicates_on_one_host_are_errors_at_their_line(tmp_path: Path,
                                                         profiles: list[Profile]) -> None:
    errors = problems(tmp_path, """\
        hub: {host: 127.0.0.1}
        hosts:
          - name: farm-a
            devices:
              - udid: emulator-5554
                appium: http://127.0.0.1:4723
                system_port: 8200
                profiles: [DE]
              - udid: emulator-5554
                appium: http://127.0.0.1:4723
                system_port: 8200
                profiles: [FR]
        """, profiles)
    text = {e.field: str(e) for e in errors}
    assert set(text) == {"hosts[0].devices[1].udid", "hosts[0].devices[1].system_port",
                         "hosts[0].devices[1].appium"}
    assert text["hosts[0].devices[1].udid"].startswith(f"{tmp_path / 'farm.yaml'}:9: ")
    assert "udid emulator-5554 is also used by devices[0] on host farm-a" in \
        text["hosts[0].devices[1].udid"]
    assert "systemPort 8200 is also used" in text["hosts[0].devices[1].system_port"]
    assert ":11: " in text["hosts[0].devices[1].system_port"]
    assert "Appium port 4723" in text["hosts[0].devices[1].appium"]
    assert "Run one Appium server per device" in text["hosts[0].devices[1].appium"]


def test_a_node_port_may_not_be_an_appium_port(tmp_path: Path,
                                               profiles: list[Profile]) -> None:
    errors = problems(tmp_path, """\
        hub: {host: 127.0.0.1}
        hosts:
          - name: farm-a
            node_port: 4724
            devices:
              - {udid: a, appium: "http://127.0.0.1:4723", system_port: 8200, profiles: [DE]}
              - {udid: b, appium: "http://127.0.0.1:4724", system_port: 8201, profiles: [FR]}
        """, profiles)
    assert [e.field for e in errors] == ["hosts[0].devices[1].appium"]
    assert "Appium port 4724 is also used by devices[0]" in str(errors[0])


def test_unknown_profile_ids_suggest_the_near_ones(tmp_path: Path,
                                                   profiles: list[Profile]) -> None:
    errors = problems(tmp_path, """\
        hub: {host: 127.0.0.1}
        hosts:
          - name: farm-a
            devices:
              - emulator: harness_DE
                appium: http://127.0.0.1:4723
                system_port: 8200
                profiles:
                  - DE
                  - de
                  - DE
        """, profiles)
    by_field = {e.field: str(e) for e in errors}
    unknown = by_field["hosts[0].devices[0].profiles[1]"]
    assert ":10: " in unknown and "no device profile has the id 'de'" in unknown
    assert "Did you mean DE?" in unknown and "Example:" in unknown
    assert "listed twice" in by_field["hosts[0].devices[0].profiles[2]"]


def test_field_errors_name_the_field_and_the_fix(tmp_path: Path,
                                                 profiles: list[Profile]) -> None:
    errors = problems(tmp_path, """\
        hub:
          host: 127.0.0.1
          port: 4442
        hosts:
          - name: farm a
            devices:
              - appium: ftp://127.0.0.1:4723
                system_port: 80
                profiles: [DE]
                colour: blue
        """, profiles)
    text = {e.field: str(e) for e in errors}
    assert set(text) == {"hosts[0].devices[0].system_port", "hosts[0].devices[0].colour"}
    port = text["hosts[0].devices[0].system_port"]
    assert ":8: " in port and "greater than or equal to 1024" in port
    assert "system_port: 8200" in port  # the example of that field
    colour = text["hosts[0].devices[0].colour"]
    assert ":10: " in colour and "is not a known field (check the spelling)" in colour
    assert "profiles: [DE]" in colour  # a device's example


def test_cross_checks_after_fields_are_valid(tmp_path: Path, profiles: list[Profile]) -> None:
    errors = problems(tmp_path, """\
        hub:
          host: 127.0.0.1
          port: 4442
        hosts:
          - name: farm a
            devices:
              - appium: ftp://127.0.0.1:4723
                system_port: 8200
                profiles: [DE]
          - name: farm a
            devices:
              - {udid: x, appium: "http://127.0.0.1:4723", system_port: 8200, profiles: [DE]}
        """, profiles)
    text = {e.field: str(e) for e in errors}
    assert "`port` and `publish_port` are both 4442" in text["hub.port"]
    assert ":3: " in text["hub.port"]
    assert "needs `emulator` (its AVD name) or `udid`" in text["hosts[0].devices[0]"]
    assert "not an http:// URL of an Appium server" in text["hosts[0].devices[0].appium"]
    assert "'farm a' is not a usable host name" in text["hosts[0].name"]
    assert "listed twice (also hosts[0])" in text["hosts[1].name"]


def test_a_device_must_offer_what_the_harness_asks_for(tmp_path: Path,
                                                      profiles: list[Profile]) -> None:
    """A profile whose device.capabilities ask for another platform or driver would never
    be routed to the device: an error, not a farm that silently serves nothing."""
    errors = problems(tmp_path, """\
        hub: {host: 0.0.0.0}
        hosts:
          - name: farm-a
            address: 0.0.0.0
            automation: Espresso
            devices:
              - {udid: a, appium: "http://127.0.0.1:4723", system_port: 8200, profiles: [DE],
                 capabilities: {appium:udid: b, appium:platformVersion: "14"}}
        """, profiles)
    text = {e.field: str(e) for e in errors}
    assert set(text) == {"hub.host", "hosts[0].address", "hosts[0].devices[0].profiles[0]",
                         "hosts[0].devices[0].capabilities.appium:udid"}
    assert "appium:udid is written by `harness farm nodes` itself" in \
        text["hosts[0].devices[0].capabilities.appium:udid"]
    routing = text["hosts[0].devices[0].profiles[0]"]
    assert ":7: " in routing
    assert "asks for DE with platformName 'Android' and appium:automationName " \
           "'UiAutomator2', but this device offers 'Android' and 'Espresso'" in routing
    assert "not an address the hub and the nodes can reach" in text["hub.host"]
    assert ":4: " in text["hosts[0].address"]


def test_not_a_mapping_and_missing_parts(tmp_path: Path, profiles: list[Profile]) -> None:
    errors = problems(tmp_path, "- just a list\n", profiles)
    assert "an inventory must be a YAML mapping" in str(errors[0])
    assert "Example:" in str(errors[0])
    errors = problems(tmp_path, "hub: {host: h}\nhosts: []\n", profiles)
    assert [e.field for e in errors] == ["hosts"]
    errors = problems(tmp_path, "hosts: [{name: a, devices: []}]\n", profiles)
    assert {e.field for e in errors} == {"hub", "hosts[0].devices"}
    assert any("is required but missing" in str(e) for e in errors)


# --------------------------------------------------------------------------- TOML


def parsed(files: dict[str, str], name: str) -> dict[str, Any]:
    return tomllib.loads(files[name])


def test_hub_and_node_toml(tmp_path: Path, profiles: list[Profile]) -> None:
    inv = inventory(tmp_path, GOOD, profiles)
    files = {str(f.path): f.text for f in farm_files(inv, profiles)}
    assert sorted(files) == ["farm-a/R58M123ABC.toml", "farm-a/harness_DE_1.toml",
                             "farm-b/harness_DE_2.toml", "hub.toml"]
    assert all(t.startswith("# Written by `harness farm nodes farm.yaml`")
               for t in files.values())
    hub = parsed(files, "hub.toml")
    assert hub["server"] == {"host": "10.0.0.10", "port": 4444}
    assert hub["events"] == {"publish": "tcp://10.0.0.10:4442",
                             "subscribe": "tcp://10.0.0.10:4443"}
    assert hub["distributor"] == {"healthcheck-interval": 5, "reject-unsupported-caps": True}
    node = parsed(files, "farm-a/harness_DE_1.toml")
    assert node["server"] == {"host": "10.0.0.11", "port": 5600}
    assert node["events"] == hub["events"]
    assert node["node"]["detect-drivers"] is False and node["node"]["max-sessions"] == 1
    assert node["relay"]["url"] == "http://127.0.0.1:4723"
    assert node["relay"]["status-endpoint"] == "/status"
    configs = node["relay"]["configs"]
    assert configs[0::2] == ["1", "1"]  # one slot per profile; max-sessions caps them at 1
    de, at = (json.loads(c) for c in configs[1::2])
    assert de == {"platformName": "Android", "appium:automationName": "UiAutomator2",
                  "appium:deviceName": "harness_DE_1", "appium:udid": "emulator-5554",
                  "appium:systemPort": 8200, "harness:profile": "DE",
                  "harness:country": "DE", "harness:device": "farm-a/harness_DE_1",
                  "harness:appium": "http://127.0.0.1:4723"}
    assert at == {**de, "harness:profile": "AT", "harness:country": "AT"}


def test_an_emulator_without_serial_is_found_by_its_avd(tmp_path: Path,
                                                        profiles: list[Profile]) -> None:
    inv = inventory(tmp_path, GOOD, profiles)
    by_id = {p.id: p for p in profiles}
    phone = stereotype(inv.devices[1], by_id["FR"])
    assert phone["appium:udid"] == "R58M123ABC" and "appium:avd" not in phone
    avd = stereotype(inv.devices[2], by_id["DE"])
    assert avd["appium:avd"] == "harness_DE_2" and "appium:udid" not in avd
    assert avd["appium:platformVersion"] == "14"


def test_toml_values_round_trip() -> None:
    tricky = 'a "quoted" \\ back\nslash\t✓ 中文 \x01'
    doc = tomllib.loads(f"v = {toml_value(tricky)}\nw = {toml_value([1, True, 'x'])}\n")
    assert doc == {"v": tricky, "w": [1, True, "x"]}
    with pytest.raises(TypeError):
        toml_value({"a": 1})


def test_write_farm_writes_one_folder_per_host(tmp_path: Path,
                                               profiles: list[Profile]) -> None:
    inv = inventory(tmp_path, GOOD, profiles)
    written = write_farm(inv, profiles, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == [
        "farm-a/R58M123ABC.toml", "farm-a/harness_DE_1.toml", "farm-b/harness_DE_2.toml",
        "hub.toml"]
    assert all(tomllib.loads(p.read_text("utf-8")) for p in written)


# --------------------------------------------------------------------------- the command


def test_farm_nodes_command(tmp_path: Path, profiles: list[Profile],
                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "farm.yaml").write_text(GOOD, encoding="utf-8")
    code = main(["farm", "nodes", str(tmp_path / "farm.yaml"), "--out",
                 str(tmp_path / "grid"), "--profiles", str(tmp_path / "profiles")])
    out, err = capsys.readouterr()
    assert code == 0
    assert "3 relay nodes on 2 hosts, hub at http://10.0.0.10:4444" in out
    assert "farm-b/harness_DE_2.toml" in out
    assert "warning:" in err and "1 of 4 profiles are served by no device of this " \
        "inventory: JP" in err
    assert (tmp_path / "grid" / "farm-a" / "R58M123ABC.toml").exists()


def test_farm_nodes_command_reports_every_problem(tmp_path: Path, profiles: list[Profile],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = GOOD.replace("profiles: FR", "profiles: [FRA]").replace("8201", "8200")
    (tmp_path / "farm.yaml").write_text(bad, encoding="utf-8")
    code = main(["farm", "nodes", str(tmp_path / "farm.yaml"), "--out",
                 str(tmp_path / "grid"), "--profiles", str(tmp_path / "profiles")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: 2 problems found:")
    assert "farm.yaml:17: field `hosts[0].devices[1].profiles[0]`: no device profile " \
           "has the id 'FRA'. Did you mean FR?" in err
    assert "field `hosts[0].devices[1].system_port`: systemPort 8200 is also used" in err
    assert not (tmp_path / "grid").exists()


def test_the_documented_example_against_the_real_profiles(tmp_path: Path) -> None:
    """docs/farm.md's inventory, against device_profiles/: no error, and the TOML it
    shows is what the command writes."""
    doc = (REPO / "docs" / "farm.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n# farm.yaml")[1].split("```")[0]
    (tmp_path / "farm.yaml").write_text("# farm.yaml" + example, encoding="utf-8")
    profiles = load_profiles(REPO / "device_profiles")
    inv = load_inventory(tmp_path / "farm.yaml", profiles)
    assert len(inv.devices) == 8 and inv.hosts == ["farm-a", "farm-b"]
    files = {str(f.path): f.text for f in farm_files(inv, profiles)}
    assert files["hub.toml"].split("\n", 1)[1] in doc
    assert files["farm-a/harness_DE.toml"].split("\n", 1)[1] in doc


def test_a_device_may_stream_its_screenshots_from_its_own_port(
        tmp_path: Path, profiles: list[Profile]) -> None:
    inv = inventory(tmp_path, """\
        hub: {host: 127.0.0.1}
        hosts:
          - name: farm-a
            devices:
              - {udid: a, appium: "http://127.0.0.1:4723", system_port: 8200,
                 mjpeg_port: 7810, profiles: [DE]}
              - {udid: b, appium: "http://127.0.0.1:4724", system_port: 8201, profiles: [FR]}
        """, profiles)
    by_id = {p.id: p for p in profiles}
    streamed = stereotype(inv.devices[0], by_id["DE"])
    assert streamed["appium:mjpegServerPort"] == 7810
    assert streamed["appium:mjpegScreenshotUrl"] == "http://127.0.0.1:7810"
    assert "appium:mjpegScreenshotUrl" not in stereotype(inv.devices[1], by_id["FR"])
    errors = problems(tmp_path, """\
        hub: {host: 127.0.0.1}
        hosts:
          - name: farm-a
            devices:
              - {udid: a, appium: "http://127.0.0.1:4723", system_port: 8200, profiles: [DE]}
              - {udid: b, appium: "http://127.0.0.1:4724", system_port: 8201,
                 mjpeg_port: 8200, profiles: [FR]}
              - {udid: c, appium: "http://127.0.0.1:4725", system_port: 8202, profiles: [FR],
                 capabilities: {"appium:mjpegScreenshotUrl": "http://127.0.0.1:1"}}
        """, profiles)
    text = {e.field: str(e) for e in errors}
    assert "MJPEG port 8200 is also used by devices[0]" in text["hosts[0].devices[1].mjpeg_port"]
    assert "`mjpeg_port`" in text['hosts[0].devices[2].capabilities.appium:mjpegScreenshotUrl']
