"""Every secret of a whole attempt, searched for in every byte the harness wrote.

One attempt runs as a real run would: `harness run` in a subprocess, on PostgreSQL through
a role with a password, its egress checked through a real HTTP proxy (pproxy) that wants a
password, its SMS code read from an HTTP SMS provider that wants a key in the URL and
another in a header, on a simulated phone whose SMS goes to that provider (a rented
number). Then `harness runs`, `show`, `export` (every format) and `report`, and a pytest
run of the same scenario with the same database URL. Every secret (the database, proxy and
provider passwords and keys, the Basic credentials the proxy sees, the hash key, the full
phone number in the forms a screen or a log could show it, the SMS codes, the full egress
IP address) is then looked for in the captured output of each command, in every file
under the test's folder (compressed files opened), and in every text column of every
table of the database.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import phonenumbers
import pyarrow.parquet as pq
import pytest
from _cli import free_port, harness, run_pytest
from _loopback import Loopback, answer
from databases import require_server
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from harness.sim import SimServer
from harness.sim.apps import AppContext, OpenChat

#: Canaries made up for this test (a throwaway PostgreSQL cluster and servers on loopback,
#: gone when it ends): each is searched for in every byte the commands write.
PHONE = "+4915112345678"
#: The number as screens, logs and people write it; none may appear anywhere.
PHONE_FORMS = ("+4915112345678", "4915112345678", "004915112345678", "015112345678",
               "15112345678", "0151 12345678", "0151 1234 5678", "+49 151 12345678",
               "+49 1511 2345678", "0151-12345678", "(0151) 12345678")
PG_PASSWORD = "pgPw-7f3Kq9Zr"
PROXY_USER, PROXY_PASSWORD = "alice", "pxPw-Hy82Lm4"
SMS_KEY = "smsKey-Qw91Ze"
SMS_HEADER_KEY = "smsHdr-Vb47Tn"
WEBHOOK_TOKEN = "hookTok-Pz58Xc"
HASH_KEY = "hashKey-Jd63Rs"
EGRESS_IP = "193.99.144.80"


# --------------------------------------------------------------------------- servers


class Echo(Loopback):
    """An IP-echo service: every request, through the proxy or not, comes from Berlin."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                answer(self, 200, json.dumps({"ip": EGRESS_IP, "country": "DE",
                                              "org": "AS3320 Deutsche Telekom AG"}).encode())

        super().__init__(Handler, "/json")


@dataclass
class Provider:
    """A number-rental SMS API: the SMS sent to the rented number arrive here, and
    ``GET /sms?number=...&key=...`` with ``X-Api-Key`` answers the latest one."""

    inbox: dict[str, list[str]] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    answered: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    #: where the provider forwards each SMS as well (the harness's webhook receiver)
    webhook: str | None = None

    def deliver(self, number: str, code: str, body: str) -> None:
        with self.lock:
            self.codes.append(code)
            self.inbox.setdefault(number, []).append(body)
        if self.webhook:
            httpx.post(self.webhook, json={"to": number, "text": body},
                       headers={"X-Harness-Token": WEBHOOK_TOKEN}, timeout=10
                       ).raise_for_status()

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if (query.get("key") != [SMS_KEY]
                        or self.headers.get("X-Api-Key") != SMS_HEADER_KEY):
                    provider.refused += 1
                    self.send_error(403)
                    return
                with provider.lock:
                    latest = provider.inbox.get(query.get("number", [""])[0], [""])[-1]
                    provider.answered += 1
                answer(self, 200, json.dumps({"data": {"text": latest}}).encode())

        self.service = Loopback(Handler)
        self.url = self.service.url

    def stop(self) -> None:
        self.service.stop()


