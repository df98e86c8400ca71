"""A soak run: thousands of attempts on the fast simulator in one process, as a nightly
farm controller makes them, with the process's memory, open files and threads measured.

Batch after batch (each a run of every demo app from every profile, ``run_batch`` with
its own simulator, into one database) until ``--attempts`` attempts are stored or
``--seconds`` have passed (at least two batches: the warm-up and one more). The
resident memory (RSS), the open file descriptors and the threads are read at the start,
after the first batch (the warm-up: imports, caches, the rules, fonts) and at the end.
The run fails (exit 1) when, from the warm-up to the end, RSS grows by more than
``RSS_GROWTH`` (ratio), or the open files or threads by more than ``FD_GROWTH`` /
``THREAD_GROWTH``: a leak of sessions, connections, files or threads shows there first.

    python benchmarks/bench_soak.py [--attempts N] [--seconds S] [--workers N]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.runs.batch import run_batch  # noqa: E402
from harness.spec.config import RunConfig  # noqa: E402
from harness.spec.profiles import load_profiles  # noqa: E402
from harness.spec.scenarios import load_scenarios  # noqa: E402
from harness.storage import Store  # noqa: E402
from harness.vocabulary.outcomes import Backend  # noqa: E402

os.environ.setdefault("HARNESS_HASH_KEY", "bench")

#: The bounds from the warm-up to the end (see the module's docstring).
RSS_GROWTH = 1.25
FD_GROWTH = 8
THREAD_GROWTH = 4


@dataclass(frozen=True)
class Sample:
    attempts: int
    rss_mb: float
    fds: int
    threads: int

    def line(self, label: str) -> str:
        return (f"{label:<9} attempts {self.attempts:>6}   RSS {self.rss_mb:7.1f} MB   "
                f"open files {self.fds:>4}   threads {self.threads:>3}")


def rss_mb() -> float:
    """Resident memory of this process: psutil when installed, else /proc."""
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def os_threads() -> int:
    """Threads of the process as the OS counts them (Python's and native ones)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return threading.active_count()


def sample(attempts: int) -> Sample:
    gc.collect()
    return Sample(attempts, rss_mb(), len(os.listdir("/proc/self/fd")), os_threads())


@dataclass(frozen=True)
class Soak:
    start: Sample
    warm: Sample
    end: Sample
    seconds: float
    statuses: dict[str, int]

    @property
    def rss_ratio(self) -> float:
        return self.end.rss_mb / self.warm.rss_mb

    def problems(self) -> list[str]:
        out = []
        if self.rss_ratio > RSS_GROWTH:
            out.append(f"RSS grew {self.rss_ratio:.2f}x after the warm-up (bound "
                       f"{RSS_GROWTH}x)")
        if self.end.fds - self.warm.fds > FD_GROWTH:
            out.append(f"open files grew by {self.end.fds - self.warm.fds} (bound "
                       f"{FD_GROWTH})")
        if self.end.threads - self.warm.threads > THREAD_GROWTH:
            out.append(f"threads grew by {self.end.threads - self.warm.threads} (bound "
                       f"{THREAD_GROWTH})")
        return out


def soak(attempts: int, workers: int, folder: Path, countries: str = "all",
         seconds: float = float("inf")) -> Soak:
    """Batches of every demo app from every selected profile until ``attempts`` are
    stored or ``seconds`` have passed (two batches at least); the samples at the start,
    after the first batch, and at the end."""
    from rich.console import Console

    scenarios = load_scenarios([REPO / "scenarios" / "demo"])
    profiles = load_profiles(REPO / "device_profiles")
    if countries != "all":
        wanted = set(countries.split(","))
        profiles = [p for p in profiles if p.id in wanted]
    db = folder / "soak.db"
    config = RunConfig(backend=Backend.SIM, db=str(db), settle_time=0.0,
                       store_check=False)
    quiet = Console(file=open(os.devnull, "w"), stderr=False)  # noqa: SIM115
    done, statuses = 0, dict[str, int]()
    start = sample(0)
    warm = start
    began = time.perf_counter()
    store = Store.open(str(db), folder / "artifacts")
    try:
        batches = 0
        while batches < 2 or (done < attempts and time.perf_counter() - began < seconds):
            batch = run_batch(scenarios, profiles, config, store, workers=workers,
                              console=quiet)
            done += len(batch.results)
            batches += 1
            for r in batch.results:
                statuses[r.verdict.status.value] = statuses.get(r.verdict.status.value, 0) + 1
            if warm is start:
                warm = sample(done)
    finally:
        store.close()
        quiet.file.close()
    return Soak(start, warm, sample(done), time.perf_counter() - began, statuses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=150.0,
                        help="stop starting batches after this long (default 150)")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = soak(args.attempts, args.workers, Path(tmp), seconds=args.seconds)
    print(f"soak: {result.end.attempts} attempts on the simulator in "
          f"{result.seconds:.0f} s ({result.end.attempts / result.seconds:.1f} a second), "
          f"{args.workers} workers; " + ", ".join(f"{n} {k}" for k, n in
                                                   sorted(result.statuses.items())))
    for label, s in (("start", result.start), ("warm-up", result.warm), ("end", result.end)):
        print("  " + s.line(label))
    print(f"  growth from the warm-up to the end: RSS {result.rss_ratio:.2f}x (bound "
          f"{RSS_GROWTH}x), open files {result.end.fds - result.warm.fds:+d} (bound "
          f"+{FD_GROWTH}), threads {result.end.threads - result.warm.threads:+d} (bound "
          f"+{THREAD_GROWTH})")
    problems = result.problems()
    for p in problems:
        print(f"  FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
