"""One page per app (``apps/<scenario id>.html``) and the list of apps
(``apps/index.html``).

An app page has the app's figures abroad, its outcome in each country (grouped by
region, with confirmation, stage, the rule that fired, the app store's answer and the
outcomes of its attempts over time), its funnel, the rules that fired, its store
availability, its runs and changes, the verdict screenshot of every barrier inline, and
its instrument failures.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from harness.analysis.definitions import DOMESTIC_COUNTRIES, NO_RESULT, REGION_LABELS
from harness.analysis.site import evidence
from harness.analysis.site.history import per_run
from harness.analysis.site.labels import (
    CONFIRMATION_LABELS,
    STORE_RESULT_LABELS,
    column_label,
    outcome_code,
    outcome_label,
    stage_label,
)
from harness.analysis.site.layout import esc, pct, records, sample_text, share_text, table, when
from harness.analysis.site.matrix import app_cell, chip, funnel_rows, region_groups
from harness.analysis.site.model import AppInfo, SiteData
from harness.analysis.site.overview import funnel_html

ROOT = "../"


def confirmation_cell(row: Any) -> str:
    """Confirmed, or not yet (with the support), and what was confirmed before."""
    text = esc(CONFIRMATION_LABELS.get(row.confirmation, row.confirmation))
    if row.confirmation == NO_RESULT:
        return text
    failed = f", {row.failure_attempts} failed" if row.failure_attempts else ""
    text += (f"<br><small>{row.agreeing_attempts} of {row.conclusive_attempts} agree"
             f"{failed}</small>")
    before = row.confirmed_outcome
    if row.confirmation != "confirmed" and isinstance(before, str):
        text += f"<br><small>confirmed before: {chip(before)}</small>"
    return text


def history_chips(data: SiteData, app: str, country: str) -> str:
    """The instance's streaks, oldest first: each outcome's code with its attempts."""
    s = data.streaks
    mine = s[(s["app"] == app) & (s["country"] == country)]
    out = []
    for r in records(mine):
        text = outcome_code(r.outcome) + (f"×{r.attempts}" if r.attempts > 1 else "")
        text += "✓" if r.confirmed else ""
        out.append(chip(r.outcome, text, f"{when(r.first_at)} to {when(r.last_at)}: "))
    return " → ".join(out) or "–"


def store_cell(row: Any) -> str:
    """What the app store answered: the instance's conclusive store result, else what its
    latest attempt recorded (not checked, check failed)."""
    code = row.store_result if isinstance(row.store_result, str) else row.latest_store_result
    return esc(STORE_RESULT_LABELS.get(code, code)) if isinstance(code, str) else "–"


def _country_row(data: SiteData, row: Any) -> list[str]:
    c = data.country(str(row.country))
    link = (f"<a href='{ROOT}countries/{esc(c.code)}.html'>{esc(c.name)}</a> "
            f"<small>{esc(c.code)}</small>")
    if c.code in DOMESTIC_COUNTRIES:
        link += "<br><small>domestic: not in the rates</small>"
    ev = (f"<a href='#ev-{esc(row.country)}-{esc(row.app)}'>screen</a>"
          if str(row.status) == "barrier" else
          evidence.links(data, str(row.latest_measurement_id), ROOT)
          if isinstance(row.latest_measurement_id, str) else "–")
    return [link, f"{chip(row.outcome)} {esc(outcome_label(row.outcome))}",
            confirmation_cell(row), esc(stage_label(row.latest_stage)),
            evidence.why(data, row, versions=False), store_cell(row),
            history_chips(data, row.app, row.country),
            ev]


def countries_section(data: SiteData, rows: pd.DataFrame) -> list[str]:
    """The app's outcome per country, one table per region."""
    head = ["Country", column_label("outcome"), column_label("confirmation"),
            column_label("latest_stage"), column_label("latest_rule_id"),
            column_label("store_result"), "Attempts over time", "Evidence"]
    out = ["<h2 id='countries'>Outcome in each country</h2>",
           "<p class='note'>The latest conclusive outcome per country and its support. "
           "<i>Attempts over time</i> lists the runs of agreeing attempts, oldest first "
           "(×3: three attempts; ✓: that run confirmed its outcome).</p>"]
    by_code = {str(r.country): r for r in records(rows)}
    for region, codes in region_groups(rows):
        out.append(f"<h3>{esc(REGION_LABELS.get(region, region or 'Other'))}</h3>")
        out.append(table(head, [_country_row(data, by_code[c]) for c in codes],
                         ids=[f"c-{c}" for c in codes], limit=10_000))
    return out


