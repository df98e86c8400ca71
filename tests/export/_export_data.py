"""Hand-made measurements for the export tests, whose every figure is known.

Times are hours after T0 (2024-03-01 00:00 UTC). Three runs on real devices and one on
the simulator:

=====  ====  ===  =======  =========================================================
run    app   cc   hours    outcome
=====  ====  ===  =======  =========================================================
R1     A     DE   0        barrier id_verification_required (verification)
R1     A     FR   0        access full (features)
R1     A     JP   0        access full (features)
R1     A     US   0        failure timeout
R1     B     DE   0        access full (features)
R1     B     FR   1        barrier sms_not_delivered (otp)
R1     B     JP   1        barrier phone_country_unsupported (phone)
R1     A     CN   1        barrier mainland_phone_required (phone)   -- domestic
SIM    C     BR   1        barrier id_verification_required           -- backend sim
R2     A     DE   4        barrier id_verification_required
R2     A     FR   2        barrier id_verification_required
R2     B     DE   3        access full
R2     B     FR   5        access full (account)
R2     A     US   3        failure ui_unrecognized
R3     A     DE   8        barrier id_verification_required (matched text quotes a phone)
R3     A     FR   8.5      barrier id_verification_required
R3     A     JP   7, 7.5, 8  barrier id_verification_required (three retries)
R3     B     DE   7        access full
R3     C     DE   8        barrier feature_restricted (access limited)
R3     A     DE   9        failure session_error (detail quotes an IP address)
R3     A     DE   10       aborted
R3     B     US   9        running
=====  ====  ===  =======  =========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.storage.models import Measurement, Run
from harness.storage.store import Store

T0 = datetime(2024, 3, 1, tzinfo=UTC)
R1, R2, R3, RSIM = ("a1" * 16, "b2" * 16, "c3" * 16, "d4" * 16)
PHONE = "+49 151 12345678"
IP = "203.0.113.7"
REGION = {"DE": "europe", "FR": "europe", "JP": "asia_pacific", "US": "north_america",
          "CN": "asia_pacific", "BR": "latin_america"}
STAGE = {"id_verification_required": "verification", "sms_not_delivered": "otp",
         "phone_country_unsupported": "phone", "mainland_phone_required": "phone",
         "feature_restricted": "features"}


@dataclass
class Counter:
    n: int = 0

    def next(self) -> str:
        self.n += 1
        return f"m{self.n:031d}"


def measurement(ids: Counter, run: str, app: str, country: str, hours: float, status: str,
                code: str | None = None, *, backend: str = "appium", stage: str | None = None,
                matched_text: str | None = None, detail: str | None = None) -> Measurement:
    start = T0 + timedelta(hours=hours)
    done = status not in ("running",)
    barrier = code if status == "barrier" else None
    failure = code if status == "failure" else None
    if stage is None:
        stage = (STAGE.get(code or "", "verification") if status == "barrier" else
                 "features" if status == "access" else "signup")
    return Measurement(
        id=ids.next(), run_id=run, data_format_version="1.0", harness_version="0.1.0",
        scenario_id=f"app-{app.lower()}", scenario_version=1, app_id=f"org.test.{app.lower()}",
        app_name=f"App {app}", country=country, region=REGION[country], profile_id=country,
        device_id="emulator-5554", backend=backend, started_at=start,
        ended_at=start + timedelta(minutes=2) if done else None, duration_s=120.0 if done else None,
        status=status, stage=stage if done else None, barrier=barrier, failure=failure,
        failure_detail=detail, access_level=("limited" if code == "feature_restricted" else
                                             "full" if status == "access" else "none"),
        rule_id=f"rule.{code}" if barrier else None, rules_version="r1",
        matched_text=matched_text or (f"text for {code}" if barrier else None), steps_done=5,
        phone_masked="+49*********78", phone_hash="secret-hash-value", phone_source="env",
        phone_country=country, egress_ip_masked="203.0.113.x", egress_ip_hash="iphash-secret",
        egress_asn="AS3320", ip_country=country, sim_country="US", device_locale="de_DE",
        device_timezone="Europe/Berlin", gps_country=country, ip_country_match=True,
        sim_country_match=False, locale_match=True, timezone_match=True,
        gps_country_match=True, vantage_source="proxy",
        proxy_masked="http://user:***@proxy.example:8080",
        capabilities={"appium:avdArgs": "-phone-number secret"},
        features={"post": "ok"} if status == "access" else None,
    )


def fill(store: Store) -> None:
    ids = Counter()
    m = measurement
    rows = [
        m(ids, R1, "A", "DE", 0, "barrier", "id_verification_required"),
        m(ids, R1, "A", "FR", 0, "access"),
        m(ids, R1, "A", "JP", 0, "access"),
        m(ids, R1, "A", "US", 0, "failure", "timeout"),
        m(ids, R1, "B", "DE", 0, "access"),
        m(ids, R1, "B", "FR", 1, "barrier", "sms_not_delivered"),
        m(ids, R1, "B", "JP", 1, "barrier", "phone_country_unsupported"),
        m(ids, R1, "A", "CN", 1, "barrier", "mainland_phone_required"),
        m(ids, RSIM, "C", "BR", 1, "barrier", "id_verification_required", backend="sim"),
        m(ids, R2, "A", "DE", 4, "barrier", "id_verification_required"),
        m(ids, R2, "A", "FR", 2, "barrier", "id_verification_required"),
        m(ids, R2, "B", "DE", 3, "access"),
        m(ids, R2, "B", "FR", 5, "access", stage="account"),
        m(ids, R2, "A", "US", 3, "failure", "ui_unrecognized"),
        m(ids, R3, "A", "DE", 8, "barrier", "id_verification_required",
          matched_text=f"验证码已发送至 {PHONE}，请完成实名认证"),
        m(ids, R3, "A", "FR", 8.5, "barrier", "id_verification_required"),
        m(ids, R3, "A", "JP", 7, "barrier", "id_verification_required"),
        m(ids, R3, "A", "JP", 7.5, "barrier", "id_verification_required"),
        m(ids, R3, "A", "JP", 8, "barrier", "id_verification_required"),
        m(ids, R3, "B", "DE", 7, "access"),
        m(ids, R3, "C", "DE", 8, "barrier", "feature_restricted"),
        m(ids, R3, "A", "DE", 9, "failure", "session_error",
          detail=f"proxy {IP}:8080 refused the connection"),
        m(ids, R3, "A", "DE", 10, "aborted"),
        m(ids, R3, "B", "US", 9, "running"),
    ]
    runs = [Run(id=rid, started_at=T0 + timedelta(hours=h), status="completed",
                harness_version="0.1.0", rules_version="r1",
                backend="sim" if rid == RSIM else "appium", hostname="test", pid=1)
            for rid, h in ((R1, 0), (RSIM, 1), (R2, 2), (R3, 7))]
    with store.session() as s:
        s.add_all(runs)
        s.flush()
        s.add_all(rows)
        s.commit()


def filled_sqlite(path: Path) -> Path:
    """A SQLite file at ``path`` holding the rows of ``fill``."""
    store = Store.open(str(path))
    try:
        fill(store)
    finally:
        store.close()
    return path
