"""Analyst exports and reports: barrier tables, regional rates, charts, HTML.

``harness export`` and ``harness report`` are thin commands over this package; notebooks
use the same tables through :class:`Analysis` (or ``harness.api.open_results``). Every
definition (RNR barriers, confirmation, regions, the domestic exclusion, Wilson intervals)
lives in ``harness.export.definitions`` and is explained in docs/analysis.md; every
column in docs/data-dictionary.md.
"""

from harness.export.definitions import (
    CONCLUSIVE_STATUSES,
    DOMESTIC_COUNTRIES,
    NO_RESULT,
    REGION_LABELS,
    RNR_BARRIERS,
    Z_95,
    Confirmation,
)
from harness.export.filters import (
    Filters,
    load_region_overrides,
    parse_filters,
    parse_since,
)
from harness.export.formats import FORMATS, ExportResult, read_table, write_export
from harness.export.report import render_report, write_report
from harness.export.stats import wilson, wilson_columns
from harness.export.tables import (
    SCHEMAS,
    TABLE_NAMES,
    Analysis,
    barrier_matrix,
    by_app,
    by_region,
    changes_since_previous_run,
    funnel,
    measurements,
    summary,
)

__all__ = [
    "CONCLUSIVE_STATUSES",
    "DOMESTIC_COUNTRIES",
    "FORMATS",
    "NO_RESULT",
    "REGION_LABELS",
    "RNR_BARRIERS",
    "SCHEMAS",
    "TABLE_NAMES",
    "Z_95",
    "Analysis",
    "Confirmation",
    "ExportResult",
    "Filters",
    "barrier_matrix",
    "by_app",
    "by_region",
    "changes_since_previous_run",
    "funnel",
    "load_region_overrides",
    "measurements",
    "parse_filters",
    "parse_since",
    "read_table",
    "render_report",
    "summary",
    "wilson",
    "wilson_columns",
    "write_export",
    "write_report",
]
