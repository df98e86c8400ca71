"""``harness run`` and ``harness demo``: every selected scenario from every selected
profile, outside pytest; then the barrier table, and the report if asked.

Exit status: 0 when every attempt concluded (access or barrier), 1 when any ended as an
instrument failure or the run did not complete, 2 for bad input.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from harness.cli.common import EXIT_FAILURES, EXIT_OK, db_default
from harness.spec.config import (
    DEFAULT_APPIUM_URL,
    SCREENSHOT_POLICIES,
    RunConfig,
    echo_url_for,
    min_interval_for,
)
from harness.support.console import out_console
from harness.support.errors import ConfigError
from harness.support.secrets import shown_db
from harness.vocabulary.outcomes import Backend

if TYPE_CHECKING:
    from harness.runs.batch import BatchResult
    from harness.spec.profile import Profile
    from harness.spec.scenarios import Scenario


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo",
                                 help="every demo app from every profile on the simulator")
    add_run_options(demo, "sim")
    demo.add_argument("scenarios", nargs="*", type=Path, default=[Path("scenarios/demo")],
                      help="the simulator's scenario files or folders (default scenarios/demo)")
    demo.add_argument("--report", type=Path, default=None, metavar="FILE",
                      help="the run's HTML report (default reports/demo.html with the default "
                           "database; beside the database, as <name>-report.html, with --db "
                           "FILE; none with a database URL)")
    demo.set_defaults(func=cmd_run, demo_report=True)

    run = subparsers.add_parser("run", help="run scenarios from profiles (no pytest needed)")
    add_run_options(run, "appium")
    run.add_argument("scenarios", nargs="*", type=Path,
                     help="scenario files or folders (with --resume: default, the run's own)")
    run.add_argument("--report", type=Path, default=None, metavar="FILE",
                     help="also write the run's HTML report to FILE")
    run.set_defaults(func=cmd_run)


def _screenshot_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--screenshots", choices=SCREENSHOT_POLICIES, default="key",
                   help="screens saved as screenshots beside their page source: key (the "
                        "verdict screen and each stage's first screen, the default), all "
                        "(every step's) or none")
    p.add_argument("--no-screenshots", action="store_true", help="the same as "
                   "--screenshots none")


def add_run_options(p: argparse.ArgumentParser, backend_default: str) -> None:
    p.add_argument("--country", default="all",
                   help="profile ids or country codes, comma-separated, or 'all' (default)")
    p.add_argument("--region", default=None, help="only profiles of these study regions")
    p.add_argument("--app", default=None, help="only these scenario ids, comma-separated")
    p.add_argument("--backend", choices=[b.value for b in Backend], default=backend_default,
                   help=f"where attempts run: appium (a device behind an Appium server) or "
                        f"sim (the bundled simulator); default {backend_default}")
    p.add_argument("--appium-url", default=os.environ.get("HARNESS_APPIUM_URL",
                                                          DEFAULT_APPIUM_URL),
                   help="the Appium server or Selenium Grid hub (default $HARNESS_APPIUM_URL, "
                        f"else {DEFAULT_APPIUM_URL})")
    p.add_argument("--db", default=db_default(),
                   help="SQLite path or SQLAlchemy URL (default results.db)")
    p.add_argument("--artifacts", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                   help="evidence folder or object store (default: artifacts/ beside the db)")
    p.add_argument("--profiles", type=Path, default=Path("device_profiles"),
                   help="folder of device profiles (default device_profiles)")
    p.add_argument("--workers", type=int, default=4, help="attempts in parallel (default 4)")
    p.add_argument("--attempt-timeout", type=float, default=900.0, metavar="SECONDS",
                   help="an attempt still running after this is ended as failure: "
                        "timeout (default 900)")
    _screenshot_options(p)
    _attempt_options(p)


def _attempt_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ip-echo-url", default=os.environ.get("HARNESS_IP_ECHO_URL"),
                   help="IP-echo endpoint for the egress check (default: ipinfo.io on "
                        "appium, none on sim)")
    p.add_argument("--no-vantage-check", action="store_true",
                   help="skip the egress check (recorded as unchecked)")
    p.add_argument("--vantage-ttl", type=float, default=3600.0,
                   help="seconds an egress check of a proxy stays valid (default 3600)")
    p.add_argument("--full-tunnel-confirmed", default="",
                   help="profiles whose full tunnel is up, comma-separated")
    p.add_argument("--no-store-check", action="store_true",
                   help="skip the Google Play check before each attempt")
    p.add_argument("--no-sideload", dest="sideload", action="store_false", default=True,
                   help="end the attempt at a store barrier (the store does not offer the "
                        "app in the country); by default sign-up is still measured on a "
                        "device that has the app, and both outcomes are recorded")
    p.add_argument("--sideload", dest="sideload", action="store_true",
                   help="the default: measure sign-up behind a store barrier")
    p.add_argument("--settle", type=float, default=None, metavar="SECONDS",
                   help="how long a barrier message must stay, with the step's target "
                        "absent, before it is a verdict (default 3 on real devices, 0.5 on "
                        "the simulator)")
    p.add_argument("--attended", action="store_true",
                   help="an operator watches the device and solves routine challenges "
                        "(slider, captcha); without one they end an attempt as failure: "
                        "challenge_required")
    p.add_argument("--permissions", choices=("allow", "deny"), default="allow",
                   help="how the runner answers Android's permission dialogs (default allow)")
    p.add_argument("--resume", nargs="?", const="latest", default=None, metavar="RUN_ID",
                   help="finish a killed or interrupted run (default: the latest that did "
                        "not complete): its settled instances are not measured again")
    p.add_argument("--min-interval", type=float, default=None, metavar="HOURS",
                   help="skip an (app, profile) attempted less than HOURS ago (default 20 "
                        "on real devices, 0 on the simulator)")


def run_config(args: argparse.Namespace) -> RunConfig:
    """The run's configuration from the command line."""
    from harness.storage.locations import artifacts_option

    backend = Backend(args.backend)
    min_interval = min_interval_for(backend, args.min_interval)
    return RunConfig(backend=backend, appium_url=args.appium_url, db=args.db,
                     artifacts_dir=artifacts_option(args.artifacts),
                     profiles_dir=args.profiles,
                     attempt_timeout=args.attempt_timeout,
                     screenshots="none" if args.no_screenshots else args.screenshots,
                     ip_echo_url=echo_url(args), vantage_ttl=args.vantage_ttl,
                     full_tunnel_confirmed=frozenset(
                         x.strip() for x in args.full_tunnel_confirmed.split(",")
                         if x.strip()),
                     store_check=not args.no_store_check, sideload=args.sideload,
                     settle_time=_settle(args.settle), attended=args.attended,
                     permissions=args.permissions, min_interval_hours=min_interval)


