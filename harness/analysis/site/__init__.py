"""The report site: ``harness report --out DIR/`` writes a folder of static pages that
opens from the file system (no network, no server).

An overview (headline figures with intervals and samples, the app x country matrix, the
world map, regional rates, the funnel), one page per app and per country, a changes page,
a methodology page written from ``harness.analysis.definitions`` and a data page linking
the files ``harness publish`` wrote. Every column has a human label
(``harness.analysis.site.labels``), app names appear in their own script with a CJK web
font cut to the pages' characters, and simulated data is flagged by a banner on every
page. docs/report.md describes the site.
"""

from __future__ import annotations

from harness.analysis.site.build import DEFAULT_TITLE, SiteResult, render_pages, write_site
from harness.analysis.site.datapage import DataFolder, read_data_folder
from harness.analysis.site.labels import COLUMN_LABELS, column_label, outcome_label
from harness.analysis.site.model import AppInfo, CountryInfo, SiteData, gather

__all__ = [
    "COLUMN_LABELS",
    "DEFAULT_TITLE",
    "AppInfo",
    "CountryInfo",
    "DataFolder",
    "SiteData",
    "SiteResult",
    "column_label",
    "gather",
    "outcome_label",
    "read_data_folder",
    "render_pages",
    "write_site",
]
