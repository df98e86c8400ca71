"""The changes page (``changes.html``): what changed when, with its confirmation state.

Two views of the same attempts. First the newest run against the previous conclusive
attempt of each instance (the ``changes`` table of ``harness export``). Then every change
of outcome in the selection, newest first: when the new outcome was first seen, what it
replaced, how many attempts have agreed on it since and whether it is confirmed, still
unconfirmed, or was reverted before it could be confirmed
(``harness.analysis.site.history.change_events``).
"""

from __future__ import annotations

import pandas as pd

from harness.analysis.site.evidence import show_command
from harness.analysis.site.labels import column_label, outcome_label
from harness.analysis.site.layout import esc, records, table, when
from harness.analysis.site.matrix import app_cell, chip
from harness.analysis.site.model import SiteData

#: The change states and what they mean.
STATES: dict[str, str] = {
    "confirmed": "confirmed: the new outcome repeated as the confirmation rule asks",
    "unconfirmed": "not yet confirmed: the latest outcome, too few or too close attempts",
    "reverted": "reverted: a later attempt disagreed before it was confirmed",
}


def _outcome(outcome: object) -> str:
    if not isinstance(outcome, str):
        return "–"
    return f"{chip(outcome)} {esc(outcome_label(outcome))}"


def _newest_run(data: SiteData) -> list[str]:
    current = data.analysis.current_run()
    out = ["<h2 id='newest'>The newest run against the one before</h2>"]
    if current is None:
        return [*out, "<p>No conclusive measurement in the selection.</p>"]
    changes: pd.DataFrame = data.tables["changes"]
    changed = changes[changes["change"] == "changed"]
    new = changes[changes["change"] == "new"]
    out.append(f"<p class='note'>Run <code>{esc(current[:12])}</code>: each of its "
               "instances against the latest conclusive attempt of the same app and "
               f"country before it. {len(changed)} changed outcome; {len(new)} "
               f"{'was' if len(new) == 1 else 'were'} measured for the first time.</p>")
    rows = [[app_cell(data.app(str(r.app)), ""),
             esc(data.country(str(r.country)).name),
             f"{_outcome(r.previous_outcome)}<br><small>{when(r.previous_started_at)}"
             "</small>", f"{_outcome(r.current_outcome)}<br><small>"
             f"{when(r.current_started_at)}</small>", show_command(r.current_measurement_id)]
            for r in records(changed)]
    head = [column_label("app_name"), column_label("country"),
            column_label("previous_outcome"), column_label("current_outcome"), "Evidence"]
    if rows:
        out.append(table(head, rows, more="changes"))
    return out


def _event_rows(data: SiteData, events: pd.DataFrame) -> list[list[str]]:
    rows = []
    for e in records(events):
        support = f"{int(e.attempts)} attempt{'s' if e.attempts != 1 else ''}"
        if e.attempts > 1:
            support += f" over {float(e.span_hours):.1f} h"
        rows.append([f"<span class='nw'>{when(e.at)}</span>", app_cell(data.app(str(e.app)), ""),
                     f"<a href='countries/{esc(e.country)}.html'>"
                     f"{esc(data.country(str(e.country)).name)}</a>",
                     _outcome(e.previous_outcome), _outcome(e.outcome), support,
                     esc(STATES.get(str(e.state), str(e.state)).split(":")[0]),
                     show_command(e.measurement_id)])
    return rows


def changes_body(data: SiteData) -> str:
    """The changes page's body."""
    events = data.events
    counts = events["state"].value_counts() if not events.empty else pd.Series(dtype=int)
    states = "".join(f"<li><b>{int(counts.get(k, 0))}</b> {esc(v)}</li>"
                     for k, v in STATES.items())
    head = ["First seen", column_label("app_name"), column_label("country"),
            column_label("previous_outcome"), column_label("current_outcome"),
            "Agreeing since", column_label("confirmation"), "Evidence"]
    rule = data.analysis.confirmation
    return "".join([
        "<h1>Changes</h1><p class='sub'>What changed when, and whether the change is "
        "confirmed.</p>", *_newest_run(data),
        "<h2 id='all'>Every change of outcome</h2>",
        "<p class='note'>A change is an attempt whose conclusive outcome differs from the "
        "instance's previous conclusive attempt (failures in between are skipped). It is "
        f"confirmed once {rule.min_attempts} or more agreeing attempts span at least "
        f"{rule.min_hours:g} hours.</p>", f"<ul>{states}</ul>",
        table(head, _event_rows(data, events), more="changes") if not events.empty
        else "<p>No outcome has changed in the selection: every instance has kept the "
             "outcome of its first conclusive attempt.</p>"])


__all__ = ["STATES", "changes_body"]
