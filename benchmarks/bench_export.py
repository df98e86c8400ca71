"""Benchmark: `harness export` and `harness report` over 1,000,000 synthetic measurements.

    .venv/bin/python benchmarks/bench_export.py              # 1,000,000 rows
    .venv/bin/python benchmarks/bench_export.py --rows 200000 --xlsx

It builds a temporary SQLite database with the harness schema (migrations included), fills
it in one ``INSERT ... SELECT`` over a recursive sequence (40 apps x 58 countries, one
attempt per instance per nightly run, about 5% instrument failures and 2% flaky outcomes,
drawn from a deterministic hash of the row number so every run builds the same data),
then runs each step in a fresh child process and prints its wall time and peak resident
memory (``resource.getrusage``). Target on a 2-core machine: under 30 s and 1 GB each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APPS = 40
COUNTRIES = [
    "AU", "JP", "KR", "SG", "TW", "HK", "MY", "TH", "VN", "ID", "PH", "IN", "NZ", "PK", "BD",
    "DE", "FR", "GB", "IT", "ES", "NL", "SE", "PL", "UA", "RU", "TR", "GE", "CH", "NO", "PT",
    "AE", "SA", "EG", "IL", "IR", "MA", "QA", "US", "CA", "BR", "MX", "AR", "CL", "CO", "PE",
    "CU", "NG", "KE", "ZA", "ET", "GH", "TZ", "KZ", "UZ", "KG", "TJ", "TM", "AF",
]

#: (bucket upper bound out of 100, status, stage, barrier, access level, rule id, text)
OUTCOMES = [
    (35, "access", "features", None, "full", None, None),
    (45, "barrier", "verification", "id_verification_required", "none",
     "verify.id.zh_hans", "请完成实名认证"),
    (52, "barrier", "phone", "phone_country_unsupported", "none",
     "builtin.calling_code_absent", "no entry for the calling code"),
    (58, "barrier", "otp", "sms_not_delivered", "none", "builtin.sms_timeout",
     "no SMS within 120 s"),
    (64, "barrier", "features", "feature_restricted", "limited", "post.realname.zh_hans",
     "发布内容前请先完成实名认证"),
    (68, "barrier", "phone", "mainland_phone_required", "none", "phone.mainland.zh_hans",
     "仅支持中国大陆手机号"),
    (71, "barrier", "verification", "face_verification_required", "none",
     "verify.face.zh_hans", "请进行人脸识别"),
    (74, "barrier", "verification", "friend_verification_required", "none",
     "verify.friend.en", "Ask a friend to verify you"),
    (77, "barrier", "verification", "risk_control_block", "none", "risk.slider.zh_hans",
     "请完成安全验证"),
    (80, "barrier", "store", "store_unavailable", "none", "store.unavailable", None),
    (82, "barrier", "launch", "region_blocked", "none", "geo.block.en",
     "This service is not available in your region"),
    (100, "access", "features", None, "full", None, None),
]


def build(db: Path, rows: int) -> float:
    """Create the schema through the harness, then insert ``rows`` synthetic rows."""
    t0 = time.perf_counter()
    from harness.storage.store import Store
    from harness.vocabulary.countries import get_country

    Store.open(str(db)).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    per_run = APPS * len(COUNTRIES)
    runs = -(-rows // per_run)
    conn.execute("CREATE TEMP TABLE bc(idx INTEGER PRIMARY KEY, code TEXT, region TEXT)")
    conn.executemany("INSERT INTO bc VALUES (?, ?, ?)", [
        (i, c, get_country(c).region.value) for i, c in enumerate(COUNTRIES)])  # type: ignore[union-attr]
    conn.execute("CREATE TEMP TABLE bo(lo INTEGER, hi INTEGER, status TEXT, stage TEXT, "
                 "barrier TEXT, access_level TEXT, rule_id TEXT, matched_text TEXT)")
    lo = 0
    for hi, *rest in OUTCOMES:
        conn.execute("INSERT INTO bo VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (lo, hi, *rest))
        lo = hi
    conn.executemany(
        "INSERT INTO runs (id, started_at, finished_at, status, harness_version, "
        "rules_version, backend, hostname, pid, command, selection, planned) VALUES "
        "(?, datetime('2024-01-01', ? || ' days'), datetime('2024-01-01', ? || ' days', "
        "'+6 hours'), 'completed', '0.1.0', '2024.03.1', 'appium', 'bench', 1, "
        "'harness run', '{}', ?)",
        [(f"run{r:028d}", r, r, per_run) for r in range(runs)])
    conn.execute(f"""
        WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < {rows}),
        g AS (
            SELECT i, i / {per_run} AS run, (i % {per_run}) / {len(COUNTRIES)} AS app,
                   i % {len(COUNTRIES)} AS ci,
                   ((i % {per_run}) / {len(COUNTRIES)} * 7919 + (i % {len(COUNTRIES)}) * 104729)
                       % 100 AS h,
                   ((i * 1103515245 + 12345) % 2147483648) / 65536 % 1000 AS r
            FROM seq)
        INSERT INTO measurements (
            id, run_id, data_format_version, harness_version, scenario_id, scenario_version,
            app_id, app_name, country, region, profile_id, device_id, backend, started_at,
            ended_at, duration_s, status, stage, barrier, failure, failure_detail,
            access_level, rule_id, rules_version, matched_text, steps_done, phone_masked,
            phone_hash, phone_source, phone_country, egress_ip_masked, egress_ip_hash,
            egress_asn, ip_country, sim_country, device_locale, device_timezone,
            gps_country, ip_country_match, sim_country_match, locale_match, timezone_match,
            gps_country_match, vantage_source)
        SELECT printf('%032x', g.i), printf('run%028d', g.run), '1.0', '0.1.0',
            printf('app-%02d', g.app), 1, printf('org.bench.app%02d', g.app),
            printf('App %02d', g.app), bc.code, bc.region, bc.code, 'emulator-5554',
            'appium',
            strftime('%Y-%m-%d %H:%M:%S', '2024-01-01', (g.run || ' days'),
                     ((g.i % {per_run}) * 9) || ' seconds') || '.000000',
            strftime('%Y-%m-%d %H:%M:%S', '2024-01-01', (g.run || ' days'),
                     ((g.i % {per_run}) * 9 + 60) || ' seconds') || '.000000',
            60.0,
            CASE WHEN g.r < 50 THEN 'failure' WHEN g.r = 999 THEN 'aborted'
                 WHEN g.r < 70 THEN 'access' ELSE bo.status END,
            CASE WHEN g.r < 50 THEN 'signup' WHEN g.r < 70 THEN 'features' ELSE bo.stage END,
            CASE WHEN g.r < 70 OR g.r = 999 THEN NULL ELSE bo.barrier END,
            CASE WHEN g.r < 25 THEN 'ui_unrecognized' WHEN g.r < 50 THEN 'timeout' END,
            CASE WHEN g.r < 50 THEN 'no target for step 4 after 30 s' END,
            CASE WHEN g.r < 50 THEN 'none' WHEN g.r < 70 THEN 'full' ELSE bo.access_level END,
            CASE WHEN g.r < 70 THEN NULL ELSE bo.rule_id END, '2024.03.1',
            CASE WHEN g.r < 70 THEN NULL ELSE bo.matched_text END, 9,
            '+49*********78', 'hash', 'env', bc.code, '203.0.113.x', 'hash', 'AS3320',
            bc.code, 'US', 'en_US', 'UTC', bc.code, 1, 0, 1, 1, 1, 'proxy'
        FROM g JOIN bc ON bc.idx = g.ci JOIN bo ON g.h >= bo.lo AND g.h < bo.hi
    """)
    conn.commit()
    conn.close()
    return time.perf_counter() - t0


def child(argv: list[str]) -> None:
    """Run one harness command in this process; print wall time and peak RSS as JSON."""
    from harness.cli.main import main

    t0 = time.perf_counter()
    with open(os.devnull, "w") as null:
        saved = sys.stdout
        sys.stdout = null
        try:
            status = main(argv)
        finally:
            sys.stdout = saved
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"status": status, "wall_s": wall, "peak_rss_mib": peak_kib / 1024}))


def step(name: str, argv: list[str]) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", *argv],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
    data: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    if data["status"] != 0:
        sys.exit(f"{name} exited with {data['status']}:\n{proc.stderr[-3000:]}")
    data["process_s"] = elapsed
    print(f"{name:<34} wall {data['wall_s']:6.1f} s (process {elapsed:5.1f} s)   "
          f"peak RSS {data['peak_rss_mib']:7.0f} MiB", flush=True)
    return data


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx", action="store_true",
                        help="also time the XLSX export (slow: openpyxl writes every cell)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the database and outputs in this folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
    work = args.keep or tmp
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    try:
        if db.exists():
            db.unlink()
        built = build(db, args.rows)
        print(f"built {args.rows:,} measurements in {built:.1f} s "
              f"({db.stat().st_size / 2**20:.0f} MiB), {os.cpu_count()} CPUs", flush=True)
        results = {}
        for fmt in ("csv", "parquet", "jsonl"):
            results[f"export {fmt}"] = step(
                f"export --format {fmt} (all tables)",
                ["export", "--db", str(db), "--format", fmt, "--out", str(work / fmt)])
        results["export aggregates"] = step(
            "export all formats (aggregates)",
            ["export", "--db", str(db), "--format", "all", "--out", str(work / "agg"),
             "--tables", "barrier_matrix,barrier_matrix_wide,by_region,by_app,funnel,"
                         "summary,changes"])
        if args.xlsx:
            results["export xlsx"] = step(
                "export --format xlsx (all tables)",
                ["export", "--db", str(db), "--format", "xlsx", "--out", str(work / "xlsx")])
        results["report"] = step("report", ["report", "--db", str(db), "--out",
                                            str(work / "report" / "report.html")])
        worst_wall = max(r["wall_s"] for r in results.values())
        worst_rss = max(r["peak_rss_mib"] for r in results.values())
        print(f"slowest step {worst_wall:.1f} s, largest peak RSS {worst_rss:.0f} MiB "
              f"(target < 30 s and < 1024 MiB per step)")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
