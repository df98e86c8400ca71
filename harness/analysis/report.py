"""The analyst report: one self-contained HTML file with PNG charts embedded.

Nothing is loaded from the internet: styles are inline, charts are ``data:image/png``
URIs, and evidence files (screenshots, page sources) are linked by paths relative to the
report, so the report folder and the artifacts folder can be copied together; evidence
kept in an object store is copied into ``evidence/`` beside the report first. Every
figure in the page comes from the same tables as ``harness export``; every matrix cell
links to the attempt behind it, and every attempt names its ``harness show`` command.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from harness import __version__
from harness.analysis import charts, report_sections, worldmap
from harness.analysis.cells import esc, missing, pct, when
from harness.analysis.definitions import (
    BARRIER_CASES,
    DOMESTIC_COUNTRIES,
    NO_RESULT,
    RNR_BARRIERS,
)
from harness.analysis.evidence_links import Href, evidence_hrefs
from harness.analysis.findings import findings, stored_downloads
from harness.analysis.stats import wilson
from harness.analysis.tables import Analysis, country_order
from harness.support.secrets import mask_url

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1500px;
 padding:0 1.5em;color:#222;line-height:1.45}
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #eee;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f5f5f5;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meta{color:#555;font-size:.92em}.meta code{font-size:.95em}.missing{color:#a00}
.key td:first-child{font-weight:600}
.matrix td{text-align:center;font-weight:700;font-size:.8em;padding:.2em .35em;min-width:2.6em}
.matrix td.app{text-align:left;font-weight:600}
.matrix a{color:inherit;text-decoration:none}
.changed{background:#fff3e0}.new{background:#e8f5e9}
img{max-width:100%;height:auto}img.natural{max-width:none}
details{margin:.6em 0}summary{cursor:pointer;color:#1565c0}
small{color:#666}.wide{overflow-x:auto}.note{color:#555;font-size:.9em;max-width:70em}
svg.worldmap{width:100%;max-width:1400px;height:auto;display:block}
"""




def _img(png: bytes, alt: str, natural: bool = False) -> str:
    """An embedded PNG; ``natural`` keeps its full size in a scrolling box (wide heatmaps)."""
    data = base64.b64encode(png).decode("ascii")
    tag = f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"'
    return f"<div class='wide'>{tag} class='natural'></div>" if natural else tag + ">"




