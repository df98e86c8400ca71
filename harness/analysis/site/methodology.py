"""The methodology page (``methodology.html``), written from the same definitions the
numbers come from.

Every constant on this page is read from ``harness.analysis.definitions`` (the RNR
barriers, the domestic exclusion, the regions, the store and sign-up cases, the interval's
quantile), from the selection's :class:`Confirmation` rule and from the outcome
vocabulary's own documented enums, so the page cannot say something other than what the
tables computed. It also gives the selection's sample sizes, its vantage validity, what an
emulator's US SIM means and what the simulator is.
"""

from __future__ import annotations

import inspect

from harness.analysis.definitions import (
    BARRIER_CASES,
    DOMESTIC_COUNTRIES,
    REGION_LABELS,
    RNR_BARRIERS,
    Z_95,
    outcome_labels,
)
from harness.analysis.findings import CYBERSECURITY_LAW
from harness.analysis.regional import MIN_CLUSTERS, fit_regional_model
from harness.analysis.site.labels import (
    BARRIER_CASE_LABELS,
    COLUMN_LABELS,
    outcome_doc,
    outcome_label,
)
from harness.analysis.site.layout import esc, share_text, table
from harness.analysis.site.matrix import chip
from harness.analysis.site.model import VANTAGE_SIGNALS, SiteData, vantage_rates
from harness.analysis.stats import wilson
from harness.vocabulary.outcomes import Backend, Status


def _vocabulary() -> list[str]:
    rows = [[chip(o), esc(outcome_label(o)), f"<code>{esc(o)}</code>", esc(outcome_doc(o)),
             "yes" if o.partition(":")[2] in RNR_BARRIERS else ""] for o in outcome_labels()]
    return ["<h2 id='outcomes'>Outcomes</h2>",
            "<p class='note'>An <b>instance</b> is one (app, country) pair. Its outcome is "
            "its latest <i>conclusive</i> attempt: access or a barrier. Instrument "
            "failures and aborted attempts are never counted as either. An <b>RNR "
            "barrier</b> (real-name registration) is one that ties the account to a legal "
            "identity.</p>",
            table(["Code", "Outcome", "As exported", "Definition", "RNR"], rows, limit=50)]


def _confirmation(data: SiteData) -> list[str]:
    rule = data.analysis.confirmation
    m = data.matrix
    confirmed = int((m["confirmation"] == "confirmed").sum()) if not m.empty else 0
    return ["<h2 id='confirmation'>Confirmation</h2>",
            f"<p>An instance's latest outcome is <b>confirmed</b> when at least "
            f"<b>{rule.min_attempts}</b> consecutive conclusive attempts, ending with the "
            f"latest, agree on it and the first and last of them started at least "
            f"<b>{rule.min_hours:g} hours</b> apart (failures in between neither break nor "
            "extend the run). One attempt is one observation: a fresh measurement is shown "
            "as not yet confirmed, with the outcome confirmed before it when there is one. "
            f"In this selection {confirmed} of {len(m)} instances are confirmed. "
            "<code>--min-attempts</code> and <code>--min-hours</code> change the rule.</p>"]


def _rates(data: SiteData) -> list[str]:
    cases = "".join(f"<li><b>{esc(BARRIER_CASE_LABELS.get(k, k))}</b>: {esc(v)}</li>"
                    for k, v in BARRIER_CASES.items())
    return ["<h2 id='rates'>Rates and intervals</h2>",
            "<p>Rates are over the instances <b>abroad</b>: "
            f"{', '.join(esc(c) for c in DOMESTIC_COUNTRIES)} is left out of every rate "
            "(there real-name registration is the law); its instances still appear in the "
            "matrix. A share comes with its 95% Wilson score interval (z = "
            f"{Z_95:g}). Intervals over instances treat them as independent; the same apps "
            "recur in every country, so they are narrower than the data supports, and the "
            "regional comparison uses a model with errors clustered by country.</p>",
            "<p>The app store is its own observation: sign-up is still measured on a "
            "device that has the app, so an instance falls in one of these cases:</p>"
            f"<ul>{cases}</ul>"]


