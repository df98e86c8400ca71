"""A small soak (benchmarks/bench_soak.py runs the long one in ``make bench``): batches of
demo attempts on the simulator in this process, with its open files, threads and memory
no larger after them than after the first (the warm-up), beyond small bounds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_soak import soak

#: Three profiles x seven demo apps: 21 attempts a batch; the warm-up and one more.
COUNTRIES = "DE,GB,HK"


@pytest.mark.soak
def test_batches_leak_no_files_threads_or_memory(tmp_path: Path) -> None:
    result = soak(attempts=42, workers=4, folder=tmp_path, countries=COUNTRIES)
    assert result.end.attempts >= 42 and result.statuses.get("failure", 0) == 0
    assert result.end.fds - result.warm.fds <= 2, (result.warm, result.end)
    assert result.end.threads - result.warm.threads <= 1, (result.warm, result.end)
    assert result.rss_ratio <= 1.10, (result.warm, result.end)
