"""The exported tables' columns: every table's name, columns and column kinds.

The kinds map to nullable pandas dtypes and Arrow types in ``harness.analysis.frames``;
every column is documented in docs/data-dictionary.md.
"""

from __future__ import annotations

from typing import Literal

from harness.analysis.definitions import RNR_BARRIERS, TABLE_NAMES

Kind = Literal["str", "int", "float", "bool", "datetime", "json"]

#: Columns whose free text could quote a phone number or an IP address from a screen or an
#: error message: scrubbed again on the way out (``harness.support.secrets.scrub``).
SCRUBBED_COLUMNS: tuple[str, ...] = (
    "matched_text", "failure_detail", "device_id", "phone_masked", "egress_ip_masked",
    "device_sim_operator", "features", "latest_rule_id", "store_detail", "gps_detail")

MEASUREMENT_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("measurement_id", "str"), ("run_id", "str"), ("data_format_version", "str"),
    ("harness_version", "str"), ("scenario_id", "str"), ("scenario_version", "int"),
    ("scenario_verified", "bool"),
    ("app_id", "str"), ("app_name", "str"), ("country", "str"), ("region", "str"),
    ("profile_id", "str"), ("device_id", "str"), ("backend", "str"),
    ("started_at", "datetime"), ("ended_at", "datetime"), ("duration_s", "float"),
    ("status", "str"), ("outcome", "str"), ("stage", "str"), ("barrier", "str"),
    ("rnr_barrier", "bool"), ("failure", "str"), ("failure_detail", "str"),
    ("access_level", "str"), ("rule_id", "str"), ("rules_version", "str"),
    ("matched_text", "str"), ("reclassified", "bool"), ("reclassified_at", "datetime"),
    ("measured_status", "str"), ("measured_outcome", "str"), ("measured_barrier", "str"),
    ("measured_rule_id", "str"), ("measured_rules_version", "str"),
    ("store_result", "str"), ("store_rule_id", "str"), ("store_detail", "str"),
    ("features", "json"), ("steps_done", "int"),
    ("phone_masked", "str"), ("phone_source", "str"), ("phone_country", "str"),
    ("egress_ip_masked", "str"), ("egress_asn", "str"), ("ip_country", "str"),
    ("geoip_country", "str"), ("ip_sources_agree", "bool"), ("sim_country", "str"),
    ("network_country", "str"), ("device_sim_operator", "str"), ("device_locale", "str"),
    ("device_timezone", "str"), ("gps_country", "str"), ("ip_country_match", "bool"),
    ("sim_country_match", "bool"), ("locale_match", "bool"), ("timezone_match", "bool"),
    ("gps_country_match", "bool"), ("location_set", "bool"), ("gps_detail", "str"),
    ("device_egress_country", "str"), ("device_egress_match", "bool"),
    ("vantage_source", "str"), ("vantage_checked_at", "datetime"),
)

MATRIX_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("app", "str"), ("app_name", "str"), ("country", "str"), ("country_name", "str"),
    ("region", "str"), ("outcome", "str"), ("status", "str"), ("barrier", "str"),
    ("rnr", "bool"), ("confirmed", "bool"), ("confirmation", "str"),
    ("agreeing_attempts", "int"), ("first_agreeing_at", "datetime"),
    ("latest_at", "datetime"), ("span_hours", "float"), ("conclusive_attempts", "int"),
    ("access_attempts", "int"), ("barrier_attempts", "int"), ("failure_attempts", "int"),
    ("aborted_attempts", "int"), ("distinct_outcomes", "int"),
    ("latest_measurement_id", "str"), ("latest_run_id", "str"), ("latest_stage", "str"),
    ("latest_rule_id", "str"), ("latest_rules_version", "str"),
    ("latest_reclassified", "bool"), ("store_result", "str"), ("store_rule_id", "str"),
    ("signup_outcome", "str"), ("store_barrier", "bool"), ("signup_barrier", "bool"),
    ("barrier_case", "str"),
)

#: The wide matrix has ``app``, ``app_name``, then one column per country code (``DE``).
MATRIX_WIDE_COLUMNS: tuple[tuple[str, Kind], ...] = (("app", "str"), ("app_name", "str"))

