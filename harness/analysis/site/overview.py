"""The overview page (``index.html``): the headline figures with their intervals and
samples, the app x country matrix, the world map, the regional rates and the funnel.

Every number is one of the analyst tables' or of ``harness findings``; nothing is
computed here that an export does not also hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from harness.analysis import report_sections, worldmap
from harness.analysis.definitions import DOMESTIC_COUNTRIES
from harness.analysis.findings import Figure
from harness.analysis.site.labels import column_label, stage_label
from harness.analysis.site.layout import bar, esc, pct, records, share_text, table, when
from harness.analysis.site.matrix import funnel_rows, matrix_html
from harness.analysis.site.model import SiteData

#: Bar colours: any barrier, RNR barrier, access.
BARRIER_COLOR = "#b71c1c"
RNR_COLOR = "#5e1a8a"
ACCESS_COLOR = "#1b5e20"
CONTINUED_COLOR = "#78909c"


def _figure_value(fig: Figure) -> str:
    if fig.value is None:
        return "–"
    return pct(fig.value)


def _figure_sample(fig: Figure) -> str:
    """``3 of 7; 95% CI 16%–75%`` (what the figure's share is of, and its interval)."""
    parts = []
    if fig.numerator is not None and fig.denominator:
        parts.append(f"{fig.numerator:,} of {fig.denominator:,}")
    if fig.ci_low is not None and fig.ci_high is not None:
        parts.append(f"95% CI {pct(fig.ci_low)}–{pct(fig.ci_high)}")
    return "; ".join(parts)


def _part(p: Figure) -> str:
    sample = _figure_sample(p)
    return (f"<li>{esc(p.title)}: <b>{_figure_value(p)}</b>"
            + (f" <small>({esc(sample)})</small>" if sample else "") + "</li>")


def _figure_card(fig: Figure) -> str:
    parts = "".join(_part(p) for p in fig.parts if p.value is not None or p.denominator)
    notes = "".join(f"<p class='d'>{esc(n)}</p>" for n in fig.notes)
    title = esc(fig.title[:1].upper() + fig.title[1:])
    return (f"<div class='card'><div class='t'>{title}</div><div class='v'>"
            f"{_figure_value(fig)}</div><div class='d'>{esc(_figure_sample(fig))}</div>"
            + (f"<ul class='small'>{parts}</ul>" if parts else "") + notes + "</div>")


def figures_section(data: SiteData) -> list[str]:
    """The headline figures as cards."""
    basis = data.figures[0].basis if data.figures else {}
    conclusive = (basis.get("attempts_access") or 0) + (basis.get("attempts_barrier") or 0)
    return [
        "<h2 id='findings'>Headline figures</h2>",
        f"<p class='note'>Over {basis.get('apps_tested') or 0} apps, "
        f"{basis.get('countries_tested') or 0} countries and "
        f"{basis.get('instances_tested') or 0} (app, country) instances abroad, from "
        f"{conclusive:,} conclusive attempts (instrument failures, "
        f"{basis.get('attempts_failure') or 0:,} here, are never counted). Each share "
        "gives its count, its sample and its 95% interval; "
        "<a href='methodology.html'>methodology</a> defines them.</p>",
        "<div class='cards'>", *(_figure_card(f) for f in data.figures), "</div>",
    ]


def _rate_cell(share: object, k: int, n: int, low: object, high: object,
               color: str) -> str:
    """A share's bar with its whisker, and its figures on one line beneath."""
    return (bar(share, low, high, color)
            + f"<div class='nw'>{share_text(k, n, low, high)}</div>")


def _region_rows(by_region: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in records(by_region[by_region["instances"] > 0]):
        n = int(r.instances)
        rows.append([
            esc(r.region_name), f"{int(r.countries)}", f"{n}",
            _rate_cell(r.barrier_share, int(r.barrier_instances), n, r.barrier_ci_low,
                       r.barrier_ci_high, BARRIER_COLOR),
            _rate_cell(r.rnr_share, int(r.rnr_instances), n, r.rnr_ci_low, r.rnr_ci_high,
                       RNR_COLOR),
            f"{int(r.confirmed_instances)}"])
    return rows


def regions_section(data: SiteData) -> list[str]:
    """Barrier and RNR shares per study region, as bars with their intervals."""
    by_region = data.tables["by_region"]
    head = [column_label("region_name"), column_label("countries"),
            column_label("instances"), "Any barrier", "RNR barrier",
            column_label("confirmed_instances")]
    rows = _region_rows(by_region)
    return [
        "<h2 id='regions'>Barrier rates by region</h2>",
        "<p class='note'>Share of the tested (app, country) instances abroad whose latest "
        "conclusive outcome is a barrier (any kind) or an RNR barrier (identity demanded). "
        "The black whisker is the 95% Wilson interval.</p>",
        table(head, rows, numeric=(1, 2, 5)) if rows
        else "<p>No tested instance abroad in the selection.</p>",
    ]


def map_section(data: SiteData) -> list[str]:
    """The world map of barrier shares by country."""
    return [
        "<h2 id='map'>Barrier rates by country</h2>",
        "<p class='note'>Each tested country is coloured by the share of its apps whose "
        "latest conclusive outcome is a barrier: pale yellow 0%, dark red 100%. Grey: not "
        f"tested; hatched: domestic ({', '.join(DOMESTIC_COUNTRIES)}), left out of every "
        "rate. Country pages give each country's figures.</p>",
        worldmap.world_map_svg(worldmap.country_rates(data.matrix)),
    ]


def funnel_html(rows: Sequence[dict[str, object]]) -> str:
    """The funnel as bars: per stage, the instances that reached it, stopped there or
    ended there with access."""
    total = max((int(str(r["reached"])) for r in rows), default=0)
    if total == 0:
        return "<p>No conclusive instance abroad.</p>"
    out = []
    for r in rows:
        reached, stop, done = (int(str(r[k])) for k in ("reached", "stopped_by_barrier",
                                                          "ended_with_access"))
        if reached == 0:
            continue
        went = reached - stop - done
        segs = "".join(
            f"<div class='f' style='left:{left / total * 100:.1f}%;width:"
            f"{width / total * 100:.1f}%;background:{color}'></div>"
            for left, width, color in ((0, went, CONTINUED_COLOR), (went, done, ACCESS_COLOR),
                                       (went + done, stop, BARRIER_COLOR)) if width)
        out.append([esc(stage_label(r["stage"])), f"{reached}",
                    f"<div class='bar' style='width:360px'>{segs}</div>",
                    f"{stop}", f"{done}", f"{went}"])
    head = ["Stage", column_label("reached"), "", column_label("stopped_by_barrier"),
            column_label("ended_with_access"), column_label("continued")]
    legend = ("<div class='legend'><span><span class='chip' style='background:"
              f"{CONTINUED_COLOR}'>&nbsp;</span> went on</span><span><span class='chip' "
              f"style='background:{ACCESS_COLOR}'>&nbsp;</span> ended with access</span>"
              f"<span><span class='chip' style='background:{BARRIER_COLOR}'>&nbsp;</span> "
              "stopped by a barrier</span></div>")
    return legend + table(head, out, numeric=(1, 3, 4, 5))


def _intro(data: SiteData) -> str:
    attempts = data.attempts
    latest = attempts["started_at"].max() if not attempts.empty else None
    return (f"<p class='sub'>{len(data.apps)} apps · {len(data.countries)} countries · "
            f"{len(attempts):,} attempts · latest {when(latest) or 'none'}</p>")


def overview_body(data: SiteData, title: str) -> str:
    """The overview page's body."""
    parts = [
        f"<h1>{esc(title)}</h1>", _intro(data),
        *figures_section(data),
        "<h2 id='matrix'>Outcome per app and country</h2>",
        "<p class='note'>Each cell is an (app, country) instance: its latest conclusive "
        "outcome, and under it whether that outcome is confirmed. Point at a cell for its "
        "attempts; click it for the app's evidence in that country.</p>",
        matrix_html(data),
        *map_section(data),
        *regions_section(data),
        *report_sections.regional_section(
            data.tables["regional_contrasts"], data.tables["app_regions"],
            "<a href='methodology.html#regional'>methodology</a>"),
        *report_sections.trend_section(
            *data.downloads, "<a href='methodology.html#downloads'>methodology</a>"),
        "<h2 id='funnel'>How far sign-up got</h2>",
        "<p class='note'>Instances abroad with a result, by the stage their latest "
        "attempt reached.</p>", funnel_html(funnel_rows(data.matrix)),
    ]
    return "".join(parts)


__all__ = ["figures_section", "funnel_html", "map_section", "overview_body",
           "regions_section"]
