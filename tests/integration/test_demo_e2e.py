"""`harness demo` end to end on the simulator: the barrier table, the database, the
evidence on disk, and no phone number in clear anywhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import phonenumbers
import pytest
from _cli import harness

from harness.spec.profiles import load_profiles
from harness.verdicts.concepts import script_of
from harness.vocabulary.outcomes import DATA_FORMAT_VERSION

#: The profiles the demo test runs (the full demo runs every shipped profile).
PROFILES = ["AE", "AU", "BR", "DE", "FR", "GB", "HK", "JP", "KR", "SG", "TW", "US"]
assert set(PROFILES) <= {p.id for p in load_profiles(
    Path(__file__).resolve().parents[2] / "device_profiles")}
APPS = ["demo-dialcode", "demo-friendcheck", "demo-gatedpost", "demo-geofence",
        "demo-openchat", "demo-quietsms", "demo-zhenming"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo as on a fresh machine: an empty HOME, no hash key anywhere, four workers
    that all need the key at once."""
    tmp = tmp_path_factory.mktemp("demo")
    proc = harness(["demo", "--country", ",".join(PROFILES), "--db", str(tmp / "results.db"),
                    "--workers", "4", "--report", str(tmp / "report.html")], tmp,
                   timeout=600, fresh_machine=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return tmp, proc.stdout


def test_first_run_creates_one_private_key_and_a_completed_run(demo: tuple[Path, str]
                                                               ) -> None:
    tmp, _ = demo
    key = tmp / ".config" / "rnr-harness" / "hash.key"
    assert key.is_file() and key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_text().strip()) == 64
    assert sorted(p.name for p in key.parent.iterdir()) == ["hash.key"]
    conn = sqlite3.connect(tmp / "results.db")
    [(status, planned, count)] = conn.execute(
        "select r.status, r.planned, count(m.id) from runs r join measurements m "
        "on m.run_id = r.id group by r.id").fetchall()
    conn.close()
    assert (status, planned, count) == ("completed", len(APPS) * len(PROFILES),
                                        len(APPS) * len(PROFILES))


def rows(tmp: Path) -> dict[tuple[str, str], sqlite3.Row]:
    conn = sqlite3.connect(tmp / "results.db")
    conn.row_factory = sqlite3.Row
    out = {(r["scenario_id"], r["profile_id"]): r
           for r in conn.execute("select * from measurements")}
    conn.close()
    return out


def test_one_completed_measurement_per_app_and_profile(demo: tuple[Path, str]) -> None:
    tmp, _ = demo
    got = rows(tmp)
    assert len(got) == len(APPS) * len(PROFILES)
    assert set(got) == {(a, p) for a in APPS for p in PROFILES}
    for r in got.values():
        assert r["status"] in ("access", "barrier"), dict(r)
        assert r["ended_at"] is not None and r["backend"] == "sim"
        assert r["data_format_version"] == DATA_FORMAT_VERSION and r["rules_version"]


@pytest.mark.parametrize(("app", "profile", "status", "barrier", "access_level"), [
    ("demo-dialcode", "DE", "barrier", "phone_country_unsupported", "none"),
    ("demo-dialcode", "HK", "access", None, "full"),
    ("demo-dialcode", "SG", "access", None, "full"),
    ("demo-quietsms", "DE", "barrier", "sms_not_delivered", "none"),
    ("demo-quietsms", "BR", "barrier", "sms_not_delivered", "none"),
    ("demo-quietsms", "GB", "access", None, "full"),
    ("demo-zhenming", "DE", "barrier", "id_verification_required", "none"),
    ("demo-zhenming", "TW", "barrier", "id_verification_required", "none"),
    ("demo-gatedpost", "DE", "barrier", "feature_restricted", "limited"),
    ("demo-gatedpost", "HK", "access", None, "full"),
    ("demo-friendcheck", "US", "barrier", "friend_verification_required", "none"),
    ("demo-friendcheck", "SG", "access", None, "full"),
    ("demo-openchat", "AE", "access", None, "full"),
    ("demo-geofence", "US", "barrier", "region_blocked", "none"),
    ("demo-geofence", "JP", "access", None, "full"),
])
def test_designed_behaviour_per_country(demo: tuple[Path, str], app: str, profile: str,
                                        status: str, barrier: str | None,
                                        access_level: str) -> None:
    r = rows(demo[0])[(app, profile)]
    assert (r["status"], r["barrier"], r["access_level"]) == (status, barrier, access_level)
    if status == "barrier":
        assert r["rule_id"] and r["matched_text"]