BY_REGION_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("region", "str"), ("region_name", "str"), ("apps", "int"), ("countries", "int"),
    ("instances", "int"), ("no_result_instances", "int"), ("barrier_instances", "int"),
    ("barrier_share", "float"), ("barrier_ci_low", "float"), ("barrier_ci_high", "float"),
    ("barrier_ci_method", "str"),
    ("rnr_instances", "int"), ("rnr_share", "float"), ("rnr_ci_low", "float"),
    ("rnr_ci_high", "float"), ("rnr_ci_method", "str"), ("ci_clusters", "int"),
    ("confirmed_instances", "int"), ("confirmed_barrier_instances", "int"),
)

BY_APP_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("app", "str"), ("app_name", "str"), ("countries_tested", "int"),
    ("no_result_countries", "int"), ("barrier_countries", "int"), ("barrier_share", "float"),
    ("barrier_ci_low", "float"), ("barrier_ci_high", "float"), ("rnr_countries", "int"),
    ("rnr_share", "float"), ("enforces_identifiability", "bool"),
    ("confirmed_rnr_countries", "int"), ("enforces_identifiability_confirmed", "bool"),
    ("rnr_barriers", "str"),
    *((f"{code}_countries", "int") for code in RNR_BARRIERS),
    ("confirmed_countries", "int"),
)

FUNNEL_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("stage", "str"), ("stage_order", "int"), ("reached", "int"), ("reached_share", "float"),
    ("stopped_by_barrier", "int"), ("ended_with_access", "int"), ("continued", "int"),
)

SUMMARY_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("metric", "str"), ("value", "float"), ("numerator", "int"), ("denominator", "int"),
    ("ci_low", "float"), ("ci_high", "float"), ("ci_method", "str"), ("ci_clusters", "int"),
    ("description", "str"),
)

CHANGES_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("app", "str"), ("app_name", "str"), ("country", "str"), ("region", "str"),
    ("change", "str"), ("previous_outcome", "str"), ("current_outcome", "str"),
    ("previous_started_at", "datetime"), ("current_started_at", "datetime"),
    ("previous_run_id", "str"), ("current_run_id", "str"),
    ("previous_measurement_id", "str"), ("current_measurement_id", "str"),
)

REGIONAL_CONTRASTS_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("outcome", "str"), ("region_a", "str"), ("region_b", "str"),
    ("region_a_instances", "int"), ("region_b_instances", "int"),
    ("log_odds_ratio", "float"), ("std_error", "float"), ("odds_ratio", "float"),
    ("ci_low", "float"), ("ci_high", "float"), ("p_value", "float"), ("p_holm", "float"),
    ("differs", "bool"), ("reference", "str"), ("model_apps", "int"),
    ("model_countries", "int"), ("model_instances", "int"), ("clusters", "int"),
    ("dropped_apps", "int"), ("note", "str"),
)

APP_REGIONS_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("app", "str"), ("app_name", "str"), ("region", "str"), ("region_name", "str"),
    ("countries", "int"), ("instances", "int"), ("barrier_instances", "int"),
    ("barrier_share", "float"), ("barrier_ci_low", "float"), ("barrier_ci_high", "float"),
    ("barrier_differs_from", "str"), ("rnr_instances", "int"), ("rnr_share", "float"),
    ("rnr_ci_low", "float"), ("rnr_ci_high", "float"), ("rnr_differs_from", "str"),
)

#: Every exported table and its columns, in export order.
SCHEMAS: dict[str, tuple[tuple[str, Kind], ...]] = {
    "measurements": MEASUREMENT_COLUMNS,
    "barrier_matrix": MATRIX_COLUMNS,
    "barrier_matrix_wide": MATRIX_WIDE_COLUMNS,
    "by_region": BY_REGION_COLUMNS,
    "by_app": BY_APP_COLUMNS,
    "funnel": FUNNEL_COLUMNS,
    "summary": SUMMARY_COLUMNS,
    "changes": CHANGES_COLUMNS,
    "regional_contrasts": REGIONAL_CONTRASTS_COLUMNS,
    "app_regions": APP_REGIONS_COLUMNS,
}

if tuple(SCHEMAS) != TABLE_NAMES:  # pragma: no cover - a developer's mistake
    raise RuntimeError("harness.analysis.definitions.TABLE_NAMES is out of date with SCHEMAS")


__all__ = [
    "APP_REGIONS_COLUMNS",
    "BY_APP_COLUMNS",
    "BY_REGION_COLUMNS",
    "CHANGES_COLUMNS",
    "FUNNEL_COLUMNS",
    "MATRIX_COLUMNS",
    "MATRIX_WIDE_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "REGIONAL_CONTRASTS_COLUMNS",
    "SCHEMAS",
    "SCRUBBED_COLUMNS",
    "SUMMARY_COLUMNS",
    "Kind",
]
