"""Egress checks through real proxy servers on loopback (pproxy), against an IP-echo
server that answers by which proxy a request came through.

Each pproxy listener binds its outgoing connections to its own loopback address
(127.0.0.11, .12, ...); the echo server maps that source address to the exit it
stands for: a public address and its country, in ipinfo or ip-api format.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from _cli import REPO, env, free_port, run_pytest

from harness.attempt.vantage import VantageChecker, check_egress
from harness.spec.profiles import load_profile
from harness.vocabulary.ipecho import parse_echo

PASSWORD = "pw-Zq81-secret"
# source address -> (exit IP, country claimed by the echo service)
EXITS = {
    "127.0.0.11": ("193.99.144.80", "DE"),   # a German address; GeoIP agrees
    "127.0.0.12": ("212.27.48.10", "FR"),    # a French address
    "127.0.0.13": ("193.99.144.81", "DE"),   # behind the password-protected SOCKS5 proxy
    "127.0.0.14": ("8.8.8.8", "DE"),         # a liar: says DE, GeoIP says US
    "127.0.0.15": ("133.242.0.3", "JP"),     # a Japanese exit
}


class Echo:
    def __init__(self) -> None:
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                ip, cc = EXITS.get(self.client_address[0], ("203.0.113.9", "ZZ"))
                if "ip-api" in self.path:
                    data = {"status": "success", "query": ip, "countryCode": cc,
                            "as": "AS64500 Example Net"}
                else:
                    data = {"ip": ip, "country": cc, "org": "AS64501 Example Transit"}
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                echo.hits += 1

        self.hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/json"


class Proxies:
    """One pproxy process with a listener per exit."""

    def __init__(self, log: Path) -> None:
        self.ports = {name: free_port() for name in ("de", "fr", "de_socks", "liar", "jp")}
        binds = {"de": ("http", "127.0.0.11", ""), "fr": ("http", "127.0.0.12", ""),
                 "de_socks": ("socks5", "127.0.0.13", f"#alice:{PASSWORD}"),
                 "liar": ("http", "127.0.0.14", ""), "jp": ("http", "127.0.0.15", "")}
        args = [sys.executable, "-m", "pproxy", "--auth", "0"]
        for name, (scheme, bind, auth) in binds.items():
            args += ["-l", f"{scheme}://127.0.0.1:{self.ports[name]}/@{bind}{auth}"]
        self.log = open(log, "wb")  # noqa: SIM115 - stays open for the process
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        for port in self.ports.values():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)

    def url(self, name: str, auth: str = "") -> str:
        scheme = "socks5" if name == "de_socks" else "http"
        return f"{scheme}://{auth}127.0.0.1:{self.ports[name]}"

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)
        self.log.close()


class SlowProxy:
    """Accepts connections and never answers: a proxy too slow to be of use."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                return

    def stop(self) -> None:
        self.stopped = True
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture(scope="module")
def echo() -> Iterator[Echo]:
    e = Echo()
    yield e
    e.server.shutdown()
    e.server.server_close()


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxies]:
    p = Proxies(tmp_path_factory.mktemp("pproxy") / "pproxy.log")
    yield p
    p.stop()


def profile(tmp: Path, country: str, proxy: str, pid: str | None = None) -> Path:
    path = tmp / f"{pid or country}.yaml"
    tz = {"DE": "Europe/Berlin", "FR": "Europe/Paris", "JP": "Asia/Tokyo"}[country]
    path.write_text(f"id: {pid or country}\ncountry: {country}\nlocale: en_{country}\n"
                    f"language: en\ntimezone: {tz}\nproxy: \"{proxy}\"\n"
                    f"device:\n  emulator: harness_{country}\n", encoding="utf-8")
    return path


def test_parse_both_echo_formats() -> None:
    a = parse_echo({"ip": "193.99.144.80", "country": "de", "org": "AS3320 DTAG"})
    assert (a.ip, a.country, a.asn, a.source) == ("193.99.144.80", "DE", "AS3320", "ipinfo")
    b = parse_echo({"status": "success", "query": "1.2.3.4", "countryCode": "FR",
                    "as": "AS3215 Orange"})
    assert (b.country, b.asn, b.source) == ("FR", "AS3215", "ip-api")
    with pytest.raises(ValueError):
        parse_echo({"status": "fail", "message": "private range", "query": "10.0.0.1"})


