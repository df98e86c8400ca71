"""Acting on what was observed, on the simulator through appium-python-client: taps and
typing go to the elements' places in the page source (W3C actions, one command each),
and a tap whose element moved between the read and the tap is seen on the next read and
made again where the element is now."""

from __future__ import annotations

from pathlib import Path

from harness.attempt.run import run_attempt
from harness.attempt.settings import RunnerSettings
from harness.devices.appium import AppiumDevice
from harness.sim import SimServer
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage import Store
from harness.vocabulary.outcomes import Backend, Status

REPO = Path(__file__).resolve().parents[2]
PROFILE = ("country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
           "phone: '+4915123456789'\ndevice: {emulator: harness_DE}\n")


def _attempt(tmp: Path, sim: SimServer, scenario: Path) -> tuple[Store, str, Status]:
    prof = tmp / "DE.yaml"
    prof.write_text(PROFILE, encoding="utf-8")
    profile = load_profile(prof)
    store = Store.open(str(tmp / "r.db"))
    result = run_attempt(
        store=store, run_id=store.start_run("sim", "test"), scenario=load_scenario(scenario),
        profile=profile, phone=profile.resolve_phone(Backend.SIM), backend=Backend.SIM,
        settings=RunnerSettings(poll_interval=0.05, settle_time=0.5),
        open_device=lambda caps: AppiumDevice.open(sim.url, caps, backend=Backend.SIM))
    return store, result.measurement_id, result.verdict.status


def test_a_tap_on_an_element_that_moved_is_made_again_where_it_is(tmp_path: Path) -> None:
    with SimServer() as sim:
        store, mid, status = _attempt(tmp_path, sim, REPO / "tests" / "fixtures" /
                                      "shifting" / "shifting.yaml")
        counts = sim.commands
    try:
        assert status is Status.ACCESS
        m = store.get_measurement(mid)
        assert m is not None
        retaps = [o for step in m.steps for o in (step.observations or [])
                  if o.get("runner") == "retap"]
        assert len(retaps) == 1
        (before, after) = retaps[0]["from"], retaps[0]["to"]
        assert before[0] == after[0] and after[1] > before[1]  # pushed down
        assert counts["actions"] == 2 and counts["find"] == 0 and counts["click"] == 0
    finally:
        store.close()


def test_the_demo_flow_sends_one_read_and_one_action_per_step(tmp_path: Path) -> None:
    with SimServer() as sim:
        store, _mid, status = _attempt(tmp_path, sim, REPO / "scenarios" / "demo" /
                                       "openchat.yaml")
        counts = sim.commands
    store.close()
    assert status is Status.ACCESS
    # every tap and every field typed by coordinates: no element found again by locator
    assert counts["find"] == 0 and counts["click"] == 0 and counts["value"] == 0
    assert counts["actions"] == 12 and counts["source"] == 14