def _table(df: pd.DataFrame, columns: Sequence[str], numeric: Iterable[str] = (),
           css: str = "") -> str:
    nums = set(numeric)
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in df[list(columns)].itertuples(index=False, name=None):
        cells = []
        for col, value in zip(columns, row, strict=True):
            if col.endswith(("share", "ci_low", "ci_high")):
                cells.append(f"<td class='n'>{pct(value, 1)}</td>")
            elif isinstance(value, datetime):
                cells.append(f"<td>{when(value)}</td>")
            else:
                cells.append(f"<td{' class=n' if col in nums else ''}>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cls = f" class='{css}'" if css else ""
    return f"<div class='wide'><table{cls}><tr>{head}</tr>{''.join(body)}</table></div>"


def _summary_block(summary: pd.DataFrame) -> str:
    rows = []
    for metric, value, k, n, lo, hi, text in summary[
            ["metric", "value", "numerator", "denominator", "ci_low", "ci_high",
             "description"]].itertuples(index=False, name=None):
        if pd.isna(n):
            shown = f"{int(value):,}"
        else:
            shown = (f"{pct(value, 1)} <small>({int(k)}/{int(n)}; 95% CI {pct(lo, 1)}–"
                     f"{pct(hi, 1)})</small>")
        rows.append(f"<tr><td>{esc(metric)}</td><td class='n'>{shown}</td>"
                    f"<td>{esc(text)}</td></tr>")
    return "<table class='key'><tr><th>figure</th><th>value</th><th>meaning</th></tr>" + \
        "".join(rows) + "</table>"


def _matrix_html(matrix: pd.DataFrame) -> str:
    if matrix.empty:
        return "<p>No measurements in the selection.</p>"
    countries = country_order(matrix)
    names = dict(zip(matrix["app"], matrix["app_name"], strict=False))
    cells = {(a, c): row for a, c, row in zip(matrix["app"], matrix["country"],
                                               matrix.itertuples(index=False), strict=True)}
    out = ["<div class='wide'><table class='matrix'><tr><th>app \\ country</th>",
           *(f"<th>{esc(c)}</th>" for c in countries), "</tr>"]
    for app in sorted(names):
        out.append(f"<tr><td class='app'>{esc(names[app])} <small>{esc(app)}</small></td>")
        for country in countries:
            row: Any = cells.get((app, country))
            if row is None:
                out.append("<td></td>")
                continue
            color = charts.OUTCOME_COLORS.get(row.outcome, "#ddd")
            dark = row.outcome in {"access:limited", "barrier:phone_country_unsupported",
                                   "barrier:sms_not_delivered", "barrier:feature_restricted",
                                   NO_RESULT}
            mark = "?" if row.confirmation == "unconfirmed" else ""
            tip = (f"{row.outcome} ({row.confirmation}): {row.agreeing_attempts} agreeing of "
                   f"{row.conclusive_attempts} conclusive, {row.failure_attempts} failed; "
                   f"latest {when(row.latest_at)}"
                   + (f"; reclassified (rules {row.latest_rules_version})"
                      if not missing(row.latest_reclassified) and row.latest_reclassified
                      else "")
                   + (f"; store: {row.store_result}" if isinstance(row.store_result, str)
                      else ""))
            label = esc(charts.short_label(row.outcome)) + mark
            link = (f"<a href='#m-{esc(row.latest_measurement_id)}'>{label}</a>"
                    if isinstance(row.latest_measurement_id, str) else label)
            out.append(f"<td title='{esc(tip)}' style='background:{color};"
                       f"color:{'#222' if dark else '#fff'}'>{link}</td>")
        out.append("</tr>")
    out.append("</table></div>")
    return "".join(out)


def _change_rows(changes: pd.DataFrame) -> str:
    rows = []
    for r in changes.itertuples(index=False):
        rows.append(
            f"<tr class='{esc(r.change)}'><td>{esc(r.change)}</td><td>{esc(r.app_name)} "
            f"<small>{esc(r.app)}</small></td><td>{esc(r.country)}</td>"
            f"<td>{esc(r.previous_outcome) or '–'}<br><small>{when(r.previous_started_at)}"
            f"</small></td><td>{esc(r.current_outcome)}<br><small>"
            f"{when(r.current_started_at)}</small></td>"
            f"<td><code>harness show {esc(str(r.current_measurement_id)[:12])}</code></td></tr>")
    return ("<table><tr><th>change</th><th>app</th><th>country</th><th>before</th>"
            "<th>now</th><th>evidence</th></tr>" + "".join(rows) + "</table>")


def _changes_block(changes: pd.DataFrame, current: str | None) -> str:
    if current is None:
        return "<p>No conclusive measurement in the selection.</p>"
    out = [f"<p>Newest run in the selection: <code>{esc(current)}</code>. Each of its "
           "instances is compared with the latest conclusive attempt of the same app and "
           "country before that run.</p>"]
    changed = changes[changes["change"] == "changed"]
    new = changes[changes["change"] == "new"]
    if changed.empty:
        out.append("<p><b>No outcome changed.</b></p>")
    else:
        out.append(f"<p><b>{len(changed)} instance{'s' if len(changed) != 1 else ''} "
                   "changed outcome:</b></p>" + _change_rows(changed))
    if not new.empty:
        out.append(f"<details><summary>{len(new)} instance{'s' if len(new) != 1 else ''} "
                   "measured for the first time in the selection</summary>"
                   + _change_rows(new) + "</details>")
    return "".join(out)


def _evidence_links(mid: str, hrefs: Mapping[tuple[str, str], Href]) -> str:
    """Links to an attempt's screenshot and page source, relative to the report folder
    (``harness.analysis.evidence_links``); a file that could not be found is named
    missing."""
    out = []
    for kind, label in (("screenshot", "screenshot"), ("page_source", "page source")):
        if (mid, kind) not in hrefs:
            continue
        href = hrefs[(mid, kind)]
        out.append(f"<a href='{esc(href)}'>{label}</a>" if href is not None
                   else f"<span class='missing'>{label} missing</span>")
    return " · ".join(out)


def _rule_cell(r: Any, d: Mapping[str, str]) -> str:
    """The rule, matched text, rules version and store result of a matrix row's attempt."""
    why = esc(r.latest_rule_id) + (f": {esc(d.get('matched_text'))}"
                                  if d.get("matched_text") else "")
    why += f"<br><small>rules {esc(r.latest_rules_version)}"
    if not missing(r.latest_reclassified) and r.latest_reclassified:
        why += f"; reclassified, as measured: {esc(d.get('measured_outcome'))}"
    if d.get("store_result"):
        why += f"; store: {esc(d.get('store_result'))}"
        if d.get("store_rule_id"):
            why += f" ({esc(d.get('store_rule_id'))})"
    return why + "</small>"


def _attempt_row(r: Any, d: Mapping[str, str], links: str) -> str:
    """The evidence table's row of one matrix row (its latest attempt)."""
    mid = str(r.latest_measurement_id)
    return (
        f"<tr id='m-{esc(mid)}'><td>{esc(r.app_name)} <small>{esc(r.app)}</small></td>"
        f"<td>{esc(r.country)} <small>{esc(d.get('profile_id'))}</small></td>"
        f"<td>{esc(r.outcome)}<br><small>stage {esc(r.latest_stage)}</small></td>"
        f"<td>{esc(r.confirmation)}<br><small>{r.agreeing_attempts} agreeing / "
        f"{r.conclusive_attempts} conclusive, {r.failure_attempts} failed</small></td>"
        f"<td>{_rule_cell(r, d)}</td><td>{links}<br><code>harness show {esc(mid[:12])}</code>"
        f"<br><small>{when(r.latest_at)}</small></td></tr>")


def _failures_table(failures: pd.DataFrame, links: Callable[[str], str]) -> str:
    """The heading, note and table of the newest instrument failures."""
    out = [f"<h3>Instrument failures ({len(failures)} newest)</h3><p class='note'>"
           "Failures are faults of the instrument (device, proxy, unknown screen); "
           "they are never counted as barriers.</p><table><tr><th>app</th>"
           "<th>country</th><th>failure</th><th>detail</th><th>evidence</th></tr>"]
    for f in failures.itertuples(index=False):
        mid = str(f.measurement_id)
        out.append(f"<tr id='m-{esc(mid)}'><td>{esc(f.scenario_id)}</td>"
                   f"<td>{esc(f.country)} <small>{esc(f.profile_id)}</small></td>"
                   f"<td>{esc(f.failure)}<br><small>stage {esc(f.stage)}</small></td>"
                   f"<td>{esc(f.failure_detail)}</td><td>{links(mid)}<br><code>harness "
                   f"show {esc(mid[:12])}</code><br><small>{when(f.started_at)}</small>"
                   "</td></tr>")
    out.append("</table>")
    return "".join(out)


def _evidence_block(analysis: Analysis, matrix: pd.DataFrame, failures: pd.DataFrame,
                    report_dir: Path) -> str:
    """The attempt behind each matrix cell, then the newest failures, with their evidence."""
    ids = [str(i) for i in matrix["latest_measurement_id"].dropna()]
    ids += [str(i) for i in failures.get("measurement_id", pd.Series(dtype=str))]
    hrefs = evidence_hrefs(analysis.evidence(ids), analysis.store.artifacts, report_dir)
    details = analysis.attempt_details(ids)
    links = partial(_evidence_links, hrefs=hrefs)
    rows = [_attempt_row(r, details.get(str(r.latest_measurement_id), {}),
                         links(str(r.latest_measurement_id)))
            for r in matrix.dropna(subset=["latest_measurement_id"]).itertuples(index=False)]
    out = ["<div class='wide'><table><tr><th>app</th><th>country</th><th>latest outcome</th>"
           "<th>confirmation</th><th>rule and matched text</th><th>evidence</th></tr>",
           *rows, "</table></div>"]
    if not failures.empty:
        out.append(_failures_table(failures, links))
    return "".join(out)


def _cases_block(analysis: Analysis, matrix: pd.DataFrame) -> str:
    """Store barrier only, sign-up barrier only, both, neither: instances abroad."""
    cases = analysis.barrier_cases()
    complete = sum(n for case, n in cases.items() if case != "incomplete")
    rows = []
    for case, meaning in BARRIER_CASES.items():
        n = cases[case]
        if case == "incomplete":
            shown = "–"
        else:
            lo, hi = wilson(n, complete) if complete else (math.nan, math.nan)
            shown = (f"{pct(n / complete if complete else math.nan, 1)} <small>(95% CI "
                     f"{pct(lo, 1)}–{pct(hi, 1)})</small>")
        rows.append(f"<tr><td>{esc(case)}</td><td class='n'>{n}</td><td class='n'>{shown}"
                    f"</td><td>{esc(meaning)}</td></tr>")
    out = ["<p class='note'>The store check is its own observation: by default sign-up is "
           "still measured on a device that has the app, so an instance can show a store "
           "barrier, a sign-up barrier, or both. Shares are over the instances abroad "
           f"whose store and sign-up sides are both observed ({complete}).</p>",
           "<table><tr><th>case</th><th>instances</th><th>share</th><th>meaning</th></tr>",
           *rows, "</table>"]
    abroad = matrix[~matrix["country"].isin(DOMESTIC_COUNTRIES)]
    if not abroad.empty:
        per_app = (abroad.groupby(["app", "barrier_case"]).size().unstack(fill_value=0)
                   .reindex(columns=list(BARRIER_CASES), fill_value=0).reset_index())
        out.append("<details><summary>per app</summary>"
                   + _table(per_app, ["app", *BARRIER_CASES], numeric=BARRIER_CASES)
                   + "</details>")
    return "".join(out)


def _verdicts_note(analysis: Analysis) -> str:
    if analysis.filters.as_measured:
        return ("<p class='note'><b>Verdicts as measured</b> (<code>--as-measured</code>): "
                "reclassifications are ignored.</p>")
    n = analysis.reclassified_count()
    return ("<p class='note'><b>Verdicts:</b> each attempt's latest classification (its "
            "newest <code>harness reclassify</code> verdict, else its own); "
            f"{n:,} attempt{'s' if n != 1 else ''} in the selection carr"
            f"{'y' if n != 1 else 'ies'} a reclassified verdict. "
            "<code>--as-measured</code> shows the verdicts as measured.</p>")


def _scope(analysis: Analysis) -> str:
    f = analysis.filters.describe()
    parts = []
    for key, value in f.items():
        if value in (None, [], {}, False):
            continue
        parts.append(f"{key}={value}")
    if analysis.runs:
        parts.append("resolved runs=" + ", ".join(r[:12] for r in analysis.runs))
    return ", ".join(parts) or "all measurements except simulator rows"


def _header(analysis: Analysis, title: str) -> list[str]:
    """The page head, the title, the selection and the definitions behind every figure."""
    conf = analysis.confirmation
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='meta'>Generated {now} by harness {__version__} from "
        f"<code>{esc(mask_url(str(analysis.store.engine.url)))}</code>. Selection: "
        f"{esc(_scope(analysis))}.</p>",
        "<p class='note'>An <b>instance</b> is one (app, country) pair. Its outcome is the "
        "latest <i>conclusive</i> attempt (access or barrier); instrument failures and "
        "aborted attempts are never counted. An outcome is <b>confirmed</b> when the latest "
        f"{conf.min_attempts} or more consecutive conclusive attempts agree and span at least "
        f"{conf.min_hours:g} hours; otherwise it is shown as unconfirmed (<b>?</b>). "
        "<b>RNR barriers</b> (identifiability demanded): "
        + ", ".join(f"<code>{c}</code>" for c in RNR_BARRIERS) +
        ". Rates are over instances abroad (mainland China excluded) with Wilson 95% "
        "intervals. Definitions: docs/analysis.md; columns: docs/data-dictionary.md.</p>",
        _verdicts_note(analysis),
    ]


