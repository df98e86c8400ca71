"""Per-host request budgets, so a sweep stays inside what each store tolerates.

Apple documents a budget of about 20 iTunes-lookup requests per minute; Google publishes
none for Play pages. Going over earns 403/429 answers, which the harness must then retry,
so it is cheaper and politer to pace requests up front.

A budget is kept per (host, vantage): a store counts requests per client address, and
every proxy is a different address, so each vantage point has its own budget. The
bucket is a GCRA (virtual-scheduling) token bucket: ``per_minute`` requests a minute on
average, at most ``burst`` back to back. Reservations are made under a lock and the
caller sleeps outside it, so threads sharing a budget queue fairly and never exceed it.
``pause`` honours a store's ``Retry-After`` for every thread using that budget.

Clock and sleep are injectable so tests run the arithmetic without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class TokenBucket:
    """One budget: ``per_minute`` requests a minute, ``burst`` of them back to back."""

    def __init__(self, per_minute: float, burst: int = 1, clock: Clock = time.monotonic
                 ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive (use None for no limit)")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 60.0 / per_minute
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._tat = clock()  # theoretical arrival time of the next request
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take the next slot; return how many seconds to wait before sending."""
        with self._lock:
            now = self._clock()
            start = max(now, self._tat - self.tolerance, self._paused_until)
            self._tat = max(self._tat, start) + self.interval
            return start - now

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (a store's Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class RateLimiter:
    """Budgets keyed by (budget name, vantage), created on first use.

    A budget name is a store's host (the default) or a name the caller picks for it
    (``apple``, ``play``), so that two stores served from one test host keep separate
    budgets. ``per_host`` maps a name to its requests per minute; names not listed use
    ``default_per_minute``. ``None`` (or 0) means no limit.
    """

    def __init__(self, per_host: Mapping[str, float | None] | None = None,
                 default_per_minute: float | None = None, burst: int = 1,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.per_host = {k.lower(): v for k, v in (per_host or {}).items()}
        self.default_per_minute = default_per_minute
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket | None] = {}
        self._lock = threading.Lock()
        self.waited = 0.0
        """Total seconds callers were made to wait (for reports and the benchmark)."""

    def bucket(self, host: str, vantage: str | None = None) -> TokenBucket | None:
        key = (host.lower(), vantage or "direct")
        with self._lock:
            if key not in self._buckets:
                rate = self.per_host.get(key[0], self.default_per_minute)
                self._buckets[key] = (TokenBucket(rate, self.burst, self._clock)
                                      if rate else None)
            return self._buckets[key]

    def acquire(self, host: str, vantage: str | None = None) -> float:
        """Block until a request to ``host`` from ``vantage`` fits the budget."""
        bucket = self.bucket(host, vantage)
        if bucket is None:
            return 0.0
        wait = bucket.reserve()
        if wait > 0:
            with self._lock:
                self.waited += wait
            self._sleep(wait)
        return wait

    def pause(self, host: str, vantage: str | None, seconds: float) -> None:
        """Hold every request to ``host`` from ``vantage`` for ``seconds``."""
        bucket = self.bucket(host, vantage)
        if bucket is not None and seconds > 0:
            bucket.pause(seconds)
