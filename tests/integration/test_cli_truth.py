"""The command line tells the truth: every option has a help line, every command lists its
exit statuses, an empty selection is an error, checks say what they did not check, and a
real run leaves the simulator's demo apps out."""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli import REPO, free_port, harness, run_pytest

from harness.analysis.api import read_table
from harness.cli.common import EXIT_CODES
from harness.cli.main import build_parser
from harness.support.errors import ConfigError

Parsers = Iterator[tuple[str, argparse.ArgumentParser]]


def _parsers(p: argparse.ArgumentParser, path: str) -> Parsers:
    yield path, p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_option_of_every_command_has_a_help_line() -> None:
    missing = [f"{path} {a.option_strings or a.dest}"
               for path, p in _parsers(build_parser(), "harness") for a in p._actions
               if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
               and not a.help]
    assert missing == []


def test_every_command_lists_its_exit_statuses() -> None:
    commands = list(_parsers(build_parser(), "harness"))
    assert len(commands) > 20
    for path, p in commands:
        text = p.format_help()
        assert "exit status:" in text, path
        for code in EXIT_CODES:
            assert re.search(rf"^\s+{code}\s+\S", text, re.M), (path, code)
    classify = dict(commands)["harness classify"].format_help()
    assert re.search(r"^\s+1\s+no barrier rule matched", classify, re.M)


def test_docs_list_every_exit_status() -> None:
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert re.search(rf"^\| {code} \|", doc, re.M), code
        assert meaning.split(";")[0].split(" (")[0] in doc, code


def test_empty_folders_are_errors_not_zero_oks(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, needle in ((["scenarios", "check", str(empty)], "no scenario files found"),
                         (["profiles", "check", str(empty)], "no device profiles found")):
        proc = harness(args, tmp_path)
        assert proc.returncode == 2, proc
        assert needle in proc.stderr and "Traceback" not in proc.stderr
        assert "OK" not in proc.stdout


def test_profiles_check_says_what_it_did_not_check(tmp_path: Path) -> None:
    proc = harness(["profiles", "check"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())
    assert "Not checked: the phone numbers" in said
    assert "--backend appium" in said


def test_scenarios_check_says_what_it_did_not_check(tmp_path: Path) -> None:
    proc = harness(["scenarios", "check"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())
    assert "Not checked: that the selectors find the app's screens" in said


def test_a_real_run_leaves_the_demo_apps_out(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    proc = harness(["run", "scenarios", "--country", "DE", "--appium-url", url, "--db",
                    str(tmp_path / "r.db")], tmp_path)
    demo = len(list((REPO / "scenarios" / "demo").glob("*.yaml")))
    assert f"left out {demo} simulator demo scenarios" in proc.stderr
    assert proc.returncode == 2 and "Traceback" not in proc.stderr  # no Appium there
    only_demo = harness(["run", "scenarios/demo", "--country", "DE", "--appium-url", url,
                         "--db", str(tmp_path / "r.db")], tmp_path)
    assert only_demo.returncode == 2
    assert "only simulator demo apps were given" in only_demo.stderr
    assert "harness demo" in only_demo.stderr
    assert not (tmp_path / "r.db").exists()


def _collected(proc_out: str) -> list[str]:
    return re.findall(r"::(\S+-DE)\b", proc_out)


def test_pytest_collects_demo_apps_only_on_the_simulator(tmp_path: Path) -> None:
    real = run_pytest(["scenarios", "--country=DE", "--collect-only", "-q"], tmp_path)
    sim = run_pytest(["scenarios/demo", "--backend=sim", "--country=DE", "--collect-only",
                      "-q"], tmp_path)
    assert real.returncode == 0 and sim.returncode == 0, real.stdout + sim.stdout
    real_items, sim_items = _collected(real.stdout), _collected(sim.stdout)
    assert real_items and not any(i.startswith("demo-") for i in real_items)
    assert "wechat-DE" in real_items
    assert "demo-openchat-DE" in sim_items
    assert "left out" in real.stdout and "--backend=sim" in real.stdout


def test_pytest_outside_a_scenarios_folder(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    apps.mkdir()
    shutil.copy(REPO / "scenarios" / "demo" / "openchat.yaml", apps / "openchat.yaml")
    folder = run_pytest([str(apps), "--backend=sim", "--country=DE", "--collect-only", "-q"],
                        tmp_path)
    assert folder.returncode == 5
    assert "pytest collects scenario YAML files below a folder named scenarios/" in folder.stdout
    assert "Name the files themselves" in folder.stdout
    named = run_pytest([str(apps / "openchat.yaml"), "--backend=sim", "--country=DE",
                        "--collect-only", "-q"], tmp_path)
    assert named.returncode == 0, named.stdout
    assert _collected(named.stdout) == ["demo-openchat-DE"]


def test_demo_with_its_own_db_keeps_its_report_beside_it(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "reports").mkdir(parents=True)
    db = tmp_path / "mine.db"
    proc = harness(["demo", str(REPO / "scenarios" / "demo"), "--profiles",
                    str(REPO / "device_profiles"), "--db", str(db), "--app", "demo-openchat",
                    "--country", "DE"], tmp_path, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mine-report.html").is_file()
    assert not (work / "reports" / "demo.html").exists()


def test_export_of_an_empty_selection_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    done = harness(["demo", "--db", str(db), "--app", "demo-openchat", "--country", "DE",
                    "--report", str(tmp_path / "r.html")], tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    proc = harness(["export", "--db", str(db), "--out", str(out)], tmp_path)
    assert proc.returncode == 2
    said = " ".join(proc.stderr.split())
    assert "no measurement matches the selection" in said
    assert "simulator measurements are left out: add --include-simulated" in said
    assert not out.exists()
    with sqlite3.connect(db) as c:
        assert c.execute("select count(*) from measurements").fetchone()[0] == 1


def test_read_table_takes_a_string_path(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert harness(["demo", "--db", str(db), "--app", "demo-openchat", "--country", "DE,FR",
                    "--report", str(tmp_path / "r.html")], tmp_path).returncode == 0
    out = tmp_path / "out"
    assert harness(["export", "--db", str(db), "--include-simulated", "--format", "csv",
                    "--out", str(out)], tmp_path).returncode == 0
    frame = read_table(str(out / "measurements.csv"), "measurements")
    assert len(frame) == 2 and set(frame["country"]) == {"DE", "FR"}
    with pytest.raises(ConfigError, match="no such file"):
        read_table(str(out / "nope.csv"), "measurements")
    with pytest.raises(ConfigError, match="no table named 'nope'"):
        read_table(str(out / "measurements.csv"), "nope")