def _map_section(matrix: pd.DataFrame) -> list[str]:
    """The world map of barrier shares by country (inline SVG) and what its colour means."""
    return [
        "<h2 id='rates-by-country'>Barrier rates by country</h2><p class='note'>Each tested "
        "country is coloured "
        "by its <b>barrier share</b>: of the apps tested there with a conclusive latest "
        "outcome, the share whose latest outcome is a barrier, from pale yellow (0%) to "
        "dark red (100%). Light grey: not tested; hatched: domestic "
        f"({', '.join(DOMESTIC_COUNTRIES)}), left out of every rate. Point at a country "
        "for its figures (barrier instances / instances); a share over a handful of apps "
        "is coarse, and the regional rates above carry the 95% intervals.</p>",
        worldmap.world_map_svg(worldmap.country_rates(matrix)),
    ]


def _rates_sections(by_region: pd.DataFrame, by_app: pd.DataFrame, matrix: pd.DataFrame
                    ) -> list[str]:
    """The barrier rates by region (chart and table), by country (map), and the per-app
    table."""
    return [
        "<h2>Barrier rates by region</h2>", _img(charts.region_rates(by_region),
                                                  "barrier rates by region"),
        _table(by_region, ["region_name", "apps", "countries", "instances",
                           "no_result_instances", "barrier_instances", "barrier_share",
                           "barrier_ci_low", "barrier_ci_high", "rnr_instances", "rnr_share",
                           "rnr_ci_low", "rnr_ci_high", "confirmed_instances"],
               numeric=["apps", "countries", "instances", "no_result_instances",
                        "barrier_instances", "rnr_instances", "confirmed_instances"]),
        *_map_section(matrix),
        "<h2>Apps: identifiability enforced abroad?</h2>",
        _table(by_app, ["app", "app_name", "countries_tested", "barrier_countries",
                        "barrier_share", "barrier_ci_low", "barrier_ci_high", "rnr_countries",
                        "enforces_identifiability", "enforces_identifiability_confirmed",
                        "rnr_barriers"],
               numeric=["countries_tested", "barrier_countries", "rnr_countries"]),
    ]


