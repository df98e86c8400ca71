"""Under pytest-xdist, two workers never drive the same device at the same time.

Six items (3 scenarios x 2 profiles) run with -n 2 against the real Appium server; the
profiles share a pool. Each measurement records the device it leased; for every device
the attempts' time intervals must not overlap.
"""

from __future__ import annotations

import itertools
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from _appium import AppiumServer
from _cli import run_pytest

FAKEAPP = Path(__file__).resolve().parents[1] / "fixtures" / "fakeapp" / "signup.xml"


def write_project(tmp: Path, pool: list[str]) -> tuple[Path, Path]:
    profiles = tmp / "profiles"
    profiles.mkdir()
    entries = "\n".join(f"    - udid: {u}" for u in pool)
    for pid, country, number in (("P-DE", "DE", "+4915123456789"),
                                  ("P-FR", "FR", "+33612345678")):
        (profiles / f"{pid}.yaml").write_text(f"""\
id: {pid}
country: {country}
locale: de_DE
language: de
timezone: Europe/Berlin
phone: "{number}"
device:
  pool:
{entries}
  capabilities:
    platformName: Fake
    appium:automationName: Fake
    appium:deviceName: Fake
    appium:app: {FAKEAPP}
""", encoding="utf-8")
    scen = tmp / "scenarios"
    scen.mkdir()
    for i in range(3):
        (scen / f"s{i}.yaml").write_text(f"""\
id: fake-{i}
app: {{name: Fake, android_package: org.harnessdemo.fake}}
defaults: {{timeout: 5}}
steps:
  - launch
  - tap: "同意"
    stage: signup
  - tap: "Get code"
  - wait: "Welcome"
    stage: account
""", encoding="utf-8")
    return profiles, scen


def intervals(db: Path) -> dict[str, list[tuple[datetime, datetime]]]:
    conn = sqlite3.connect(db)
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for dev, start, end, status in conn.execute(
            "select device_id, started_at, ended_at, status from measurements"):
        assert status == "access", status
        out.setdefault(dev, []).append((datetime.fromisoformat(start),
                                        datetime.fromisoformat(end)))
    conn.close()
    return out


def no_overlap(spans: list[tuple[datetime, datetime]]) -> bool:
    spans = sorted(spans)
    return all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


@pytest.mark.parametrize("pool", [["fake-1"], ["fake-1", "fake-2"]])
def test_workers_never_share_a_device(appium_server: AppiumServer, tmp_path: Path,
                                      pool: list[str]) -> None:
    profiles, scen = write_project(tmp_path, pool)
    db = tmp_path / "r.db"
    proc = run_pytest([str(scen), "--country=all", "-n", "2", f"--profiles={profiles}",
                       f"--appium-url={appium_server.url}", f"--db={db}",
                       "--no-vantage-check"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "6 passed" in proc.stdout
    spans = intervals(db)
    assert sum(len(v) for v in spans.values()) == 6
    assert set(spans) <= set(pool)
    for dev, s in spans.items():
        assert no_overlap(s), (dev, s)
