"""``harness stores ...`` end to end: real subprocesses, a loopback store, a temp database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer

from harness.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "harness" / "data" / "catalog.yaml"
HARNESS = str(Path(sys.executable).parent / "harness")

SMALL_CATALOG = """\
version: "test"
apps:
  - id: wechat
    name: WeChat
    developer: Tencent
    category: messaging
    android_package: com.tencent.mm
    apple_id: 414478124
    bundle_id: com.tencent.xin
  - id: douyin
    name: Douyin
    developer: ByteDance
    category: short_video
    android_package: com.ss.android.ugc.aweme
    apple_id: 1142110895
"""


def harness(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HARNESS_HASH_KEY="e2e-key", HOME=str(tmp), COLUMNS="200")
    env.pop("HARNESS_DB", None)
    return subprocess.run([HARNESS, *args], cwd=tmp, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def endpoints(server: ReplayServer) -> list[str]:
    return ["--apple-url", server.apple_url, "--play-url", server.play_url,
            "--apple-rate", "0", "--play-rate", "0", "--backoff", "0"]


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The same command in this process (quicker; the subprocess tests cover the binary)."""
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_stores_every_answer_and_exits_by_failures(
        tmp_path: Path, make_replay: Callable[..., ReplayServer],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "catalog.yaml").write_text(SMALL_CATALOG, encoding="utf-8")

    def apple(country: str, i: int) -> bool:
        return country == "CN" or i == 414478124   # Douyin only in the CN storefront

    def play(country: str, package: str) -> str:
        return PLAY_NOT_FOUND if package.startswith("com.ss.") else PLAY_AVAILABLE

    server = make_replay(apple_available=apple, play_state=play)
    db = tmp_path / "results.db"
    # one worker: units run in plan order (reference storefronts first), counts are fixed
    args = ["stores", "check", "--country", "US,JP,CN", "--store", "apple,play",
            "--catalog", "catalog.yaml", "--db", str(db), "--direct", "--workers", "1",
            *endpoints(server)]
    res = harness(args, tmp_path)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "Google Play has no storefront for CN (China)" in res.stderr
    assert "App Store: 2 apps x 3 storefronts, about 3 requests" in res.stderr
    assert "[7/7]" in res.stderr  # one line per unit when stderr is not a terminal
    assert "play douyin US: unavailable (+1 reference check)" in res.stderr
    # 10 checks of the selection, and Play GB for Douyin (absent from US and JP): Play's
    # second reference storefront; the App Store's (CN, US) were in the sweep itself
    assert "11 checks stored" in res.stdout and "with 8 requests" in res.stdout
    assert "1 reference checks (play GB)" in res.stdout
    assert "douyin" in res.stdout and "Unavailable" in res.stdout
    assert server.count("/lookup") == 3
    con = sqlite3.connect(db)
    rows = con.execute("select store, country, app_id, result, http_status, artifact_path, "
                       "scope, reference from store_checks "
                       "order by store, country, app_id").fetchall()
    con.close()
    assert len(rows) == 11
    results = {(s, c, a): (r, scope, ref) for s, c, a, r, _, _, scope, ref in rows}
    assert results[("apple", "US", "douyin")] == ("unavailable", "in_country", 0)  # CN has it
    assert results[("apple", "CN", "douyin")] == ("available", None, 0)
    assert results[("play", "JP", "douyin")] == ("unavailable", "everywhere", 0)
    assert results[("play", "US", "douyin")] == ("unavailable", "everywhere", 0)
    assert results[("play", "GB", "douyin")] == ("unavailable", "everywhere", 1)
    assert results[("play", "JP", "wechat")] == ("available", None, 0)
    assert all((tmp_path / "artifacts" / row[5]).exists() for row in rows)
    table = next(line for line in res.stdout.splitlines() if line.startswith("│ douyin")
                 and "everywhere" in line)
    assert "play" in table and "JP, US" in table

    # a store that keeps failing: exit 1, failures stored, never "unavailable"
    server.inject("503", "apple", times=100)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["stores", "check", "--country", "JP", "--store", "apple",
                               "--catalog", "catalog.yaml", "--db", str(db), "--direct",
                               "--max-attempts", "2", *endpoints(server)], capsys)
    assert code == 1, err + out
    assert "store_http_error" in out and "checks failed" in out
    con = sqlite3.connect(db)
    last = con.execute("select result, failure, available from store_checks where "
                       "store='apple' and country='JP'").fetchall()
    con.close()
    assert sorted(last) == [("available", None, 1), ("failure", "store_http_error", None),
                            ("failure", "store_http_error", None), ("unavailable", None, 0)]

    # without reference checks an absence is stored with its scope unknown, never guessed
    code, out, err = run_main(["stores", "check", "--country", "JP", "--store", "play",
                               "--app", "douyin", "--catalog", "catalog.yaml", "--db",
                               str(db), "--direct", "--no-reference-check",
                               *endpoints(server)], capsys)
    assert code == 0, err + out
    assert "reference checks" not in out
    con = sqlite3.connect(db)
    newest = con.execute("select scope, reference from store_checks where store='play' "
                         "and country='JP' and app_id='douyin' order by id desc").fetchone()
    con.close()
    assert newest == (None, 0)