def test_match_mismatch_dead_wrong_password_and_slow(tmp_path: Path, echo: Echo,
                                                      proxies: Proxies) -> None:
    de = load_profile(profile(tmp_path, "DE", "${P}", "DE-http"))
    ok = check_egress(de, proxies.url("de"), echo.url)
    assert (ok.verdict, ok.ip_country, ok.geoip_country, ok.sources_agree) == (
        "ok", "DE", "DE", True)
    assert ok.ip_masked == "193.99.144.x" and ok.asn == "AS64501"
    assert ok.ip_hash and "193.99.144.80" not in repr(ok)

    via_api = check_egress(de, proxies.url("de"), echo.url.replace("/json", "/ip-api"))
    assert (via_api.verdict, via_api.source, via_api.asn) == ("ok", "ip-api", "AS64500")

    socks = check_egress(de, proxies.url("de_socks", f"alice:{PASSWORD}@"), echo.url)
    assert socks.verdict == "ok" and socks.ip_masked == "193.99.144.x"

    fr = check_egress(de, proxies.url("fr"), echo.url)
    assert (fr.verdict, fr.ip_country) == ("vantage_mismatch", "FR")
    assert "leaves from FR, not DE" in (fr.detail or "")

    liar = check_egress(de, proxies.url("liar"), echo.url)
    assert (liar.verdict, liar.ip_country, liar.geoip_country, liar.sources_agree) == (
        "ok", "DE", "US", False)  # recorded, and the disagreement flagged

    dead = check_egress(de, f"http://127.0.0.1:{free_port()}", echo.url)
    assert dead.verdict == "proxy_unreachable"

    wrong = check_egress(de, proxies.url("de_socks", "alice:not-the-password@"), echo.url)
    assert wrong.verdict == "proxy_unreachable"
    assert "not-the-password" not in (wrong.detail or "") and "alice:***@" in (wrong.detail
                                                                                or "")
    slow = SlowProxy()
    try:
        t = time.monotonic()
        late = check_egress(de, f"http://127.0.0.1:{slow.port}", echo.url, timeout=1.0)
        assert late.verdict == "proxy_unreachable" and time.monotonic() - t < 5
    finally:
        slow.stop()


def test_checks_are_cached_per_proxy(tmp_path: Path, echo: Echo, proxies: Proxies) -> None:
    from harness.storage import Store

    store = Store.open(str(tmp_path / "r.db"))
    try:
        de = load_profile(profile(tmp_path, "DE", "${P}", "DE-http"))
        checker = VantageChecker(store, echo.url, ttl=600)
        before = echo.hits
        first = checker.check(de, proxies.url("de"))
        second = checker.check(de, proxies.url("de"))
        assert (first.cached, second.cached, echo.hits - before) == (False, True, 1)
        # another process (a new checker on the same database) reuses the stored check
        other = VantageChecker(store, echo.url, ttl=600)
        assert other.check(de, proxies.url("de")).cached and echo.hits - before == 1
        assert VantageChecker(store, echo.url, ttl=0).check(de, proxies.url("de")).cached \
            is False
    finally:
        store.close()


def _write_env(tmp: Path, proxies: Proxies) -> tuple[Path, dict[str, str]]:
    profs = tmp / "profiles"
    profs.mkdir()
    profile(profs, "DE", f"socks5://alice:${{HARNESS_PROXY_PASS}}@127.0.0.1:"
                         f"{proxies.ports['de_socks']}")
    profile(profs, "FR", proxies.url("de"))            # a "French" proxy that exits in DE
    profile(profs, "JP", proxies.url("jp"))
    return profs, {"HARNESS_PROXY_PASS": PASSWORD}


def test_simulator_runs_through_proxies(tmp_path: Path, echo: Echo, proxies: Proxies) -> None:
    profs, extra = _write_env(tmp_path, proxies)
    db = tmp_path / "r.db"
    os.environ.update(extra)
    try:
        proc = run_pytest(["scenarios/demo", "--backend=sim", "--country=all",
                           "--app=demo-geofence,demo-openchat", f"--profiles={profs}",
                           f"--db={db}", f"--ip-echo-url={echo.url}", "-v",
                           "--log-level=DEBUG", "-rA"], tmp_path)
    finally:
        for k in extra:
            os.environ.pop(k)
    out = proc.stdout + proc.stderr
    conn = sqlite3.connect(db)
    rows = {(a, p): (s, b, f) for a, p, s, b, f in conn.execute(
        "select scenario_id, profile_id, status, barrier, failure from measurements")}
    # the FR profile's proxy exits in DE: never a barrier, always vantage_mismatch
    assert rows[("demo-openchat", "FR")] == ("failure", None, "vantage_mismatch")
    assert rows[("demo-geofence", "FR")] == ("failure", None, "vantage_mismatch")
    # GeoFence blocks by the IP country the proxy gives the device
    assert rows[("demo-geofence", "DE")] == ("barrier", "region_blocked", None)
    assert rows[("demo-geofence", "JP")] == ("access", None, None)
    assert rows[("demo-openchat", "DE")] == ("access", None, None)
    vantage = conn.execute("select ip_country, ip_country_match, egress_ip_masked, "
                           "vantage_source from measurements where profile_id = 'DE'"
                           ).fetchall()
    assert all(v[0] == "DE" and v[1] == 1 and v[2] == "193.99.144.x" for v in vantage)
    assert "vantage_mismatch" in out and proc.returncode == 1  # failures fail their items
    # the proxy password appears nowhere: database, evidence, output, logs
    dump = "\n".join(conn.iterdump())
    conn.close()
    texts = [dump, out] + [p.read_text(errors="replace")
                           for p in (tmp_path / "artifacts").rglob("*.xml")]
    for text in texts:
        assert PASSWORD not in text
    assert "alice:***@" in dump