def _summary_cards(data: SiteData, app: AppInfo) -> str:
    t = data.tables["by_app"]
    row = t[t["app"] == app.id]
    if row.empty:
        return "<p class='note'>No conclusive result abroad yet.</p>"
    r = row.iloc[0]
    n = int(r["countries_tested"])
    enforces = "yes" if bool(r["enforces_identifiability"]) else "no"
    how = "an RNR barrier is the latest outcome in some country"
    if bool(r["enforces_identifiability_confirmed"]):
        how = "confirmed: " + how
    elif enforces == "yes":
        how = "not yet confirmed: " + how
    cards = [
        ("Countries tested abroad", f"{n}", "with a conclusive latest outcome"),
        ("Countries with a barrier", pct(r["barrier_share"]),
         sample_text(int(r["barrier_countries"]), n, r["barrier_ci_low"],
                     r["barrier_ci_high"])),
        ("Countries with an RNR barrier", f"{int(r['rnr_countries'])}",
         esc(", ".join(outcome_label(f"barrier:{b}") for b in
                       _text(r["rnr_barriers"]).split(";") if b)) or "none"),
        ("Enforces real-name registration abroad", enforces, how),
    ]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><div class='t'>{esc(t_)}</div><div class='v'>{v}</div>"
        f"<div class='d'>{d}</div></div>" for t_, v, d in cards) + "</div>"


def _rules_section(data: SiteData, rows: pd.DataFrame) -> list[str]:
    fired = rows.dropna(subset=["latest_rule_id"])
    if fired.empty:
        return ["<h2 id='rules'>Rules that fired</h2><p>No rule decided an outcome.</p>"]
    groups = fired.groupby(["latest_rule_id", "outcome"], sort=False)
    body = []
    for (rule, outcome), g in sorted(groups, key=lambda kv: -len(kv[1])):
        sample = data.details.get(str(g["latest_measurement_id"].iloc[0]), {})
        body.append([f"<code>{esc(rule)}</code>", f"{chip(outcome)} "
                     f"{esc(outcome_label(outcome))}", f"{len(g)}",
                     esc(", ".join(sorted(g["country"]))),
                     f"“{esc(sample.get('matched_text'))}”" if sample.get("matched_text")
                     else "–"])
    return ["<h2 id='rules'>Rules that fired</h2>",
            "<p class='note'>The rule behind each country's latest outcome (rules are data: "
            "<code>harness rules</code> lists them).</p>",
            table(["Rule", column_label("outcome"), "Countries", "Where",
                   "Text it matched (one example)"], body, numeric=(2,))]


def _store_section(rows: pd.DataFrame) -> list[str]:
    seen = (rows["store_result"].where(rows["store_result"].notna(),
                                       rows["latest_store_result"])
            .astype("object").where(lambda v: v.notna(), "not recorded"))
    counts = seen.value_counts()
    body = [[esc(STORE_RESULT_LABELS.get(str(k), str(k))), f"{int(v)}",
             esc(", ".join(sorted(rows.loc[seen == k, "country"])))]
            for k, v in counts.items()]
    return ["<h2 id='store'>App store availability</h2>",
            "<p class='note'>What the country's app store answered on the latest attempt "
            "(the sign-up is still measured on a device that has the app).</p>",
            table(["App store", "Countries", "Where"], body, numeric=(1,))]


def _history_section(data: SiteData, app: AppInfo) -> list[str]:
    mine = data.attempts[data.attempts["scenario_id"] == app.id]
    runs = per_run(mine)
    body = [[f"<code>{esc(str(r.run_id)[:12])}</code>", when(r.started), f"{r.attempts}",
             f"{r.access}", f"{r.barrier}", f"{r.failure}", f"{r.countries}"]
            for r in records(runs)]
    ev = data.events[data.events["app"] == app.id]
    out = ["<h2 id='history'>History</h2>",
           table(["Run", column_label("started_at"), "Attempts", "Access", "Barrier",
                  "Failed", column_label("countries")], body[::-1], numeric=(2, 3, 4, 5, 6),
                 more="runs")]
    if ev.empty:
        out.append("<p class='note'>No outcome has changed in any country: each country "
                   "has kept its first outcome.</p>")
    else:
        out.append(f"<p class='note'>{len(ev)} change{'s' if len(ev) != 1 else ''} of "
                   f"outcome; the <a href='{ROOT}changes.html'>changes page</a> lists them "
                   "with their confirmation.</p>")
    return out


