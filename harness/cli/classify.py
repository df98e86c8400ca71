"""``harness classify`` and ``harness reclassify``: the barrier rules on saved screens.

``harness classify PAGE_SOURCE.xml`` prints the verdict the rules give one saved screen
(exit status 0 when a rule matched, 1 when none did, like grep; 2 for bad input), so a
scenario author can try a new rule on the screen that made an attempt end as
``failure: ui_unrecognized``. ``harness reclassify`` re-runs the current rules over the
stored screens of past measurements and records the new verdicts beside the old ones
(see ``harness.runs.reclassify`` for exactly which screens, at which stages).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.cli.common import db_default
from harness.runs.reclassify import (
    ReclassifyReport,
    find_scenario,
    load_scenario_rules,
    read_page_source,
    reclassify,
    rules_for,
    with_package,
)
from harness.spec.scenarios import Scenario
from harness.support.console import out_console
from harness.support.errors import HarnessError, display_path
from harness.support.secrets import shown_db
from harness.verdicts.prompts import PROMPT_ROLES, Role, TextBlock, read_prompts
from harness.verdicts.rules import RuleMatch, RuleSet
from harness.verdicts.screen import Screen
from harness.vocabulary.outcomes import Stage

EXIT_MATCH = 0
EXIT_NO_MATCH = 1


_console = out_console


def register(subparsers: Any) -> None:
    """Add ``harness classify`` and ``harness reclassify`` to the CLI."""
    _add_classify(subparsers)
    _add_reclassify(subparsers)


def _add_classify(subparsers: Any) -> None:
    """``harness classify``."""
    c = subparsers.add_parser(
        "classify", help="the barrier verdict of the rules on one saved screen",
        description="Print what the barrier rules make of a saved screen (a UiAutomator2 "
                    "page source or a uiautomator dump, e.g. a step's evidence from `harness "
                    "show`): the barrier (or failure: challenge_required) and the rule id, or "
                    "that no rule matched. Rules read the screen's prompts only (dialogs, "
                    "toasts, titles, short notices, field hints); --explain shows every text "
                    "with its role, the concepts found in each sentence and why each rule "
                    "fired or not. Exit status 0 when a rule matched, 1 when none did, 2 for "
                    "bad input.")
    c.add_argument("page_source", type=Path, help="the saved page source (.xml)")
    c.add_argument("--scenario", default=None, metavar="ID|FILE",
                   help="also try this scenario's own rules (first, as the runner does) and "
                        "read the screen as its app's")
    c.add_argument("--scenarios", type=Path, action="append", default=None, metavar="DIR",
                   help="where to look up --scenario by id (default: scenarios)")
    c.add_argument("--stage", choices=[s.value for s in Stage], default=None,
                   help="check as the runner would at this stage (rules limited to other "
                        "stages are skipped); default: every rule")
    c.add_argument("--package", default=None,
                   help="read only this app's nodes (default: the scenario's app, else every "
                        "node that is not system chrome)")
    c.add_argument("--all", action="store_true", dest="show_all",
                   help="list every rule that matches, in the order they are tried")
    c.add_argument("--texts", action="store_true",
                   help="also print the visible texts with their roles")
    c.add_argument("--explain", action="store_true",
                   help="every text with its role, the concepts of each prompt sentence, and "
                        "for each rule what fired it or what it lacked or what cancelled it")
    c.add_argument("--json", action="store_true", help="print the verdict as JSON")
    c.set_defaults(func=cmd_classify, exit_codes={
        EXIT_MATCH: "a barrier rule matched the screen",
        EXIT_NO_MATCH: "no barrier rule matched (the screen is not a barrier)"})


def _add_reclassify(subparsers: Any) -> None:
    """``harness reclassify``."""
    r = subparsers.add_parser(
        "reclassify", help="re-run the current rules over stored evidence",
        description="Re-run the current barrier rules over the saved screens of past "
                    "measurements and record each new verdict, with the rules version, "
                    "beside the old one (measurements are never modified). Measurements "
                    "already reclassified under this rules version are skipped.")
    r.add_argument("--db", default=db_default(),
                   help="SQLite path or SQLAlchemy URL (default results.db)")
    r.add_argument("--artifacts", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                   help="the evidence folder or object-store prefix (default: artifacts/ "
                        "beside the SQLite file)")
    r.add_argument("--scenarios", type=Path, action="append", default=None, metavar="DIR",
                   help="scenario folder, for each measurement's own rules (default: "
                        "scenarios)")
    r.add_argument("--run", action="append", default=None, metavar="RUN_ID",
                   help="only measurements of this run (repeatable)")
    r.add_argument("--dry-run", action="store_true",
                   help="print what would change, write nothing")
    r.add_argument("--force", action="store_true",
                   help="also measurements already (re)classified under this rules version; "
                        "adds rows, never replaces them")
    r.set_defaults(func=cmd_reclassify)


# --------------------------------------------------------------------------- classify


def cmd_classify(args: argparse.Namespace) -> int:
    roots = args.scenarios or [Path("scenarios")]
    scenario: Scenario | None = find_scenario(args.scenario, roots) if args.scenario else None
    screen = read_page_source(args.page_source)
    package = args.package or (scenario.app.android_package if scenario else None)
    screen = with_package(screen, package)
    rules = rules_for(scenario)
    stage = Stage(args.stage) if args.stage else None
    matches = rules.matches(screen, stage)
    first = matches[0] if matches else None
    own = len(scenario.rules) if scenario else 0
    counted = (f"{len(rules.rules) - own} shared rules" +
               (f" + {own} of scenario {scenario.id}" if scenario else "") +
               f", rules version {rules.version}")
    if args.json:
        print(json.dumps(_as_json(args, rules, scenario, matches), ensure_ascii=False,
                         indent=2))
        return EXIT_MATCH if first else EXIT_NO_MATCH
    con = _console()
    blocks = read_prompts(screen)
    if args.texts or args.explain:
        _print_texts(con, blocks, args.explain)
    if args.explain:
        _explain(con, rules, screen, stage)
    if first is None:
        con.print(f"no rule matched ({counted}): on a device, a step waiting on this screen "
                  "would end as failure: ui_unrecognized")
        if not [b for b in blocks if b.role is not Role.SYSTEM]:
            con.print("note: the screen has no text of the app"
                      + (f" {package}" if package else "") + "; check --package")
        return EXIT_NO_MATCH
    _print_match(con, matches, counted, stage, args.show_all)
    return EXIT_MATCH


def _print_texts(con: Console, blocks: Sequence[TextBlock], explain: bool) -> None:
    """The screen's visible texts in order, with their roles (and why, with ``explain``)."""
    con.print(f"visible texts ({len(blocks)}, in order, with their roles; rules read "
              f"{', '.join(sorted(r.value for r in PROMPT_ROLES))}):")
    for b in blocks:
        con.print(escape(f"  [{b.role.value}] {b.text!r}"
                         + (f"  ({b.why})" if explain else "")))


