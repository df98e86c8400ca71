"""Evidence on the pages: the verdict screenshot of an attempt inline, with the rule that
fired, the text it matched and links to the screenshot, the page source and the
``harness show`` command that prints the attempt's steps.

The files are the copies in the site's ``evidence/`` folder
(``harness.analysis.evidence_links.copy_evidence``), linked by relative paths so the
site opens from the file system; a file that could not be found is named missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.analysis.site.labels import (
    STORE_RESULT_LABELS,
    failure_label,
    outcome_label,
    stage_label,
)
from harness.analysis.site.layout import esc, missing, records, when
from harness.analysis.site.model import SiteData

#: Evidence cards a section shows before the rest is folded away.
CARDS_SHOWN = 12


def links(data: SiteData, mid: str, root: str) -> str:
    """Links to an attempt's screenshot and page source (or "missing")."""
    out = []
    for kind, label in (("screenshot", "screenshot"), ("page_source", "page source")):
        if (mid, kind) not in data.hrefs:
            continue
        href = data.hrefs[(mid, kind)]
        out.append(f"<a href='{root}{esc(href)}'>{label}</a>" if href is not None
                   else f"<span class='missing'>{label} missing</span>")
    return " · ".join(out) or "<small>no files saved</small>"


def show_command(mid: object) -> str:
    return f"<code>harness show {esc(str(mid)[:12])}</code>"


def why(data: SiteData, row: Any, versions: bool = True) -> str:
    """The rule of a matrix row's latest attempt and its matched text, then (with
    ``versions``, or when it was reclassified) the rules version."""
    d = data.details.get(str(row.latest_measurement_id), {})
    out = f"<code>{esc(row.latest_rule_id)}</code>" if isinstance(row.latest_rule_id, str) \
        else "–"
    if d.get("matched_text"):
        out += f"<br>“{esc(d['matched_text'])}”"
    extra = []
    if not missing(row.latest_reclassified) and bool(row.latest_reclassified):
        extra.append(f"reclassified (rules {esc(row.latest_rules_version)}), as measured: "
                     f"{esc(outcome_label(d.get('measured_outcome')))}")
    elif versions and isinstance(row.latest_rules_version, str):
        extra.append(f"rules {esc(row.latest_rules_version)}")
    return out + (f"<br><small>{'; '.join(extra)}</small>" if extra else "")


def card(data: SiteData, row: Any, heading: str, root: str) -> str:
    """A figure: the verdict screenshot of a matrix row's latest attempt and its facts."""
    mid = str(row.latest_measurement_id)
    shot = data.hrefs.get((mid, "screenshot"))
    img = (f"<a href='{root}{esc(shot)}'><img src='{root}{esc(shot)}' alt='screen of the "
           f"verdict: {esc(outcome_label(row.outcome))}, {esc(heading)}'></a>"
           if shot else "<p class='missing'>no screenshot saved</p>")
    store = row.store_result if isinstance(row.store_result, str) else (
        row.latest_store_result if isinstance(row.latest_store_result, str) else None)
    return (f"<figure id='ev-{esc(row.country)}-{esc(row.app)}'>{img}<figcaption><b>"
            f"{heading}</b><br>{esc(outcome_label(row.outcome))} <small>(stage: "
            f"{esc(stage_label(row.latest_stage))})</small><br>{why(data, row)}"
            + (f"<br><small>App store: {esc(STORE_RESULT_LABELS.get(store, store))}</small>"
               if store else "")
            + f"<br>{links(data, mid, root)}<br>{show_command(mid)}<br>"
            f"<small>{when(row.latest_at)}</small></figcaption></figure>")


def cards(data: SiteData, rows: Sequence[Any], headings: Sequence[str], root: str,
          shown: int = CARDS_SHOWN) -> str:
    """A grid of evidence cards; after ``shown`` the rest is in a ``<details>`` block."""
    if not rows:
        return "<p>No barrier to show evidence for.</p>"
    html = [card(data, r, h, root) for r, h in zip(rows, headings, strict=True)]
    out = f"<div class='ev'>{''.join(html[:shown])}</div>"
    if len(html) > shown:
        out += (f"<details><summary>Show the other {len(html) - shown} screens</summary>"
                f"<div class='ev'>{''.join(html[shown:])}</div></details>")
    return out


def failure_rows(data: SiteData, failures: Any, root: str, by: str) -> list[list[str]]:
    """Rows of an instrument-failure table; ``by`` is the column named in the first cell
    (``scenario_id`` on a country page, ``country`` on an app page)."""
    rows = []
    for f in records(failures):
        mid = str(f.measurement_id)
        first = (esc(data.app(str(f.scenario_id)).label) if by == "scenario_id"
                 else esc(data.country(str(f.country)).name))
        rows.append([first, f"{esc(failure_label(f.failure))}<br><small>stage: "
                     f"{esc(stage_label(f.stage))}</small>",
                     esc(f.failure_detail), f"{links(data, mid, root)}<br>"
                     f"{show_command(mid)}", when(f.started_at)])
    return rows


__all__ = ["CARDS_SHOWN", "card", "cards", "failure_rows", "links", "show_command", "why"]
