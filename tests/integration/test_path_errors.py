"""A place that cannot be written (the database, the evidence, an export, a report, the
lock folder) is one paragraph before any work starts, naming the option, the path, the
system's reason and the fix: exit status 2 from `harness`, 4 (a usage error) from pytest,
printed once and never as a traceback per item.

The unwritable places work as root too (CI runs as root, and root ignores permission
bits): ``/proc`` takes no new files from anyone, ``/sys`` neither, and a path inside a
regular file is no folder for anybody. A folder made read-only by its mode is added
where the tests do not run as root.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli import REPO, harness, run_pytest

SIM_RUN = ["run", "--backend", "sim", "--country", "DE", "--app", "demo-openchat",
           "scenarios/demo"]


def one_paragraph(err: str, *needles: str) -> None:
    """Exactly one ``error:`` paragraph, no traceback, with each needle in it."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "a-file"
    f.write_text("not a folder\n", encoding="utf-8")
    return f


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder no file can be made in, whoever runs the test."""
    if os.geteuid() == 0:
        if not Path("/sys").is_dir():
            pytest.skip("root, and no /sys to stand for a read-only folder")
        yield Path("/sys")
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield folder
    folder.chmod(stat.S_IRWXU)


@pytest.mark.parametrize(("db", "reason"), [
    ("/proc/x.db", "/proc is not a folder this user may write"),
    ("a-file/x.db", "a-file is not a folder this user may write (it is a file)"),
])
def test_a_database_where_none_can_be_made(tmp_path: Path, a_file: Path, db: str,
                                           reason: str) -> None:
    out = harness([*SIM_RUN, "--db", db], tmp_path, cwd=tmp_path if "a-file" in db
                  else REPO)
    assert out.returncode == 2, out.stdout + out.stderr
    one_paragraph(out.stderr, f"--db={db}: {reason}", "Give a path in a folder this user "
                  "may write, e.g. --db results.db")
    assert "measurements stored" not in out.stdout


def test_a_database_in_a_read_only_folder(tmp_path: Path, read_only: Path) -> None:
    out = harness([*SIM_RUN, "--db", str(read_only / "results.db")], tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    one_paragraph(out.stderr, f"--db={read_only / 'results.db'}: {read_only} is not a "
                  "folder this user may write (making a file there fails: ")


def test_evidence_report_and_lock_folders_of_a_run(tmp_path: Path, a_file: Path) -> None:
    db = ["--db", str(tmp_path / "results.db")]
    out = harness([*SIM_RUN, *db, "--artifacts", "/proc/evidence"], tmp_path)
    assert out.returncode == 2
    one_paragraph(out.stderr, "--artifacts=/proc/evidence: /proc is not a folder",
                  "Give a folder this user may write, or an s3://bucket/prefix URL")
    out = harness([*SIM_RUN, *db, "--report", str(a_file / "run.html")], tmp_path)
    assert out.returncode == 2
    one_paragraph(out.stderr, f"--report={a_file / 'run.html'}: ", "(it is a file)")
    # the appium backend leases devices in the lock folder: checked before Appium is
    out = harness(["run", "--backend", "appium", "--appium-url", "http://127.0.0.1:9",
                   "--country", "DE", *db, "scenarios/demo"], tmp_path,
                  extra_env={"HARNESS_LOCK_DIR": "/proc/harness-locks"})
    assert out.returncode == 2
    one_paragraph(out.stderr, "HARNESS_LOCK_DIR=/proc/harness-locks: /proc is not a folder",
                  "Set HARNESS_LOCK_DIR to a folder this user may write")
    assert not (tmp_path / "results.db").exists()  # nothing was started


def test_export_and_report_into_places_that_cannot_be_written(
        tmp_path: Path, a_file: Path, read_only: Path) -> None:
    db = tmp_path / "results.db"
    done = harness([*SIM_RUN, "--db", str(db)], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    base = ["--db", str(db), "--include-simulated"]
    for args, needles in [
        (["export", *base, "--out", str(read_only / "exports")],
         (f"--out={read_only / 'exports'}: {read_only} is not a folder this user may write",
          "Give --out a folder this user may write")),
        (["export", *base, "--out", str(a_file / "exports")], ("(it is a file)",)),
        (["report", *base, "--out", str(read_only / "report.html")],
         (f"--out={read_only / 'report.html'}: {read_only} is not a folder",
          "Give --out a file in a folder this user may write")),
        (["report", *base, "--out", str(read_only / "site")],
         (f"--out={read_only / 'site'}: {read_only} is not a folder",)),
        (["report", *base, "--out", str(a_file)], ("is a file; the report site is a folder",)),
        (["export", "--db", "/proc/x.db", "--out", str(tmp_path / "e")],
         ("--db=/proc/x.db: /proc is not a folder",)),
    ]:
        out = harness(args, tmp_path)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        one_paragraph(out.stderr, *needles)
    assert not (tmp_path / "e").exists()


def test_pytest_says_it_once_before_any_item(tmp_path: Path) -> None:
    out = run_pytest(["scenarios/demo", "--backend", "sim", "--country", "DE,FR,JP",
                      "--db", "/proc/x.db"], tmp_path)
    assert out.returncode == 4, out.stdout[-2000:] + out.stderr[-2000:]  # a usage error
    text = out.stdout + out.stderr
    assert "Traceback" not in text and "FAILED" not in text and "PASSED" not in text
    assert text.count("--db=/proc/x.db: /proc is not a folder this user may write") == 1
    assert len(text.splitlines()) < 10, text