def _evidence_section(data: SiteData, rows: pd.DataFrame) -> list[str]:
    barriers = rows[rows["status"] == "barrier"]
    ordered = barriers.sort_values(["confirmed", "country"], ascending=[False, True])
    items = list(records(ordered))
    heads = [f"{esc(data.country(str(r.country)).name)} <small>{esc(r.country)}</small>"
             for r in items]
    return ["<h2 id='evidence'>Evidence: the screen of each barrier</h2>",
            "<p class='note'>The last screen the attempt saw, as saved with its page source. "
            "Click a screen for full size.</p>",
            evidence.cards(data, items, heads, ROOT)]


def _failures_section(data: SiteData, app: AppInfo) -> list[str]:
    f = data.failures
    mine = f[f["scenario_id"] == app.id] if not f.empty else f
    if mine.empty:
        return []
    return ["<h2 id='failures'>Instrument failures</h2>",
            "<p class='note'>Faults of the instrument (device, proxy, unknown screen), "
            "never counted as barriers.</p>",
            table(["Country", column_label("failure"), column_label("failure_detail"),
                   "Evidence", column_label("started_at")],
                  evidence.failure_rows(data, mine, ROOT, "country"), more="failures")]


def app_body(data: SiteData, app: AppInfo) -> str:
    """The body of an app's page."""
    rows = data.matrix[data.matrix["app"] == app.id]
    facts = [f"scenario <code>{esc(app.id)}</code>"]
    if app.package:
        facts.append(f"package <code>{esc(app.package)}</code>")
    facts += [esc(x) for x in (app.developer, app.category) if x]
    title = (f"<span class='local'>{esc(app.local)}</span> <span class='latin'>"
             f"{esc(app.name)}</span>" if app.local else esc(app.name))
    abroad = rows[~rows["country"].isin(DOMESTIC_COUNTRIES)]
    return "".join([
        f"<h1>{title}</h1><p class='sub'>{' · '.join(facts)}</p>",
        _summary_cards(data, app), *countries_section(data, rows),
        "<h2 id='funnel'>How far sign-up got</h2>", funnel_html(funnel_rows(abroad)),
        *_rules_section(data, rows), *_store_section(rows), *_history_section(data, app),
        *_evidence_section(data, rows), *_failures_section(data, app)])


def apps_index_body(data: SiteData) -> str:
    """The list of apps with their figures abroad."""
    by_app = {str(r.app): r for r in records(data.tables["by_app"])}
    body = []
    for app in data.apps.values():
        r = by_app.get(app.id)
        if r is None:
            body.append([app_cell(app, ROOT), "0", "–", "–", "no"])
            continue
        enforces = "no"
        if bool(r.enforces_identifiability):
            enforces = "yes" + (" (confirmed)" if bool(r.enforces_identifiability_confirmed)
                                else "")
        body.append([
            app_cell(app, ROOT), f"{int(r.countries_tested)}",
            share_text(int(r.barrier_countries), int(r.countries_tested),
                       r.barrier_ci_low, r.barrier_ci_high),
            f"{int(r.rnr_countries)}", enforces])
    head = ["App", column_label("countries_tested"), column_label("barrier_countries"),
            column_label("rnr_countries"), column_label("enforces_identifiability")]
    return ("<h1>Apps</h1><p class='sub'>Each app's figures over the countries tested "
            "abroad; the app's page has its evidence.</p>"
            + table(head, body, numeric=(1, 3), limit=100, more="apps"))


def _text(value: object) -> str:
    """A text cell, or "" for a missing one (None, or pandas' NaN for an empty cell)."""
    return value if isinstance(value, str) else ""


__all__ = ["app_body", "apps_index_body", "confirmation_cell", "countries_section",
           "history_chips", "store_cell"]