def _comparisons() -> list[str]:
    params = inspect.signature(fit_regional_model).parameters
    least, countries = (params["min_instances"].default, params["min_countries"].default)
    return ["<h2 id='regional'>Comparing regions</h2>",
            "<p>A region's share alone cannot say whether regions differ: the same apps are "
            "tested everywhere. Regions are compared by a logistic regression of <i>the "
            "latest conclusive outcome is a barrier</i> (or an RNR barrier) on the region "
            "with app fixed effects, its errors clustered by country; apps whose outcome is "
            "the same everywhere carry no information and are dropped, and a region needs "
            f"{least} or more conclusive instances from {countries} or more countries to be "
            "modelled. Each "
            "pair of modelled regions gets an odds ratio with its 95% interval and a "
            "p-value before and after Holm's correction over all pairs. With fewer than "
            f"{MIN_CLUSTERS} countries the clustered errors understate the uncertainty. Per "
            "app, the regions' shares are compared by two-sided Fisher exact tests, "
            "Holm-adjusted within the app.</p>",
            "<h2 id='downloads'>Download trends</h2>",
            "<p>When monthly download counts are loaded (<code>harness trends import "
            "FILE</code>), the affected apps' downloads are compared with a comparison "
            "group's around the intervention (by default "
            f"{esc(CYBERSECURITY_LAW)}, when China's Cybersecurity Law took effect) by an "
            "interrupted time series; the headline figure is the affected group's change "
            "against its counterfactual, with its interval.</p>"]


def _regions(data: SiteData) -> list[str]:
    by_region: dict[str, list[str]] = {}
    for code, c in data.countries.items():
        by_region.setdefault(c.region, []).append(code)
    rows = [[esc(name), f"{len(by_region.get(code, []))}",
             esc(", ".join(by_region.get(code, []))) or "–"]
            for code, name in REGION_LABELS.items()]
    return ["<h2 id='regions'>Regions</h2>",
            "<p class='note'>The study's regions, in the order every table lists them, with "
            "the countries of this selection (<code>--regions-file</code> remaps them).</p>",
            table(["Region", "Countries", "In this selection"], rows, numeric=(1,))]


def _vantage(data: SiteData) -> list[str]:
    rates = vantage_rates(data.attempts)
    rows = []
    for column, label, _value in VANTAGE_SIGNALS:
        sub = rates[rates["signal"] == column] if not rates.empty else rates
        n, k = (int(sub["observed"].sum()), int(sub["matched"].sum())) if not sub.empty \
            else (0, 0)
        lo, hi = wilson(k, n) if n else (float("nan"), float("nan"))
        rows.append([esc(label), esc(COLUMN_LABELS[column]) + f" <code>{column}</code>",
                     share_text(k, n, lo, hi) if n else "not observed"])
    return ["<h2 id='vantage'>Vantage validity</h2>",
            "<p>An app can learn the user's country from several signals. Each profile sets "
            "them (the proxy for the IP address, the SIM and phone number, the locale, the "
            "time zone, the GPS position) and each attempt records what the device "
            "actually reported, beside the target country. A result is only as good as the "
            "signals that matched; traffic that leaves from the wrong country ends the "
            "attempt as an instrument failure (<code>vantage_mismatch</code>), never a "
            "result. Over every attempt in the selection:</p>",
            table(["Signal", "Column", "Matched the country"], rows),
            "<h3 id='emulator-sim'>The emulator's US SIM</h3>",
            "<p>An Android emulator always presents the same SIM: operator 310260 (MCC 310, "
            "the United States), SIM country US, whatever the profile says; "
            "<code>-phone-number</code> changes the number, not the SIM's country. On an "
            "emulator the SIM therefore matches only for the US, an app that reads the SIM "
            "sees a US SIM with another country's number, and SMS codes are injected rather "
            "than delivered, so <code>sms_not_delivered</code> from an emulator says "
            "nothing about real delivery. Emulator results stand for the IP, locale, time "
            "zone and GPS of the country with a US SIM; findings that depend on the SIM or "
            "on SMS delivery come from phones with real SIMs. Each country page shows its "
            "SIM match rate.</p>"]


