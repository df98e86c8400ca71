"""App-store availability per country: the first barrier, before any sign-up.

Apple's App Store is asked through the iTunes lookup API (many apps per request, one
request per storefront); Google Play through each app's details page, country by
country, through the country's own vantage point. Answers are ``available``,
``unavailable`` or ``failure`` (the instrument could not tell; never counted as
unavailable); an ``unavailable`` answer records whether the app is missing from that
country's store only or from the store everywhere (its scope, from the reference
storefronts). See docs/stores.md.

The public names below are imported on first use (``harness.support.lazy``): the
``harness`` CLI registers the ``stores`` command on every start, and must not pay for HTTP
and database libraries then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.stores.apple import AppleLookup, AppleRecord, parse_lookup
    from harness.stores.clients import StoreClients
    from harness.stores.confirm import (
        ConfirmationRule,
        ConfirmedState,
        Point,
        SeriesStatus,
        confirm,
    )
    from harness.stores.fetch import Fetcher, RetryPolicy
    from harness.stores.model import (
        STORE_NOT_CHECKED,
        CheckResult,
        RawResponse,
        StoreFailure,
        StoreName,
        StoreObservation,
        StoreResult,
        StoreScope,
        StoreStageResult,
        StoreTarget,
    )
    from harness.stores.play import PlayDetails, PlayPage, parse_details_page
    from harness.stores.ratelimit import RateLimiter, TokenBucket
    from harness.stores.repository import load_checks, save_observations, timelines
    from harness.stores.scope import REFERENCE_STOREFRONTS, ScopeResolver
    from harness.stores.settings import DEFAULT_APPLE_URL, DEFAULT_PLAY_URL, StoreSettings
    from harness.stores.stage import check_store_stage
    from harness.stores.storefronts import (
        USER_ASSIGNED_CODES,
        Storefront,
        parse_stores,
        select_countries,
        storefronts,
    )
    from harness.stores.sweep import SweepReport, SweepUnit, plan_sweep, run_sweep

__all__ = [
    "DEFAULT_APPLE_URL",
    "DEFAULT_PLAY_URL",
    "REFERENCE_STOREFRONTS",
    "STORE_NOT_CHECKED",
    "USER_ASSIGNED_CODES",
    "AppleLookup",
    "AppleRecord",
    "CheckResult",
    "ConfirmationRule",
    "ConfirmedState",
    "Fetcher",
    "PlayDetails",
    "PlayPage",
    "Point",
    "RateLimiter",
    "RawResponse",
    "RetryPolicy",
    "ScopeResolver",
    "SeriesStatus",
    "StoreClients",
    "StoreFailure",
    "StoreName",
    "StoreObservation",
    "StoreResult",
    "StoreScope",
    "StoreSettings",
    "StoreStageResult",
    "StoreTarget",
    "Storefront",
    "SweepReport",
    "SweepUnit",
    "TokenBucket",
    "check_store_stage",
    "confirm",
    "load_checks",
    "parse_details_page",
    "parse_lookup",
    "parse_stores",
    "plan_sweep",
    "run_sweep",
    "save_observations",
    "select_countries",
    "storefronts",
    "timelines",
]

_HOME = {
    "apple": ("AppleLookup", "AppleRecord", "parse_lookup"),
    "confirm": ("ConfirmationRule", "ConfirmedState", "Point", "SeriesStatus", "confirm"),
    "fetch": ("Fetcher", "RetryPolicy"),
    "model": ("STORE_NOT_CHECKED", "CheckResult", "RawResponse", "StoreFailure", "StoreName",
              "StoreObservation", "StoreResult", "StoreScope", "StoreStageResult",
              "StoreTarget"),
    "play": ("PlayDetails", "PlayPage", "parse_details_page"),
    "ratelimit": ("RateLimiter", "TokenBucket"),
    "repository": ("load_checks", "save_observations", "timelines"),
    "scope": ("REFERENCE_STOREFRONTS", "ScopeResolver"),
    "settings": ("DEFAULT_APPLE_URL", "DEFAULT_PLAY_URL", "StoreSettings"),
    "stage": ("check_store_stage",),
    "storefronts": ("USER_ASSIGNED_CODES", "Storefront", "parse_stores", "select_countries",
                    "storefronts"),
    "clients": ("StoreClients",),
    "sweep": ("SweepReport", "SweepUnit", "plan_sweep", "run_sweep"),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOME)