def _settle(value: float | None) -> float | None:
    if value is not None and not 0 <= value <= 120:
        raise ConfigError(f"--settle={value:g}", None, "must be between 0 and 120 seconds",
                          "Give the seconds a barrier message must stay, e.g. --settle 3")
    return value


def echo_url(args: argparse.Namespace) -> str | None:
    """The egress-check endpoint: given, else ipinfo.io for real devices, none on sim."""
    return echo_url_for(Backend(args.backend),
                        str(args.ip_echo_url) if args.ip_echo_url else None,
                        check=not args.no_vantage_check)


def _selection(args: argparse.Namespace) -> tuple[list[Scenario], list[Profile]]:
    """The scenarios (``--app``) and profiles (``--country``, ``--region``) to run."""
    from harness.spec.profiles import load_profiles, select_profiles
    from harness.spec.scenarios import load_scenarios

    profiles = select_profiles(load_profiles(args.profiles), args.country, args.region)
    scenarios = load_scenarios(args.scenarios)
    if args.app:
        wanted = {a.strip() for a in args.app.split(",") if a.strip()}
        unknown = wanted - {s.id for s in scenarios}
        if unknown:
            raise ConfigError(f"--app={args.app}", None,
                              f"no scenario with id {sorted(unknown)[0]!r}",
                              "Known ids: " + ", ".join(s.id for s in scenarios))
        scenarios = [s for s in scenarios if s.id in wanted]
    scenarios = _for_backend(scenarios, Backend(args.backend))
    if not profiles or not scenarios:
        raise ConfigError("selection", None, "nothing to run: "
                          f"{len(scenarios)} scenarios x {len(profiles)} profiles",
                          "Check the scenario folders and --app, --country, --region")
    return scenarios, profiles


def _for_backend(scenarios: list[Scenario], backend: Backend) -> list[Scenario]:
    """The simulator's demo apps run only on the simulator: on a real device they are
    never installed, so they are left out, and said so."""
    from harness.spec.scenarios import for_backend

    real, demo = for_backend(scenarios, backend)
    if demo and not real:
        raise ConfigError("scenarios", None, f"only simulator demo apps were given "
                          f"({', '.join(demo)}); they are never installed on a real device",
                          "Run them with `harness demo` or --backend sim, or name real "
                          "scenarios, e.g. `harness run scenarios/`")
    if demo:
        Console(stderr=True, soft_wrap=True).print(
            f"left out {len(demo)} simulator demo scenarios ({', '.join(demo)}): they run "
            "only with --backend sim")
    return real


def _resumed_sources(args: argparse.Namespace, config: RunConfig) -> list[Path]:
    """The scenario folders of the run ``--resume`` names, when none are given."""
    if args.resume is None:
        raise ConfigError("harness run", None, "no scenario files or folders given",
                          "Name them, e.g. `harness run scenarios/`, or finish an earlier "
                          "run with `harness run --resume [RUN_ID]`")
    from harness.runs.resume import find_run
    from harness.storage.store import Store

    store = Store.open(config.db, config.artifacts_dir)
    try:
        run = find_run(store, args.resume, config.backend.value)
    finally:
        store.close()
    sources = (run.selection or {}).get("sources")
    if not isinstance(sources, list) or not sources:
        raise ConfigError(f"--resume={args.resume}", None, "the run did not store its "
                          "scenario folders", "Name them after --resume, as the run had them")
    return [Path(str(p)) for p in sources]