def _funnel_section(funnel: pd.DataFrame) -> list[str]:
    """How far sign-up got: the funnel chart and its table."""
    return [
        "<h2>How far sign-up got</h2>", _img(charts.funnel(funnel), "funnel"),
        _table(funnel, ["stage", "reached", "reached_share", "stopped_by_barrier",
                        "ended_with_access", "continued"],
               numeric=["reached", "stopped_by_barrier", "ended_with_access", "continued"]),
    ]


def render_report(analysis: Analysis, report_dir: Path, title: str | None = None,
                  failures_limit: int = 200) -> str:
    """The report as one HTML string; evidence links are relative to ``report_dir``."""
    tables = analysis.tables()
    matrix = tables["barrier_matrix"]
    current = analysis.current_run()
    failures = analysis.failures(failures_limit)
    title = title or "Real-name registration barriers: report"
    downloads, trend = stored_downloads(analysis, by_app=tables["by_app"])
    figures = findings(analysis, downloads, tables["by_region"], tables["summary"])
    parts = [
        *_header(analysis, title),
        *report_sections.findings_section(figures),
        "<h2>Key figures</h2>", _summary_block(tables["summary"]),
        "<h2>Outcome per app and country</h2>", _img(charts.heatmap(matrix),
                                                      "heatmap of outcomes", natural=True),
        "<details><summary>The same matrix as a table (each cell links to its evidence)"
        "</summary>", _matrix_html(matrix), "</details>",
        "<h2>Changes since the previous run</h2>", _changes_block(tables["changes"], current),
        *_rates_sections(tables["by_region"], tables["by_app"].copy(), matrix),
        *report_sections.regional_section(tables["regional_contrasts"],
                                          tables["app_regions"]),
        *report_sections.trend_section(downloads, trend),
        "<h2>Store and sign-up barriers</h2>", _cases_block(analysis, matrix),
        *_funnel_section(tables["funnel"]),
        "<h2>Evidence</h2><p class='note'>The attempt behind each instance's outcome. Links "
        "open the last screenshot and page source saved by the attempt; "
        "<code>harness show ID</code> prints its steps.</p>",
        _evidence_block(analysis, matrix, failures, report_dir),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(analysis: Analysis, path: Path, title: str | None = None) -> Path:
    """Write the report to ``path`` (folders created) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(analysis, path.parent, title)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
