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

from harness.vocabulary.outcomes import Barrier, DocumentedEnum, Stage, Status, Verdict


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


class StoreScope(DocumentedEnum):
    """Where an app the store does not offer in a country is missing: there, or everywhere.

    Decided by checking the store's reference storefronts (``harness.stores.scope``):
    Google Play US then GB, the App Store CN (the catalog apps' home storefront) then US.
    """

    IN_COUNTRY = (
        "in_country",
        "A reference storefront offers the app: it is missing from this country's store "
        "only.",
    )
    EVERYWHERE = (
        "everywhere",
        "Every reference storefront answered that it does not offer the app either: it is "
        "missing from the store everywhere, as far as the references show.",
    )
    UNKNOWN = (
        "unknown",
        "No reference storefront offers the app, and at least one reference check failed "
        "(or none could be made): the scope is not guessed.",
    )


class StoreResult(DocumentedEnum):
    """What the store stage of an attempt observed, recorded on the measurement row
    (``store_result``) beside the sign-up verdict."""

    AVAILABLE = ("available", "The store offers the app in the profile's country.")
    ABSENT_IN_COUNTRY = (
        "absent_in_country",
        "The store does not offer the app in the country, but a reference storefront does.",
    )
    ABSENT_EVERYWHERE = (
        "absent_everywhere",
        "The store does not offer the app in the country nor in any reference storefront.",
    )
    ABSENT_SCOPE_UNKNOWN = (
        "absent_scope_unknown",
        "The store does not offer the app in the country; whether it is missing everywhere "
        "is unknown (a reference check failed). Also every store barrier measured before "
        "schema 0004.",
    )
    NOT_CHECKED = (
        "not_checked",
        "No store was asked: store checks off (--no-store-check), the simulator, a demo "
        "app, no identifier for the store, or a country the store does not serve.",
    )
    CHECK_FAILED = (
        "check_failed",
        "The store check failed (the instrument, never the app); the sign-up attempt went "
        "on.",
    )

    @property
    def absent(self) -> bool:
        """True for the three absences: a store barrier."""
        return self in (StoreResult.ABSENT_IN_COUNTRY, StoreResult.ABSENT_EVERYWHERE,
                        StoreResult.ABSENT_SCOPE_UNKNOWN)

    @classmethod
    def of_scope(cls, scope: StoreScope | None) -> StoreResult:
        """The absence result of an absence with this scope (None: unknown)."""
        if scope is StoreScope.IN_COUNTRY:
            return cls.ABSENT_IN_COUNTRY
        if scope is StoreScope.EVERYWHERE:
            return cls.ABSENT_EVERYWHERE
        return cls.ABSENT_SCOPE_UNKNOWN


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
    """A store's response body, kept as evidence (saved gzip-compressed in the artifact store)."""

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
    #: For ``unavailable``: missing here only, everywhere, or unknown (None: not decided).
    scope: StoreScope | None = None
    #: What the reference storefronts said (``US available (play.install_offer) ...``).
    scope_detail: str | None = None
    #: True when the harness made this check as a reference for another country's absence.
    reference: bool = False

    def __post_init__(self) -> None:
        if (self.result is CheckResult.FAILURE) != (self.failure is not None):
            raise ValueError("a store failure needs a failure code, and only a failure")
        if self.scope is not None and self.result is not CheckResult.UNAVAILABLE:
            raise ValueError("only an unavailable check has a scope")

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


@dataclass(frozen=True)
class StoreStageResult:
    """What the store stage of one attempt concluded, for the measurement row.

    ``rule_id`` is the absence's rule (``store.play.absent_in_country``, ...), ``detail``
    what the check saw and ``matched_text`` the deciding signal. ``barrier`` is the
    ``barrier: store_unavailable`` verdict at stage ``store`` when the app is absent
    (``result.absent``); the attempt ends with it only when the user does not sideload
    (``--no-sideload``).
    """

    result: StoreResult
    rule_id: str | None = None
    detail: str | None = None
    matched_text: str | None = None

    @property
    def barrier(self) -> Verdict | None:
        if not self.result.absent:
            return None
        return Verdict(status=Status.BARRIER, stage=Stage.STORE,
                       barrier=Barrier.STORE_UNAVAILABLE, rule_id=self.rule_id,
                       matched_text=self.matched_text, detail=self.detail)


#: The store stage's result when no store stage runs (store checks off, the simulator).
STORE_NOT_CHECKED = StoreStageResult(
    StoreResult.NOT_CHECKED, detail="no store stage: store checks off or the simulator")
