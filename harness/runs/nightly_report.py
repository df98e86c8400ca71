"""The nightly summary: one object, written as ``summary.json`` and ``summary.md``.

The JSON is for machines (a dashboard, an alert, the CI job that ran the night); the
Markdown is what a person reads in the morning. Both carry the same figures. The latest
night's pair is ``<summary_dir>/summary.{json,md}``; every night's is also kept as
``<summary_dir>/history/<UTC start>-<run id>.{json,md}``. Files are written whole (to a
temporary name, then renamed), so a reader never sees half a summary.

Nothing secret is written: the database and endpoints are shown with their passwords
masked (``harness.support.secrets``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from harness.runs.nightly_config import NightlyConfig
from harness.runs.nightly_stores import StoreNight
from harness.runs.nightly_summary import NO_NODE, Changes, FailureRate, Rates, RunInfo
from harness.runs.triage import Triage
from harness.storage.locations import shown_location
from harness.support.errors import display_path
from harness.support.secrets import mask_url
from harness.vocabulary.outcomes import Backend

#: Bumped when a field of summary.json changes meaning or goes away.
SUMMARY_VERSION = 1


@dataclass
class NightlySummary:
    """Everything the night did and found; ``problems`` decide its exit status."""

    config: NightlyConfig
    started_at: datetime
    finished_at: datetime | None = None
    run: RunInfo | None = None
    resumed: bool = False
    #: The holder whose lock this night took over (a nightly that died), if any.
    took_over: str | None = None
    previous: RunInfo | None = None
    plan: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    failures_by_code: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    rates: Rates | None = None
    stores: StoreNight = field(default_factory=StoreNight)
    changes: Changes = field(default_factory=Changes)
    triage: Triage = field(default_factory=lambda: Triage(0, ()))
    #: Why the night stopped early (an endpoint that did not answer, an interrupt).
    error: str | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def threshold(self) -> float:
        return self.config.failure_rate_threshold

    @property
    def store_rate(self) -> FailureRate:
        return FailureRate(None, self.stores.checks, self.stores.failures)

    @property
    def problems(self) -> list[str]:
        """Why the night is not a success (empty: exit status 0)."""
        out = []
        if self.error:
            out.append(f"the night stopped: {self.error}")
        if self.run is None:
            out.append("no run was started")
        elif self.run.status != "completed":
            out.append(f"the run did not complete (status {self.run.status})")
        if self.rates is not None and self.rates.overall.rate > self.threshold:
            out.append(f"instrument-failure rate of the attempts "
                       f"{_pct(self.rates.overall.rate)} is above the threshold "
                       f"{_pct(self.threshold)}")
        if self.store_rate.rate > self.threshold:
            out.append(f"instrument-failure rate of the store checks "
                       f"{_pct(self.store_rate.rate)} is above the threshold "
                       f"{_pct(self.threshold)}")
        return out


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


# --------------------------------------------------------------------------- JSON


def _setup(s: NightlySummary) -> dict[str, object]:
    c = s.config
    return {"config": display_path(c.source), "backend": c.run.backend.value,
            "appium_url": mask_url(c.run.appium_url), "db": c.db_shown,
            "artifacts": shown_location(str(c.run.artifacts_dir)) if c.run.artifacts_dir
            else None, "workers": c.workers, "min_interval_hours": c.run.min_interval_hours,
            "failure_rate_threshold": c.failure_rate_threshold}


def _rates_json(r: Rates | None, threshold: float) -> dict[str, object]:
    if r is None:
        return {"attempts": 0, "failures": 0, "rate": 0.0, "threshold": threshold,
                "above_threshold": False, "by_profile": [], "by_node": []}
    return {**{k: v for k, v in r.overall.to_json("scope").items() if k != "scope"},
            "threshold": threshold, "above_threshold": r.overall.rate > threshold,
            "by_profile": [x.to_json("profile") for x in r.by_profile],
            "by_node": [x.to_json("node") for x in r.by_node]}


def _stores_json(s: NightlySummary) -> dict[str, object]:
    st = s.stores
    rate = s.store_rate
    return {"run_id": st.report.run_id if st.report else None, "note": st.note,
            "apps": list(st.apps), "stores": [x.value for x in st.stores],
            "countries": list(st.countries), "checks": st.checks,
            "by_store_and_result": st.counts(), "failures": rate.failures,
            "rate": round(rate.rate, 4), "above_threshold": rate.rate > s.threshold,
            "changes": [c.to_json() for c in st.changes]}


def to_json(s: NightlySummary) -> dict[str, object]:
    """The summary as plain JSON values (``summary.json``)."""
    return {
        "summary_version": SUMMARY_VERSION, "job": "nightly",
        "ok": not s.problems, "problems": s.problems,
        "started_at": _iso(s.started_at), "finished_at": _iso(s.finished_at),
        "setup": _setup(s), "run": s.run.to_json() if s.run else None,
        "resumed": s.resumed, "took_over_lock_of": s.took_over,
        "previous_night": s.previous.to_json() if s.previous else None,
        "plan": s.plan, "counts_by_status": s.by_status,
        "failures_by_code": s.failures_by_code, "retried": s.retried,
        "instrument_failure_rate": _rates_json(s.rates, s.threshold),
        "store_checks": _stores_json(s),
        "changes": {"changed": [c.to_json() for c in s.changes.changed],
                    "new": s.changes.new, "unchanged": s.changes.unchanged},
        "triage": {"ui_unrecognized": s.triage.unrecognized, "known": s.triage.known,
                   "new_screens": [n.to_json() for n in s.triage.new]},
        "error": s.error,
    }


# --------------------------------------------------------------------------- Markdown


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def _endpoint(c: NightlyConfig) -> str:
    if c.run.backend is Backend.SIM:
        return "backend sim (the simulator, no devices)"
    return f"backend {c.run.backend.value} at `{mask_url(c.run.appium_url)}`"


def _md_head(s: NightlySummary) -> list[str]:
    c = s.config
    when = f"{s.started_at:%Y-%m-%d %H:%M} UTC"
    verdict = ("**OK**" if not s.problems else
               "**NOT OK**: " + "; ".join(s.problems))
    run = (f"`{s.run.run_id}` ({s.run.status}" + ("; resumed" if s.resumed else "") + ")"
           if s.run else "none")
    prev = (f"`{s.previous.run_id[:12]}`, started {s.previous.started_at:%Y-%m-%d %H:%M} "
            f"UTC ({s.previous.status})" if s.previous else "none")
    lines = [f"# Nightly summary, {when}", "", verdict, "",
             f"- run: {run}", f"- previous night: {prev}",
             f"- configuration: `{display_path(c.source)}`; {_endpoint(c)}; database "
             f"`{c.db_shown}`",
             "- plan: " + (", ".join(f"{n} {k}" for k, n in sorted(s.plan.items()))
                           or "none")]
    if s.took_over:
        lines.append(f"- took over the lock of {s.took_over}")
    if s.error:
        lines.append(f"- stopped: {s.error}")
    return [*lines, "", f"The `harness show` commands below read this night's database: "
                        f"`export HARNESS_DB=\"{c.db_shown}\"` first.", ""]


def _md_counts(s: NightlySummary) -> list[str]:
    out = ["## Measurements by status", ""]
    out += _table(["status", "measurements"], [[k, n] for k, n in s.by_status.items()]) \
        if s.by_status else ["No measurement was stored.", ""]
    if s.failures_by_code:
        out += _table(["failure", "measurements"], [[k, n] for k, n in
                                                    s.failures_by_code.items()])
    if s.retried:
        out += [f"{_n(s.retried, 'attempt was', 'attempts were')} made again after their "
                "farm device failed.", ""]
    return out


def _rate_rows(rates: tuple[FailureRate, ...], none: str) -> list[list[object]]:
    return [[r.key or none, r.attempts, r.failures, _pct(r.rate)] for r in rates]


def _md_rates(s: NightlySummary) -> list[str]:
    out = ["## Instrument-failure rate", ""]
    r = s.rates
    if r is None or not r.overall.attempts:
        return [*out, "No attempt was made.", ""]
    out += [f"{r.overall.failures} of {_n(r.overall.attempts, 'attempt')} failed "
            f"({_pct(r.overall.rate)}; threshold {_pct(s.threshold)}).", "",
            "### By profile", ""]
    out += _table(["profile", "attempts", "failures", "rate"], _rate_rows(r.by_profile, "?"))
    out += ["### By node", ""]
    out += _table(["node", "attempts", "failures", "rate"], _rate_rows(r.by_node, NO_NODE))
    return out


def _md_stores(s: NightlySummary) -> list[str]:
    st = s.stores
    out = ["## Store checks", ""]
    if st.report is None:
        return [*out, f"None: {st.note or 'not run'}.", ""]
    rate = s.store_rate
    out += [f"{_n(st.checks, 'check')} of {_n(len(st.apps), 'app')} in "
            f"{_n(len(st.countries), 'country', 'countries')}; {rate.failures} failed "
            f"({_pct(rate.rate)}).", ""]
    out += _table(["store", "result", "checks"], [[store, result, n] for store, by in
                                                  st.counts().items()
                                                  for result, n in by.items()])
    if st.changes:
        out += _table(["app", "store", "country", "change", "confirmation", "checks"], [
            [c.app_id, c.store, c.country,
             f"{c.to_json()['previous']} → {c.to_json()['current']}",
             c.to_json()["confirmation"], c.checks] for c in st.changes])
    else:
        out += ["No availability changed.", ""]
    return out


def _md_changes(s: NightlySummary) -> list[str]:
    ch = s.changes
    out = ["## Changes since the previous night", "",
           f"{_n(len(ch.changed), 'instance')} changed outcome; {ch.new} measured for the "
           f"first time; {ch.unchanged} unchanged.", ""]
    if ch.changed:
        out += _table(["app", "country", "before", "now", "confirmation", "look"], [
            [c.app, c.country, c.previous_outcome, c.current_outcome,
             f"{c.confirmation} ({c.agreeing_attempts} agreeing)",
             f"`harness show {c.measurement_id[:12]}`"] for c in ch.changed])
    return out


def _md_triage(s: NightlySummary) -> list[str]:
    t = s.triage
    out = ["## New screens to triage", "",
           f"{_n(t.unrecognized, 'attempt')} ended as `ui_unrecognized`: "
           f"{_n(len(t.new), 'new screen')}; {t.known} stopped on screens seen before.", ""]
    for screen in t.new:
        out += [f"### {screen.scenario_id}: {_cell(screen.detail)}", ""]
        out += [f"- {u.profile_id}: `{u.command}`" for u in screen.attempts]
        out.append("")
    return out


def to_markdown(s: NightlySummary) -> str:
    """The summary for a person (``summary.md``)."""
    lines = [*_md_head(s), *_md_counts(s), *_md_rates(s), *_md_stores(s), *_md_changes(s),
             *_md_triage(s)]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- files


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_summary(s: NightlySummary, folder: Path) -> list[Path]:
    """Write the summary (latest and history copies); return the latest pair's paths."""
    data = json.dumps(to_json(s), indent=2, ensure_ascii=False) + "\n"
    text = to_markdown(s)
    stamp = f"{s.started_at:%Y%m%dT%H%M%SZ}-{s.run.run_id[:12] if s.run else 'norun'}"
    for name, body in ((f"history/{stamp}.json", data), (f"history/{stamp}.md", text),
                       ("summary.json", data), ("summary.md", text)):
        _write(folder / name, body)
    s.written = [folder / "summary.md", folder / "summary.json"]
    return s.written


__all__ = ["SUMMARY_VERSION", "NightlySummary", "to_json", "to_markdown", "write_summary"]
