"""Analyst exports and reports: barrier tables, regional rates, charts, HTML.

``harness export`` and ``harness report`` are thin commands over this package; notebooks
use the same tables through :class:`Analysis` (or ``harness.api.open_results``). Every
definition (RNR barriers, confirmation, regions, the domestic exclusion, Wilson intervals)
lives in ``harness.export.definitions`` and is explained in docs/analysis.md; every
column in docs/data-dictionary.md.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Where each public name lives; imported on first use, so that the ``harness`` command
#: does not load pandas and matplotlib for commands that never export.
_HOMES = {
    "BARRIER_CASES": "definitions", "CONCLUSIVE_STATUSES": "definitions",
    "DOMESTIC_COUNTRIES": "definitions",
    "FORMATS": "definitions", "NO_RESULT": "definitions", "REGION_LABELS": "definitions",
    "RNR_BARRIERS": "definitions", "TABLE_NAMES": "definitions", "Z_95": "definitions",
    "Confirmation": "definitions",
    "Filters": "filters", "load_region_overrides": "filters", "parse_filters": "filters",
    "parse_since": "filters",
    "ExportResult": "formats", "read_table": "formats", "write_export": "formats",
    "render_report": "report", "write_report": "report",
    "wilson": "stats", "wilson_columns": "stats",
    "SCHEMAS": "tables", "Analysis": "tables", "barrier_matrix": "tables",
    "by_app": "tables", "by_region": "tables", "changes_since_previous_run": "tables",
    "funnel": "tables", "measurements": "tables", "summary": "tables",
}

if TYPE_CHECKING:
    from harness.export.definitions import (
        BARRIER_CASES,
        CONCLUSIVE_STATUSES,
        DOMESTIC_COUNTRIES,
        FORMATS,
        NO_RESULT,
        REGION_LABELS,
        RNR_BARRIERS,
        TABLE_NAMES,
        Z_95,
        Confirmation,
    )
    from harness.export.filters import (
        Filters,
        load_region_overrides,
        parse_filters,
        parse_since,
    )
    from harness.export.formats import ExportResult, read_table, write_export
    from harness.export.report import render_report, write_report
    from harness.export.stats import wilson, wilson_columns
    from harness.export.tables import (
        SCHEMAS,
        Analysis,
        barrier_matrix,
        by_app,
        by_region,
        changes_since_previous_run,
        funnel,
        measurements,
        summary,
    )


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'harness.export' has no attribute {name!r}")
    return getattr(import_module(f"harness.export.{home}"), name)


__all__ = [
    "BARRIER_CASES",
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
