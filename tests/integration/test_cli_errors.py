"""Bad input gives one clear paragraph naming the file, the field and the fix; exit 2; no
traceback; no database written."""

from __future__ import annotations

from pathlib import Path

from _cli import free_port, harness


def check(proc_out: str, *needles: str) -> None:
    assert "Traceback" not in proc_out
    for n in needles:
        assert n in proc_out, (n, proc_out)


def test_broken_scenarios(tmp_path: Path) -> None:
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "badyaml.yaml").write_text("id: x\napp: {name: a\nsteps: []\n", encoding="utf-8")
    (d / "unknown.yaml").write_text(
        "id: unknown\napp: {name: U, android_package: org.u.app}\nsteps:\n  - launch\n"
        "  - swipe: up\n  - wait: Home\n    stage: account\n", encoding="utf-8")
    (d / "missing.yaml").write_text("id: missing\napp: {name: M}\nsteps:\n  - launch\n",
                                    encoding="utf-8")
    proc = harness(["scenarios", "check", str(d)], tmp_path)
    assert proc.returncode == 2
    check(proc.stderr, "3 problems found",
          "badyaml.yaml:3: invalid YAML",
          "unknown.yaml:5: field `steps[1].swipe`: unknown step kind `swipe`",
          "missing.yaml:2: field `app.android_package`: is required but missing",
          "Example:")


def test_broken_profiles(tmp_path: Path) -> None:
    d = tmp_path / "profiles"
    d.mkdir()
    base = "locale: de_DE\nlanguage: de\ntimezone: Europe/Berlin\n"
    (d / "XX.yaml").write_text("country: DX\n" + base, encoding="utf-8")
    (d / "DE.yaml").write_text("country: DE\n" + base + "phone:\n  number: '+49 123'\n",
                               encoding="utf-8")
    (d / "FR.yaml").write_text("country: FR\nlocale: fr_FR\nlanguage: fr\n"
                               "timezone: Europe/Pariss\n", encoding="utf-8")
    proc = harness(["profiles", "check", str(d)], tmp_path)
    assert proc.returncode == 2
    check(proc.stderr,
          "XX.yaml:1: field `country`: 'DX' is not an ISO 3166-1 alpha-2 country code",
          "DE (Germany)",
          "DE.yaml:6: field `phone.number`", "not a valid phone number",
          "FR.yaml:4: field `timezone`", "not an IANA time zone")
    assert "+49 123" not in proc.stderr


def test_unset_phone_variable_for_a_real_device(tmp_path: Path) -> None:
    proc = harness(["profiles", "check", "--backend", "appium"], tmp_path)
    assert proc.returncode == 2
    check(proc.stderr, "device_profiles/AE.yaml:9: field `phone.number`: environment "
                       "variable HARNESS_PHONE_AE is not set", "--backend=sim")


def test_unreachable_appium(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    proc = harness(["run", "scenarios", "--country", "DE", "--appium-url", url,
                    "--db", str(tmp_path / "r.db")], tmp_path,
                   extra_env={"HARNESS_PHONE_DE": "+4915123456789"})
    assert proc.returncode == 2
    assert not (tmp_path / "r.db").exists()
    check(proc.stderr, f"--appium-url={url}: no Appium server answers there",
          "--backend=sim")
    assert proc.stderr.count("error:") == 1


def test_wrong_country_and_app(tmp_path: Path) -> None:
    proc = harness(["demo", "--country", "Germny", "--db", str(tmp_path / "r.db")], tmp_path)
    assert proc.returncode == 2
    check(proc.stderr, "no device profile for 'Germny'", "DE (Germany)")
    proc = harness(["demo", "--app", "demo-nope", "--db", str(tmp_path / "r.db")], tmp_path)
    assert proc.returncode == 2
    check(proc.stderr, "no scenario with id 'demo-nope'", "demo-openchat")
    assert not (tmp_path / "r.db").exists()


def test_show_unknown_measurement(tmp_path: Path) -> None:
    proc = harness(["show", "abc", "--db", str(tmp_path / "none.db")], tmp_path)
    assert proc.returncode == 2
    check(proc.stderr, "no such database yet")


def test_full_tunnel_profile_refuses_unless_confirmed(tmp_path: Path) -> None:
    d = tmp_path / "profiles"
    d.mkdir()
    (d / "DE.yaml").write_text("country: DE\nlocale: de_DE\nlanguage: de\n"
                               "timezone: Europe/Berlin\nfull_tunnel: true\n",
                               encoding="utf-8")
    args = ["demo", "--app", "demo-openchat", f"--profiles={d}", "--db",
            str(tmp_path / "r.db"), "--report", str(tmp_path / "r.html")]
    proc = harness(args, tmp_path)
    assert proc.returncode == 2
    check(proc.stderr, "DE.yaml:5: field `full_tunnel`", "refusing to measure",
          "--full-tunnel-confirmed=DE")
    assert not (tmp_path / "r.db").exists()
    ok = harness([*args, "--full-tunnel-confirmed=DE"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    ok = harness(args, tmp_path, extra_env={"HARNESS_FULL_TUNNEL_DE": "confirmed"})
    assert ok.returncode == 0, ok.stderr


def test_min_interval_skips_recent_attempts(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    base = ["demo", "--app", "demo-openchat", "--country", "DE,FR", "--db", db, "--report",
            str(tmp_path / "r.html")]
    first = harness(base, tmp_path)
    assert first.returncode == 0, first.stderr
    again = harness([*base, "--min-interval", "24"], tmp_path)
    assert again.returncode == 0, again.stderr
    # one line with the count, not one per instance
    assert ("skipped 2 of 2 instances attempted less than --min-interval 24 h ago (pass "
            "--min-interval 0 to measure them anyway)") in again.stderr
    assert "demo-openchat-DE" not in again.stderr
    assert "nothing measured: 2 instances were skipped" in again.stdout
    import sqlite3

    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from measurements").fetchone()[0] == 2
    conn.close()