def rented_openchat(provider: Provider) -> type[OpenChat]:
    """OpenChat on a phone whose number is rented: its SMS go to the provider."""

    class RentedOpenChat(OpenChat):
        def delivers_sms(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> bool:
            if self.sent is not None:
                provider.deliver(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                    self.sent.code, f"[OpenChat] Your verification code is "
                                    f"{self.sent.code}. It expires in 5 minutes.")
            return False  # not to the phone itself

    return RentedOpenChat


class Proxy:
    """pproxy: an HTTP proxy on loopback that wants ``alice`` and her password."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = open(log, "wb")  # noqa: SIM115 - stays open for the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pproxy", "-l",
             f"http://127.0.0.1:{self.port}#{PROXY_USER}:{PROXY_PASSWORD}"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pproxy did not start")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)
        self.log.close()


@pytest.fixture
def pg_with_password() -> Iterator[str]:
    """A new database owned by a new role with a password; its URL carries the password."""
    admin_url = require_server()
    name = f"harness_secrets_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{PG_PASSWORD}'"))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER {name}'))
        yield make_url(admin_url).set(database=name, username=name,
                                      password=PG_PASSWORD).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {name}"))
        admin.dispose()


# --------------------------------------------------------------------------- the search


def secrets(codes: list[str]) -> dict[str, re.Pattern[str]]:
    """Each secret by name, as a pattern (digits not part of a longer number)."""
    basic = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
    found: dict[str, re.Pattern[str]] = {
        name: re.compile(re.escape(value)) for name, value in (
            ("database password", PG_PASSWORD), ("proxy password", PROXY_PASSWORD),
            ("proxy Basic credentials", basic), ("SMS key", SMS_KEY),
            ("SMS header key", SMS_HEADER_KEY), ("webhook token", WEBHOOK_TOKEN),
            ("hash key", HASH_KEY))}
    found["egress IP"] = re.compile(rf"(?<![\d.]){re.escape(EGRESS_IP)}(?![\d])")
    for form in PHONE_FORMS:
        found[f"phone {form!r}"] = re.compile(rf"(?<!\d){re.escape(form)}(?!\d)")
    for code in codes:
        found[f"SMS code {code}"] = re.compile(rf"(?<!\d){code}(?!\d)")
    return found


def file_texts(root: Path) -> Iterator[tuple[str, str]]:
    """Every file under ``root`` as text, compressed containers opened."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        name = str(path.relative_to(root))
        yield name, data.decode("latin-1")
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for member in zf.namelist():
                    yield f"{name}!{member}", zf.read(member).decode("latin-1")
        if data[:2] == b"\x1f\x8b":
            yield f"{name} (gunzipped)", gzip.decompress(data).decode("latin-1")
        if path.suffix == ".parquet":
            yield f"{name} (rows)", json.dumps(pq.read_table(path).to_pylist(), default=str)


def database_texts(url: str) -> Iterator[tuple[str, str]]:
    """Every column of every row of every table, as text."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    yield f"table {table.name}", json.dumps(
                        [str(v) for v in row], ensure_ascii=False)
    finally:
        engine.dispose()


def leaks(sources: list[tuple[str, str]], patterns: dict[str, re.Pattern[str]]
          ) -> list[str]:
    out = []
    for where, content in sources:
        for name, pattern in patterns.items():
            m = pattern.search(content)
            if m:
                around = content[max(0, m.start() - 60):m.end() + 60].replace("\n", " ")
                out.append(f"{name} in {where}: ...{around}...")
    return out


# --------------------------------------------------------------------------- the test


def profile(folder: Path, proxy_port: int, otp: str) -> Path:
    """The DE profile: its number, proxy password and SMS source's keys from the
    environment; ``otp`` is the SMS source's part of the YAML."""
    folder.mkdir()
    (folder / "DE.yaml").write_text(
        "id: DE\ncountry: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
        "gps: {latitude: 52.52, longitude: 13.405}\n"
        "phone:\n  number: ${E2E_PHONE}\n  otp:\n" + otp +
        f"proxy: \"http://{PROXY_USER}:${{E2E_PROXY_PASS}}@127.0.0.1:{proxy_port}\"\n"
        "device:\n  emulator: harness_DE\n", encoding="utf-8")
    return folder


def as_real_app(work: Path) -> Path:
    """The demo OpenChat as a real device's app: the simulator stands in for the device
    here (``--backend appium``), and a real run leaves ``demo: true`` scenarios out."""
    path = work / "scenarios" / "openchat.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (Path(__file__).resolve().parents[2] / "scenarios/demo/openchat.yaml"
                ).read_text(encoding="utf-8")
        assert "  demo: true\n" in text
        path.write_text(text.replace("  demo: true\n", "  demo: false\n"), encoding="utf-8")
    return path


