"""Harness overhead on the Appium path: the same sign-up flow driven (a) through the harness
and (b) by a straight-line appium-python-client script written for the comparison, against
the same server: the simulator, and a real Appium 3 server with the fake driver.

Prints, per server: wall time per attempt of each, the harness/raw ratio, and the
harness's overhead per step in milliseconds, with and without evidence capture (a
screenshot plus page source after every step). Target: ratio at most 1.10 without
evidence.

    python benchmarks/bench_device.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from appium import webdriver
from appium.options.common.base import AppiumOptions
from selenium.common.exceptions import NoSuchElementException

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.attempt.run import run_attempt  # noqa: E402
from harness.attempt.settings import RunnerSettings  # noqa: E402
from harness.devices.appium import AppiumDevice  # noqa: E402
from harness.devices.capabilities import build_capabilities  # noqa: E402
from harness.sim import SimServer  # noqa: E402
from harness.spec.profiles import load_profile  # noqa: E402
from harness.spec.scenarios import load_scenario  # noqa: E402
from harness.storage import Store  # noqa: E402
from harness.vocabulary.outcomes import Backend  # noqa: E402

os.environ.setdefault("HARNESS_HASH_KEY", "bench")
PKG = "org.harnessdemo.openchat"


def wait_find(driver: Any, by: str, value: str, timeout: float = 10) -> Any:
    """What a careful straight-line script does: poll for the element, no fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return driver.find_element(by, value)
        except NoSuchElementException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def raw_openchat(url: str, caps: dict[str, Any], national: str) -> int:
    """The demo OpenChat sign-up, written by hand against the simulator. Returns steps."""
    d = webdriver.Remote(url, options=AppiumOptions().load_capabilities(caps))
    try:
        d.execute_script("mobile: terminateApp", {"appId": PKG})
        d.execute_script("mobile: clearApp", {"appId": PKG})
        d.execute_script("mobile: activateApp", {"appId": PKG})
        wait_find(d, "xpath", '//*[@text="Agree"]').click()
        wait_find(d, "xpath", '//*[@text="Sign up with phone"]').click()
        wait_find(d, "id", "country_code").click()
        wait_find(d, "id", "country_search").send_keys("49")
        wait_find(d, "xpath", '//*[contains(@text, "+49")]').click()
        wait_find(d, "id", "phone_input").send_keys(national)
        before = {m["_id"] for m in d.execute_script("mobile: listSms", {})["items"]}
        wait_find(d, "id", "get_code").click()
        code = None
        while code is None:
            for m in d.execute_script("mobile: listSms", {})["items"]:
                hit = re.search(r"(?<!\d)(\d{6})(?!\d)", m["body"])
                if m["_id"] not in before and hit:
                    code = hit.group(1)
        wait_find(d, "id", "code_input").send_keys(code)
        wait_find(d, "id", "submit").click()
        wait_find(d, "xpath", '//*[@text="Welcome to OpenChat"]')
        wait_find(d, "id", "compose").click()
        wait_find(d, "id", "post_body").send_keys("Hello from DE")
        wait_find(d, "id", "send").click()
        wait_find(d, "xpath", '//*[@text="Posted"]')
    finally:
        d.quit()
    return 14


def raw_fake(url: str, caps: dict[str, Any], national: str) -> int:
    d = webdriver.Remote(url, options=AppiumOptions().load_capabilities(caps))
    try:
        wait_find(d, "xpath", '//*[@text="同意"]').click()
        wait_find(d, "xpath", "//MockInputField[@id='phone_input']").send_keys(national)
        wait_find(d, "xpath", '//*[@text="Get code"]').click()
        wait_find(d, "xpath", '//*[@text="Welcome"]')
    finally:
        d.quit()
    return 5


FAKE_SCENARIO = """\
id: fake-signup
app: {name: Fake, android_package: org.harnessdemo.fake}
defaults: {timeout: 5}
steps:
  - launch
  - tap: "同意"
    stage: signup
  - input: {into: {xpath: "//MockInputField[@id='phone_input']"}, text: "{phone.national}"}
  - tap: "Get code"
  - wait: "Welcome"
    stage: account
"""


