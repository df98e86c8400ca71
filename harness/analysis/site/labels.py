"""Human labels for every column, outcome, stage and store result the site shows.

One source: every table of the report site takes its headings from :data:`COLUMN_LABELS`
(a test checks that each column of every exported table in
``harness.analysis.schemas.SCHEMAS`` has one), and every outcome code is written out by
:func:`outcome_label` from the outcome vocabulary's own documented enums, so a page never
shows ``barrier_ci_low`` or ``enforces_identifiability`` to a reader.
"""

from __future__ import annotations

from harness.analysis.definitions import NO_RESULT
from harness.stores.model import StoreResult
from harness.vocabulary.outcomes import AccessLevel, Barrier, Failure, Stage, Status

#: Column name -> the heading a reader sees. Shares are percentages on the pages.
COLUMN_LABELS: dict[str, str] = {
    # identity of an attempt
    "measurement_id": "Measurement", "run_id": "Run", "data_format_version": "Data format",
    "harness_version": "Harness version", "scenario_id": "Scenario",
    "scenario_version": "Scenario version", "scenario_verified": "Scenario verified",
    "app_id": "App package", "app_name": "App", "app": "App (scenario id)",
    "country": "Country", "country_name": "Country name", "region": "Region",
    "region_name": "Region", "profile_id": "Device profile", "device_id": "Device",
    "backend": "Backend", "node": "Grid node",
    # when
    "started_at": "Started", "ended_at": "Ended", "duration_s": "Duration (s)",
    "latest_at": "Latest attempt", "first_agreeing_at": "First agreeing attempt",
    "span_hours": "Hours spanned by agreeing attempts",
    # verdict
    "status": "Status", "outcome": "Outcome", "stage": "Stage reached",
    "barrier": "Barrier", "rnr_barrier": "RNR barrier", "rnr": "RNR barrier",
    "failure": "Instrument failure", "failure_detail": "Failure detail",
    "access_level": "Access level", "rule_id": "Rule", "rules_version": "Rules version",
    "matched_text": "Text the rule matched", "features": "Features tried",
    "steps_done": "Steps done",
    # reclassification
    "reclassified": "Reclassified", "reclassified_at": "Reclassified at",
    "measured_status": "Status as measured", "measured_outcome": "Outcome as measured",
    "measured_barrier": "Barrier as measured", "measured_rule_id": "Rule as measured",
    "measured_rules_version": "Rules version as measured",
    # store
    "store_result": "App store", "store_rule_id": "Store rule",
    "store_detail": "Store detail", "store_barrier": "Store barrier",
    "signup_outcome": "Sign-up outcome", "signup_barrier": "Sign-up barrier",
    "barrier_case": "Store / sign-up case",
    # vantage
    "phone_masked": "Phone number (masked)", "phone_source": "Phone number source",
    "phone_country": "Phone number country", "egress_ip_masked": "Egress IP (masked)",
    "egress_asn": "Egress network (ASN)", "ip_country": "IP country",
    "geoip_country": "IP country (offline GeoIP)", "ip_sources_agree": "IP sources agree",
    "sim_country": "SIM country", "network_country": "Mobile network country",
    "device_sim_operator": "SIM operator", "device_locale": "Device locale",
    "device_timezone": "Device time zone", "gps_country": "GPS country",
    "ip_country_match": "IP matches", "sim_country_match": "SIM matches",
    "locale_match": "Locale matches", "timezone_match": "Time zone matches",
    "gps_country_match": "GPS matches", "location_set": "GPS location set",
    "gps_detail": "GPS detail", "device_egress_country": "Device egress country",
    "device_egress_match": "Device egress matches", "vantage_source": "Vantage checked by",
    "vantage_checked_at": "Vantage checked at",
    # the matrix: support of an instance's outcome
    "confirmed": "Confirmed", "confirmation": "Confirmation",
    "agreeing_attempts": "Agreeing attempts", "conclusive_attempts": "Conclusive attempts",
    "access_attempts": "Access attempts", "barrier_attempts": "Barrier attempts",
    "failure_attempts": "Failed attempts", "aborted_attempts": "Aborted attempts",
    "distinct_outcomes": "Distinct outcomes",
    "latest_measurement_id": "Latest measurement", "latest_run_id": "Latest run",
    "latest_stage": "Stage reached", "latest_rule_id": "Rule that fired",
    "latest_rules_version": "Rules version", "latest_reclassified": "Reclassified",
    # rates
    "apps": "Apps", "countries": "Countries", "instances": "Instances",
    "no_result_instances": "Instances without a result",
    "barrier_instances": "Instances with a barrier", "barrier_share": "Barrier share",
    "barrier_ci_low": "Barrier share, 95% low", "barrier_ci_high": "Barrier share, 95% high",
    "rnr_instances": "Instances with an RNR barrier", "rnr_share": "RNR share",
    "rnr_ci_low": "RNR share, 95% low", "rnr_ci_high": "RNR share, 95% high",
    "barrier_ci_method": "Barrier interval method", "rnr_ci_method": "RNR interval method",
    "ci_method": "Interval method", "ci_clusters": "Apps (clusters) in the interval",
    "confirmed_instances": "Confirmed instances",
    "confirmed_barrier_instances": "Confirmed barrier instances",
    "countries_tested": "Countries tested", "no_result_countries": "Countries without a result",
    "barrier_countries": "Countries with a barrier",
    "rnr_countries": "Countries with an RNR barrier",
    "enforces_identifiability": "Enforces real-name registration abroad",
    "confirmed_rnr_countries": "Countries with a confirmed RNR barrier",
    "enforces_identifiability_confirmed": "Enforces it (confirmed)",
    "rnr_barriers": "RNR barriers seen", "confirmed_countries": "Countries confirmed",
    "mainland_phone_required_countries": "Countries: +86 number required",
    "id_verification_required_countries": "Countries: ID required",
    "face_verification_required_countries": "Countries: face scan required",
    "friend_verification_required_countries": "Countries: friend must vouch",
    "feature_restricted_countries": "Countries: features gated",
    # funnel
    "stage_order": "Stage order", "reached": "Reached", "reached_share": "Share reaching",
    "stopped_by_barrier": "Stopped by a barrier", "ended_with_access": "Ended with access",
    "continued": "Went on",
    # summary
    "metric": "Figure", "value": "Value", "numerator": "Count", "denominator": "Out of",
    "ci_low": "95% low", "ci_high": "95% high", "description": "Meaning",
    # changes
    "change": "Change", "previous_outcome": "Before", "current_outcome": "Now",
    "previous_started_at": "Before: measured", "current_started_at": "Now: measured",
    "previous_run_id": "Before: run", "current_run_id": "Now: run",
    "previous_measurement_id": "Before: measurement",
    "current_measurement_id": "Now: measurement",
    # regional contrasts and profiles
    "region_a": "Region A", "region_b": "Region B",
    "region_a_instances": "Instances in A", "region_b_instances": "Instances in B",
    "log_odds_ratio": "Log odds ratio", "std_error": "Standard error",
    "odds_ratio": "Odds ratio A / B", "p_value": "P-value", "p_holm": "P-value (Holm)",
    "differs": "Differs", "reference": "Reference region", "model_apps": "Apps modelled",
    "model_countries": "Countries modelled", "model_instances": "Instances modelled",
    "clusters": "Country clusters", "dropped_apps": "Apps dropped", "note": "Note",
    "barrier_differs_from": "Barrier share differs from",
    "rnr_differs_from": "RNR share differs from",
}

