"""The ``harness`` command.

Every command prints a clear one-paragraph error (file, field, fix) and exits 2 on bad
input; it never shows a traceback for a mistake the user can fix.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.spec.config import DEFAULT_APPIUM_URL, DEFAULT_MIN_INTERVAL_HOURS, RunConfig
from harness.support.console import out_console
from harness.support.errors import ConfigError, ConfigErrors, HarnessError
from harness.support.secrets import shown_db
from harness.vocabulary.outcomes import Backend

#: Modules that add their own subcommands: each has ``register(subparsers)`` and sets
#: ``func`` (taking the parsed arguments, returning the exit status) on its parsers.
EXTENSIONS: tuple[str, ...] = (
    "harness.cli.stores",     # harness stores check|changes|verify
    "harness.cli.export",     # harness export, harness report
    "harness.cli.classify",   # harness classify, harness reclassify
    "harness.cli.vantage",    # harness vantage check
)

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2


def _add_run_options(p: argparse.ArgumentParser, backend_default: str) -> None:
    p.add_argument("--country", default="all",
                   help="profile ids or country codes, comma-separated, or 'all' (default)")
    p.add_argument("--region", default=None, help="only profiles of these study regions")
    p.add_argument("--app", default=None, help="only these scenario ids, comma-separated")
    p.add_argument("--backend", choices=[b.value for b in Backend], default=backend_default)
    p.add_argument("--appium-url", default=os.environ.get("HARNESS_APPIUM_URL",
                                                          DEFAULT_APPIUM_URL))
    p.add_argument("--db", default=os.environ.get("HARNESS_DB", "results.db"),
                   help="SQLite path or SQLAlchemy URL (default results.db)")
    p.add_argument("--artifacts", type=Path, default=None,
                   help="evidence folder (default: artifacts/ beside the SQLite file)")
    p.add_argument("--profiles", type=Path, default=Path("device_profiles"))
    p.add_argument("--workers", type=int, default=4, help="attempts in parallel (default 4)")
    p.add_argument("--attempt-timeout", type=float, default=900.0)
    p.add_argument("--no-screenshots", action="store_true")
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
    p.add_argument("--min-interval", type=float, default=None, metavar="HOURS",
                   help="skip an (app, profile) attempted less than HOURS ago (default 20 "
                        "on real devices, 0 on the simulator)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Measure where real-name-registration and app-store barriers stop "
                    "sign-up, per country.")
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="every demo app from every profile on the simulator")
    _add_run_options(demo, "sim")
    demo.add_argument("scenarios", nargs="*", type=Path, default=[Path("scenarios/demo")])
    demo.add_argument("--report", type=Path, default=Path("reports/demo.html"))

    run = sub.add_parser("run", help="run scenarios from profiles (no pytest needed)")
    _add_run_options(run, "appium")
    run.add_argument("scenarios", nargs="+", type=Path)
    run.add_argument("--report", type=Path, default=None)

    prof = sub.add_parser("profiles", help="device profiles")
    psub = prof.add_subparsers(dest="action", metavar="ACTION")
    pcheck = psub.add_parser("check", help="validate every profile file")
    pcheck.add_argument("dir", nargs="?", type=Path, default=Path("device_profiles"))
    pcheck.add_argument("--backend", choices=[b.value for b in Backend], default=None,
                        help="also resolve secrets from the environment for this backend")
    pnew = psub.add_parser("new", help="scaffold device_profiles/XX.yaml from country data")
    pnew.add_argument("country", help="ISO 3166-1 alpha-2 code, e.g. DE")
    pnew.add_argument("--dir", type=Path, default=Path("device_profiles"))
    pnew.add_argument("--force", action="store_true", help="overwrite an existing file")

    scen = sub.add_parser("scenarios", help="scenarios")
    ssub = scen.add_subparsers(dest="action", metavar="ACTION")
    scheck = ssub.add_parser("check", help="validate every scenario file")
    scheck.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])

    runs = sub.add_parser("runs", help="recent runs")
    runs.add_argument("--db", default=os.environ.get("HARNESS_DB", "results.db"))
    runs.add_argument("--limit", type=int, default=20)

    show = sub.add_parser("show", help="one measurement: outcome, steps, evidence")
    show.add_argument("measurement_id")
    show.add_argument("--db", default=os.environ.get("HARNESS_DB", "results.db"))

    sim = sub.add_parser("sim", help="run the simulator in the foreground")
    sim.add_argument("--port", type=int, default=4723)

    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that part of the package is not installed in this build
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _dispatch(args, parser)
    except ConfigErrors as exc:
        n = len(exc.errors)
        print(f"error: {n} problem{'s' if n != 1 else ''} found:", file=sys.stderr)
        for e in exc.errors:
            print(f"- {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, HarnessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    func = getattr(args, "func", None)
    if func is not None:
        return int(func(args))
    if args.command in ("demo", "run"):
        return cmd_run(args)
    if args.command == "profiles":
        if args.action == "new":
            from harness.spec.scaffold import new_profile_command

            return new_profile_command(args)
        if args.action != "check":
            parser.parse_args(["profiles", "--help"])
        return cmd_profiles_check(args)
    if args.command == "scenarios":
        if args.action != "check":
            parser.parse_args(["scenarios", "--help"])
        return cmd_scenarios_check(args)
    if args.command == "runs":
        return cmd_runs(args)
    if args.command == "show":
        return cmd_show(args)
    if args.command == "sim":
        from harness.sim.__main__ import main as sim_main

        return sim_main(["--port", str(args.port)])
    raise AssertionError(args.command)


def _settle(value: float | None) -> float | None:
    if value is not None and not 0 <= value <= 120:
        raise ConfigError(f"--settle={value:g}", None, "must be between 0 and 120 seconds",
                          "Give the seconds a barrier message must stay, e.g. --settle 3")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from harness.analysis.terminal_table import render_text
    from harness.devices.backends import check_appium
    from harness.runs.batch import preflight, run_batch
    from harness.spec.profiles import load_profiles, select_profiles
    from harness.spec.scenarios import load_scenarios
    from harness.storage.store import Store

    config = RunConfig(backend=Backend(args.backend), appium_url=args.appium_url, db=args.db,
                       artifacts_dir=args.artifacts, profiles_dir=args.profiles,
                       attempt_timeout=args.attempt_timeout,
                       screenshots=not args.no_screenshots,
                       ip_echo_url=echo_url(args), vantage_ttl=args.vantage_ttl,
                       full_tunnel_confirmed=frozenset(
                           x.strip() for x in args.full_tunnel_confirmed.split(",")
                           if x.strip()),
                       store_check=not args.no_store_check, sideload=args.sideload,
                       settle_time=_settle(args.settle), attended=args.attended,
                       permissions=args.permissions,
                       min_interval_hours=(args.min_interval if args.min_interval is not None
                                           else 0.0 if args.backend == Backend.SIM.value
                                           else DEFAULT_MIN_INTERVAL_HOURS))
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
    if not profiles or not scenarios:
        raise ConfigError("selection", None, "nothing to run: "
                          f"{len(scenarios)} scenarios x {len(profiles)} profiles")
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
                          command=shlex.join(["harness", *sys.argv[1:]]), console=console)
    finally:
        store.close()
    if batch.aborted_before:
        console.print(f"marked {batch.aborted_before} unfinished attempts of earlier, "
                      "dead runs as aborted")
    by_id = {s.id: s for s in scenarios}
    out = _console()
    if not batch.results:
        out.print(f"nothing measured: all {len(batch.skipped)} attempts were skipped "
                  "(see above)")
        return EXIT_OK
    out.print(render_text(batch.cells(by_id), title=f"Barrier table (run {batch.run_id[:8]}, "
                          f"backend {config.backend.value})",
                          width=out.width if out.is_terminal else 250,
                          color=out.is_terminal), end="")
    failures = [r for r in batch.results if r.verdict.status.value == "failure"]
    counts: dict[str, int] = {}
    for r in batch.results:
        counts[r.verdict.status.value] = counts.get(r.verdict.status.value, 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    out.print(f"{len(batch.results)} measurements stored in {shown_db(config.db)} ({summary}); "
              f"run id {batch.run_id}")
    if batch.status != "completed":
        out.print(f"[bold red]run {batch.status}[/]: {batch.errors} attempts raised inside the "
                  "harness (recorded as failure: unknown_failure; the log above has the "
                  "cause)")
    report = getattr(args, "report", None)
    if report is not None:
        from harness.analysis.run_report import write_run_report

        store = Store.open(config.db, config.artifacts_dir)
        try:
            path = write_run_report(store, batch.run_id, report)
        finally:
            store.close()
        out.print(f"report written to {path}")
    for r in failures:
        out.print(f"[magenta]failure[/] {r.scenario_id}-{r.profile_id}: {r.verdict.failure}: "
                  f"{r.verdict.detail}  (harness show {r.measurement_id[:12]})")
    return EXIT_FAILURES if failures or batch.status != "completed" else EXIT_OK


def cmd_profiles_check(args: argparse.Namespace) -> int:
    from harness.spec.profiles import load_profiles

    profiles = load_profiles(args.dir)
    if args.backend:
        from harness.runs.batch import preflight

        preflight(profiles, RunConfig(backend=Backend(args.backend)))
    table = Table(title=f"{len(profiles)} profiles OK in {args.dir}")
    for col in ("id", "country", "region", "locale", "timezone", "phone", "proxy", "device"):
        table.add_column(col)
    for p in profiles:
        dev = p.device.udid or p.device.emulator or ("farm" if p.device.capabilities else "-")
        table.add_row(p.id, p.country, p.region.value, p.locale, p.timezone,
                      p.phone_ref or "(example number on sim)", p.proxy_masked or "direct", dev)
    _console().print(table)
    return EXIT_OK


def cmd_scenarios_check(args: argparse.Namespace) -> int:
    from harness.spec.scenarios import load_scenarios

    scenarios = load_scenarios(args.paths)
    table = Table(title=f"{len(scenarios)} scenarios OK")
    for col in ("id", "version", "app", "package", "steps", "own rules", "file"):
        table.add_column(col)
    for s in scenarios:
        table.add_row(s.id, str(s.version), s.app.name, s.app.android_package,
                      str(len(s.all_steps())), str(len(s.rules)), s.name)
    _console().print(table)
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from harness.storage.store import Store

    _require_db(args.db)
    store = Store.open(args.db)
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
    _console().print(table)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from harness.storage.store import Store

    _require_db(args.db)
    store = Store.open(args.db)
    try:
        m = store.get_measurement(args.measurement_id)
        if m is None:
            raise HarnessError(f"no measurement {args.measurement_id!r} in {shown_db(args.db)}; "
                               "`harness runs` lists runs")
        root = store.artifacts_dir
    finally:
        store.close()
    out = _console()
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
    out.print("evidence:")
    for a in m.artifacts:
        path = root / a.path
        flag = "" if path.exists() else "  [red](missing)[/]"
        out.print(f"  step {a.step_idx}: {a.kind} {path} ({a.size} bytes){flag}")
    return EXIT_OK


def echo_url(args: argparse.Namespace) -> str | None:
    """The egress-check endpoint: given, else ipinfo.io for real devices, none on sim."""
    from harness.attempt.vantage import DEFAULT_ECHO_URL

    if args.no_vantage_check:
        return None
    if args.ip_echo_url:
        return str(args.ip_echo_url)
    return DEFAULT_ECHO_URL if args.backend == Backend.APPIUM.value else None


_console = out_console


def _require_db(db: str) -> None:
    if "://" not in db and not Path(db).exists():
        raise HarnessError(f"--db={db}: no such database yet; run `harness demo` or a "
                           "scenario run first, or pass --db")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
