"""What the analyst tables count: RNR barriers, confirmation, regions, the domestic case.

Every number in an export or a report is defined here once, so that the SQL, the charts,
the report and docs/analysis.md cannot drift apart. A change to any constant here changes
published figures: say so in the changelog and in docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.stores.model import StoreResult
from harness.vocabulary.countries import Region
from harness.vocabulary.outcomes import AccessLevel, Barrier, Failure, Status

#: Barrier codes that show an app *enforcing identifiability* (real-name registration) on
#: a user abroad: it demands something that ties the account to a legal identity.
#:
#: - ``mainland_phone_required``: a +86 number, which is registered to a national ID;
#: - ``id_verification_required``: an identity document;
#: - ``face_verification_required``: a face scan matched against an identity;
#: - ``friend_verification_required``: an existing, already identified user vouches;
#: - ``feature_restricted``: the account exists but posting or commenting is gated on
#:   real-name binding (Weibo's rule since 2017; the 2024 study counted it).
#:
#: Not RNR, though they are barriers to access and count in every barrier share:
#: ``store_unavailable`` and ``region_blocked`` (availability), ``phone_country_unsupported``
#: and ``phone_number_rejected`` (the app refuses a foreign number but demands no identity),
#: ``sms_not_delivered`` (delivery) and ``risk_control_block`` (anti-abuse checks).
RNR_BARRIERS: tuple[str, ...] = (
    Barrier.MAINLAND_PHONE_REQUIRED.value,
    Barrier.ID_VERIFICATION_REQUIRED.value,
    Barrier.FACE_VERIFICATION_REQUIRED.value,
    Barrier.FRIEND_VERIFICATION_REQUIRED.value,
    Barrier.FEATURE_RESTRICTED.value,
)

#: Statuses that are results. ``failure`` (the instrument), ``aborted`` and ``running``
#: (lifecycle) are never counted as a barrier or as access.
CONCLUSIVE_STATUSES: tuple[str, ...] = (Status.ACCESS.value, Status.BARRIER.value)

#: Statuses that appear in the measurements export: results and instrument failures.
#: ``running`` and ``aborted`` rows are lifecycle states, never exported (docs/outcomes.md).
EXPORTED_STATUSES: tuple[str, ...] = (*CONCLUSIVE_STATUSES, Status.FAILURE.value)

#: The outcome label of the store barrier: the store does not offer the app in the
#: country. With sideloading (the default) it is recorded in ``store_result`` and the
#: verdict is the sign-up's; with ``--no-sideload`` it is the attempt's verdict.
STORE_BARRIER_LABEL = f"barrier:{Barrier.STORE_UNAVAILABLE.value}"

#: ``store_result`` codes that answer whether the store offers the app: an absence (a
#: store barrier) or availability. ``not_checked`` and ``check_failed`` answer nothing.
STORE_ABSENT_RESULTS: tuple[str, ...] = tuple(r.value for r in StoreResult if r.absent)
STORE_CONCLUSIVE_RESULTS: tuple[str, ...] = (StoreResult.AVAILABLE.value,
                                             *STORE_ABSENT_RESULTS)

#: Where an instance's barriers are, store and sign-up apart (``barrier_matrix``
#: ``barrier_case``; ``summary``; the report). The *store side* of an instance is the
#: newest conclusive ``store_result`` among its attempts; the *sign-up side* is its
#: newest conclusive attempt that is not itself a store barrier (``--no-sideload`` rows
#: that ended at the store measure no sign-up).
BARRIER_CASES: dict[str, str] = {
    "store_and_signup": "the store does not offer the app, and sign-up (on a device that "
                        "has it) stops at a barrier too",
    "store_only": "the store does not offer the app; sign-up gets through",
    "signup_only": "the store offers the app; sign-up stops at a barrier",
    "neither": "the store offers the app and sign-up gets through",
    "incomplete": "the store side or the sign-up side has no conclusive observation "
                  "(store not checked or check failed; sign-up not measured or failed)",
}

#: What an older reclassification row without ``failure`` / ``access_level`` (written
#: before schema 0004) means. A changed verdict of status failure is the one
#: ``harness reclassify`` concludes when a barrier's rule no longer recognises any saved
#: screen: ``ui_unrecognized``. An unchanged verdict keeps the measured code and level.
RECLASSIFIED_FAILURE = Failure.UI_UNRECOGNIZED.value

#: Countries whose instances are left out of the rates (by region, by app, funnel, summary):
#: the study is about users *abroad*; in mainland China real-name registration is the law.
#: Their measurements still appear in the measurements export and the barrier matrix.
DOMESTIC_COUNTRIES: tuple[str, ...] = ("CN",)

#: The two-sided 95% normal quantile used by every Wilson interval.
Z_95 = 1.959964

#: How the 95% interval of a share is computed (the ``*_ci_method`` / ``ci_method``
#: columns; ``harness.analysis.intervals``). Instances of the same app go together across
#: countries, so a share over several apps' instances is clustered by app.
INTERVAL_METHODS: dict[str, str] = {
    "cluster_logit": "share over instances of several apps: intercept-only binomial GLM "
                     "(logit), cluster-robust (CRV1) standard errors clustered by app, t "
                     "with apps - 1 degrees of freedom, back-transformed from log odds",
    "wilson_clusters": "share of 0 or 1 over instances of several apps: Wilson score "
                       "interval with the apps as the sample (0 or all of them)",
    "wilson": "share over one app's instances, or over apps (one unit each): Wilson "
              "score interval",
}

#: Outcome label of an instance that was tried but has no conclusive attempt (only
#: failures or aborted attempts): shown in the matrix, never counted in a rate.
NO_RESULT = "no_result"

#: Study regions in the order tables and charts list them, with their display names.
REGION_LABELS: dict[str, str] = {
    Region.ASIA_PACIFIC.value: "Asia-Pacific",
    Region.EUROPE.value: "Europe (incl. extended Europe)",
    Region.MENA.value: "Middle East and North Africa",
    Region.NORTH_AMERICA.value: "North America",
    Region.LATIN_AMERICA.value: "Latin America",
    Region.SUB_SAHARAN_AFRICA.value: "Sub-Saharan Africa",
    Region.CENTRAL_ASIA.value: "Central Asia",
}
#: Region names that fit above a band of countries of a chart or a matrix table: over
#: three or more columns, and over one or two.
REGION_SHORT: dict[str, tuple[str, str]] = {
    Region.ASIA_PACIFIC.value: ("Asia-Pacific", "APAC"),
    Region.EUROPE.value: ("Europe (extended)", "Europe"),
    Region.MENA.value: ("Middle East & N. Africa", "MENA"),
    Region.NORTH_AMERICA.value: ("North America", "N. Am."),
    Region.LATIN_AMERICA.value: ("Latin America", "Lat. Am."),
    Region.SUB_SAHARAN_AFRICA.value: ("Sub-Saharan Africa", "SSA"),
    Region.CENTRAL_ASIA.value: ("Central Asia", "C. Asia"),
}


def outcome_labels() -> list[str]:
    """Every outcome label an instance can have, in display order (access first)."""
    return ([f"access:{AccessLevel.FULL.value}", f"access:{AccessLevel.LIMITED.value}"]
            + [f"barrier:{b.value}" for b in Barrier] + [NO_RESULT])


@dataclass(frozen=True)
class Confirmation:
    """When an instance's latest outcome counts as *confirmed*.

    The latest conclusive outcome of an (app, country) is confirmed when at least
    ``min_attempts`` consecutive conclusive attempts, ending with the latest one, agree
    on it and the first and last of them started at least ``min_hours`` apart (the
    GoogleCensorship rule of DESIGN.md §3: 3 consistent tests over 6 hours). Failures
    and aborted attempts between them neither break nor extend the streak.
    """

    min_attempts: int = 3
    min_hours: float = 6.0

    def __post_init__(self) -> None:
        if self.min_attempts < 1:
            raise ValueError("min_attempts must be at least 1")
        if self.min_hours < 0:
            raise ValueError("min_hours must not be negative")


#: Export file formats, in the order they are written.
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet", "xlsx")

#: The exported tables (``harness.analysis.schemas.SCHEMAS`` defines their columns).
TABLE_NAMES: tuple[str, ...] = ("measurements", "barrier_matrix", "barrier_matrix_wide",
                                "by_region", "by_app", "funnel", "summary", "changes",
                                "regional_contrasts", "app_regions")
