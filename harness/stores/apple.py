"""Apple App Store availability through the iTunes lookup API.

``GET /lookup?id=ID1,ID2,...&country=xx&entity=software`` returns one record per id
the ``xx`` storefront sells. Many ids fit in one request, so a sweep of every catalog
app costs about one request per storefront (175 for all of them), not one per app.

How an answer is read (docs/stores.md has the full table):

- HTTP 200 with JSON ``results``: an id with a record (matched by ``trackId``) is
  ``available``; an id without one is ``unavailable`` in that storefront. The record's
  ``bundleId`` is compared with the catalog's, and a difference is reported in the
  detail (the catalog's Apple id may point at another app).
- A JSON ``errorMessage`` body (``itunesLookup-invalid.json``) is a failure of that
  request (``store_lookup_error``), never unavailability. When a request with several
  ids fails this way, it is split in halves until the offending id is isolated, so one
  bad id cannot blank a whole storefront.
- 403, 429, 5xx and HTML bodies are retried with backoff and, if they persist, recorded
  as failures (``store_http_error``, ``store_rate_limited``, ``store_blocked_page``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from harness.stores.fetch import (
    Exchange,
    Failed,
    Fetcher,
    failure_detail,
    is_html,
    status_failure,
)
from harness.stores.model import (
    CheckResult,
    RawResponse,
    StoreFailure,
    StoreName,
    StoreObservation,
    StoreTarget,
)
from harness.stores.settings import DEFAULT_APPLE_URL, DEFAULT_CHUNK_SIZE
from harness.support.secrets import mask_url


@dataclass(frozen=True)
class AppleRecord:
    """The parts of a lookup record the harness keeps."""

    track_id: int
    bundle_id: str | None
    title: str | None
    version: str | None
    url: str | None


class UnusableLookup(Exception):
    """Internal: a lookup body that is not a usable answer (carries the ``Failed``)."""

    def __init__(self, failed: Failed) -> None:
        super().__init__(failed.detail)
        self.failed = failed


def parse_lookup(body: bytes) -> dict[int, AppleRecord]:
    """The records of a lookup body by ``trackId``; raise ``UnusableLookup`` if unusable."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnusableLookup(Failed(StoreFailure.UNRECOGNIZED,
                                  "apple.not_json: the body is not JSON", retry=True)
                           ) from None
    if not isinstance(doc, dict):
        raise UnusableLookup(Failed(StoreFailure.UNRECOGNIZED,
                                  "apple.bad_shape: the JSON body is not an object",
                                  retry=False))
    if "errorMessage" in doc:
        raise UnusableLookup(Failed(StoreFailure.LOOKUP_ERROR,
                                  f"apple.error_message: {str(doc['errorMessage'])[:300]}",
                                  retry=False))
    results = doc.get("results")
    if not isinstance(results, list):
        raise UnusableLookup(Failed(StoreFailure.UNRECOGNIZED,
                                  "apple.bad_shape: the JSON body has no results list",
                                  retry=False))
    records: dict[int, AppleRecord] = {}
    for item in results:
        if not isinstance(item, dict):
            continue
        rec = _record(item)
        if rec is not None:
            records[rec.track_id] = rec
    return records


def _record(item: dict[str, Any]) -> AppleRecord | None:
    track = item.get("trackId")
    if isinstance(track, str) and track.isdigit():
        track = int(track)
    if not isinstance(track, int) or isinstance(track, bool):
        return None
    kind = item.get("wrapperType") or item.get("kind")
    if kind not in (None, "software", "software-bundle", "mac-software"):
        return None

    def text(key: str) -> str | None:
        v = item.get(key)
        return str(v) if v is not None else None

    return AppleRecord(track, text("bundleId"), text("trackName"), text("version"),
                       text("trackViewUrl"))


def check_lookup_response(resp: httpx.Response) -> Failed | None:
    """Instrument errors of a lookup response; None when it is a usable answer."""
    failed = status_failure(resp)
    if failed is not None:
        return failed
    if is_html(resp):
        return Failed(StoreFailure.BLOCKED_PAGE,
                      f"apple.html_body: HTTP {resp.status_code} with an HTML page instead "
                      "of JSON", retry=True)
    try:
        parse_lookup(resp.content)
    except UnusableLookup as exc:
        return exc.failed
    if resp.status_code != 200:
        return Failed(StoreFailure.HTTP_ERROR,
                      f"apple.http_status: HTTP {resp.status_code} {resp.reason_phrase}",
                      retry=False)
    return None


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