def test_one_rule_reads_both_chinese_scripts(demo: tuple[Path, str]) -> None:
    got = rows(demo[0])
    tw, de = got[("demo-zhenming", "TW")], got[("demo-zhenming", "DE")]
    assert tw["rule_id"] == de["rule_id"] == "verify.id"
    assert script_of(tw["matched_text"]) == "zh-Hant"
    assert script_of(de["matched_text"]) == "zh-Hans"


def test_table_is_printed(demo: tuple[Path, str]) -> None:
    _, out = demo
    assert "Barrier table" in out
    for app in APPS:
        assert app in out
    line = next(x for x in out.splitlines() if "demo-dialcode" in x)
    assert line.count("CC") == 9 and line.count("OK") == 3
    assert "CC = barrier:phone_country_unsupported" in out


def test_evidence_files_exist_and_match_their_hash(demo: tuple[Path, str]) -> None:
    import hashlib

    tmp, _ = demo
    conn = sqlite3.connect(tmp / "results.db")
    arts = conn.execute("select measurement_id, kind, path, sha256 from artifacts").fetchall()
    per_m = {m for m, *_ in arts}
    assert len(per_m) == len(APPS) * len(PROFILES)
    for _m, kind, path, sha in arts:
        data = (tmp / "artifacts" / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
        if kind == "screenshot":
            assert data.startswith(b"\x89PNG")
    steps = conn.execute("select count(*) from steps where outcome is null").fetchone()[0]
    assert steps == 0
    report = (tmp / "report.html").read_text(encoding="utf-8")
    assert report.count("<tr id='m-") == len(APPS) * len(PROFILES)


def test_no_phone_number_in_clear(demo: tuple[Path, str]) -> None:
    tmp, out = demo
    numbers = []
    for p in PROFILES:
        num = phonenumbers.example_number_for_type(p, phonenumbers.PhoneNumberType.MOBILE)
        numbers.append(phonenumbers.national_significant_number(num))
    blobs = [out, (tmp / "report.html").read_text(encoding="utf-8")]
    conn = sqlite3.connect(tmp / "results.db")
    for table in ("measurements", "steps", "artifacts", "runs"):
        blobs.append(repr(conn.execute(f"select * from {table}").fetchall()))
    blobs.extend(p.read_text(encoding="utf-8") for p in (tmp / "artifacts").rglob("*.xml"))
    text = "\n".join(blobs)
    for n in numbers:
        assert n not in text, n
    assert "+49*********" in text  # the masked form is what is stored


def test_show_prints_steps_and_evidence(demo: tuple[Path, str]) -> None:
    tmp, _ = demo
    mid = rows(tmp)[("demo-quietsms", "DE")]["id"]
    proc = harness(["show", mid[:10], "--db", str(tmp / "results.db")], tmp)
    assert proc.returncode == 0, proc.stderr
    assert "sms_not_delivered" in proc.stdout and "builtin.sms_timeout" in proc.stdout
    assert "enter_otp" in proc.stdout and "(missing)" not in proc.stdout
    runs = harness(["runs", "--db", str(tmp / "results.db")], tmp)
    assert "completed" in runs.stdout and str(len(APPS) * len(PROFILES)) in runs.stdout


def test_reclassifying_the_demos_evidence_changes_no_verdict(demo: tuple[Path, str]) -> None:
    """The evidence keeps everything the rules read (only the attempt's own secrets are
    scrubbed), so today's rules reproduce every verdict from the stored screens."""
    tmp, _ = demo
    proc = harness(["reclassify", "--db", str(tmp / "results.db"), "--force",
                    "--scenarios", "scenarios/demo"], tmp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    n = len(APPS) * len(PROFILES)
    assert f"{n} measurements reclassified" in proc.stdout, proc.stdout[-2000:]
    assert "(0 changed," in proc.stdout
    conn = sqlite3.connect(tmp / "results.db")
    [(changed, total)] = conn.execute(
        "select sum(changed), count(*) from reclassifications").fetchall()
    conn.close()
    assert (changed, total) == (0, n)
