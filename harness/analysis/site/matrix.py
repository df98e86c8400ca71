"""The app x country matrix as HTML tables, readable at a glance at 1280 px.

Apps are rows, named in their own script (微信 WeChat); countries are columns grouped by
study region under a band naming the region. Regions are packed in order into tables of
at most :data:`MAX_COLUMNS` countries (a larger region is split over tables of its own),
so no table scrolls sideways at 1280 px. Each cell shows the latest
outcome's code on its colour and, under it, the confirmation state: ``✓`` when the latest
outcome is confirmed, ``?`` when it is not yet, followed by the code of the outcome that
was confirmed before when there is one. The legend above the tables names every code and
mark present. Every cell links to the app page's row for that country.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from harness.analysis.charts import OUTCOME_COLORS
from harness.analysis.definitions import (
    DOMESTIC_COUNTRIES,
    NO_RESULT,
    REGION_LABELS,
    REGION_SHORT,
    outcome_labels,
)
from harness.analysis.site.labels import (
    CONFIRMATION_LABELS,
    STORE_RESULT_LABELS,
    outcome_code,
    outcome_label,
)
from harness.analysis.site.layout import esc, records, when
from harness.analysis.site.model import AppInfo, SiteData
from harness.analysis.tables import country_order
from harness.vocabulary.outcomes import Stage

#: Country columns per matrix table.
MAX_COLUMNS = 19

MATRIX_CSS = """
.mx{overflow-x:auto;margin:4px 0 16px}
table.matrix{table-layout:fixed;border-collapse:separate;border-spacing:2px;margin:0}
table.matrix th,table.matrix td{border:0;padding:0}
table.matrix th.app,table.matrix td.app{position:sticky;left:0;background:#fff;z-index:1;
 width:210px;min-width:210px;padding:2px 8px 2px 0;text-align:left;font-weight:600;
 white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
table.matrix thead th{background:#fff;font-size:12.5px;text-align:center;width:46px;
 min-width:46px}
table.matrix thead th a{text-decoration:none;color:#1b1f24}
table.matrix td.c{width:46px;min-width:46px;height:38px;text-align:center;
 line-height:1.15;border-radius:3px}
table.matrix td.c a{display:block;text-decoration:none;color:inherit;padding:3px 0}
table.matrix td.c b{font-size:12.5px}table.matrix td.c i{font-style:normal;
 font-size:11.5px;display:block}
table.matrix td.u{outline:2px dashed #3f4751;outline-offset:-3px}
table.matrix td.e{background:#fff;border:1px dotted #8a929b}
table.matrix th.rg{font-size:12.5px;font-weight:600;border-bottom:2px solid #3f4751;
 white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:0 2px}
table.matrix .sp{width:6px;min-width:6px;background:#fff}
tbody tr:nth-child(even) td.app{background:#fff}
"""


def text_on(color: str) -> str:
    """Black or white text, whichever contrasts more with ``color`` (WCAG luminance)."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#111111" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


def outcome_color(outcome: object) -> str:
    return OUTCOME_COLORS.get(str(outcome), OUTCOME_COLORS[NO_RESULT])


def chip(outcome: object, text: str | None = None, tip: str = "") -> str:
    """An outcome's code on its colour, with the label (after ``tip``) as a tooltip."""
    color = outcome_color(outcome)
    return (f"<span class='chip' style='background:{color};color:{text_on(color)}' "
            f"title='{esc(tip + outcome_label(outcome))}'>"
            f"{esc(text or outcome_code(outcome))}</span>")


def app_cell(app: AppInfo, root: str) -> str:
    """The app's name in its own script, then its Latin name, linked to its page."""
    latin = f" <span class='latin'>{esc(app.name)}</span>" if app.local else ""
    return (f"<a href='{root}apps/{esc(app.id)}.html' title='{esc(app.label)} "
            f"({esc(app.id)})'><span class='local'>{esc(app.local or app.name)}</span>"
            f"{latin}</a>")


def _mark(row: Any) -> str:
    """The confirmation line of a cell: ✓, or ? with the earlier confirmed code."""
    if row.confirmation == "confirmed":
        return "✓"
    if row.confirmation == NO_RESULT:
        return ""
    before = row.confirmed_outcome
    if isinstance(before, str) and before != row.outcome:
        return f"? ✓{outcome_code(before)}"
    return "?"


def _tip(row: Any, app: AppInfo, country: str) -> str:
    text = (f"{app.label} in {country}: {outcome_label(row.outcome)}, "
            f"{CONFIRMATION_LABELS.get(row.confirmation, row.confirmation)} "
            f"({row.agreeing_attempts} agreeing of {row.conclusive_attempts} conclusive "
            f"attempts, {row.failure_attempts} failed); latest {when(row.latest_at)}")
    before = row.confirmed_outcome
    if row.confirmation != "confirmed" and isinstance(before, str):
        text += f"; confirmed before: {outcome_label(before)}"
    if isinstance(row.store_result, str):
        text += f"; app store: {STORE_RESULT_LABELS.get(row.store_result, row.store_result)}"
    return text


def _cell(row: Any, app: AppInfo, country: str, root: str) -> str:
    if row is None:
        return f"<td class='c e' title='{esc(app.label)} in {esc(country)}: not tested'></td>"
    color = outcome_color(row.outcome)
    cls = "c" if row.confirmation != "unconfirmed" else "c u"
    return (f"<td class='{cls}' style='background:{color};color:{text_on(color)}' "
            f"title='{esc(_tip(row, app, country))}'><a href='{root}apps/"
            f"{esc(app.id)}.html#c-{esc(row.country)}'><b>{esc(outcome_code(row.outcome))}"
            f"</b><i>{esc(_mark(row))}</i></a></td>")


#: A band of countries of one region in one matrix table: (region, its countries, part
#: label such as " 1/2" when the region is split over tables).
Band = tuple[str, list[str], str]


def _band_head(band: Band) -> str:
    region, codes, part = band
    full = REGION_LABELS.get(region, region or "Other") + part
    long_name, short = REGION_SHORT.get(region, (full, full))
    name = (long_name if len(codes) >= 3 else short) + part
    return f"<th class='rg' colspan='{len(codes)}' title='{esc(full)}'>{esc(name)}</th>"


def _block(data: SiteData, cells: Mapping[tuple[str, str], Any], bands: Sequence[Band],
           root: str) -> str:
    """One matrix table: a band header per region, then the country codes, then a row
    per app; a narrow empty column separates the bands."""
    firsts = {codes[0] for _r, codes, _p in bands[1:]}
    countries = [c for _r, codes, _p in bands for c in codes]
    gap = "<th class='sp'></th>"
    head = "".join(
        f"{gap if c in firsts else ''}<th title='{esc(data.country(c).name)}'><a "
        f"href='{root}countries/{esc(c)}.html'>{esc(c)}</a></th>" for c in countries)
    rows = []
    for app_id in data.apps:
        app = data.app(app_id)
        tds = "".join(("<td class='sp'></td>" if c in firsts else "")
                      + _cell(cells.get((app_id, c)), app, data.country(c).name, root)
                      for c in countries)
        rows.append(f"<tr><td class='app'>{app_cell(app, root)}</td>{tds}</tr>")
    bands_html = gap.join(_band_head(b) for b in bands)
    return (f"<div class='mx'><table class='matrix'><thead><tr><th class='app' rowspan='2'>"
            f"App</th>{bands_html}</tr><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


def region_groups(matrix: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(region code, its countries in matrix order), in ``REGION_LABELS`` order."""
    countries = country_order(matrix)
    region_of = dict(zip(matrix["country"], matrix["region"], strict=True))
    groups: list[tuple[str, list[str]]] = []
    for code in countries:
        region = str(region_of.get(code) or "")
        if not groups or groups[-1][0] != region:
            groups.append((region, []))
        groups[-1][1].append(code)
    return groups


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    """``items`` in at most ``size``-long parts of nearly equal length."""
    parts = max(1, -(-len(items) // size))
    step = -(-len(items) // parts)
    return [list(items[start:start + step]) for start in range(0, len(items), step)]


def pack(groups: Sequence[tuple[str, list[str]]], size: int = MAX_COLUMNS
         ) -> list[list[Band]]:
    """Region bands packed into tables of at most ``size`` countries, in order; a region
    larger than a table is split over tables of its own."""
    tables: list[list[Band]] = []
    used = size
    for region, codes in groups:
        parts = _chunks(codes, size)
        for i, part in enumerate(parts):
            label = f" {i + 1}/{len(parts)}" if len(parts) > 1 else ""
            if used + len(part) > size:
                tables.append([])
                used = 0
            tables[-1].append((region, part, label))
            used += len(part)
    return tables


def legend(matrix: pd.DataFrame) -> str:
    """The codes present, in display order, and the marks."""
    present = set(matrix["outcome"]) | {o for o in matrix["confirmed_outcome"]
                                        if isinstance(o, str)}
    chips = "".join(f"<span>{chip(o)} {esc(outcome_label(o))}</span>"
                    for o in outcome_labels() if o in present)
    marks = ("<span><b>✓</b> confirmed</span><span><b>?</b> latest outcome, not yet "
             "confirmed (dashed outline)</span><span><b>? ✓CC</b> not yet confirmed; CC was "
             "the confirmed outcome before</span><span><span class='chip' style='border:1px "
             "dotted #8a929b'>&nbsp;</span> not tested</span>")
    return f"<div class='legend' aria-label='legend'>{chips}</div><div class='legend'>" \
           f"{marks}</div>"


def matrix_html(data: SiteData, root: str = "") -> str:
    """The legend and the matrix tables (see the module docstring)."""
    matrix = data.matrix
    if matrix.empty:
        return "<p>No measurement in the selection.</p>"
    cells = {(str(r.app), str(r.country)): r for r in records(matrix)}
    out = [legend(matrix)]
    out += [_block(data, cells, bands, root) for bands in pack(region_groups(matrix))]
    return "".join(out)


def funnel_rows(matrix: pd.DataFrame) -> list[dict[str, object]]:
    """How far the instances of ``matrix`` got, per stage (as the ``funnel`` table counts:
    instances abroad with a result, by their latest attempt)."""
    rows = matrix[(matrix["outcome"] != NO_RESULT)
                  & ~matrix["country"].isin(DOMESTIC_COUNTRIES)]
    total = len(rows)
    out, ended = [], 0
    for stage in Stage:
        here = rows[rows["latest_stage"] == stage.value]
        stop = int((here["status"] == "barrier").sum())
        done = int((here["status"] == "access").sum())
        reached = total - ended
        out.append({"stage": stage.value, "reached": reached, "stopped_by_barrier": stop,
                    "ended_with_access": done})
        ended += stop + done
    return out


__all__ = [
    "MATRIX_CSS",
    "MAX_COLUMNS",
    "app_cell",
    "chip",
    "funnel_rows",
    "legend",
    "matrix_html",
    "outcome_color",
    "pack",
    "region_groups",
    "text_on",
]