class AppleLookup:
    """Checks catalog apps in Apple storefronts, many ids per request."""

    #: The rate-limit budget every lookup request waits for (per vantage).
    budget = "apple"

    def __init__(self, fetcher: Fetcher, base_url: str = DEFAULT_APPLE_URL,
                 chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self.chunk_size = chunk_size

    def url(self, ids: Sequence[int], country: str) -> str:
        """The lookup URL; ids are joined with literal commas, as Apple documents."""
        return (f"{self.base_url}/lookup?id={','.join(str(i) for i in ids)}"
                f"&country={country.lower()}&entity=software")

    def lookup(self, ids: Sequence[int], country: str, proxy: str | None = None
               ) -> tuple[Exchange, dict[int, AppleRecord] | None]:
        """One lookup request (retried as needed): the exchange and, if usable, the records."""
        ex = self.fetcher.get(self.url(ids, country), check=check_lookup_response, proxy=proxy,
                              budget=self.budget)
        if ex.failed is not None or ex.response is None:
            return ex, None
        return ex, parse_lookup(ex.response.content)

    def check(self, targets: Sequence[StoreTarget], country: str, *,
              proxy: str | None = None, egress_country: str | None = None
              ) -> list[StoreObservation]:
        """One observation per target with an Apple id, for the ``country`` storefront."""
        by_id: dict[int, list[StoreTarget]] = {}
        for t in targets:
            if t.apple_id is not None:
                by_id.setdefault(t.apple_id, []).append(t)
        out: list[StoreObservation] = []
        for chunk in _chunks(sorted(by_id), self.chunk_size):
            out.extend(self._check_chunk(chunk, by_id, country.upper(), proxy, egress_country))
        return out

    def _check_chunk(self, ids: list[int], by_id: dict[int, list[StoreTarget]], country: str,
                     proxy: str | None, egress: str | None) -> list[StoreObservation]:
        ex, records = self.lookup(ids, country, proxy)
        if (ex.failed is not None and ex.failed.failure is StoreFailure.LOOKUP_ERROR
                and len(ids) > 1 and "country" not in ex.failed.detail.lower()):
            # an id Apple refuses spoils its whole request: split to isolate it (an error
            # about the country parameter would fail every half, so it is not split)
            half = len(ids) // 2
            return (self._check_chunk(ids[:half], by_id, country, proxy, egress)
                    + self._check_chunk(ids[half:], by_id, country, proxy, egress))
        now = datetime.now(UTC)
        raw = None
        if ex.response is not None:
            raw = RawResponse(ex.response.content, ".html" if is_html(ex.response) else ".json")
        common: dict[str, Any] = dict(
            store=StoreName.APPLE, country=country, checked_at=now, http_status=ex.status,
            request_url=ex.request_url, proxy_masked=mask_url(proxy) if proxy else None,
            egress_country=egress, raw=raw)
        out: list[StoreObservation] = []
        for track_id in ids:
            for t in by_id[track_id]:
                if ex.failed is not None or records is None:
                    failed = ex.failed or Failed(StoreFailure.UNRECOGNIZED, "no answer",
                                                 retry=False)
                    out.append(StoreObservation(
                        app_id=t.app_id, store_app_id=str(track_id), result=CheckResult.FAILURE,
                        failure=failed.failure,
                        detail=failure_detail("apple", failed, ex.attempts), **common))
                    continue
                rec = records.get(track_id)
                if rec is None:
                    out.append(StoreObservation(
                        app_id=t.app_id, store_app_id=str(track_id),
                        result=CheckResult.UNAVAILABLE,
                        detail=(f"apple.no_record: HTTP {ex.status}, the {country} storefront "
                                f"returned {len(records)} record(s), none with trackId "
                                f"{track_id}"),
                        **common))
                    continue
                detail = f"apple.record: trackId {track_id} in the {country} storefront"
                if t.bundle_id and rec.bundle_id and rec.bundle_id != t.bundle_id:
                    detail += (f"; bundle id mismatch: catalog {t.bundle_id}, store "
                               f"{rec.bundle_id}")
                out.append(StoreObservation(
                    app_id=t.app_id, store_app_id=str(track_id), result=CheckResult.AVAILABLE,
                    detail=detail, title=rec.title, version=rec.version,
                    bundle_id=rec.bundle_id, **common))
        return out