#: Short cell codes of the matrix, one per outcome label (what a cell shows).
OUTCOME_CODES: dict[str, str] = {
    f"access:{AccessLevel.FULL.value}": "OK",
    f"access:{AccessLevel.LIMITED.value}": "LTD",
    f"barrier:{Barrier.STORE_UNAVAILABLE.value}": "STORE",
    f"barrier:{Barrier.REGION_BLOCKED.value}": "GEO",
    f"barrier:{Barrier.PHONE_COUNTRY_UNSUPPORTED.value}": "CC",
    f"barrier:{Barrier.PHONE_NUMBER_REJECTED.value}": "NUM",
    f"barrier:{Barrier.SMS_NOT_DELIVERED.value}": "SMS",
    f"barrier:{Barrier.MAINLAND_PHONE_REQUIRED.value}": "+86",
    f"barrier:{Barrier.ID_VERIFICATION_REQUIRED.value}": "ID",
    f"barrier:{Barrier.FACE_VERIFICATION_REQUIRED.value}": "FACE",
    f"barrier:{Barrier.FRIEND_VERIFICATION_REQUIRED.value}": "FRND",
    f"barrier:{Barrier.RISK_CONTROL_BLOCK.value}": "RISK",
    f"barrier:{Barrier.FEATURE_RESTRICTED.value}": "FEAT",
    NO_RESULT: "n/a",
}

