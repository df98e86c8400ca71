"""SMS-code sources against real loopback servers and a pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from _cli import free_port

from harness.attempt.otp import (
    HttpSmsSource,
    ManualSource,
    OtpSourceError,
    WebhookReceiver,
    WebhookSmsSource,
    check_config,
)
from harness.spec.profile import OtpConfig
from harness.spec.profiles import load_profile
from harness.support.errors import ConfigError, ConfigErrors


class Provider:
    """A number-rental API on 127.0.0.1: GET /sms?number=... -> the latest SMS as JSON."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] = {"data": {"code": "111111", "text": "old 111111"}}
        self.status = 200
        self.requests: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                provider.requests.append(self.path)
                body = json.dumps(provider.latest).encode()
                self.send_response(provider.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.stop()


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_http_source_takes_only_the_new_code(provider: Provider) -> None:
    clock = Clock()
    src = HttpSmsSource(provider.url + "/sms?number=%2B4915123456789&key=s3cret", {},
                        code_json="data.code", poll_interval=5, clock=clock)
    src.prepare()
    assert src.poll(60) == []          # within the poll interval: no request
    clock.t = 5
    assert src.poll(60) == []          # still the old code
    provider.latest = {"data": {"code": "482913"}}
    clock.t = 9
    assert src.poll(60) == []          # interval not over
    clock.t = 10
    assert src.poll(60) == ["482913"]
    assert len(provider.requests) == 3 and "key=s3cret" in provider.requests[0]
    src.close()


def test_http_source_regex_and_errors(provider: Provider) -> None:
    clock = Clock()
    src = HttpSmsSource(provider.url + "/sms", {"Authorization": "Bearer tok"},
                        code_json="data.text", code_regex=r"code (\d{6})", poll_interval=1,
                        clock=clock)
    src.prepare()
    provider.latest = {"data": {"text": "Your PIN is 654321"}}
    clock.t = 1
    assert src.poll(60) == []  # the provider's text does not match the configured regex
    provider.latest = {"data": {"text": "[App] code 654321"}}
    clock.t = 2
    assert src.poll(60) == ["654321"]
    provider.status = 503
    clock.t = 3
    with pytest.raises(OtpSourceError, match="HTTP 503"):
        src.poll(60)
    src.close()
    dead = HttpSmsSource(f"http://127.0.0.1:{free_port()}/sms?key=topsecret", {},
                         poll_interval=0)
    with pytest.raises(OtpSourceError) as err:
        dead.poll(1)
    assert "topsecret" not in str(err.value)
    dead.close()


def test_webhook_receiver_routes_by_number() -> None:
    port = free_port()
    rec = WebhookReceiver.acquire(f"127.0.0.1:{port}", "/sms", "tok")
    src = WebhookSmsSource(rec, "+4915123456789")
    other = WebhookSmsSource(WebhookReceiver.acquire(f"127.0.0.1:{port}", "/sms", "tok"),
                             "+33612345678")
    try:
        url = f"http://127.0.0.1:{port}/sms"
        assert httpx.post(url, json={"to": "+4915123456789", "text": "old 1"},
                          headers={"X-Harness-Token": "tok"}).status_code == 204
        src.prepare()
        other.prepare()
        assert httpx.post(url, json={"text": "x"}).status_code == 403  # no token
        assert httpx.post(url, json={"to": "+33612345678", "text": "code 111222"},
                          headers={"X-Harness-Token": "tok"}).status_code == 204
        assert httpx.post(url, data={"To": "4915123456789", "Body": "code 482913"},
                          headers={"X-Harness-Token": "tok"}).status_code == 204
        assert src.poll(10) == ["code 482913"]
        assert other.poll(10) == ["code 111222"]
        assert src.poll(10) == []
    finally:
        src.close()
        other.close()
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"http://127.0.0.1:{port}/sms", json={"text": "x"}, timeout=2)


