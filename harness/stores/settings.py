"""Store-check settings: one immutable object per run, built from CLI > defaults.

Kept free of heavy imports: the ``harness`` CLI loads the ``stores`` command (and these
defaults for its help text) on every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.stores.fetch import RetryPolicy

DEFAULT_APPLE_URL = "https://itunes.apple.com"
DEFAULT_PLAY_URL = "https://play.google.com/store/apps/details"

#: Ids per lookup request. Apple answers lookups of well over a hundred ids; 100 keeps
#: URLs short (about 1.1 kB) while a 60-app catalog still costs one request a storefront.
DEFAULT_CHUNK_SIZE = 100

#: Apple's documented budget for the iTunes lookup API, requests per minute.
APPLE_PER_MINUTE = 20.0
#: Google publishes no budget for Play pages; this is a polite default per vantage.
PLAY_PER_MINUTE = 30.0


@dataclass(frozen=True)
class StoreSettings:
    """Everything a store check needs to know, fixed for a run (CLI > defaults).

    Rates are requests per minute per (store, vantage); ``None`` or 0 means unlimited
    (only for loopback tests and benchmarks: the real stores will answer 403/429).
    """

    apple_url: str = DEFAULT_APPLE_URL
    play_url: str = DEFAULT_PLAY_URL
    apple_per_minute: float | None = APPLE_PER_MINUTE
    play_per_minute: float | None = PLAY_PER_MINUTE
    burst: int = 1
    max_attempts: int = 4
    backoff: float = 2.0
    backoff_max: float = 60.0
    retry_after_max: float = 300.0
    timeout: float = 20.0
    chunk_size: int = DEFAULT_CHUNK_SIZE
    play_language: str = "en"
    workers: int = 8

    def retry_policy(self) -> RetryPolicy:
        from harness.stores.fetch import RetryPolicy

        return RetryPolicy(max_attempts=self.max_attempts, backoff=self.backoff,
                           backoff_max=self.backoff_max, retry_after_max=self.retry_after_max)