def _print_match(con: Console, matches: Sequence[RuleMatch], counted: str,
                 stage: Stage | None, show_all: bool) -> None:
    """The verdict of the first match: outcome, rule, matched text, concepts, the others."""
    first = matches[0]
    origin = "shared library" if first.rule.source == "shared" else first.rule.source
    kind = "barrier" if first.rule.barrier is not None else "failure"
    con.print(f"[bold]{kind}: {first.rule.outcome.value}[/]")
    con.print(f"rule:    {first.rule.id} ({escape(origin)}, {counted})")
    con.print(f"matched: {escape(repr(first.sentence))} ({first.role.value}, "
              f"{first.language})")
    if first.concepts:
        con.print("because: " + escape(", ".join(f"{k}={v!r}"
                                                 for k, v in first.concepts.items())))
    if stage is None and first.rule.stages is not None:
        stages = ", ".join(sorted(s.value for s in first.rule.stages))
        con.print(f"note:    this rule only applies at stages {stages}; pass --stage to see "
                  "what the runner would conclude at another stage")
    if show_all and len(matches) > 1:
        con.print("also matching, in order (the first match wins):")
        for m in matches[1:]:
            con.print(f"  {m.rule.id} -> {m.rule.outcome.value}: {escape(repr(m.sentence))}")


def _as_json(args: argparse.Namespace, rules: RuleSet, scenario: Scenario | None,
             matches: list[RuleMatch]) -> dict[str, Any]:
    first = matches[0] if matches else None
    return {
        "page_source": display_path(args.page_source),
        "rules_version": rules.version, "stage": args.stage,
        "scenario": scenario.id if scenario else None,
        "matched": first is not None,
        "outcome": first.rule.outcome.value if first else None,
        "barrier": first.rule.barrier.value if first and first.rule.barrier else None,
        "failure": first.rule.failure.value if first and first.rule.failure else None,
        "rule_id": first.rule.id if first else None,
        "rule_source": first.rule.source if first else None,
        "matched_text": first.sentence if first else None,
        "text": first.text if first else None,
        "role": first.role.value if first else None,
        "language": first.language if first else None,
        "concepts": first.concepts if first else {},
        "also_matching": [m.rule.id for m in matches[1:]],
    }


