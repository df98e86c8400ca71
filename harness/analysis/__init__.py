"""What the measurements say: analyst tables, regional rates, exports, charts and reports.

``harness export``, ``harness report`` and ``harness publish`` are thin commands over
this package; notebooks use the same tables through :class:`Analysis` (or
``open_results``). Every definition (RNR barriers, confirmation, regions, the domestic
exclusion, the interval methods) lives in ``harness.analysis.definitions`` and is
explained in docs/analysis.md; every column in docs/data-dictionary.md. Names are
imported on first use, so commands that never export do not load pandas and matplotlib.
The report site (``harness report --out DIR/``) is the subpackage
``harness.analysis.site``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.analysis.api import (
        open_results,
    )
    from harness.analysis.definitions import (
        BARRIER_CASES,
        CONCLUSIVE_STATUSES,
        DOMESTIC_COUNTRIES,
        FORMATS,
        INTERVAL_METHODS,
        NO_RESULT,
        REGION_LABELS,
        RNR_BARRIERS,
        TABLE_NAMES,
        Z_95,
        Confirmation,
    )
    from harness.analysis.envelopes import (
        ENVELOPE_SCHEMA_VERSION,
        envelopes_frame,
        read_envelopes,
    )
    from harness.analysis.filters import (
        Filters,
        load_region_overrides,
        parse_filters,
        parse_since,
    )
    from harness.analysis.fonts import (
        CJK_FAMILY,
        LATIN_FAMILY,
        cjk_font_path,
        font_families,
        use_cjk_font,
    )
    from harness.analysis.formats import (
        MANIFEST_FILE,
        XLSX_FILE,
        ExportResult,
        parse_formats,
        parse_tables,
        read_table,
        write_export,
    )
    from harness.analysis.frames import (
        ARROW_TYPES,
        arrow_schema,
        arrow_to_pandas,
        column_to_arrow,
        measurement_batch,
        pandas_to_arrow,
        scrub_arrow,
        scrub_columns,
        typed_frame,
    )
    from harness.analysis.headline import (
        summary_frame,
    )
    from harness.analysis.instances import (
        abroad_totals_select,
        barrier_cases_select,
        by_app_select,
        by_region_select,
        funnel_select,
        instances_select,
    )
    from harness.analysis.intervals import (
        ShareInterval,
        cluster_share,
    )
    from harness.analysis.publish import (
        PublishOptions,
        write_package,
    )
    from harness.analysis.regional import (
        ExcludedRegion,
        RegionalModel,
        RegionContrast,
        RegionEffect,
        app_region_profiles,
        app_region_tests,
        fit_regional_model,
        regional_contrasts,
        regional_contrasts_table,
        regional_instances,
    )
    from harness.analysis.report import (
        render_report,
        write_report,
    )
    from harness.analysis.run_report import (
        write_run_report,
    )
    from harness.analysis.schemas import (
        APP_REGIONS_COLUMNS,
        BY_APP_COLUMNS,
        BY_REGION_COLUMNS,
        CHANGES_COLUMNS,
        FUNNEL_COLUMNS,
        MATRIX_COLUMNS,
        MATRIX_WIDE_COLUMNS,
        MEASUREMENT_COLUMNS,
        REGIONAL_CONTRASTS_COLUMNS,
        SCHEMAS,
        SCRUBBED_COLUMNS,
        SUMMARY_COLUMNS,
        Kind,
    )
    from harness.analysis.stats import (
        wilson,
        wilson_columns,
    )
    from harness.analysis.tables import (
        Analysis,
        barrier_matrix,
        by_app,
        by_region,
        changes_since_previous_run,
        funnel,
        measurements,
        summary,
    )
    from harness.analysis.terminal_table import (
        Cell,
        render_text,
    )
    from harness.analysis.worldmap import (
        NOT_TESTED_COLOR,
        SCALE_COLORS,
        country_rates,
        share_color,
        world_map_svg,
    )

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "api": ("open_results",),
    "definitions": (
        "BARRIER_CASES",
        "CONCLUSIVE_STATUSES",
        "DOMESTIC_COUNTRIES",
        "FORMATS",
        "INTERVAL_METHODS",
        "NO_RESULT",
        "REGION_LABELS",
        "RNR_BARRIERS",
        "TABLE_NAMES",
        "Z_95",
        "Confirmation",
    ),
    "filters": ("Filters", "load_region_overrides", "parse_filters", "parse_since"),
    "fonts": ("CJK_FAMILY", "LATIN_FAMILY", "cjk_font_path", "font_families", "use_cjk_font"),
    "formats": (
        "MANIFEST_FILE",
        "XLSX_FILE",
        "ExportResult",
        "parse_formats",
        "parse_tables",
        "read_table",
        "write_export",
    ),
    "frames": (
        "ARROW_TYPES",
        "arrow_schema",
        "arrow_to_pandas",
        "column_to_arrow",
        "measurement_batch",
        "pandas_to_arrow",
        "scrub_arrow",
        "scrub_columns",
        "typed_frame",
    ),
    "headline": ("summary_frame",),
    "instances": (
        "abroad_totals_select",
        "barrier_cases_select",
        "by_app_select",
        "by_region_select",
        "funnel_select",
        "instances_select",
    ),
    "intervals": ("ShareInterval", "cluster_share"),
    "publish": ("PublishOptions", "write_package"),
    "envelopes": ("ENVELOPE_SCHEMA_VERSION", "envelopes_frame", "read_envelopes"),
    "regional": (
        "ExcludedRegion",
        "RegionContrast",
        "RegionEffect",
        "RegionalModel",
        "app_region_profiles",
        "app_region_tests",
        "fit_regional_model",
        "regional_contrasts",
        "regional_contrasts_table",
        "regional_instances",
    ),
    "report": ("render_report", "write_report"),
    "run_report": ("write_run_report",),
    "schemas": (
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
    ),
    "stats": ("wilson", "wilson_columns"),
    "tables": (
        "Analysis",
        "barrier_matrix",
        "by_app",
        "by_region",
        "changes_since_previous_run",
        "funnel",
        "measurements",
        "summary",
    ),
    "terminal_table": ("Cell", "render_text"),
    "worldmap": ("NOT_TESTED_COLOR", "SCALE_COLORS", "country_rates", "share_color",
                 "world_map_svg"),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "APP_REGIONS_COLUMNS",
    "ARROW_TYPES",
    "BARRIER_CASES",
    "BY_APP_COLUMNS",
    "BY_REGION_COLUMNS",
    "CHANGES_COLUMNS",
    "CJK_FAMILY",
    "CONCLUSIVE_STATUSES",
    "DOMESTIC_COUNTRIES",
    "ENVELOPE_SCHEMA_VERSION",
    "FORMATS",
    "FUNNEL_COLUMNS",
    "INTERVAL_METHODS",
    "LATIN_FAMILY",
    "MANIFEST_FILE",
    "MATRIX_COLUMNS",
    "MATRIX_WIDE_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "NOT_TESTED_COLOR",
    "NO_RESULT",
    "REGIONAL_CONTRASTS_COLUMNS",
    "REGION_LABELS",
    "RNR_BARRIERS",
    "SCALE_COLORS",
    "SCHEMAS",
    "SCRUBBED_COLUMNS",
    "SUMMARY_COLUMNS",
    "TABLE_NAMES",
    "XLSX_FILE",
    "Z_95",
    "Analysis",
    "Cell",
    "Confirmation",
    "ExcludedRegion",
    "ExportResult",
    "Filters",
    "Kind",
    "PublishOptions",
    "RegionContrast",
    "RegionEffect",
    "RegionalModel",
    "ShareInterval",
    "abroad_totals_select",
    "app_region_profiles",
    "app_region_tests",
    "arrow_schema",
    "arrow_to_pandas",
    "barrier_cases_select",
    "barrier_matrix",
    "by_app",
    "by_app_select",
    "by_region",
    "by_region_select",
    "changes_since_previous_run",
    "cjk_font_path",
    "cluster_share",
    "column_to_arrow",
    "country_rates",
    "envelopes_frame",
    "fit_regional_model",
    "font_families",
    "funnel",
    "funnel_select",
    "instances_select",
    "load_region_overrides",
    "measurement_batch",
    "measurements",
    "open_results",
    "pandas_to_arrow",
    "parse_filters",
    "parse_formats",
    "parse_since",
    "parse_tables",
    "read_envelopes",
    "read_table",
    "regional_contrasts",
    "regional_contrasts_table",
    "regional_instances",
    "render_report",
    "render_text",
    "scrub_arrow",
    "scrub_columns",
    "share_color",
    "summary",
    "summary_frame",
    "typed_frame",
    "use_cjk_font",
    "wilson",
    "wilson_columns",
    "world_map_svg",
    "write_export",
    "write_package",
    "write_report",
    "write_run_report",
]
