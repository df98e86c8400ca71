"""Faults of the Appium endpoint on the real path (appium-python-client -> HTTP -> a real
Appium 3 server with the fake driver), each with the record it must leave: an answer
slower than the client's command timeout, an HTTP 5xx, a page source that is not XML, a
connection dropped; the server killed mid-step is in tests/integration/test_appium_real.py.

In every case the attempt measured before the fault is intact, the attempt hit is a
``failure`` with the code the table in docs/faults.md gives, nothing of it reads as a
result, and the next attempt, once the fault is gone, measures normally.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from _faulty import Fault, FaultProxy, on_source

from harness.attempt.run import AttemptResult, run_attempt
from harness.devices.appium import AppiumDevice
from harness.spec.profiles import load_profile
from harness.spec.scenarios import load_scenario
from harness.storage import Store
from harness.vocabulary.outcomes import Backend, Failure, Status

FAKEAPP = Path(__file__).resolve().parents[1] / "fixtures" / "fakeapp"
PHONE = "+4915123456789"
PROFILE = f"""\
id: FAKE-DE
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
phone: "{PHONE}"
device:
  emulator: harness_DE
  capabilities:
    platformName: Fake
    appium:automationName: Fake
    appium:deviceName: Fake
    appium:app: {FAKEAPP / "signup.xml"}
"""
SCENARIO = """\
id: fake-signup
app: {name: Fake, android_package: org.harnessdemo.fake}
defaults: {timeout: 5}
steps:
  - launch: {clear: true}
  - tap: ["同意", "Agree"]
    stage: signup
  - input: {into: {xpath: "//MockInputField[@id='phone_input']"}, text: "{phone.national}"}
    stage: phone
  - tap: "Get code"
  - wait: "Welcome"
    stage: account