def test_dead_proxy_stops_nothing_but_its_own_attempts(tmp_path: Path, echo: Echo) -> None:
    from harness.cli.main import main

    profs = tmp_path / "profiles"
    profs.mkdir()
    profile(profs, "DE", f"http://127.0.0.1:{free_port()}")
    code = main(["run", str(REPO / "scenarios" / "demo" / "openchat.yaml"), "--backend=sim",
                 f"--profiles={profs}", f"--db={tmp_path / 'r.db'}",
                 f"--ip-echo-url={echo.url}"])
    assert code == 1
    conn = sqlite3.connect(tmp_path / "r.db")
    assert conn.execute("select status, failure, stage from measurements").fetchall() == [
        ("failure", "proxy_unreachable", "vantage")]
    conn.close()
    assert env  # the helper module is the same one the CLI tests use


def test_vantage_check_command(tmp_path: Path, echo: Echo, proxies: Proxies) -> None:
    from _cli import harness

    profs, extra = _write_env(tmp_path, proxies)
    proc = harness(["vantage", "check", "--country", "all", f"--profiles={profs}",
                    f"--ip-echo-url={echo.url}", f"--db={tmp_path / 'v.db'}"], tmp_path,
                   extra_env=extra)
    out = proc.stdout
    assert proc.returncode == 1, proc.stderr + out  # FR exits in DE
    assert "vantage_mismatch" in out
    assert "2 ok, 1 not usable" in out
    assert PASSWORD not in out + proc.stderr and "alice:***@" in out
    assert "[3/3]" in proc.stderr  # progress, one line per profile when not a terminal
    conn = sqlite3.connect(tmp_path / "v.db")
    assert conn.execute("select count(*) from vantage_checks").fetchone()[0] == 3
    conn.close()


def test_the_devices_own_route_is_checked_not_only_the_harnesss(
        tmp_path: Path, echo: Echo, proxies: Proxies) -> None:
    """The harness's egress check goes through the DE proxy from the host; the device's
    own traffic is checked through its browser. A device whose route does not carry the
    proxy (a VPN app that is down: harness:deviceRoute direct) is a vantage mismatch."""
    from harness.attempt.run import run_attempt
    from harness.devices.appium import AppiumDevice
    from harness.sim import SimServer
    from harness.spec.scenarios import load_scenario
    from harness.storage import Store
    from harness.vocabulary.outcomes import Backend

    good = profile(tmp_path, "DE", proxies.url("de"))
    bad = tmp_path / "DEv.yaml"
    bad.write_text(good.read_text().replace("id: DE", "id: DEv") +
                   "  capabilities: {harness:deviceRoute: direct}\n", encoding="utf-8")
    store = Store.open(str(tmp_path / "r.db"))
    got = {}
    try:
        with SimServer() as sim:
            for path in (good, bad):
                prof = load_profile(path)
                result = run_attempt(
                    store=store, run_id=store.start_run("sim", "t"),
                    scenario=load_scenario(REPO / "scenarios" / "demo" / "openchat.yaml"),
                    profile=prof, phone=prof.resolve_phone(Backend.SIM), backend=Backend.SIM,
                    open_device=lambda caps: AppiumDevice.open(sim.url, caps,
                                                               backend=Backend.SIM),
                    vantage=VantageChecker(store, echo.url, 60.0))
                m = store.get_measurement(result.measurement_id)
                assert m is not None
                got[prof.id] = m
    finally:
        store.close()
    ok, off = got["DE"], got["DEv"]
    assert (ok.status, ok.ip_country, ok.device_egress_country, ok.device_egress_match) == (
        "access", "DE", "DE", True)
    assert ok.steps[0].name == "device route" and "exits in DE" in ok.steps[0].detail
    assert (off.status, off.failure, off.stage) == ("failure", "vantage_mismatch", "vantage")
    assert (off.ip_country, off.device_egress_country, off.device_egress_match) == (
        "DE", "ZZ", False)
    assert "exits in ZZ" in off.failure_detail and "not DE" in off.failure_detail
