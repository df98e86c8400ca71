"""`pytest scenarios/demo --backend=sim ...`: the plugin as testers use it, in a subprocess."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from _cli import REPO, free_port, run_pytest


def test_one_country_with_two_workers(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    proc = run_pytest(["scenarios/demo", "--backend=sim", "--country=DE", "-n", "2",
                       "--db", str(db)], tmp_path)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    assert "7 passed" in out
    assert "harness barrier table" in out
    row = next(line for line in out.splitlines() if "demo-dialcode" in line)
    assert "CC" in row
    conn = sqlite3.connect(db)
    runs = conn.execute("select id, status from runs").fetchall()
    assert len(runs) == 1 and runs[0][1] == "completed"  # one run for both workers
    statuses = conn.execute("select profile_id, status, run_id from measurements").fetchall()
    assert len(statuses) == 7
    assert {s[0] for s in statuses} == {"DE"} and {s[2] for s in statuses} == {runs[0][0]}
    assert {s[1] for s in statuses} <= {"access", "barrier"}


def test_k_selects_app_and_country_by_name(tmp_path: Path) -> None:
    proc = run_pytest(["scenarios/demo", "--backend=sim", "--country=all", "-k",
                       "dialcode-HK", "--db", str(tmp_path / "r.db"), "-v"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "dialcode.yaml::demo-dialcode-HK PASSED" in proc.stdout
    n_apps = len(list((REPO / "scenarios" / "demo").glob("*.yaml")))
    n_profiles = len(list((REPO / "device_profiles").glob("*.yaml")))
    assert f"1 passed, {n_apps * n_profiles - 1} deselected" in proc.stdout


def test_region_and_app_filters(tmp_path: Path) -> None:
    proc = run_pytest(["scenarios/demo", "--backend=sim", "--region=europe",
                       "--country=DE,FR,GB,JP,US", "--app=demo-openchat,demo-quietsms",
                       "--collect-only", "-q"], tmp_path)
    assert proc.returncode == 0, proc.stdout
    items = sorted(line.split("::")[1] for line in proc.stdout.splitlines() if "::" in line)
    assert items == ["demo-openchat-DE", "demo-openchat-FR", "demo-openchat-GB",
                     "demo-quietsms-DE", "demo-quietsms-FR", "demo-quietsms-GB"]


def test_unreachable_appium_is_one_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    proc = run_pytest(["scenarios/demo", "--country=DE", f"--appium-url={url}",
                       "--db", str(tmp_path / "r.db")], tmp_path,
                      extra_env={"HARNESS_PHONE_DE": "+4915123456789"})
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4, text
    assert text.count("no Appium server answers there") == 1
    assert "--backend=sim" in text and "Traceback" not in text
    assert not (tmp_path / "r.db").exists()


def test_unknown_country_suggests(tmp_path: Path) -> None:
    proc = run_pytest(["scenarios/demo", "--backend=sim", "--country=DX"], tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4, text
    assert "no device profile for 'DX'" in text and "DE (Germany)" in text
    assert "Traceback" not in text


def test_broken_scenario_is_a_collection_error_naming_the_line(tmp_path: Path) -> None:
    scen = tmp_path / "scenarios"
    scen.mkdir()
    (scen / "broken.yaml").write_text(
        "id: broken\napp: {name: B, android_package: org.b.app}\nsteps:\n"
        "  - launch\n  - tapp: Agree\n", encoding="utf-8")
    proc = run_pytest([str(scen), "--backend=sim", "--country=DE"], tmp_path)
    text = proc.stdout
    assert proc.returncode == 2, text
    assert "broken.yaml:5: field `steps[1].tapp`: unknown step kind `tapp`" in text
    assert "Did you mean `tap`?" in text
    assert "Traceback" not in text and "site-packages" not in text
