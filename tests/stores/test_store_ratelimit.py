"""Per-host budgets: arithmetic on a fake clock, fairness across threads on a real one."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from store_helpers import FakeTime

from harness.stores.fetch import retry_after_seconds
from harness.stores.ratelimit import RateLimiter, TokenBucket


def test_twenty_a_minute_spaces_requests_three_seconds_apart(fake_time: FakeTime) -> None:
    limiter = RateLimiter({"apple": 20}, clock=fake_time.clock, sleep=fake_time.sleep)
    sent = []
    for _ in range(21):
        limiter.acquire("apple")
        sent.append(fake_time.now)
    assert sent[0] == 1000.0
    assert [b - a for a, b in itertools.pairwise(sent)] == pytest.approx([3.0] * 20)
    # never more than 20 in any 60-second window
    assert all(sum(1 for t in sent if s <= t < s + 60) <= 20 for s in sent)
    assert limiter.waited == pytest.approx(60.0)


def test_burst_allows_back_to_back_then_paces(fake_time: FakeTime) -> None:
    limiter = RateLimiter({"play": 60}, burst=3, clock=fake_time.clock, sleep=fake_time.sleep)
    for _ in range(5):
        limiter.acquire("play")
    assert fake_time.sleeps == pytest.approx([1.0, 1.0])  # 3 at once, then 1/s


def test_budgets_are_per_host_and_per_vantage(fake_time: FakeTime) -> None:
    limiter = RateLimiter({"apple": 20, "play": 30}, clock=fake_time.clock,
                          sleep=fake_time.sleep)
    limiter.acquire("apple")
    limiter.acquire("play")
    limiter.acquire("apple", "socks5://user:***@de.example:1080")
    limiter.acquire("apple", "socks5://user:***@jp.example:1080")
    assert fake_time.sleeps == []
    limiter.acquire("apple")
    assert fake_time.sleeps == pytest.approx([3.0])


def test_no_limit_never_waits(fake_time: FakeTime) -> None:
    limiter = RateLimiter({"apple": None}, clock=fake_time.clock, sleep=fake_time.sleep)
    for _ in range(1000):
        limiter.acquire("apple")
    assert fake_time.sleeps == []


def test_pause_holds_every_request_of_that_budget(fake_time: FakeTime) -> None:
    limiter = RateLimiter({"apple": 20}, clock=fake_time.clock, sleep=fake_time.sleep)
    limiter.acquire("apple")
    limiter.pause("apple", None, 30)
    limiter.acquire("apple")
    assert fake_time.sleeps == pytest.approx([30.0])


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(10, burst=0)


def test_threads_sharing_a_budget_never_exceed_it() -> None:
    limiter = RateLimiter({"h": 1200})  # one request every 50 ms, real clock
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.acquire("h")
            with lock:
                times.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 12
    assert min(gaps) >= 0.045  # scheduling jitter aside, 50 ms apart


def test_retry_after_forms() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    later = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == pytest.approx(90.0)