def cmd_run(args: argparse.Namespace) -> int:
    from harness.devices.backends import check_appium
    from harness.runs.batch import preflight, run_batch
    from harness.storage.preflight import check_targets, for_run
    from harness.storage.store import Store

    config = run_config(args)
    check_targets(for_run(config.db, config.artifacts_dir, report=args.report,
                          leases=config.backend is Backend.APPIUM))  # before anything runs
    if not args.scenarios:
        args.scenarios = _resumed_sources(args, config)
    scenarios, profiles = _selection(args)
    preflight(profiles, config)  # a missing number stops here, before anything is written
    if config.backend is Backend.APPIUM:
        check_appium(config.appium_url)
    console = Console(stderr=True, soft_wrap=True)
    store = Store.open(config.db, config.artifacts_dir)
    console.print(f"[bold]{len(scenarios)} apps x {len(profiles)} profiles = "
                  f"{len(scenarios) * len(profiles)} attempts[/] on backend "
                  f"[bold]{config.backend.value}[/], storing in {shown_db(config.db)}")
    try:
        batch = run_batch(scenarios, profiles, config, store, workers=args.workers,
                          command=shlex.join(["harness", *sys.argv[1:]]), console=console,
                          resume=args.resume,
                          sources={"sources": [str(p) for p in args.scenarios]})
    finally:
        store.close()
    if batch.aborted_before:
        console.print(f"marked {batch.aborted_before} unfinished attempts of earlier, "
                      "dead runs as aborted")
    if not batch.results:
        out_console().print(f"nothing measured: {len(batch.skipped)} instances were "
                            "skipped (see above)" if batch.skipped or not batch.resumed
                            else f"nothing left to measure in run {batch.run_id[:12]}")
        return EXIT_OK if batch.status == "completed" else EXIT_FAILURES
    _print_results(batch, {s.id: s for s in scenarios}, config)
    report = _report_path(args)
    if report is not None:
        _write_report(config, batch.run_id, report)
    failures = [r for r in batch.results if r.verdict.status.value == "failure"]
    for r in failures:
        out_console().print(f"[magenta]failure[/] {r.scenario_id}-{r.profile_id}: "
                            f"{r.verdict.failure}: {r.verdict.detail}  "
                            f"(harness show {r.measurement_id[:12]})")
    return EXIT_FAILURES if failures or batch.status != "completed" else EXIT_OK


def _print_results(batch: BatchResult, by_id: dict[str, Scenario], config: RunConfig) -> None:
    """The barrier table, the counts by status, and the run's status if not completed."""
    from harness.analysis.terminal_table import render_text

    out = out_console()
    out.print(render_text(batch.cells(by_id), title=f"Barrier table (run {batch.run_id[:8]}, "
                          f"backend {config.backend.value})",
                          width=out.width if out.is_terminal else 250,
                          color=out.is_terminal), end="")
    counts: dict[str, int] = {}
    for r in batch.results:
        counts[r.verdict.status.value] = counts.get(r.verdict.status.value, 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    out.print(f"{len(batch.results)} measurements stored in {shown_db(config.db)} ({summary}); "
              f"run id {batch.run_id}")
    if batch.status != "completed":
        recorded = batch.errors - batch.unrecorded
        out.print(f"[bold red]run {batch.status}[/]: {recorded} attempts raised inside the "
                  "harness (recorded as failure: unknown_failure), "
                  f"{batch.unrecorded} could not be stored (`harness run --resume` measures "
                  "them again); the log above has the cause")


def _report_path(args: argparse.Namespace) -> Path | None:
    """``--report``, else for ``harness demo`` a report that never overwrites another
    database's: ``reports/demo.html`` for the default database, ``<db>-report.html``
    beside a SQLite file given with ``--db``, none for a database URL."""
    if args.report is not None or not getattr(args, "demo_report", False):
        return args.report  # type: ignore[no-any-return]
    if args.db == db_default():
        return Path("reports/demo.html")
    if "://" in args.db:
        return None
    db = Path(args.db)
    return db.with_name(db.stem + "-report.html")


def _write_report(config: RunConfig, run_id: str, path: Path) -> None:
    from harness.analysis.run_report import write_run_report
    from harness.storage.store import Store

    store = Store.open(config.db, config.artifacts_dir, writes_evidence=False)
    try:
        written = write_run_report(store, run_id, path)
    finally:
        store.close()
    out_console().print(f"report written to {written}")


__all__ = ["add_run_options", "cmd_run", "echo_url", "register", "run_config"]
