"""The 2024 study's four kinds of headline figure, recomputed from the current data with
intervals and the apps, countries and attempts behind each (``harness findings``).

1. **identifiability**: the share of tested apps whose latest conclusive outcome is an
   RNR barrier in some country abroad (and the confirmed-only share);
2. **barriers**: the share of tested (app, country) instances abroad whose latest
   conclusive outcome is a barrier, and the split into store, sign-up and both;
3. **downloads**: the affected group's download change and prevented downloads against
   the comparison group (``harness.analysis.trends``), when download data is stored;
4. **regions**: the regional barrier rates and which regions differ.

Shares of (app, country) instances carry intervals clustered by app, shares of apps
Wilson intervals (``harness.analysis.intervals``).

Each figure's definition is in docs/analysis.md, "Headline findings".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from harness.analysis.tables import Analysis
from harness.analysis.trends.effects import drops
from harness.analysis.trends.fitting import TrendResult, fit_groups
from harness.analysis.trends.groups import groups_from_evidence
from harness.analysis.trends.its import ItsSpec
from harness.storage.downloads import find_dataset, list_datasets, read_counts
from harness.support.errors import ConfigError

#: The intervention of the download models by default: China's Cybersecurity Law took
#: effect on 1 June 2017.
CYBERSECURITY_LAW = "2017-06"

#: The download models' Fourier pairs by default: monthly downloads are seasonal.
DEFAULT_HARMONICS = 1


@dataclass
class Figure:
    """One headline figure: a value with its interval, the sample behind it, and notes."""

    key: str
    title: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    basis: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    parts: list[Figure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "value": self.value,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "numerator": self.numerator,
                "denominator": self.denominator, "basis": self.basis, "notes": self.notes,
                "parts": [p.as_dict() for p in self.parts]}


def _num(x: object) -> float | None:
    if x is None or x is pd.NA:
        return None
    value = float(x)  # type: ignore[arg-type]
    return None if math.isnan(value) else value


def _int(x: object) -> int | None:
    value = _num(x)
    return None if value is None else int(value)


def _share(summary: pd.DataFrame, metric: str, key: str, title: str) -> Figure:
    row = summary.set_index("metric").loc[metric]
    return Figure(key, title, _num(row["value"]), _num(row["ci_low"]), _num(row["ci_high"]),
                  _int(row["numerator"]), _int(row["denominator"]))


def _basis(summary: pd.DataFrame) -> dict[str, Any]:
    values = summary.set_index("metric")["value"]
    return {k: _int(values.get(k)) for k in ("apps_tested", "countries_tested",
                                             "instances_tested", "attempts_access",
                                             "attempts_barrier", "attempts_failure",
                                             "simulated_rows_excluded")}


def identifiability(summary: pd.DataFrame) -> Figure:
    """Figure 1: apps enforcing identifiability on users abroad."""
    fig = _share(summary, "apps_enforcing_identifiability", "identifiability",
                 "share of tested apps that enforce identifiability on users abroad")
    fig.parts.append(_share(summary, "apps_enforcing_identifiability_confirmed",
                            "identifiability_confirmed", "counting confirmed RNR only"))
    fig.notes.append("Wilson 95% interval over apps; the study's 'about 75%'")
    return fig


def barriers(summary: pd.DataFrame) -> Figure:
    """Figure 2: instances abroad where a user could not get full access."""
    fig = _share(summary, "barrier_share", "barriers",
                 "share of tested (app, country) instances abroad with a barrier")
    for metric, title in (("store_and_signup_barrier_share", "store and sign-up"),
                          ("store_barrier_only_share", "store only"),
                          ("signup_barrier_only_share", "sign-up only")):
        fig.parts.append(_share(summary, metric, metric, title))
    method = str(summary.set_index("metric").loc["barrier_share"].get("ci_method") or "")
    fig.notes.append("95% intervals clustered by app, since the same apps recur in every "
                     f"country ({method or 'no interval'}; docs/analysis.md); the study's "
                     "'about 35%'")
    return fig


def regions(by_region: pd.DataFrame) -> Figure:
    """Figure 4: barrier rates per region (the contrasts are in the regional tables)."""
    tested = by_region[by_region["instances"] > 0]
    fig = Figure("regions", "barrier share of tested instances, by region", None,
                 notes=["95% intervals clustered by app within each region"])
    for row in tested.itertuples():
        fig.parts.append(Figure(str(row.region), str(row.region_name), _num(row.barrier_share),
                                _num(row.barrier_ci_low), _num(row.barrier_ci_high),
                                _int(row.barrier_instances), _int(row.instances)))
    if len(fig.parts) < 2:
        fig.notes.append("fewer than two regions tested: no regional comparison")
    return fig


def findings(analysis: Analysis, downloads: Figure | None = None,
             by_region: pd.DataFrame | None = None, summary: pd.DataFrame | None = None
             ) -> list[Figure]:
    """The four figures of the analysis's selection (``downloads`` from
    :func:`stored_downloads`; ``by_region`` and ``summary`` when the caller has them)."""
    by_region = analysis.by_region() if by_region is None else by_region
    summary = analysis.summary(by_region=by_region) if summary is None else summary
    basis = _basis(summary)
    figs = [identifiability(summary), barriers(summary),
            downloads or Figure("downloads", "download change of the affected apps", None,
                                notes=["no download data stored: load a file with "
                                       "`harness trends import FILE`"]),
            regions(by_region)]
    for fig in figs:
        fig.basis = {**basis, **fig.basis}
    return figs


def _no_downloads(note: str) -> Figure:
    return Figure("downloads", "download change of the affected apps", None, notes=[note])


def stored_downloads(analysis: Analysis, dataset: str | None = None,
                     spec: ItsSpec | None = None, by_app: pd.DataFrame | None = None
                     ) -> tuple[Figure | None, TrendResult | None]:
    """Figure 3 and the fit behind it, from a stored download dataset (``dataset``, or the
    newest) and groups from the measurements' own evidence. ``(None, None)`` when no
    download data is stored and none was named; a figure with a note, and no fit, when
    the groups or their download data do not allow one."""
    if dataset is None and not list_datasets(analysis.store):
        return None, None
    info = find_dataset(analysis.store, dataset)
    groups = groups_from_evidence(analysis.by_app() if by_app is None else by_app)
    if not groups.affected or not groups.comparison:
        return _no_downloads(
            f"dataset {info.name!r} is stored, but the measurements give "
            f"{len(groups.affected)} affected and {len(groups.comparison)} comparison apps; "
            "`harness trends fit --group-apps ... --vs-apps ...` fits given groups"), None
    try:
        result = fit_groups(read_counts(analysis.store, info.id), groups,
                            spec or ItsSpec(CYBERSECURITY_LAW, DEFAULT_HARMONICS),
                            {"name": info.name, "sha256": info.sha256})
    except ConfigError as e:
        return _no_downloads(f"dataset {info.name!r}: {e.problem}"), None
    return downloads_figure(result), result


def downloads_figure(result: TrendResult) -> Figure:
    """Figure 3 from a group trend fit: the DiD drop, prevented downloads, and each
    group's own change."""
    did = result.did
    assert did is not None
    drop, prev = did.drop, did.prevented
    fig = Figure("downloads", "drop in the affected apps' downloads relative to the "
                 "comparison apps (DiD, Poisson FE)", drop.value if drop else None,
                 drop.ci_low if drop else None, drop.ci_high if drop else None,
                 basis={"affected_apps": did.affected_units,
                        "comparison_apps": did.comparison_units,
                        "app_months": did.n_obs_used, "intervention": did.intervention,
                        "dataset": result.source.get("dataset"),
                        "groups": result.groups.rule if result.groups else None})
    if prev is not None:
        fig.notes.append(f"prevented downloads: {prev.value:,.0f} (95% CI {prev.ci_low:,.0f} "
                         f"to {prev.ci_high:,.0f})")
    for series, its in result.series:
        d = drops(its, result.years)
        for name in ("level", "calendar_years"):
            e = d[name]
            if e is not None:
                low, high = ((e.ci_low, e.ci_high) if not math.isnan(e.ci_low)
                             else (None, None))
                fig.parts.append(Figure(f"{series.label}:{name}",
                                        f"{series.label}, drop [{name}]", e.value, low,
                                        high, notes=[e.method]))
    fig.notes.extend(did.warnings + result.warnings)
    return fig


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def figure_lines(fig: Figure, indent: str = "") -> list[str]:
    """A figure for the terminal."""
    if fig.value is None and fig.denominator == 0:
        head = f"{indent}{fig.title}: no instance with both sides observed"
    else:
        head = f"{indent}{fig.title}: {_pct(fig.value) if fig.value is not None else ''}"
    if fig.ci_low is not None and fig.ci_high is not None:
        head += f" (95% CI {_pct(fig.ci_low)} to {_pct(fig.ci_high)})"
    if fig.denominator:
        head += f", {fig.numerator} of {fig.denominator}"
    lines = [head.rstrip(": ")]
    for part in fig.parts:
        lines += figure_lines(part, indent + "   ")
    lines += [f"{indent}   note: {n}" for n in fig.notes]
    return lines


__all__ = [
    "CYBERSECURITY_LAW",
    "DEFAULT_HARMONICS",
    "Figure",
    "barriers",
    "downloads_figure",
    "figure_lines",
    "findings",
    "identifiability",
    "regions",
    "stored_downloads",
]
