"""Report sections for the study's conclusions: the headline figures, the regional
contrasts and per-app regional profiles, and the download trend (``harness report``).

Each function returns HTML fragments with human column labels; the numbers come from
:mod:`harness.analysis.findings`, :mod:`harness.analysis.regional` and
:mod:`harness.analysis.trends`, the same code as ``harness findings`` and the exported
tables ``regional_contrasts`` and ``app_regions``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pandas as pd

from harness.analysis.cells import esc, pct
from harness.analysis.definitions import REGION_LABELS
from harness.analysis.findings import Figure
from harness.analysis.trends.chart import trend_chart
from harness.analysis.trends.fitting import TrendResult


def _region(code: object) -> str:
    return esc(REGION_LABELS.get(str(code), str(code)))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Cells are HTML already; a header cell starting with '#' is right-aligned."""
    num = [h.startswith("#") for h in head]
    th = "".join(f"<th>{esc(h.lstrip('#'))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td{' class=n' if n else ''}>{c}</td>"
                                    for c, n in zip(row, num, strict=True)) + "</tr>"
                   for row in rows)
    return f"<div class='wide'><table><tr>{th}</tr>{body}</table></div>"


# ----------------------------------------------------------------------- findings

def _figure_rows(fig: Figure, depth: int = 0) -> list[list[str]]:
    interval = (f"{pct(fig.ci_low, 1)} – {pct(fig.ci_high, 1)}"
                if fig.ci_low is not None and fig.ci_high is not None else "–")
    sample = (f"{fig.numerator:,} / {fig.denominator:,}"
              if fig.numerator is not None and fig.denominator else "–")
    title = ("&nbsp;&nbsp;&nbsp;" * depth) + esc(fig.title)
    if depth == 0:
        title = f"<b>{title}</b>"
    notes = "<br>".join(esc(n) for n in fig.notes)
    rows = [[title, pct(fig.value, 1), interval, sample, f"<small>{notes}</small>"]]
    for part in fig.parts:
        rows += _figure_rows(part, depth + 1)
    return rows


def findings_section(figures: Sequence[Figure]) -> list[str]:
    """The four headline figures with intervals, samples and notes."""
    basis = figures[0].basis if figures else {}
    rows = [r for fig in figures for r in _figure_rows(fig)]
    conclusive = (basis.get("attempts_access") or 0) + (basis.get("attempts_barrier") or 0)
    return [
        "<h2 id='findings'>Headline findings</h2>",
        "<p class='note'>The 2024 study's four kinds of figure, recomputed from this "
        f"selection: {basis.get('apps_tested') or 0} apps, "
        f"{basis.get('countries_tested') or 0} countries, "
        f"{basis.get('instances_tested') or 0} instances abroad, {conclusive} conclusive "
        f"attempts ({basis.get('attempts_failure') or 0} instrument failures not counted). "
        "Intervals are 95%; 'sample' is numerator / denominator. Definitions: "
        "docs/analysis.md, \"Headline findings\"; the same figures are printed by "
        "<code>harness findings</code>.</p>",
        _table(["figure", "#value", "#95% interval", "#sample", "notes"], rows),
    ]


# ----------------------------------------------------------------------- regions

def _outcome_label(outcome: object) -> str:
    return "Any barrier" if outcome == "barrier" else "RNR barrier"


def _model_note(rows: pd.DataFrame) -> str:
    """What the model of one outcome used, or why no pair of regions could be compared."""
    r = rows.iloc[0]
    estimable = rows[rows["odds_ratio"].notna()]
    if estimable.empty:
        notes = {str(n) for n in rows["note"].dropna()}
        left_out = sorted({tuple(part.split(" left out: ", 1)) for n in notes
                           if " left out: " in n for part in n.split("; ")})
        other = sorted(n[0].upper() + n[1:] for n in notes if " left out: " not in n)
        listed = "; ".join(f"{_region(code)}: {esc(why)}" for code, why in left_out)
        return (f"<b>{_outcome_label(r['outcome'])}</b>: no pair of regions could be "
                "compared. " + (f"Left out: {listed}. " if listed else "")
                + " ".join(f"{esc(o)}." for o in other))
    note = (f"<b>{_outcome_label(r['outcome'])}</b>: logit with app fixed effects over "
            f"{int(r['model_instances'])} instances ({int(r['model_apps'])} apps, "
            f"{int(r['model_countries'])} countries; {int(r['dropped_apps'])} apps with the "
            f"same outcome everywhere dropped), errors clustered by country "
            f"({int(r['clusters'])} clusters), reference {_region(r['reference'])}.")
    extra = esc(estimable.iloc[0]["note"])
    return note + (f" {extra}" if extra else "")


