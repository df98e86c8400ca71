"""Faults of the network around an attempt, each with the record it must leave: the
profile's proxy dying in the middle of a run, and the SMS provider answering garbage.

The runs are ``harness run`` (in this process) on the simulator, whose devices reach the
network only through the route their capabilities give them, with a real IP-echo service,
a real forward proxy and a real SMS provider API on 127.0.0.1.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from _faulty import DyingProxy, Echo, Provider

from harness.cli.main import main

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "demo"


@pytest.fixture
def echo() -> Iterator[Echo]:
    e = Echo()
    yield e
    e.stop()


def de_profile(folder: Path, extra: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "DE.yaml").write_text(
        "id: DE\ncountry: DE\nlocale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
        f"device:\n  emulator: harness_DE\n{extra}", encoding="utf-8")


def measurements(db: Path) -> list[tuple[str, str, str | None, str | None, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select scenario_id, status, barrier, failure, failure_detail "
                            "from measurements order by started_at").fetchall()
    finally:
        conn.close()


def test_the_proxy_dying_mid_run_fails_only_the_attempts_after_it(tmp_path: Path,
                                                                   echo: Echo) -> None:
    """The proxy carries the first attempt (the harness's egress check, the device's
    session and its route check), then dies: the second attempt's device can reach
    nothing, and is ``proxy_unreachable`` at the vantage stage, not the geo-block the
    simulated app would show on the SIM's country alone."""
    proxy = DyingProxy(lives=3)
    try:
        de_profile(tmp_path / "p", f"phone: '+4915123456789'\nproxy: {proxy.url}\n")
        code = main(["run", str(DEMO / "openchat.yaml"), str(DEMO / "geofence.yaml"),
                     "--backend=sim", f"--profiles={tmp_path / 'p'}",
                     f"--db={tmp_path / 'r.db'}", f"--ip-echo-url={echo.url}",
                     "--workers", "1"])
    finally:
        proxy.stop()
    assert code == 1  # documented: some attempt is an instrument failure
    first, second = measurements(tmp_path / "r.db")
    assert first[:4] == ("demo-openchat", "access", None, None)
    assert second[:4] == ("demo-geofence", "failure", None, "proxy_unreachable")
    assert "could not reach" in (second[4] or "")
    conn = sqlite3.connect(tmp_path / "r.db")
    steps = conn.execute("select s.name, s.outcome from steps s join measurements m on "
                         "m.id = s.measurement_id where m.scenario_id = 'demo-geofence'"
                         ).fetchall()
    conn.close()
    assert steps == [("device route", "skipped")]  # no step of the app ran


OTP = "  otp:\n    source: http\n    url: {url}?n={{phone.e164}}\n    code_json: data.code\n" \
      "    poll_interval: 0.3\n"


#: A readable answer without a code (asked once before the code is requested, then polled).
NO_CODE = '{"data": {"code": null}}'


def run_with_provider(tmp: Path, provider: Provider) -> tuple[int, list[tuple]]:
    scenario = (DEMO / "openchat.yaml").read_text(encoding="utf-8")
    (tmp / "openchat.yaml").write_text(scenario.replace("timeout: 10}", "timeout: 3}"),
                                       encoding="utf-8")
    de_profile(tmp / "p", "phone:\n  number: '+4915123456789'\n" + OTP.format(url=provider.url))
    (tmp / "p" / "HK.yaml").write_text((REPO / "device_profiles" / "HK.yaml")
                                       .read_text(encoding="utf-8"), encoding="utf-8")
    code = main(["run", str(tmp / "openchat.yaml"), "--backend=sim", f"--profiles={tmp / 'p'}",
                 f"--db={tmp / 'r.db'}", "--workers", "1"])
    conn = sqlite3.connect(tmp / "r.db")
    try:
        got = conn.execute("select profile_id, status, stage, barrier, failure, "
                           "failure_detail from measurements order by profile_id").fetchall()
    finally:
        conn.close()
    return code, got


@pytest.mark.parametrize(("answers", "problem"), [
    ([(200, "<html><body>Service temporarily unavailable</body></html>")], "not JSON"),
    ([(200, NO_CODE), (200, NO_CODE), (200, "%%%garbage%%%")], "not JSON"),
    ([(200, NO_CODE), (200, NO_CODE), (502, "Bad gateway")], "HTTP 502"),
], ids=["html-page", "json-then-garbage", "json-then-502"])
def test_an_sms_provider_answering_garbage_is_a_failure_not_a_barrier(
        tmp_path: Path, answers: list[tuple[int, str]], problem: str) -> None:
    """Whether the SMS came cannot be told from an answer the harness cannot read: the
    attempt is an instrument failure at the otp stage, never ``sms_not_delivered``."""
    provider = Provider(answers)
    try:
        code, got = run_with_provider(tmp_path, provider)
    finally:
        provider.stop()
    assert code == 1 and provider.requests >= 2
    de, hk = got
    assert hk[:2] == ("HK", "access")  # the attempt that did not use the provider: intact
    assert de[:5] == ("DE", "failure", "otp", None, "unknown_failure"), de
    assert problem in (de[5] or "") and "failed its last request" in (de[5] or "")


def test_an_sms_provider_answering_well_without_a_code_is_sms_not_delivered(
        tmp_path: Path) -> None:
    """The control: every answer readable, none with a code, is the barrier."""
    provider = Provider([(200, NO_CODE)])
    try:
        code, got = run_with_provider(tmp_path, provider)
    finally:
        provider.stop()
    de, hk = got
    assert de[:5] == ("DE", "barrier", "otp", "sms_not_delivered", None)
    assert hk[:2] == ("HK", "access") and code == 0
