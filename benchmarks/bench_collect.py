"""Collection cost of the whole study: `pytest scenarios/ --country=all --collect-only`.

Runs the collection in a fresh process several times and prints the item count, the
median wall time (target: under 3 s for every app x every shipped profile), and where the
time goes: importing the pytest plugin, loading the profiles, loading (and assembling)
the scenarios.

    python benchmarks/bench_collect.py [--rounds N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 3.0

BREAKDOWN = """
import time
t0 = time.perf_counter()
import harness.pytest_plugin
t1 = time.perf_counter()
from pathlib import Path
from harness.spec.profiles import load_profiles
from harness.spec.scenarios import load_scenarios
profiles = load_profiles(Path("device_profiles"))
t2 = time.perf_counter()
scenarios = load_scenarios([Path("scenarios")])
t3 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f} {len(profiles)} {len(scenarios)}")
"""


def collect_once() -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios/", "--country=all", "--collect-only", "-q",
         "--backend=sim", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    m = re.search(r"(\d+) tests? collected", proc.stdout)
    if proc.returncode != 0 or m is None:
        sys.exit(f"collection failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr}")
    return wall, int(m.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    walls = []
    items = 0
    for _ in range(args.rounds):
        wall, items = collect_once()
        walls.append(wall)
    out = subprocess.run([sys.executable, "-c", BREAKDOWN], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    imp, prof, scen, n_prof, n_scen = float(out[0]), float(out[1]), float(out[2]), out[3], out[4]
    median = statistics.median(walls)
    print(f"{items} items ({n_scen} scenarios x {n_prof} profiles); collect-only wall time "
          f"median {median:.2f} s, min {min(walls):.2f} s over {args.rounds} rounds "
          f"(target < {TARGET_S:g} s)")
    print(f"  import of the pytest plugin {imp:.2f} s, profiles {prof:.2f} s, "
          f"scenarios {scen:.2f} s")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
