"""One page per country (``countries/<XX>.html``) and the list of countries
(``countries/index.html``).

A country page has the country's barrier figures, the fidelity of its vantage point (how
often the SIM, the IP address, the locale, the time zone and the GPS position the device
reported matched the country), each app's outcome there with the verdict screenshot of
every barrier inline, and its instrument failures.
"""

from __future__ import annotations

import pandas as pd

from harness.analysis import worldmap
from harness.analysis.definitions import DOMESTIC_COUNTRIES, REGION_LABELS
from harness.analysis.site import evidence
from harness.analysis.site.app_pages import confirmation_cell, history_chips
from harness.analysis.site.labels import column_label, outcome_label, stage_label
from harness.analysis.site.layout import (
    bar,
    esc,
    pct,
    records,
    sample_text,
    share_text,
    table,
    when,
)
from harness.analysis.site.matrix import app_cell, chip
from harness.analysis.site.model import CountryInfo, SiteData, vantage_rates
from harness.analysis.stats import wilson

ROOT = "../"
MATCH_COLOR = "#1b5e20"

#: What a mismatch of each signal means for the data.
SIGNAL_NOTES: dict[str, str] = {
    "sim_country_match": "An emulator's SIM is always a US one (operator 310260): on an "
                         "emulator this matches only for the US. Findings that depend on "
                         "the SIM need phones with real SIMs.",
    "ip_country_match": "The egress IP's country, from the IP-echo check before the "
                        "attempt; traffic leaving from another country ends the attempt as "
                        "an instrument failure (vantage_mismatch), never a result.",
    "locale_match": "The device's language and region setting.",
    "timezone_match": "The device's time zone.",
    "gps_country_match": "The country of the GPS position the device reported.",
    "device_egress_match": "The country of the device's own traffic, checked from the "
                           "device when the profile asks for it.",
}


def _fidelity_rows(rates: pd.DataFrame, country: str) -> list[list[str]]:
    rows = []
    for r in records(rates):
        n, k = int(r.observed), int(r.matched)
        if n:
            lo, hi = wilson(k, n)
            rate = f"{bar(k / n, lo, hi, MATCH_COLOR)}"
            text = share_text(k, n, lo, hi)
        else:
            rate, text = "", "not observed in these attempts"
        note = SIGNAL_NOTES.get(str(r.signal), "")
        if r.signal == "sim_country_match" and r.value == "US" and country != "US":
            note = "<b>The SIM reports US.</b> " + note
        rows.append([esc(r.label), rate, text, esc(r.value) if r.value else "–", note])
    return rows


def fidelity_section(data: SiteData, country: str) -> list[str]:
    """The vantage signals' match rates over every attempt in the country."""
    mine = data.attempts[data.attempts["country"] == country]
    rates = vantage_rates(mine)
    head = ["Signal", "Matched the country", "", "Value seen most", "What it means"]
    return ["<h2 id='vantage'>Vantage fidelity</h2>",
            f"<p class='note'>Of the {len(mine):,} attempts in {esc(country)}, how often "
            "each signal the device reported matched the country (95% Wilson interval). A "
            "result is only as good as the signals that matched; "
            f"<a href='{ROOT}methodology.html#vantage'>methodology</a> explains each.</p>",
            table(head, _fidelity_rows(rates, country), limit=50) if not rates.empty
            else "<p>No attempt.</p>"]


def _cards(data: SiteData, country: CountryInfo, rows: pd.DataFrame) -> str:
    if country.code in DOMESTIC_COUNTRIES:
        return ("<p class='note'>Domestic: real-name registration is the law here, so this "
                "country's instances are left out of every rate.</p>")
    rates = worldmap.country_rates(rows)
    n = int(rates["instances"].sum()) if not rates.empty else 0
    k = int(rates["barrier_instances"].sum()) if not rates.empty else 0
    rnr = int(rows["rnr"].fillna(False).astype(bool).sum())
    lo, hi = wilson(k, n) if n else (float("nan"), float("nan"))
    rlo, rhi = wilson(rnr, n) if n else (float("nan"), float("nan"))
    cards = [("Apps with a result", f"{n}", f"of {len(rows)} apps tried"),
             ("Apps with a barrier", pct(k / n) if n else "–", sample_text(k, n, lo, hi)),
             ("Apps with an RNR barrier", pct(rnr / n) if n else "–",
              sample_text(rnr, n, rlo, rhi))]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><div class='t'>{esc(t)}</div><div class='v'>{v}</div>"
        f"<div class='d'>{d}</div></div>" for t, v, d in cards) + "</div>"


