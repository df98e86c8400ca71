"""The store clients of one run: Apple's lookup and Play's details pages, sharing one
fetcher (retries, timeouts) and one rate limiter, built from one ``StoreSettings``."""

from __future__ import annotations

import time

import httpx

from harness.stores.apple import AppleLookup
from harness.stores.fetch import Fetcher
from harness.stores.play import PlayDetails
from harness.stores.ratelimit import Clock, RateLimiter, Sleep
from harness.stores.settings import StoreSettings


class StoreClients:
    """The Apple and Play clients of one run, sharing one fetcher and one rate limiter."""

    def __init__(self, settings: StoreSettings | None = None, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep, transport: httpx.BaseTransport | None = None
                 ) -> None:
        self.settings = settings = settings or StoreSettings()
        limiter = RateLimiter({AppleLookup.budget: settings.apple_per_minute,
                               PlayDetails.budget: settings.play_per_minute},
                              burst=settings.burst, clock=clock, sleep=sleep)
        self.fetcher = Fetcher(limiter, settings.retry_policy(), timeout=settings.timeout,
                               sleep=sleep, transport=transport)
        self.apple = AppleLookup(self.fetcher, settings.apple_url, settings.chunk_size)
        self.play = PlayDetails(self.fetcher, settings.play_url, settings.play_language)

    @property
    def requests(self) -> int:
        return self.fetcher.requests

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> StoreClients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["StoreClients"]