def test_no_secret_is_written_anywhere(tmp_path: Path, pg_with_password: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    provider = Provider()
    provider.start()
    echo = Echo()
    proxy = Proxy(tmp_path / "pproxy.log")
    sim = SimServer(apps={OpenChat.package: rented_openchat(provider)}).start()
    env = {"E2E_PHONE": PHONE, "E2E_PROXY_PASS": PROXY_PASSWORD, "E2E_SMS_KEY": SMS_KEY,
           "E2E_SMS_HEADER_KEY": SMS_HEADER_KEY, "E2E_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
           "HARNESS_HASH_KEY": HASH_KEY,
           "HARNESS_LOCK_DIR": str(work / "locks")}
    db = pg_with_password
    outputs: list[tuple[str, str]] = []

    def cli(name: str, args: list[str], status: int = 0) -> str:
        done = harness(args, work, cwd=work, extra_env=env)
        outputs.extend([(f"{name} stdout", done.stdout), (f"{name} stderr", done.stderr)])
        assert done.returncode == status, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    try:
        profiles = profile(work / "profiles", proxy.port, (
            f"    source: http\n"
            f"    url: \"{provider.url}/sms?number={{phone.e164}}&key=${{E2E_SMS_KEY}}\"\n"
            f"    headers: {{X-Api-Key: \"${{E2E_SMS_HEADER_KEY}}\"}}\n"
            f"    code_json: data.text\n    poll_interval: 0.2\n"))
        run_out = cli("harness run", [
            "-v", "run", "--backend", "appium", "--appium-url", sim.url, "--db", db,
            "--artifacts", str(work / "artifacts"), "--profiles", str(profiles),
            "--country", "DE", "--ip-echo-url", echo.url, "--no-store-check",
            "--min-interval", "0", "--settle", "0.3", "--screenshots", "all",
            "--report", str(work / "run-report.html"),
            str(as_real_app(work))])
        assert "1 measurements stored in" in run_out and "1 access" in run_out, run_out
        assert provider.codes and provider.answered and not provider.refused
        cli("harness runs", ["runs", f"--db={db}"])
        engine = create_engine(db)
        try:
            with engine.connect() as conn:
                mid = str(conn.execute(text("SELECT id FROM measurements")).scalar_one())
        finally:
            engine.dispose()
        shown = cli("harness show", ["show", mid, "--db", db])
        assert "access" in shown and "+49*********78" in shown
        page = cli("harness show --page-source", ["show", mid, "--db", db, "--page-source"])
        assert "<hierarchy" in page
        cli("harness show --save", ["show", mid, "--db", db, "--save", str(work / "saved")])
        assert len(list((work / "saved").iterdir())) > 10
        cli("harness export", ["export", "--db", db, "--include-simulated", "--format", "all",
                               "--out", str(work / "exports")])
        cli("harness report", ["report", "--db", db, "--include-simulated",
                               "--out", str(work / "report" / "report.html")])
        listen = f"127.0.0.1:{free_port()}"
        provider.webhook = f"http://{listen}/sms"
        pytest_profiles = profile(work / "pytest-profiles", proxy.port, (
            f"    source: webhook\n    listen: {listen}\n    path: /sms\n"
            "    token: ${E2E_WEBHOOK_TOKEN}\n"))
        done = run_pytest([str(as_real_app(work).parent),
                           "-v", "-rA", "--backend", "appium", "--appium-url", sim.url,
                           "--country", "DE", "--app", "demo-openchat", "--db", db,
                           "--profiles", str(pytest_profiles), "--artifacts",
                           str(work / "artifacts"), "--ip-echo-url", echo.url,
                           "--no-store-check", "--min-interval", "0", "--settle", "0.3",
                           "--log-level", "DEBUG"], work, extra_env=env)
        outputs.extend([("pytest stdout", done.stdout), ("pytest stderr", done.stderr)])
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "demo-openchat-DE PASSED" in done.stdout and ":***@" in done.stdout
        assert len(provider.codes) == 2  # the webhook delivered the second attempt's code
        # a database that does not answer: one paragraph, the URL masked in it
        dead = make_url(db).set(port=free_port()).render_as_string(hide_password=False)
        cli("harness runs (no server)", ["runs", "--db", dead], status=2)
        assert "Traceback" not in outputs[-1][1] and ":***@" in outputs[-1][1]
    finally:
        sim.stop()
        proxy.stop()
        echo.stop()
        provider.stop()
    stored = list(database_texts(db))
    files = list(file_texts(work))
    found = leaks([*outputs, *files, *stored], secrets(provider.codes))
    assert not found, "\n".join(found[:40])
    print(f"searched {len(outputs)} outputs, {len(files)} files and members "
          f"({sum(len(t) for _, t in files):,} characters), {len(stored)} rows")
    # what the search looked through holds the masked forms: the secrets went that way
    everything = "\n".join(t for _, t in stored)
    assert f"{PROXY_USER}:***@127.0.0.1:{proxy.port}" in everything  # the proxy used
    assert "193.99.144.x" in everything and ":***@" in everything  # egress, commands
