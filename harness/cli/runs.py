"""``harness runs`` and ``harness show ID``: what runs stored, and one measurement with its
steps and evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.cli.common import EXIT_OK, db_default, require_db
from harness.support.console import out_console
from harness.support.errors import HarnessError, display_path
from harness.support.secrets import shown_db

if TYPE_CHECKING:  # the CLI imports the database layer only when a command runs
    from harness.storage.artifacts import Artifacts
    from harness.storage.models import Measurement


def register(subparsers: Any) -> None:
    runs = subparsers.add_parser("runs", help="recent runs")
    runs.add_argument("--db", default=db_default(),
                      help="SQLite path or SQLAlchemy URL (default results.db)")
    runs.add_argument("--limit", type=int, default=20,
                      help="the most recent runs to list (default 20)")
    runs.set_defaults(func=cmd_runs)
    show = subparsers.add_parser("show", help="one measurement: outcome, steps, evidence")
    show.add_argument("measurement_id",
                      help="a measurement id, or its first characters (as printed)")
    show.add_argument("--db", default=db_default(),
                      help="SQLite path or SQLAlchemy URL (default results.db)")
    show.add_argument("--artifacts", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                      help="where evidence without a URL of its own is (rows written "
                           "before schema 0005), or where a moved evidence folder is now "
                           "(default: artifacts/ beside the SQLite file)")
    show.add_argument("--page-source", nargs="?", type=int, const=-1, default=None,
                      metavar="STEP", help="print the page source saved at step STEP "
                                           "(default: the last step that saved one)")
    show.add_argument("--save", type=Path, default=None, metavar="DIR",
                      help="copy the measurement's evidence files into DIR (from wherever "
                           "they are kept, an object store included)")
    show.set_defaults(func=cmd_show)


def cmd_runs(args: argparse.Namespace) -> int:
    from harness.storage.store import Store

    require_db(args.db)
    store = Store.open(args.db, writes_evidence=False)
    try:
        runs = store.recent_runs(args.limit)
    finally:
        store.close()
    table = Table(title=f"Recent runs in {shown_db(args.db)}")
    for col in ("run id", "started (UTC)", "status", "backend", "measurements", "outcomes"):
        table.add_column(col)
    for run, counts in runs:
        table.add_row(run.id[:12], run.started_at.strftime("%Y-%m-%d %H:%M:%S"), run.status,
                      run.backend, str(sum(counts.values())),
                      ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    out_console().print(table)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from harness.storage.evidence_files import page_source, save_evidence
    from harness.storage.preflight import check_targets, folder
    from harness.storage.store import Store

    require_db(args.db)
    if args.save is not None:
        check_targets([folder(args.save, "--save")])
    store = Store.open(args.db, args.artifacts, writes_evidence=False)
    try:
        m = store.get_measurement(args.measurement_id)
        if m is None:
            raise HarnessError(f"no measurement {args.measurement_id!r} in {shown_db(args.db)}; "
                               "`harness runs` lists runs")
    finally:
        store.close()
    artifacts = store.artifacts
    if args.page_source is not None:
        sys.stdout.write(page_source(m, artifacts, args.page_source))
        return EXIT_OK
    out = out_console()
    _print_measurement(out, m)
    _print_steps(out, m)
    _print_evidence(out, m, artifacts)
    if args.save is not None:
        n = save_evidence(m, artifacts, args.save)
        out.print(f"{n} evidence files copied to {display_path(args.save)}")
    return EXIT_OK


def _print_measurement(out: Console, m: Measurement) -> None:
    """The measurement's header: scenario, profile, outcome, rule, identity checks, timing."""
    outcome = m.status + (f": {m.barrier}" if m.barrier else "") + (
        f": {m.failure}" if m.failure else "")
    out.print(f"[bold]measurement[/] {m.id}  (run {m.run_id})")
    out.print(f"  scenario {m.scenario_id} v{m.scenario_version}  app {m.app_name} "
              f"({m.app_id})")
    out.print(f"  profile {m.profile_id}  country {m.country}  region {m.region}  "
              f"backend {m.backend}  device {m.device_id}")
    out.print(f"  outcome [bold]{outcome}[/]  stage {m.stage}  access {m.access_level}")
    if m.rule_id:
        out.print(f"  rule {m.rule_id} (rules {m.rules_version}): {m.matched_text!r}")
    if m.failure_detail:
        out.print(f"  detail {m.failure_detail}")
    out.print(f"  phone {m.phone_masked} ({m.phone_source})  SIM {m.sim_country} "
              f"(match {m.sim_country_match})  locale {m.device_locale} "
              f"(match {m.locale_match})  tz {m.device_timezone} (match {m.timezone_match})")
    out.print(f"  GPS {m.gps_country} (match {m.gps_country_match}; {m.gps_detail or '-'})  "
              f"IP {m.ip_country} (match {m.ip_country_match})  device route "
              f"{m.device_egress_country} (match {m.device_egress_match})")
    out.print(f"  started {m.started_at}  duration {m.duration_s} s")


def _print_steps(out: Console, m: Measurement) -> None:
    """The measurement's steps and the observations made on them."""
    table = Table(title="steps")
    for col in ("#", "stage", "step", "line", "outcome", "detail"):
        table.add_column(col)
    for st in m.steps:
        table.add_row(str(st.idx), st.stage, st.description, str(st.line or ""),
                      st.outcome or "(unfinished)", st.detail or "")
    out.print(table)
    seen = [(st.idx, o) for st in m.steps for o in (st.observations or [])]
    if seen:
        out.print("observations (rule candidates the flow went past; not verdicts):")
        for idx, o in seen:
            out.print(f"  step {idx}: {o.get('rule_id')} -> {o.get('outcome')} "
                      f"[{o.get('role')}] {o.get('text')!r} ({o.get('how')})")


def _print_evidence(out: Console, m: Measurement, artifacts: Artifacts) -> None:
    """Each evidence file, where it is kept, and whether its bytes match its SHA-256."""
    from harness.storage.evidence_files import check_file
    from harness.storage.locations import StoredFile

    out.print("evidence:")
    for a in m.artifacts:
        state = check_file(artifacts, StoredFile(a.path, a.url, a.sha256))
        flag = "" if state == "ok" else f"  [red]({escape(state)})[/]"
        out.print(f"  step {a.step_idx}: {a.kind} {escape(artifacts.where(a.path, a.url))} "
                  f"({a.size} bytes){flag}")


__all__ = ["cmd_runs", "cmd_show", "register"]
__all__ = ["cmd_runs", "cmd_show", "register"]