def _samples(data: SiteData) -> list[str]:
    counts = data.analysis.status_counts()
    attempts = data.attempts
    runs = attempts["run_id"].nunique() if not attempts.empty else 0
    rows = [["Runs", f"{runs:,}"], ["Apps", f"{len(data.apps):,}"],
            ["Countries", f"{len(data.countries):,}"],
            ["Instances (app, country) tried", f"{len(data.matrix):,}"],
            *[[f"Attempts: {s.value}", f"{counts.get(s.value, 0):,}"]
              for s in (Status.ACCESS, Status.BARRIER, Status.FAILURE, Status.ABORTED)],
            ["Attempts on the simulator", f"{data.simulated_attempts:,}"],
            ["Simulator attempts left out", f"{counts.get('simulated_excluded', 0):,}"],
            ["Attempts with a reclassified verdict",
             f"{data.analysis.reclassified_count():,}"]]
    return ["<h2 id='samples'>Sample sizes</h2>",
            table(["What", "How many"], rows, numeric=(1,), limit=50)]


def _simulator(data: SiteData) -> list[str]:
    return ["<h2 id='simulator'>What the simulator is</h2>",
            "<p>The harness's built-in simulator (backend "
            f"<code>{Backend.SIM.value}</code>) is a small server on the local machine that "
            "speaks the part of the Appium protocol the harness uses and runs fictional "
            "demo apps whose sign-up depends on the profile (calling code, IP country, SIM "
            "country), with Chinese-language screens and SMS codes. It exists for the demo, "
            "for scenario authors working offline and for the test suite: the harness "
            "drives it through exactly the same code as a real device. Its rows are marked "
            "as simulated and left out of every export and report unless "
            "<code>--include-simulated</code> asks for them. <b>Simulator results are never "
            f"findings about any real app.</b> This selection has {data.simulated_attempts:,}"
            " simulated attempts.</p>"]


def _glossary() -> list[str]:
    rows = [[esc(label), f"<code>{esc(name)}</code>"] for name, label in
            sorted(COLUMN_LABELS.items(), key=lambda kv: kv[1].casefold())]
    return ["<h2 id='columns'>Column names</h2>",
            "<p class='note'>The pages label columns in words; the exported tables and the "
            "published data use these names (their data dictionary defines each).</p>",
            table(["Label on the pages", "Column in the data"], rows, limit=0,
                  more="column names")]


def _verdicts(data: SiteData) -> list[str]:
    if data.analysis.filters.as_measured:
        text = ("Every verdict is as measured (<code>--as-measured</code>): "
                "reclassifications are ignored.")
    else:
        text = ("Each attempt counts with its latest classification: its newest "
                "<code>harness reclassify</code> verdict when the rules have improved "
                "since, else its own. <code>--as-measured</code> uses the verdicts as "
                "measured.")
    return ["<h2 id='verdicts'>Verdicts and evidence</h2>",
            f"<p>{text} Every barrier names the rule that recognised it and the rules "
            "version; its evidence (the screen's page source and screenshot) is kept, so a "
            "finding can be traced to the screen and the rule that produced it.</p>"]


def methodology_body(data: SiteData) -> str:
    """The methodology page's body."""
    return "".join(["<h1>Methodology</h1><p class='sub'>The definitions behind every "
                    "figure of this site, read from the code that computed them.</p>",
                    *_vocabulary(), *_confirmation(data), *_rates(data), *_regions(data),
                    *_comparisons(),
                    *_vantage(data), *_samples(data), *_simulator(data), *_verdicts(data),
                    *_glossary()])


__all__ = ["methodology_body"]