def _app_rows(data: SiteData, rows: pd.DataFrame) -> list[list[str]]:
    out = []
    for r in records(rows):
        app = data.app(str(r.app))
        ev = (f"<a href='#ev-{esc(r.country)}-{esc(r.app)}'>screen</a>"
              if str(r.status) == "barrier" else
              evidence.links(data, str(r.latest_measurement_id), ROOT)
              if isinstance(r.latest_measurement_id, str) else "–")
        out.append([app_cell(app, ROOT), f"{chip(r.outcome)} {esc(outcome_label(r.outcome))}",
                    confirmation_cell(r), esc(stage_label(r.latest_stage)),
                    evidence.why(data, r, versions=False),
                    history_chips(data, str(r.app), str(r.country)),
                    ev])
    return out


def country_body(data: SiteData, country: CountryInfo) -> str:
    """The body of a country's page."""
    matrix = data.matrix
    rows = matrix[matrix["country"] == country.code]
    order = {a: i for i, a in enumerate(data.apps)}
    rows = rows.assign(_o=rows["app"].map(order)).sort_values("_o").drop(columns="_o")
    mine = data.attempts[data.attempts["country"] == country.code]
    profiles = sorted({str(p) for p in mine["profile_id"].dropna()})
    facts = [esc(REGION_LABELS.get(country.region, country.region)),
             f"device profile{'s' if len(profiles) != 1 else ''} "
             + ", ".join(f"<code>{esc(p)}</code>" for p in profiles),
             f"{len(mine):,} attempts"]
    barriers = rows[rows["status"] == "barrier"]
    items = list(records(barriers))
    heads = [esc(data.app(str(r.app)).label) for r in items]
    failures = data.failures
    failed = failures[failures["country"] == country.code] if not failures.empty \
        else failures
    head = ["App", column_label("outcome"), column_label("confirmation"),
            column_label("latest_stage"), column_label("latest_rule_id"),
            "Attempts over time", "Evidence"]
    parts = [f"<h1>{esc(country.name)} <span class='latin'>{esc(country.code)}</span></h1>",
             f"<p class='sub'>{' · '.join(facts)}</p>", _cards(data, country, rows),
             *fidelity_section(data, country.code),
             "<h2 id='apps'>Outcome of each app</h2>",
             table(head, _app_rows(data, rows), limit=100, more="apps"),
             "<h2 id='evidence'>Evidence: the screen of each barrier</h2>",
             evidence.cards(data, items, heads, ROOT)]
    if not failed.empty:
        parts += ["<h2 id='failures'>Instrument failures</h2>",
                  table(["App", column_label("failure"), column_label("failure_detail"),
                         "Evidence", column_label("started_at")],
                        evidence.failure_rows(data, failed, ROOT, "scenario_id"),
                        more="failures")]
    return "".join(parts)


def _index_row(data: SiteData, code: str, rates: pd.DataFrame) -> list[str]:
    c = data.country(code)
    mine = data.attempts[data.attempts["country"] == code]
    sim = mine["sim_country_match"].dropna()
    r = rates[rates["country"] == code]
    n = int(r["instances"].iloc[0]) if not r.empty else 0
    k = int(r["barrier_instances"].iloc[0]) if not r.empty else 0
    lo, hi = wilson(k, n) if n else (float("nan"), float("nan"))
    return [f"<a href='{esc(code)}.html'>{esc(c.name)}</a> <small>{esc(code)}</small>",
            f"{n}", share_text(k, n, lo, hi) if code not in DOMESTIC_COUNTRIES
            else "domestic, not counted",
            f"{int(sim.sum())} of {len(sim)}" if len(sim) else "–",
            when(mine["started_at"].max()) if not mine.empty else "–"]


def countries_index_body(data: SiteData) -> str:
    """The countries by region, with their barrier shares and SIM match."""
    rates = worldmap.country_rates(data.matrix)
    head = ["Country", "Apps with a result", column_label("barrier_share"),
            "Attempts whose SIM matched", column_label("latest_at")]
    parts = ["<h1>Countries</h1><p class='sub'>Each country's barrier share abroad and "
             "how often the device's SIM matched it; the country's page has the other "
             "vantage signals and the evidence.</p>"]
    by_region: dict[str, list[str]] = {}
    for code, c in data.countries.items():
        by_region.setdefault(c.region, []).append(code)
    for region in [*REGION_LABELS, *sorted(set(by_region) - set(REGION_LABELS))]:
        codes = by_region.get(region)
        if not codes:
            continue
        parts.append(f"<h2>{esc(REGION_LABELS.get(region, region or 'Other'))}</h2>")
        codes = sorted(codes, key=lambda c: data.country(c).name.casefold())
        parts.append(table(head, [_index_row(data, c, rates) for c in codes],
                           numeric=(1,), limit=100, more="countries"))
    return "".join(parts)


__all__ = ["SIGNAL_NOTES", "countries_index_body", "country_body", "fidelity_section"]
