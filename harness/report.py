"""A self-contained HTML page for one run: the barrier table and every verdict's evidence.

Nothing is loaded from the internet; evidence is linked by relative path so the report
folder and the artifacts folder can be copied together.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from harness.storage.models import Measurement
from harness.storage.store import Store
from harness.table import SHORT, Cell

_COLORS = {"green": "#1b7f3b", "yellow": "#a66f00", "red": "#b3261e", "magenta": "#7b1fa2",
           "dim": "#777"}


def _cell(m: Measurement) -> Cell:
    return Cell(m.scenario_id, m.profile_id, m.status, m.barrier, m.failure, m.access_level)


def write_run_report(store: Store, run_id: str, path: Path) -> Path:
    rows = store.measurements([run_id])
    path.parent.mkdir(parents=True, exist_ok=True)
    apps = sorted({m.scenario_id for m in rows})
    profiles = sorted({m.profile_id for m in rows})
    grid = {(m.scenario_id, m.profile_id): m for m in rows}
    art_rel = os.path.relpath(store.artifacts_dir.resolve(), path.parent.resolve())
    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Barrier table, run {e(run_id[:8])}</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:center}"
        "th{background:#f4f4f4}td.app{text-align:left;font-weight:600}"
        "small{color:#666}.ev td{text-align:left}",
        "</style></head><body>",
        f"<h1>Barrier table</h1><p>Run <code>{e(run_id)}</code>, {len(rows)} measurements, "
        f"backend {e(rows[0].backend if rows else '-')}. Each cell is the outcome of one "
        "attempt; hover for the rule that concluded it.</p>",
        "<table><tr><th>app \\ profile</th>",
        *[f"<th>{e(p)}</th>" for p in profiles], "</tr>",
    ]
    for app in apps:
        out.append(f"<tr><td class='app'>{e(app)}</td>")
        for prof in profiles:
            m = grid.get((app, prof))
            if m is None:
                out.append("<td>·</td>")
                continue
            label, color = SHORT.get(_cell(m).outcome, (_cell(m).outcome, "dim"))
            tip = f"{_cell(m).outcome} rule={m.rule_id or '-'} stage={m.stage}"
            out.append(f"<td title='{e(tip)}' style='color:{_COLORS.get(color, '#222')};"
                       f"font-weight:600'><a href='#m-{m.id}' style='color:inherit'>"
                       f"{e(label)}</a></td>")
        out.append("</tr>")
    out.append("</table><p><small>")
    used = sorted({_cell(m).outcome for m in rows})
    out.append("; ".join(f"{e(SHORT.get(o, (o, ''))[0])} = {e(o)}" for o in used))
    out.append("</small></p><h2>Evidence</h2><table class='ev'><tr><th>measurement</th>"
               "<th>outcome</th><th>rule / detail</th><th>final screen</th></tr>")
    for m in sorted(rows, key=lambda r: (r.scenario_id, r.profile_id)):
        with store.session() as s:
            full = s.get(Measurement, m.id)
            arts = list(full.artifacts) if full else []
        shots = [a for a in arts if a.kind == "screenshot"]
        srcs = [a for a in arts if a.kind == "page_source"]
        links = []
        if shots:
            links.append(f"<a href='{e(art_rel + '/' + shots[-1].path)}'>screenshot</a>")
        if srcs:
            links.append(f"<a href='{e(art_rel + '/' + srcs[-1].path)}'>page source</a>")
        why = m.rule_id or m.failure_detail or ""
        if m.matched_text:
            why += f": {m.matched_text[:120]}"
        out.append(f"<tr id='m-{m.id}'><td>{e(m.scenario_id)}-{e(m.profile_id)}<br><small>"
                   f"{e(m.id[:12])}</small></td><td>{e(_cell(m).outcome)}</td>"
                   f"<td>{e(why)}</td><td>{' · '.join(links)}</td></tr>")
    out.append("</table></body></html>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path
