"""The checks of ``harness.storage.preflight``: every place a command writes, tried by
making a file there, each problem one ``ConfigError`` naming the option and the path.

``/proc`` stands for a folder nobody may write in (root included) and a regular file for
a folder that is not one, so the tests hold whoever runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.storage import preflight
from harness.storage.artifacts import Artifacts
from harness.storage.preflight import (
    Target,
    artifacts,
    check_targets,
    database,
    folder,
    folder_problem,
    for_run,
    output_file,
    problem,
)
from harness.support.errors import ConfigError, ConfigErrors


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "a-file"
    f.write_text("x", encoding="utf-8")
    return f


def test_a_folder_is_tried_by_making_a_file_in_it(tmp_path: Path, a_file: Path) -> None:
    assert folder_problem(tmp_path) is None
    assert folder_problem(tmp_path / "new" / "deeper") is None  # made later, under tmp
    assert not (tmp_path / "new").exists() and sorted(tmp_path.iterdir()) == [a_file]
    assert folder_problem(a_file / "sub") == (f"{a_file} is not a folder this user may "
                                              "write (it is a file)")
    reason = folder_problem(Path("/proc/harness-test"))
    assert reason is not None and reason.startswith("/proc is not a folder this user may "
                                                    "write (making a file there fails: ")


def test_database_problems_name_the_option_the_path_and_the_fix(tmp_path: Path,
                                                                 a_file: Path) -> None:
    assert problem(database(str(tmp_path / "results.db"))) is None
    assert problem(database("sqlite://")) is None  # in memory
    (tmp_path / "dir.db").mkdir()
    cases = {
        "/proc/x.db": "--db=/proc/x.db: /proc is not a folder this user may write",
        str(a_file / "x.db"): "(it is a file). Give a path in a folder this user may "
                              "write, e.g. --db results.db.",
        str(tmp_path / "missing" / "x.db"): f"the folder {tmp_path / 'missing'} does not "
                                            "exist. Create the folder",
        str(tmp_path / "dir.db"): "is a folder, not a database file",
    }
    for db, needle in cases.items():
        error = problem(database(db))
        assert error is not None and needle in str(error), (db, error)
        assert "\n" not in str(error)


def test_a_server_that_does_not_answer_is_named_without_its_password() -> None:
    from _cli import free_port

    url = f"postgresql+psycopg://alice:pw-pre-1@127.0.0.1:{free_port()}/h"
    error = problem(database(url))
    assert error is not None
    text = str(error)
    assert text.startswith("--db=postgresql+psycopg://alice:***@127.0.0.1:")
    assert "the database does not answer" in text and "pw-pre-1" not in text
    assert "\n" not in text and "password (from the environment)" in text


def test_outputs_and_several_problems_at_once(tmp_path: Path, a_file: Path) -> None:
    assert problem(output_file(tmp_path / "r" / "report.html", "--out")) is None
    error = problem(output_file(tmp_path, "--out"))
    assert error is not None and "is a folder, not a file" in str(error)
    with pytest.raises(ConfigErrors) as many:
        check_targets([folder(a_file / "e", "--out"),
                       output_file(Path("/proc/r.html"), "--report"), None])
    assert [e.location for e in many.value.errors] == [f"--out={a_file / 'e'}",
                                                       "--report=/proc/r.html"]
    # a default evidence folder beside a database that failed is not reported again
    with pytest.raises(ConfigError) as one:
        check_targets(for_run("/proc/x.db", None))
    assert one.value.location == "--db=/proc/x.db"
    with pytest.raises(ConfigError, match=r"^--artifacts=/proc/ev: /proc is not a folder"):
        check_targets(for_run(str(tmp_path / "ok.db"), "/proc/ev"))
    assert artifacts("s3://bucket/prefix", "results.db") is None  # checked when opened


def test_the_lock_folder_and_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.devices.pool import default_lock_dir

    monkeypatch.setenv("HARNESS_LOCK_DIR", "/proc/harness-locks")
    target = preflight.locks()
    assert target == Target("folder", Path("/proc/harness-locks"),
                            "HARNESS_LOCK_DIR=/proc/harness-locks",
                            fix="Set HARNESS_LOCK_DIR to a folder this user may write")
    assert problem(target) is not None
    with pytest.raises(ConfigError, match="HARNESS_LOCK_DIR=/proc/harness-locks: the "
                                          "device-lease folder cannot be made"):
        default_lock_dir()


def test_the_evidence_folder_is_tried_the_same_way() -> None:
    with pytest.raises(ConfigError, match=r"^--artifacts=/proc/evidence: /proc is not a "
                                          r"folder this user may write"):
        Artifacts.open(Path("/proc/evidence"), Path("."), write=True)
