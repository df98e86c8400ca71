"""HTTP for store checks: one place for proxies, pacing, retries and redirects.

Every store request goes through ``Fetcher.get``. The store module passes a ``check``
that looks at a response and says whether it is an instrument error (``Failed``) and
whether retrying can help. Only instrument errors are retried (tenacity, exponential
backoff, ``Retry-After`` honoured, attempts capped); a conclusive answer is never
retried into a different one. When the attempts run out, the last error is returned,
not raised, so the caller records it as ``failure`` with its code and the last body as
evidence. Nothing here can produce ``unavailable``.

Redirects are followed by hand (a few hops) so that a redirect to Google's consent wall
or captcha can be recognised from its ``Location`` instead of being fetched.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt

from harness import __version__
from harness.stores.model import StoreFailure
from harness.stores.ratelimit import RateLimiter, Sleep
from harness.support.secrets import mask_url, scrub

#: The User-Agent of every store request: honest about what is asking.
USER_AGENT = (f"Mozilla/5.0 (compatible; rnr-harness/{__version__}; "
              "app-store availability research)")

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Failed:
    """An instrument error in one response: its code, a scrubbed detail, and retry advice."""

    failure: StoreFailure
    detail: str
    retry: bool
    retry_after: float | None = None


Check = Callable[[httpx.Response], Failed | None]


@dataclass(frozen=True)
class Exchange:
    """The outcome of one logical request: the last response (if any) and its error."""

    request_url: str
    response: httpx.Response | None
    failed: Failed | None
    attempts: int

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How persistent errors are retried: attempts in all, and the backoff between them.

    The wait before attempt n+1 is ``backoff * 2**(n-1)`` seconds (capped at
    ``backoff_max``, with up to 25% jitter), or the store's ``Retry-After`` when that is
    longer (capped at ``retry_after_max``).
    """

    max_attempts: int = 4
    backoff: float = 2.0
    backoff_max: float = 60.0
    retry_after_max: float = 300.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("backoff times cannot be negative")


class Fetcher:
    """Sends store requests: one pooled ``httpx.Client`` per proxy, paced and retried."""

    def __init__(self, limiter: RateLimiter | None = None, policy: RetryPolicy | None = None,
                 timeout: float = 20.0, sleep: Sleep = time.sleep,
                 transport: httpx.BaseTransport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.limiter = limiter or RateLimiter()
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        self._transport = transport
        self._headers = {"User-Agent": USER_AGENT, "Accept-Language": "en",
                         **dict(headers or {})}
        self._clients: dict[str | None, httpx.Client] = {}
        self._lock = threading.Lock()
        self._requests = 0
        self.retry_waits: list[float] = []
        """Every backoff wait chosen between attempts (seconds), in order."""

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (each attempt and each redirect hop counts)."""
        return self._requests

    def client(self, proxy: str | None) -> httpx.Client:
        with self._lock:
            client = self._clients.get(proxy)
            if client is None:
                client = httpx.Client(proxy=proxy, timeout=self.timeout,
                                      follow_redirects=False, headers=self._headers,
                                      transport=self._transport)
                self._clients[proxy] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def get(self, url: str, *, check: Check, proxy: str | None = None,
            stop_redirect: Callable[[str], bool] | None = None,
            budget: str | None = None) -> Exchange:
        """GET ``url`` (query included) until ``check`` passes or the attempts run out.

        ``budget`` names the rate-limit budget (default: the URL's host); every attempt
        and redirect hop waits for it, per vantage (the masked proxy URL).
        """
        vantage = mask_url(proxy) if proxy else None
        host = budget or httpx.URL(url).host
        attempts = 0

        def once() -> Exchange:
            nonlocal attempts
            attempts += 1
            return self._once(url, check, proxy, vantage, host, stop_redirect, attempts)

        def should_retry(ex: Exchange) -> bool:
            return ex.failed is not None and ex.failed.retry

        def wait(state: RetryCallState) -> float:
            ex: Exchange | None = state.outcome.result() if state.outcome else None
            n = state.attempt_number
            pol = self.policy
            base = float(min(pol.backoff_max, pol.backoff * 2 ** (n - 1)))
            if pol.jitter and base > 0:
                base += random.uniform(0, base / 4)
            after = ex.failed.retry_after if ex is not None and ex.failed else None
            if after is not None:
                after = min(after, pol.retry_after_max)
                self.limiter.pause(host, vantage, after)
                base = max(base, after)
            with self._lock:
                self.retry_waits.append(base)
            return base

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=wait,
            retry=retry_if_result(should_retry),
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome
            else None,
        )
        result: Exchange = retrying(once)
        return result

    def _once(self, url: str, check: Check, proxy: str | None, vantage: str | None,
              host: str, stop_redirect: Callable[[str], bool] | None, attempt: int
              ) -> Exchange:
        client = self.client(proxy)
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self.limiter.acquire(host, vantage)
            with self._lock:
                self._requests += 1
            try:
                resp = client.get(current)
            except httpx.ProxyError as exc:
                return Exchange(url, None, Failed(StoreFailure.PROXY_ERROR,
                                                  _describe(exc, proxy), retry=True), attempt)
            except httpx.TransportError as exc:
                # through a proxy, a refused connection is the proxy's
                code = (StoreFailure.PROXY_ERROR
                        if proxy and (isinstance(exc, httpx.ConnectError) or _socks_failure(exc))
                        else StoreFailure.CONNECTION_ERROR)
                return Exchange(url, None, Failed(code, _describe(exc, proxy), retry=True),
                                attempt)
            location = resp.headers.get("location", "")
            if not resp.is_redirect or (stop_redirect is not None and stop_redirect(location)):
                return Exchange(url, resp, check(resp), attempt)
            current = str(resp.url.join(location))
        return Exchange(url, resp, Failed(StoreFailure.HTTP_ERROR,
                                          f"more than {MAX_REDIRECTS} redirects", retry=False),
                        attempt)


def _socks_failure(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "socks" in text or "proxy" in text


def _describe(exc: Exception, proxy: str | None) -> str:
    """An exception as one line, with the proxy's credentials and addresses scrubbed."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return scrub(text, [proxy] if proxy else None)


def is_html(resp: httpx.Response) -> bool:
    """True when the body is an HTML page (by Content-Type or by its first bytes)."""
    ctype = resp.headers.get("content-type", "").lower()
    if "html" in ctype:
        return True
    head = resp.content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<div"))


def status_failure(resp: httpx.Response) -> Failed | None:
    """The generic instrument errors of any store: 429, 403 and 5xx, all retried."""
    status = resp.status_code
    if status == 429:
        return Failed(StoreFailure.RATE_LIMITED, "HTTP 429 Too Many Requests", retry=True,
                      retry_after=retry_after_seconds(resp.headers.get("retry-after")))
    if status == 403 or status >= 500:
        return Failed(StoreFailure.HTTP_ERROR, f"HTTP {status} {resp.reason_phrase}".strip(),
                      retry=True,
                      retry_after=retry_after_seconds(resp.headers.get("retry-after")))
    return None


def failure_detail(prefix: str, failed: Failed, attempts: int) -> str:
    """A failure's detail, led by its signal id (``apple.rate_limited: HTTP 429 ...``)."""
    detail = failed.detail
    head = detail.split(":", 1)[0]
    if not (head.startswith(prefix + ".") and " " not in head):
        detail = f"{prefix}.{failed.failure.value.removeprefix('store_')}: {detail}"
    if attempts > 1:
        detail += f" (after {attempts} attempts)"
    return detail