"""
#: The client's read timeout in these tests (a real run's is 120 s).
COMMAND_TIMEOUT = 2


def attempt(store: Store, run_id: str, url: str, tmp: Path) -> AttemptResult:
    (tmp / "p.yaml").write_text(PROFILE, encoding="utf-8")
    (tmp / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    profile = load_profile(tmp / "p.yaml")
    return run_attempt(
        store=store, run_id=run_id, scenario=load_scenario(tmp / "s.yaml"), profile=profile,
        phone=profile.resolve_phone(Backend.APPIUM), backend=Backend.APPIUM,
        open_device=lambda caps: AppiumDevice.open(url, caps, attempts=1,
                                                   command_timeout=COMMAND_TIMEOUT))


def rows(db: Path) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select status, stage, barrier, failure, failure_detail "
                            "from measurements order by started_at").fetchall()
    finally:
        conn.close()


def around_fault(faulty: FaultProxy, tmp: Path, fault: Fault, after: int = 0,
                 times: int | None = None) -> tuple[AttemptResult, list[tuple]]:
    """An attempt with no fault, one with ``fault``, one after the fault is gone."""
    db = tmp / "r.db"
    store = Store.open(str(db))
    try:
        run_id = store.start_run("appium", "test")
        before = attempt(store, run_id, faulty.url, tmp)
        assert before.verdict.status is Status.ACCESS
        faulty.rule = on_source(fault, after=after, times=times)
        hit = attempt(store, run_id, faulty.url, tmp)
        faulty.rule = lambda _m, _p: None
        again = attempt(store, run_id, faulty.url, tmp)
        assert again.verdict.status is Status.ACCESS, again.verdict
    finally:
        store.close()
    got = rows(db)
    assert len(got) == 3 and got[0][0] == got[2][0] == "access"
    assert got[0][1] == got[2][1] == "account"  # the completed ones intact
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()
    return hit, got


def check_failure(hit: AttemptResult, got: list[tuple], failure: Failure, *texts: str
                  ) -> None:
    assert hit.verdict.status is Status.FAILURE and hit.verdict.failure is failure, hit.verdict
    status, _stage, barrier, code, detail = got[1]
    assert (status, barrier, code) == ("failure", None, failure.value)
    for text in texts:
        assert text in (detail or ""), detail
    assert "127.0.0.1" not in (detail or "") and PHONE not in (detail or "")


def test_a_page_source_slower_than_the_command_timeout_is_a_session_error(
        faulty: FaultProxy, tmp_path: Path) -> None:
    hit, got = around_fault(faulty, tmp_path, Fault("delay", seconds=COMMAND_TIMEOUT + 3),
                            after=1)
    check_failure(hit, got, Failure.SESSION_ERROR, "stopped answering")
    assert faulty.count("delay") == 3  # a read is tried three times before giving up


def test_a_5xx_answer_to_every_read_is_a_session_error(faulty: FaultProxy,
                                                       tmp_path: Path) -> None:
    hit, got = around_fault(faulty, tmp_path, Fault("status", code=503,
                                                    body="upstream connect error"), after=1)
    check_failure(hit, got, Failure.SESSION_ERROR, "HTTP 503")
    assert faulty.count("status") == 3


def test_one_5xx_answer_is_retried_and_the_attempt_measures(faulty: FaultProxy,
                                                            tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = Store.open(str(db))
    try:
        faulty.rule = on_source(Fault("status", code=502, body="bad gateway"), after=1,
                                times=1)
        result = attempt(store, store.start_run("appium", "test"), faulty.url, tmp_path)
    finally:
        store.close()
    assert result.verdict.status is Status.ACCESS and faulty.count("status") == 1


def test_a_page_source_that_is_not_xml_is_a_session_error(faulty: FaultProxy,
                                                          tmp_path: Path) -> None:
    hit, got = around_fault(faulty, tmp_path, Fault("source", body="<hierarchy><node text="),
                            after=1)
    check_failure(hit, got, Failure.SESSION_ERROR, "unreadable page source")


def test_a_dropped_connection_on_every_read_is_a_session_error(faulty: FaultProxy,
                                                               tmp_path: Path) -> None:
    hit, got = around_fault(faulty, tmp_path, Fault("drop"), after=1)
    check_failure(hit, got, Failure.SESSION_ERROR, "stopped answering")


@pytest.mark.parametrize("body", ["", "null", "[]", "{}", '{"value": 42}'])
def test_any_other_bad_answer_to_a_read_is_an_instrument_failure(
        faulty: FaultProxy, tmp_path: Path, body: str) -> None:
    """A 200 whose body is not a WebDriver answer: never a result, never a traceback."""
    hit, got = around_fault(faulty, tmp_path, Fault("status", code=200, body=body), after=1)
    check_failure(hit, got, Failure.SESSION_ERROR)
    assert not hit.crashed


#: What UiAutomator2 answers when it cannot read the MJPEG stream a session's screenshots
#: were to come from (its driver.ts starts the stream client while opening the session).
MJPEG_REFUSAL = json.dumps({"value": {
    "error": "session not created",
    "message": "A new session could not be created. Details: Cannot connect to the MJPEG "
               "stream at http://127.0.0.1:7810. Original error: mjpeg-consumer module is "
               "required to use MJPEG-over-HTTP features. Please install it first (npm i -g "
               "mjpeg-consumer) and restart Appium.",
    "stacktrace": ""}})


def test_a_session_refused_for_its_mjpeg_stream_says_how_to_fix_it(
        faulty: FaultProxy, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = Store.open(str(db))
    try:
        run_id = store.start_run("appium", "test")
        faulty.rule = lambda method, path: (
            Fault("status", code=500, body=MJPEG_REFUSAL)
            if method == "POST" and path.rstrip("/").endswith("/session") else None)
        hit = attempt(store, run_id, faulty.url, tmp_path)
    finally:
        store.close()
    assert hit.verdict.status is Status.FAILURE
    assert hit.verdict.failure is Failure.DEVICE_UNAVAILABLE, hit.verdict
    (status, _stage, barrier, code, detail), = rows(db)
    assert (status, barrier, code) == ("failure", None, "device_unavailable")
    assert "npm i -g mjpeg-consumer" in detail and "remove `mjpeg_port`" in detail
