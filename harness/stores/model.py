"""What one app-store check concludes, in a closed vocabulary.

A store check answers one question: could a user in this country obtain this app from
this store? The answer is ``available``, ``unavailable``, or ``failure`` when the
instrument could not tell (rate limit, block page, captcha, network). Following OONI, a
failure is a fault of the instrument and never a finding about the app: no code path
turns an error into ``unavailable``. Every code below is documented in docs/stores.md and
a test keeps the two in step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from harness.outcomes import DocumentedEnum


class StoreName(DocumentedEnum):
    """Which app store a check asked."""

    APPLE = (
        "apple",
        "Apple App Store, through the iTunes lookup API (many apps per request, one "
        "request per storefront).",
    )
    PLAY = (
        "play",
        "Google Play, through the app's public details page (one request per app and "
        "country).",
    )


class CheckResult(DocumentedEnum):
    """What a store check concluded about one app in one country."""

    AVAILABLE = ("available", "The store offers the app in the country.")
    UNAVAILABLE = (
        "unavailable",
        "The store answered conclusively that the app is not offered in the country.",
    )
    FAILURE = (
        "failure",
        "The harness could not tell; the failure column says why. Never a finding.",
    )


class StoreFailure(DocumentedEnum):
    """Why a store check could not conclude. A fault of the instrument, never of the app."""

    RATE_LIMITED = (
        "store_rate_limited",
        "The store kept answering HTTP 429 (too many requests) after every retry.",
    )
    HTTP_ERROR = (
        "store_http_error",
        "HTTP 403, a 5xx or another status that carries no availability answer, after "
        "every retry that applies.",
    )
    BLOCKED_PAGE = (
        "store_blocked_page",
        "An HTML error or block page came back where the store's JSON or details page "
        "was expected, after every retry.",
    )
    CAPTCHA = (
        "store_captcha",
        "Google answered with its 'unusual traffic' captcha (/sorry/) after every retry.",
    )
    CONSENT_WALL = (
        "store_consent_wall",
        "Google redirected to its cookie-consent wall (consent.google.com, 'Before you "
        "continue'); the page behind it was never seen.",
    )
    LOOKUP_ERROR = (
        "store_lookup_error",
        "The iTunes lookup answered with an errorMessage body (for example 'Invalid "
        "value(s) for key(s): [itunesId]') for this id.",
    )
    UNRECOGNIZED = (
        "store_unrecognized",
        "The response is not an error, but carries no availability signal the harness "
        "knows (an unexpected JSON shape, a page for another app, a page without an "
        "install offer or an availability message).",
    )
    CONNECTION_ERROR = (
        "store_connection_error",
        "The store could not be reached: DNS, connection refused or reset, TLS, or a "
        "timeout, after every retry.",
    )
    PROXY_ERROR = (
        "store_proxy_error",
        "The vantage point's proxy refused the connection or the request, after every "
        "retry.",
    )


@dataclass(frozen=True)
class StoreTarget:
    """The identifiers of one app, as the stores know it.

    ``bundle_id`` is what the catalog expects the Apple record to carry; a different
    bundle id in the store's answer is reported (the catalog's Apple id may be wrong).
    """

    app_id: str
    android_package: str | None = None
    apple_id: int | None = None
    bundle_id: str | None = None

    def store_app_id(self, store: StoreName) -> str | None:
        """The identifier this store is asked for, or None when the app has none there."""
        if store is StoreName.APPLE:
            return str(self.apple_id) if self.apple_id is not None else None
        return self.android_package


@dataclass(frozen=True)
class RawResponse:
    """A store's response body, kept as evidence (saved gzip-compressed under artifacts/)."""

    body: bytes
    suffix: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.body).hexdigest())


@dataclass(frozen=True)
class StoreObservation:
    """One check of one app in one country's store: the answer and what it rests on.

    ``detail`` starts with the id of the signal that decided (``apple.record``,
    ``play.http_404``, ...; see docs/stores.md), so an analyst can audit every row.
    """

    app_id: str
    store: StoreName
    store_app_id: str
    country: str
    result: CheckResult
    checked_at: datetime
    detail: str
    http_status: int | None = None
    failure: StoreFailure | None = None
    title: str | None = None
    version: str | None = None
    bundle_id: str | None = None
    request_url: str | None = None
    proxy_masked: str | None = None
    egress_country: str | None = None
    raw: RawResponse | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.result is CheckResult.FAILURE) != (self.failure is not None):
            raise ValueError("a store failure needs a failure code, and only a failure")

    @property
    def available(self) -> bool | None:
        """True / False for a conclusive answer, None for a failure of the instrument."""
        if self.result is CheckResult.FAILURE:
            return None
        return self.result is CheckResult.AVAILABLE

    @property
    def signal(self) -> str:
        """The id of the signal that decided, e.g. ``play.http_404``."""
        return self.detail.split(":", 1)[0]