def _contrast_rows(contrasts: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in contrasts[contrasts["odds_ratio"].notna()].itertuples(index=False):
        rows.append([
            _outcome_label(r.outcome).lower().replace("rnr", "RNR"),
            f"{_region(r.region_a)} <small>({r.region_a_instances})</small>",
            f"{_region(r.region_b)} <small>({r.region_b_instances})</small>",
            f"{r.odds_ratio:.2f}", f"{r.ci_low:.2f} – {r.ci_high:.2f}", f"{r.p_value:.3f}",
            f"{r.p_holm:.3f}", "<b>yes</b>" if r.differs else "no"])
    return rows


def _profile_rows(profiles: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in profiles.itertuples(index=False):
        found = r.barrier_differs_from if isinstance(r.barrier_differs_from, str) else ""
        differs = ", ".join(_region(x) for x in found.split(";") if x)
        rows.append([
            f"{esc(r.app_name)} <small>({esc(r.app)})</small>", _region(r.region),
            f"{r.countries}", f"{r.barrier_instances} / {r.instances}",
            f"{pct(r.barrier_share, 1)} <small>({pct(r.barrier_ci_low, 1)} – "
            f"{pct(r.barrier_ci_high, 1)})</small>",
            f"{r.rnr_instances} / {r.instances}", differs or "–"])
    return rows


def regional_section(contrasts: pd.DataFrame, profiles: pd.DataFrame,
                     definition: str = 'docs/analysis.md, "Regional variability, tested"'
                     ) -> list[str]:
    """The pairwise regional contrasts of the regional models and each app's regional
    profile (the app-region rows whose share differs from another region come first).
    ``definition`` is HTML naming where the method is described."""
    parts = ["<h2 id='regional-contrasts'>Do regions differ?</h2>"]
    rows = _contrast_rows(contrasts)
    notes = "".join(f"<p class='note'>{_model_note(g)}</p>"
                    for _, g in contrasts.groupby("outcome", sort=False))
    parts.append(
        "<p class='note'>A model compares regions when at least two have 10 or more "
        "conclusive instances from 2 or more countries, among apps whose outcome varies "
        f"between countries ({definition}). "
        "Each pair of modelled regions: the odds of a barrier in region A against region B "
        "for the same app, with a 95% interval from errors clustered by country, and the "
        "p-value before and after Holm's correction over all pairs (instances per region "
        "in brackets).</p>" + (notes or "<p class='note'>No conclusive instance abroad "
                                "yet.</p>"))
    if rows:
        parts.append(_table(["outcome", "region A", "region B", "#odds ratio A / B",
                             "#95% interval", "#p", "#p (Holm)", "differs"], rows))
    if profiles.empty:
        return parts
    flagged = profiles["barrier_differs_from"].fillna("") != ""
    ordered = pd.concat([profiles[flagged], profiles[~flagged]])
    head = ["app", "region", "#countries", "#barrier", "#barrier share (95% CI)", "#RNR",
            "differs from (Fisher, Holm within the app)"]
    parts += [
        f"<p class='note'>Per app and region: {int(flagged.sum())} of {len(profiles)} "
        "app-region rows differ from another region of the same app (two-sided Fisher "
        "exact test, Holm-adjusted within the app). Shares over a handful of countries "
        "are coarse; read the interval before the share.</p>",
        "<details><summary>Each app's regional profile</summary>",
        _table(head, _profile_rows(ordered)), "</details>"]
    return parts


# ----------------------------------------------------------------------- downloads

def trend_section(figure: Figure | None, result: TrendResult | None,
                  definition: str = 'docs/analysis.md, "Download trends"') -> list[str]:
    """The download trend of the affected and comparison apps, when download data is
    stored: the chart (observed, fitted, counterfactual band) and the groups.
    ``definition`` is HTML naming where the method is described."""
    head = "<h2 id='downloads'>Downloads around the intervention</h2>"
    if figure is None:
        return [head, "<p class='note'>No download data is stored in this database. "
                        "Load monthly counts with <code>harness trends import FILE</code> "
                        f"({definition}) and this section shows the "
                        "affected and comparison apps' totals with the counterfactual.</p>"]
    if result is None:
        return [head, f"<p class='note'>{'<br>'.join(esc(n) for n in figure.notes)}</p>"]
    png = base64.b64encode(trend_chart(result)).decode("ascii")
    groups = result.groups
    who = ""
    if groups is not None:
        who = (f"Groups ({esc(groups.rule)}): affected {', '.join(map(esc, groups.affected))}; "
               f"comparison {', '.join(map(esc, groups.comparison))}. ")
    return [
        head, f"<p class='note'>Dataset {esc(result.source['dataset'].get('name'))}, intervention "
        f"{esc(result.spec.intervention)}. {who}The drop, its interval and prevented "
        "downloads are in the headline findings; <code>harness trends fit --group affected "
        "--vs comparison</code> gives every coefficient.</p>",
        f"<img alt='download trend of the affected and comparison apps' "
        f"src='data:image/png;base64,{png}'>"]


__all__ = ["findings_section", "regional_section", "trend_section"]