def test_manual_source_reads_a_pseudo_terminal(tmp_path: Path) -> None:
    script = tmp_path / "ask.py"
    script.write_text(
        "import sys\n"
        "from harness.attempt.otp import ManualSource\n"
        "src = ManualSource('demo-x from DE (+49*********89)', stdin=sys.stdin,"
        " stdout=sys.stdout, environ={})\n"
        "src.prepare()\n"
        "print('GOT', src.poll(20))\n", encoding="utf-8")
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.Popen([sys.executable, str(script)], stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    while b"SMS code for" not in out:
        out += os.read(master, 1024)
    os.write(master, b"482913\n")
    while True:  # until the child exits and the terminal closes
        try:
            chunk = os.read(master, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=20)
    os.close(master)
    assert b"GOT ['482913']" in out, out
    assert b"+49*********89" in out


def test_manual_source_is_refused_without_a_person() -> None:
    with pytest.raises(ConfigError, match="CI is set"):
        ManualSource("x", stdin=io.StringIO(), environ={"CI": "true"})
    with pytest.raises(ConfigError, match="needs a terminal"):
        ManualSource("x", stdin=io.StringIO(), environ={})
    with pytest.raises(ConfigError, match="CI is set"):
        check_config(OtpConfig(source="manual"), "DE.yaml:9", environ={"CI": "true"})
    with pytest.raises(ConfigError, match="HARNESS_SMS_KEY is not set"):
        check_config(OtpConfig(source="http", url="http://x/?key=${HARNESS_SMS_KEY}"),
                     "DE.yaml:9", environ={})


def _profile(tmp: Path, otp: str) -> Path:
    p = tmp / "DE.yaml"
    p.write_text("country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
                 f"phone:\n  number: ${{HARNESS_PHONE_DE}}\n  otp:{otp}\n", encoding="utf-8")
    return p


def test_profile_otp_forms(tmp_path: Path) -> None:
    assert load_profile(_profile(tmp_path, " manual")).otp.source == "manual"
    prof = load_profile(_profile(tmp_path, "\n    source: http\n    url: "
                                 "https://sms.example/api?n={phone.e164}&key=${K}\n"
                                 "    code_json: data.code"))
    assert (prof.otp.source, prof.otp.code_json) == ("http", "data.code")
    with pytest.raises(ConfigErrors, match="needs `url`"):
        load_profile(_profile(tmp_path, "\n    source: http"))
    with pytest.raises(ConfigErrors, match="carries a key in clear"):
        load_profile(_profile(tmp_path, "\n    source: http\n    url: "
                              "https://sms.example/api?key=abcdef"))


@pytest.fixture
def sim_url() -> Iterator[str]:
    from harness.sim import SimServer

    with SimServer() as server:
        yield server.url


def _run_openchat(tmp: Path, sim_url: str, otp_yaml: str, timeout: int = 3) -> Any:
    from harness.attempt.run import run_attempt
    from harness.devices.appium import AppiumDevice
    from harness.spec.scenarios import load_scenario
    from harness.storage import Store
    from harness.vocabulary.outcomes import Backend

    src = Path(__file__).resolve().parents[2] / "scenarios" / "demo" / "openchat.yaml"
    text = src.read_text(encoding="utf-8").replace("timeout: 10}", f"timeout: {timeout}}}")
    assert f"timeout: {timeout}}}" in text
    (tmp / "openchat.yaml").write_text(text, encoding="utf-8")
    prof = tmp / "DE.yaml"
    prof.write_text("country: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
                    f"phone:\n  number: '+4915123456789'\n  otp:{otp_yaml}\n", encoding="utf-8")
    profile = load_profile(prof)
    store = Store.open(str(tmp / "r.db"))
    try:
        return run_attempt(
            store=store, run_id=store.start_run("sim", "t"),
            scenario=load_scenario(tmp / "openchat.yaml"), profile=profile,
            phone=profile.resolve_phone(Backend.SIM), backend=Backend.SIM,
            open_device=lambda caps: AppiumDevice.open(sim_url, caps, backend=Backend.SIM))
    finally:
        store.close()


def test_http_source_timeout_is_sms_not_delivered(tmp_path: Path, sim_url: str,
                                                  provider: Provider) -> None:
    result = _run_openchat(tmp_path, sim_url, f"\n    source: http\n    url: {provider.url}"
                           "/sms?n={phone.e164}\n    code_json: data.code\n"
                           "    poll_interval: 0.5")
    v = result.verdict
    assert (v.status.value, v.barrier.value, v.rule_id) == (
        "barrier", "sms_not_delivered", "builtin.sms_timeout")
    assert provider.requests
    assert "/sms?n=%2B4915123456789" in provider.requests[-1]


def test_provider_down_is_a_failure_not_a_barrier(tmp_path: Path, sim_url: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/sms"
    result = _run_openchat(tmp_path, sim_url, f"\n    source: http\n    url: {url}\n"
                           "    poll_interval: 0.5")
    v = result.verdict
    assert (v.status.value, v.failure.value) == ("failure", "unknown_failure")
    assert "failed its last request" in (v.detail or "")