def harness_runner(url: str, scenario_path: Path, profile_path: Path, backend: Backend,
                   evidence: bool, tmp: Path) -> Callable[[], str]:
    """One attempt through the harness, as a run does it: the store, the run, the profile
    and the scenario are opened once; each attempt is stored with its steps."""
    profile = load_profile(profile_path)
    phone = profile.resolve_phone(backend)
    scenario = load_scenario(scenario_path)
    store = Store.open(str(tmp / f"bench-{backend.value}-{evidence}.db"))
    run_id = store.start_run(backend.value, "bench")
    settings = RunnerSettings(screenshots=evidence, poll_interval=0.05)

    def attempt() -> str:
        result = run_attempt(
            store=store, run_id=run_id, scenario=scenario, profile=profile, phone=phone,
            backend=backend, settings=settings,
            open_device=lambda caps: AppiumDevice.open(url, caps, backend=backend))
        assert result.verdict.status.value == "access", result.verdict
        return result.verdict.outcome

    return attempt


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def report(name: str, raw: list[float], plain: list[float], full: list[float],
           steps: int) -> None:
    r, h, e = statistics.median(raw), statistics.median(plain), statistics.median(full)
    print(f"\n{name} (median of {len(raw)} attempts, {steps} steps each)")
    print(f"  raw appium-python-client script : {r * 1000:8.1f} ms")
    print(f"  harness, no evidence            : {h * 1000:8.1f} ms   ratio {h / r:5.2f}   "
          f"overhead {(h - r) / steps * 1000:6.1f} ms/step")
    print(f"  harness, evidence every step    : {e * 1000:8.1f} ms   ratio {e / r:5.2f}   "
          f"overhead {(e - r) / steps * 1000:6.1f} ms/step")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--latency-ms", type=float, default=100.0,
                    help="per-command latency of the paced simulator run (default 100)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-device-"))
    prof = tmp / "DE.yaml"
    prof.write_text("country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
                    "phone: '+4915123456789'\ndevice: {emulator: harness_DE}\n",
                    encoding="utf-8")
    profile = load_profile(prof)
    phone = profile.resolve_phone(Backend.SIM)
    national = phone.national.reveal()
    scenario = REPO / "scenarios" / "demo" / "openchat.yaml"

    with SimServer() as sim:
        caps = build_capabilities(profile, phone, Backend.SIM)
        plain_run = harness_runner(sim.url, scenario, prof, Backend.SIM, False, tmp)
        full_run = harness_runner(sim.url, scenario, prof, Backend.SIM, True, tmp)
        raw_openchat(sim.url, caps, national)  # warm-up
        plain_run()
        raw = timed(lambda: raw_openchat(sim.url, caps, national), args.rounds)
        plain = timed(plain_run, args.rounds)
        full = timed(full_run, args.rounds)
        report("simulator, demo OpenChat sign-up + post", raw, plain, full, 14)

    # the same flow at a real device's pace: every command takes latency ms
    with SimServer(latency=args.latency_ms / 1000) as sim:
        caps = build_capabilities(profile, phone, Backend.SIM)
        plain_run = harness_runner(sim.url, scenario, prof, Backend.SIM, False, tmp)
        full_run = harness_runner(sim.url, scenario, prof, Backend.SIM, True, tmp)
        rounds = max(2, args.rounds // 3)
        raw = timed(lambda: raw_openchat(sim.url, caps, national), rounds)
        plain = timed(plain_run, rounds)
        full = timed(full_run, rounds)
        report(f"simulator at {args.latency_ms:g} ms per command (a real device's pace)",
               raw, plain, full, 14)

    appium_main = REPO / "tests" / "appium" / "node_modules" / "appium" / "index.js"
    if not appium_main.exists() or shutil.which("node") is None:
        print("\nreal Appium: skipped (run `make test` once to install tests/appium)")
        return 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        ["node", str(appium_main), "--address", "127.0.0.1", "--port", str(port),
         "--log-level", "error"], env=dict(os.environ, APPIUM_HOME=str(appium_main.parents[2])),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/status", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        fake_prof = tmp / "FAKE.yaml"
        fake_prof.write_text(
            prof.read_text(encoding="utf-8").replace(
                "device: {emulator: harness_DE}",
                "device:\n  capabilities: {platformName: Fake, appium:automationName: Fake, "
                f"appium:deviceName: Fake, appium:app: "
                f"'{REPO / 'tests' / 'fixtures' / 'fakeapp' / 'signup.xml'}'}}"),
            encoding="utf-8")
        fscen = tmp / "fake.yaml"
        fscen.write_text(FAKE_SCENARIO, encoding="utf-8")
        fprofile = load_profile(fake_prof)
        fcaps = build_capabilities(fprofile, phone, Backend.APPIUM)
        fplain = harness_runner(url, fscen, fake_prof, Backend.APPIUM, False, tmp)
        ffull = harness_runner(url, fscen, fake_prof, Backend.APPIUM, True, tmp)
        raw_fake(url, fcaps, national)
        fplain()
        raw = timed(lambda: raw_fake(url, fcaps, national), args.rounds)
        plain = timed(fplain, args.rounds)
        full = timed(ffull, args.rounds)
        report("real Appium 3 + fake driver, 5-step sign-up", raw, plain, full, 5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
