"""Everything the report site shows, read once from an :class:`Analysis`.

The pages never query the database: :func:`gather` reads the analyst tables (the same as
``harness export``), the headline findings, the attempts in scope (only the columns the
pages use), the instrument failures and the evidence of each instance's latest attempt,
copied into the site's ``evidence/`` folder; it adds what the tables do not hold: each
app's name in its own script (from the app catalog, ``harness/data/catalog.yaml``), each
instance's last confirmed outcome and its history (``harness.analysis.site.history``)
and each country's vantage fidelity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from harness.analysis.evidence_links import Href, copy_evidence
from harness.analysis.findings import Figure, findings, stored_downloads
from harness.analysis.frames import arrow_to_pandas
from harness.analysis.site import history
from harness.analysis.tables import Analysis
from harness.analysis.trends.fitting import TrendResult
from harness.spec.catalog import default_catalog
from harness.vocabulary.countries import all_countries
from harness.vocabulary.outcomes import Backend

#: The measurement columns the pages read.
ATTEMPT_COLUMNS: tuple[str, ...] = (
    "measurement_id", "run_id", "scenario_id", "app_id", "app_name", "country",
    "profile_id", "backend", "started_at", "status", "outcome", "stage", "rule_id",
    "store_result", "sim_country", "ip_country", "device_locale", "device_timezone",
    "gps_country", "network_country", "egress_asn", "ip_country_match",
    "sim_country_match", "locale_match", "timezone_match", "gps_country_match",
    "device_egress_match", "device_egress_country", "vantage_source")

#: The vantage signals of a country page: the match column and its label's subject.
VANTAGE_SIGNALS: tuple[tuple[str, str, str], ...] = (
    ("sim_country_match", "SIM", "sim_country"),
    ("ip_country_match", "IP address", "ip_country"),
    ("locale_match", "Locale", "device_locale"),
    ("timezone_match", "Time zone", "device_timezone"),
    ("gps_country_match", "GPS", "gps_country"),
    ("device_egress_match", "Device's own egress", "device_egress_country"),
)


@dataclass(frozen=True)
class AppInfo:
    """An app as the pages name it: ``local`` is its name in its own script (微信), when
    the catalog knows one that differs from ``name`` (the measured ``app_name``)."""

    id: str
    name: str
    local: str | None = None
    developer: str | None = None
    category: str | None = None
    package: str | None = None

    @property
    def label(self) -> str:
        """Plain text: ``微信 WeChat``, or the name alone."""
        return f"{self.local} {self.name}" if self.local else self.name


@dataclass(frozen=True)
class CountryInfo:
    """A country as the pages name it."""

    code: str
    name: str
    region: str


@dataclass
class SiteData:
    """The site's inputs (see the module docstring)."""

    analysis: Analysis
    tables: dict[str, pd.DataFrame]
    attempts: pd.DataFrame
    streaks: pd.DataFrame
    events: pd.DataFrame
    apps: dict[str, AppInfo]
    countries: dict[str, CountryInfo]
    hrefs: dict[tuple[str, str], Href]
    details: dict[str, dict[str, str]]
    failures: pd.DataFrame
    figures: list[Figure]
    downloads: tuple[Figure | None, TrendResult | None]
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def matrix(self) -> pd.DataFrame:
        """``barrier_matrix`` with ``confirmed_outcome``, ``confirmed_at`` and
        ``latest_store_result`` added."""
        return self.tables["barrier_matrix"]

    @property
    def simulated_attempts(self) -> int:
        """Attempts in the selection measured on the simulator."""
        if self.attempts.empty:
            return 0
        return int((self.attempts["backend"] == Backend.SIM.value).sum())

    def app(self, app_id: str) -> AppInfo:
        return self.apps.get(app_id) or AppInfo(app_id, app_id)

    def country(self, code: str) -> CountryInfo:
        return self.countries.get(code) or CountryInfo(code, code, "")


def _attempts(analysis: Analysis) -> pd.DataFrame:
    """The attempts in scope with :data:`ATTEMPT_COLUMNS` only, one chunk at a time."""
    parts = [batch.select(list(ATTEMPT_COLUMNS))
             for batch in analysis.iter_measurement_batches()]
    return arrow_to_pandas(pa.concat_tables(parts))


