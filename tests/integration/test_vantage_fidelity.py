"""What the device reports about itself is stored beside the target country."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.attempt.run import run_attempt
from harness.devices.appium import AppiumDevice
from harness.sim import SimServer
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage import Store
from harness.vocabulary.outcomes import Backend

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim_url() -> Iterator[str]:
    with SimServer() as server:
        yield server.url


def measure(tmp_path: Path, sim_url: str, profile_text: str) -> Any:
    """One OpenChat attempt on the simulator from a profile written out of ``profile_text``;
    the stored measurement."""
    prof = tmp_path / "DE.yaml"
    prof.write_text(profile_text, encoding="utf-8")
    profile = load_profile(prof)
    store = Store.open(str(tmp_path / "r.db"))
    try:
        result = run_attempt(
            store=store, run_id=store.start_run("sim", "t"),
            scenario=load_scenario(REPO / "scenarios" / "demo" / "openchat.yaml"),
            profile=profile, phone=profile.resolve_phone(Backend.SIM), backend=Backend.SIM,
            open_device=lambda caps: AppiumDevice.open(sim_url, caps, backend=Backend.SIM))
        return store.get_measurement(result.measurement_id)
    finally:
        store.close()


def test_an_emulator_sim_that_says_us_is_visible(tmp_path: Path, sim_url: str) -> None:
    # an emulator's SIM is always a US one (310260); the simulator models that with
    # harness:simCountry, set here as a farm-style capability override
    m = measure(tmp_path, sim_url,
                "country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
                "gps: [52.52, 13.405]\ndevice:\n  emulator: harness_DE\n"
                "  capabilities: {harness:simCountry: US, appium:timeZone: UTC}\n")
    assert m is not None
    assert (m.country, m.sim_country, m.sim_country_match) == ("DE", "US", False)
    assert (m.device_timezone, m.timezone_match) == ("UTC", False)
    assert (m.device_locale, m.locale_match) == ("de_DE", True)
    assert m.gps_country == "DE" and m.vantage_source == "device"
    assert m.device_sim_operator  # the carrier name the device reports


def test_the_gps_country_is_the_one_the_device_reports(tmp_path: Path, sim_url: str) -> None:
    # no GPS in the profile: the device keeps its own fix (the stock emulator's is in
    # Mountain View), and that is what is recorded, not the profile's country
    m = measure(tmp_path, sim_url, "country: DE\nlocale: de_DE\nlanguage: de\n"
                                   "timezone: Europe/Berlin\ndevice:\n  emulator: harness_DE\n")
    assert m is not None
    assert (m.gps_country, m.gps_country_match, m.location_set) == ("US", False, None)
    assert "reported position in US" in (m.gps_detail or "")


def test_a_failed_position_and_a_silent_gps_are_recorded_not_assumed() -> None:
    from harness.attempt.device_vantage import observe_location
    from harness.devices.base import DeviceError, UnsupportedCommand

    class NoGps:
        def set_location(self, latitude: float, longitude: float, altitude: float = 0.0
                         ) -> None:
            raise DeviceError("setGeolocation is not allowed")

        def location(self) -> tuple[float, float]:
            raise UnsupportedCommand("mobile: getGeolocation is not implemented")

    profile = load_profile(REPO / "device_profiles" / "DE.yaml")
    seen = observe_location(NoGps(), profile)  # type: ignore[arg-type]
    assert (seen.location_set, seen.gps_country, seen.gps_country_match) == (False, None, None)
    assert "setting the profile's position failed" in (seen.detail or "")
    assert "reported no position" in (seen.detail or "")