_BARRIER_NAMES: dict[str, str] = {
    Barrier.STORE_UNAVAILABLE.value: "Not in the app store",
    Barrier.REGION_BLOCKED.value: "Blocked in the region",
    Barrier.PHONE_COUNTRY_UNSUPPORTED.value: "Country's phone numbers not accepted",
    Barrier.PHONE_NUMBER_REJECTED.value: "Phone number rejected",
    Barrier.SMS_NOT_DELIVERED.value: "SMS code never arrived",
    Barrier.MAINLAND_PHONE_REQUIRED.value: "Mainland China (+86) number required",
    Barrier.ID_VERIFICATION_REQUIRED.value: "Identity document required",
    Barrier.FACE_VERIFICATION_REQUIRED.value: "Face scan required",
    Barrier.FRIEND_VERIFICATION_REQUIRED.value: "An existing user must vouch",
    Barrier.RISK_CONTROL_BLOCK.value: "Refused by risk control",
    Barrier.FEATURE_RESTRICTED.value: "Account made, posting gated on real name",
}
_ACCESS_NAMES: dict[str, str] = {
    AccessLevel.FULL.value: "Full access",
    AccessLevel.LIMITED.value: "Limited access",
    AccessLevel.NONE.value: "No access",
}

#: ``confirmation`` codes of the matrix -> what they mean on a page.
CONFIRMATION_LABELS: dict[str, str] = {
    "confirmed": "confirmed",
    "unconfirmed": "not yet confirmed",
    NO_RESULT: "no result",
}

#: ``store_result`` codes -> a short phrase.
STORE_RESULT_LABELS: dict[str, str] = {
    StoreResult.AVAILABLE.value: "offered",
    StoreResult.ABSENT_IN_COUNTRY.value: "not offered here (offered elsewhere)",
    StoreResult.ABSENT_EVERYWHERE.value: "not offered anywhere",
    StoreResult.ABSENT_SCOPE_UNKNOWN.value: "not offered here",
    StoreResult.NOT_CHECKED.value: "not checked",
    StoreResult.CHECK_FAILED.value: "check failed",
}

#: ``barrier_case`` codes -> a short phrase.
BARRIER_CASE_LABELS: dict[str, str] = {
    "store_and_signup": "store and sign-up barrier",
    "store_only": "store barrier only",
    "signup_only": "sign-up barrier only",
    "neither": "no barrier",
    "incomplete": "not fully observed",
}


def column_label(name: str) -> str:
    """The heading of column ``name``; an unknown column reads as words (never raw)."""
    return COLUMN_LABELS.get(name) or name.replace("_", " ").capitalize()


def outcome_label(outcome: object) -> str:
    """``barrier:id_verification_required`` -> "Identity document required"."""
    text = "" if outcome is None else str(outcome)
    if text == NO_RESULT:
        return "No result (only failed attempts)"
    status, _, code = text.partition(":")
    if status == Status.BARRIER.value:
        return _BARRIER_NAMES.get(code, code.replace("_", " ").capitalize())
    if status == Status.ACCESS.value:
        return _ACCESS_NAMES.get(code, "Access")
    if status == Status.FAILURE.value:
        return failure_label(code)
    return text.replace("_", " ").capitalize() if text else "–"


def outcome_code(outcome: object) -> str:
    """The matrix's short code of an outcome label (``ID``, ``OK``, ``+86``)."""
    text = "" if outcome is None else str(outcome)
    return OUTCOME_CODES.get(text, text.split(":")[-1][:5].upper() or "–")


def outcome_doc(outcome: object) -> str:
    """The vocabulary's own one-sentence definition of an outcome label."""
    status, _, code = str(outcome).partition(":")
    if status == Status.BARRIER.value and code in Barrier.__members__.values():
        return Barrier(code).doc
    if status == Status.ACCESS.value and code in AccessLevel.__members__.values():
        return AccessLevel(code).doc
    if str(outcome) == NO_RESULT:
        return "Every attempt of the instance failed or was aborted: nothing is concluded."
    return ""


def failure_label(code: object) -> str:
    """An instrument failure code in words, its scrubbed detail after ``unknown_failure``."""
    text = str(code or "")
    if text in Failure.__members__.values():
        return Failure(text).value.replace("_", " ").capitalize()
    return text.replace("_", " ").capitalize()


def stage_label(stage: object) -> str:
    """A funnel stage in words (``otp`` -> "SMS code")."""
    names = {Stage.VANTAGE.value: "Vantage check", Stage.STORE.value: "App store",
             Stage.INSTALL.value: "Install", Stage.LAUNCH.value: "Launch",
             Stage.SIGNUP.value: "Sign-up screens", Stage.PHONE.value: "Phone number",
             Stage.OTP.value: "SMS code", Stage.VERIFICATION.value: "Extra verification",
             Stage.ACCOUNT.value: "Account created", Stage.FEATURES.value: "Using features"}
    if not isinstance(stage, str) or not stage:
        return "–"  # no stage recorded (None, or pandas' NaN for an empty cell)
    return names.get(stage, stage)


__all__ = [
    "BARRIER_CASE_LABELS",
    "COLUMN_LABELS",
    "CONFIRMATION_LABELS",
    "OUTCOME_CODES",
    "STORE_RESULT_LABELS",
    "column_label",
    "failure_label",
    "outcome_code",
    "outcome_doc",
    "outcome_label",
    "stage_label",
]