def _apps(matrix: pd.DataFrame, attempts: pd.DataFrame) -> dict[str, AppInfo]:
    """Each app of the selection, named from its measurements and the app catalog (by
    scenario id, else by Android package)."""
    catalog = default_catalog()
    packages = {}
    if not attempts.empty:
        packages = dict(zip(attempts["scenario_id"], attempts["app_id"], strict=True))
    names: dict[str, str] = {}
    for source in (matrix, attempts.rename(columns={"scenario_id": "app"})):
        if source.empty:
            continue
        for app, name in zip(source["app"], source["app_name"], strict=True):
            names.setdefault(str(app), str(name) if isinstance(name, str) else str(app))
    out = {}
    for app, name in names.items():
        package = packages.get(app)
        entry = catalog.get(app) or (catalog.by_package(package) if package else None)
        local = entry.local_name if entry is not None else None
        out[app] = AppInfo(app, name, local if local and local != name else None,
                           entry.developer if entry else None,
                           entry.category if entry else None, package)
    return dict(sorted(out.items(), key=lambda kv: kv[1].label.casefold()))


def _countries(matrix: pd.DataFrame, attempts: pd.DataFrame) -> dict[str, CountryInfo]:
    known = all_countries()
    codes = set(matrix["country"]) | (set(attempts["country"]) if not attempts.empty
                                      else set())
    out = {}
    for code in sorted(str(c) for c in codes):
        c = known.get(code)
        out[code] = CountryInfo(code, c.name if c else code,
                                c.region.value if c else "")
    if not matrix.empty:  # the region the selection used (a --regions-file remaps)
        for code, region in zip(matrix["country"], matrix["region"], strict=True):
            if isinstance(region, str):
                out[str(code)] = CountryInfo(str(code), out[str(code)].name, region)
    return out


def _with_history(matrix: pd.DataFrame, streak_table: pd.DataFrame,
                  attempts: pd.DataFrame) -> pd.DataFrame:
    """The matrix with each instance's last confirmed outcome (``confirmed_outcome``,
    ``confirmed_at``) and the store result its latest attempt recorded
    (``latest_store_result``: ``not_checked`` too, where ``store_result`` keeps only
    conclusive store observations)."""
    if matrix.empty:
        return matrix.assign(confirmed_outcome=None, confirmed_at=None,
                             latest_store_result=None)
    confirmed = history.last_confirmed(streak_table)
    out = matrix.merge(confirmed.drop(columns="confirmed_is_latest"),
                       on=["app", "country"], how="left")
    store = dict(zip(attempts["measurement_id"], attempts["store_result"], strict=True)) \
        if not attempts.empty else {}
    out["latest_store_result"] = out["latest_measurement_id"].map(store)
    return out


def _evidence(analysis: Analysis, matrix: pd.DataFrame, failures: pd.DataFrame,
              site_dir: Path) -> tuple[dict[tuple[str, str], Href], dict[str, Any]]:
    ids = [str(i) for i in matrix["latest_measurement_id"].dropna()] if not matrix.empty \
        else []
    ids += [str(i) for i in failures.get("measurement_id", pd.Series(dtype=str))]
    hrefs = copy_evidence(analysis.evidence(ids), analysis.store.artifacts, site_dir)
    return hrefs, analysis.attempt_details(ids)


def gather(analysis: Analysis, site_dir: Path, failures_limit: int = 500) -> SiteData:
    """Read everything the pages show; evidence files are copied under ``site_dir``."""
    tables = analysis.tables()
    attempts = _attempts(analysis)
    streak_table = history.streaks(attempts, analysis.confirmation)
    tables["barrier_matrix"] = _with_history(tables["barrier_matrix"], streak_table,
                                             attempts)
    matrix = tables["barrier_matrix"]
    failures = analysis.failures(failures_limit)
    downloads, trend = stored_downloads(analysis, by_app=tables["by_app"])
    figures = findings(analysis, downloads, tables["by_region"], tables["summary"])
    hrefs, details = _evidence(analysis, matrix, failures, site_dir)
    return SiteData(
        analysis=analysis, tables=tables, attempts=attempts, streaks=streak_table,
        events=history.change_events(streak_table), apps=_apps(matrix, attempts),
        countries=_countries(matrix, attempts), hrefs=hrefs, details=details,
        failures=failures, figures=figures, downloads=(downloads, trend))


def vantage_rates(attempts: pd.DataFrame) -> pd.DataFrame:
    """Per country and vantage signal: attempts where the signal was observed, where it
    matched the target country, and the most common observed value."""
    rows = []
    if attempts.empty:
        return pd.DataFrame(columns=["country", "signal", "label", "observed", "matched",
                                     "value"])
    for country, group in attempts.groupby("country", sort=True):
        for column, label, value_col in VANTAGE_SIGNALS:
            seen = group[column].dropna()
            values = group[value_col].dropna()
            rows.append({"country": country, "signal": column, "label": label,
                         "observed": len(seen), "matched": int(seen.sum()),
                         "value": str(values.mode().iloc[0]) if len(values) else None})
    return pd.DataFrame(rows)


__all__ = [
    "ATTEMPT_COLUMNS",
    "VANTAGE_SIGNALS",
    "AppInfo",
    "CountryInfo",
    "SiteData",
    "gather",
    "vantage_rates",
]