def test_a_missing_database_is_an_error_for_changes(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["stores", "changes", "--db", str(tmp_path / "results.db")],
                            capsys)
    assert code == 2 and "no such database" in err


def test_changes_lists_only_confirmed_changes(db_url: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # create the schema, then write a hand-made timeline
    from sqlalchemy import text

    from harness.storage.store import Store
    db = db_url
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    timeline: dict[str, list[tuple[int, int | None]]] = {  # (hours, available); None = failure
        "wechat": [(0, 1), (3, 1), (6, 1), (8, 0), (9, None), (12, 0), (15, 0)],
        "qq": [(0, 1), (3, 1), (6, 1), (8, 0), (9, 0)],          # not yet confirmed
    }
    store = Store.open(db, tmp_path / "artifacts")
    with store.engine.begin() as con:
        for app, points in timeline.items():
            for hours, avail in points:
                result = {1: "available", 0: "unavailable", None: "failure"}[avail]
                con.execute(text(
                    "insert into store_checks (app_id, store, store_app_id, country, "
                    "checked_at, result, available, failure) values (:app, 'play', :pkg, "
                    "'DE', :at, :result, :avail, :failure)"),
                    {"app": app, "pkg": f"pkg.{app}", "at": t0 + timedelta(hours=hours),
                     "result": result, "avail": None if avail is None else bool(avail),
                     "failure": "store_captcha" if avail is None else None})
    with store.engine.begin() as con:
        con.execute(text("update store_checks set scope = 'in_country' where "
                         "app_id = 'wechat' and available = :no"), {"no": False})
    store.close()
    code, out, err = run_main(["stores", "changes", "--db", str(db), "--pending"], capsys)
    assert code == 0, err
    assert "wechat" in out and "available → unavailable" in out
    row = next(line for line in out.splitlines() if "wechat" in line)
    assert "in_country" in row  # the scope of the check that confirmed the absence
    pending_row = next(line for line in out.splitlines() if "qq" in line)
    assert "unknown" in pending_row  # no scope recorded (before schema 0004)
    assert "2025-03-01 08:00" in out and "2025-03-01 15:00" in out
    table, pending = out.split("Pending")
    assert "qq" not in table and "qq" in pending
    assert "1 confirmed changes, 1 pending" in out
    code, out, _ = run_main(["stores", "changes", "--db", str(db), "--min-checks", "2",
                             "--min-hours", "1"], capsys)
    assert "2 confirmed changes" in out


def test_verify_writes_the_catalog(tmp_path: Path, make_replay: Callable[..., ReplayServer],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    server = make_replay(
        apple_apps={414478124: ("com.tencent.xin", "WeChat"),
                    741292507: ("com.xingin.other", "RED")},
        apple_available=lambda c, i: i in (414478124, 741292507))
    catalog = tmp_path / "catalog.yaml"
    shutil.copy(CATALOG, catalog)
    args = ["stores", "verify", "--catalog", str(catalog), "--apple-url", server.apple_url,
            "--apple-rate", "0", "--backoff", "0"]
    code, out, _ = run_main(args, capsys)
    assert code == 1  # a mismatch
    assert "Would mark apple_id and bundle_id verified for: wechat" in out
    assert "mismatch" in out and "xiaohongshu" in out
    assert catalog.read_text(encoding="utf-8") == CATALOG.read_text(encoding="utf-8")
    res = harness([*args, "--write"], tmp_path)
    assert "updated" in res.stdout and "wechat" in res.stdout
    from harness.spec.catalog import load_catalog
    assert load_catalog(catalog).get("wechat").verified == {  # type: ignore[union-attr]
        "apple_id", "bundle_id"}
    code, _, err = run_main(["stores", "verify", "--write"], capsys)
    assert code == 2 and "--catalog" in err


def test_bad_options_are_one_paragraph_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["stores", "check", "--country", "DE,Germny", "--direct"], capsys)
    assert code == 2
    assert "Did you mean DE (Germany)" in err and err.count("\n") == 1
    code, _, err = run_main(["stores", "check", "--store", "apple,amazon"], capsys)
    assert code == 2
    assert "unknown store 'amazon'" in err and "apple, play" in err
    code, _, err = run_main(["stores", "check", "--app", "wechta", "--direct"], capsys)
    assert code == 2 and "Did you mean wechat" in err
    code, _, err = run_main(["stores", "changes", "--db", "x.db", "--country", "XX"], capsys)
    assert code == 2 and "'XX' is not a country code" in err
    code, _, err = run_main(["stores", "changes", "--db", "x.db", "--min-checks", "0"], capsys)
    assert code == 2 and "min_checks must be at least 1" in err
