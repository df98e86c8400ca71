"""Per-host budgets: arithmetic on a fake clock, and threads sharing one budget."""

from __future__ import annotations

import itertools
import threading
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
    """Four threads reserving at once from one budget get twelve distinct slots 50 ms
    apart: the clock stands still, so each send time is exactly the reservation's."""
    limiter = RateLimiter({"h": 1200}, clock=lambda: 100.0, sleep=lambda _s: None)
    waits: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        for _ in range(3):
            wait = limiter.acquire("h")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    waits.sort()
    assert waits == pytest.approx([0.05 * i for i in range(12)])


def test_retry_after_forms() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    later = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == pytest.approx(90.0)