def _explain(con: Console, rules: RuleSet, screen: Screen, stage: Stage | None) -> None:
    """For every rule: the sentence it fired on, or the one that came closest and why not."""
    _blocks, attempts = rules.explain(screen, stage)
    tried = {a.rule.id for a in attempts}
    con.print("rules, in the order tried:")
    for a in attempts:
        head = f"  {a.rule.id} -> {a.rule.outcome.value}: "
        where = f"[{a.block.role.value}] {a.sentence!r}"
        if not a.missing and not a.cancelled_by:
            found = ", ".join(f"{k}={v!r}" for k, v in a.found.items())
            con.print(escape(head + f"FIRES on {where} ({found})"))
        elif a.cancelled_by:
            why = ", ".join(f"{k}={v!r}" for k, v in a.cancelled_by.items())
            con.print(escape(head + f"cancelled by {why} in {where}"))
        else:
            con.print(escape(head + f"lacks {' + '.join(a.missing)}; closest {where}"))
    for rule in rules.rules:
        if rule.id in tried:
            continue
        if not rule.applies_at(stage):
            stages = ", ".join(sorted(s.value for s in rule.stages or ()))
            con.print(escape(f"  {rule.id}: skipped (applies at stages {stages})"))
        elif rule.match:
            hit = next((m for m in rules.with_app_rules(()).matches(screen, stage)
                        if m.rule.id == rule.id), None)
            con.print(escape(f"  {rule.id} -> {rule.outcome.value}: "
                             + (f"FIRES on {hit.sentence!r}" if hit else
                                "no pattern matched a prompt")))
        else:
            con.print(escape(f"  {rule.id}: no prompt it reads"))


# --------------------------------------------------------------------------- reclassify


def cmd_reclassify(args: argparse.Namespace) -> int:
    from harness.storage.store import Store

    if "://" not in args.db and not Path(args.db).exists():
        raise HarnessError(f"--db={shown_db(args.db)}: no such database yet; run `harness "
                           "demo` or a scenario run first, or pass --db")
    scenarios = load_scenario_rules(args.scenarios or [Path("scenarios")])
    store = Store.open(args.db, args.artifacts, writes_evidence=False)
    try:
        report = reclassify(store, scenarios, run_ids=args.run, dry_run=args.dry_run,
                            force=args.force)
    finally:
        store.close()
    print_report(report, dry_run=args.dry_run, out=_console())
    return 0


def print_report(report: ReclassifyReport, *, dry_run: bool, out: Console) -> None:
    changed = report.changed
    if changed:
        table = Table(title=f"Changed under rules {report.rules_version}")
        for col in ("measurement", "app", "country", "before", "rule before", "after",
                    "rule after", "stage", "evidence"):
            table.add_column(col)
        for r in changed:
            stage = r.new.stage or ""
            if r.old.stage != r.new.stage:
                stage = f"{r.old.stage} -> {r.new.stage}"
            table.add_row(r.measurement_id[:12], r.scenario_id, r.country, r.old.label,
                          r.old.rule_id or "", r.new.label, r.new.rule_id or "", stage,
                          r.artifact_path or "")
        out.print(table)
    verb = "would record" if dry_run else "recorded"
    out.print(f"{len(report.results)} measurements reclassified under rules "
              f"{report.rules_version} ({len(changed)} changed, "
              f"{len(report.results) - len(changed)} unchanged); {verb} beside the old "
              "verdicts")
    skipped = [(report.already_done, "already reclassified under this version"),
               (report.current, "measured under this version"),
               (report.not_applicable, "without a screen to reclassify (running, aborted, "
                                       "instrument failures)"),
               (report.without_evidence, "without saved page sources")]
    parts = [f"{n} {why}" for n, why in skipped if n]
    if parts:
        out.print("skipped: " + "; ".join(parts))
    if report.missing_files:
        out.print(f"warning: {report.missing_files} page-source files are missing under the "
                  "artifacts folder (pass --artifacts if the evidence moved)")
    if report.scenarios_not_found:
        ids = ", ".join(sorted(report.scenarios_not_found))
        out.print(f"note: no scenario file for {ids}: their own rules were not applied "
                  "(pass --scenarios DIR)")
