"""``harness stores check | changes | verify``: app-store availability per country.

The ``harness`` CLI imports this module on every start to register the command, so its
top level stays light (no HTTP or database libraries); each command imports what it
needs when it runs.

Exit status, like ``harness run``: 0 everything measured, 1 some checks failed (the
instrument, not the app) or ``verify`` found a mismatch, 2 bad input (one-paragraph
error from the CLI).
"""

from __future__ import annotations

import argparse
import difflib
import shlex
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from harness.cli.common import EXIT_FAILURES, EXIT_OK, db_default, usage
from harness.stores.confirm import (
    DEFAULT_MIN_CHECKS,
    DEFAULT_MIN_HOURS,
    ConfirmationRule,
    ConfirmedState,
    PendingChange,
    confirm,
)
from harness.stores.model import CheckResult, StoreName, StoreObservation, StoreScope
from harness.stores.settings import (
    APPLE_PER_MINUTE,
    DEFAULT_APPLE_URL,
    DEFAULT_PLAY_URL,
    PLAY_PER_MINUTE,
    StoreSettings,
)
from harness.stores.storefronts import (
    parse_country_codes,
    parse_stores,
    select_countries,
    storefront_codes,
)
from harness.support.console import WorkProgress, out_console
from harness.support.errors import ConfigError, HarnessError, display_path

if TYPE_CHECKING:  # the CLI imports these only when a store command runs
    from harness.spec.catalog import Catalog, CatalogApp
    from harness.stores.repository import Series
    from harness.stores.sweep import SweepReport, SweepUnit
    from harness.stores.verify import VerifyRow


def _rate(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of requests per minute "
                                         "(0 = no limit)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a rate cannot be negative (0 = no limit)")
    return value or None


def _add_client_options(p: argparse.ArgumentParser, play: bool = True) -> None:
    g = p.add_argument_group("store endpoints and pacing")
    g.add_argument("--apple-url", default=DEFAULT_APPLE_URL,
                   help=f"iTunes lookup base URL (default {DEFAULT_APPLE_URL})")
    g.add_argument("--apple-rate", type=_rate, default=APPLE_PER_MINUTE, metavar="PER_MIN",
                   help=f"Apple requests per minute per vantage (default {APPLE_PER_MINUTE:g}, "
                        "Apple's documented budget; 0 = no limit)")
    if play:
        g.add_argument("--play-url", default=DEFAULT_PLAY_URL,
                       help=f"Google Play details URL (default {DEFAULT_PLAY_URL})")
        g.add_argument("--play-rate", type=_rate, default=PLAY_PER_MINUTE, metavar="PER_MIN",
                       help=f"Play requests per minute per vantage (default "
                            f"{PLAY_PER_MINUTE:g}; 0 = no limit)")
        g.add_argument("--workers", type=int, default=8,
                       help="checks in flight at once (default 8); each still waits for "
                            "its budget")
    g.add_argument("--max-attempts", type=int, default=4,
                   help="attempts per request for 403/429/5xx/HTML/network errors "
                        "(default 4)")
    g.add_argument("--backoff", type=float, default=2.0, metavar="SECONDS",
                   help="first retry wait, doubled each retry (default 2; Retry-After wins "
                        "when longer)")
    g.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                   help="per-request timeout (default 20)")


def register(subparsers: Any) -> None:
    """Add ``harness stores`` and its actions to the CLI."""
    stores = subparsers.add_parser(
        "stores", help="app-store availability per country (Apple App Store, Google Play)",
        description="Whether an app can be obtained at all: the App Store in every "
                    "storefront and Google Play country by country, each through the "
                    "country's vantage point. See docs/stores.md.")
    sub = stores.add_subparsers(dest="action", metavar="ACTION")
    stores.set_defaults(func=lambda args: usage(stores))
    _add_check(sub)
    _add_changes(sub)
    _add_verify(sub)


def _add_check(sub: Any) -> None:
    """``harness stores check``."""
    check = sub.add_parser(
        "check", help="check catalog apps in store countries and store the results",
        description="Check every catalog app (or --app) in every storefront (or "
                    "--country) of the App Store and/or Google Play; each check is stored "
                    "in store_checks with its raw response as evidence.")
    check.add_argument("--country", default="all",
                       help="country codes, comma-separated, or 'all' (default: every "
                            "storefront of each store)")
    check.add_argument("--store", default="apple,play",
                       help="apple, play or apple,play (default)")
    check.add_argument("--app", default=None, help="only these catalog app ids, comma-separated")
    check.add_argument("--catalog", type=Path, default=None,
                       help="app catalog YAML (default: the packaged harness/data/catalog.yaml)")
    check.add_argument("--profiles", type=Path, default=None,
                       help="device profiles whose proxies are the vantage points (default "
                            "device_profiles/, if present); countries without one are "
                            "checked directly")
    check.add_argument("--direct", action="store_true",
                       help="ignore profile proxies; check every country from this machine")
    check.add_argument("--db", default=db_default(),
                       help="SQLite path or SQLAlchemy URL (default results.db)")
    check.add_argument("--artifacts", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                       help="the evidence folder or object-store prefix (default: artifacts/ "
                            "beside the SQLite file)")
    check.add_argument("--chunk-size", type=int, default=100,
                       help="Apple ids per lookup request (default 100)")
    check.add_argument("--no-reference-check", action="store_true",
                       help="do not ask the reference storefronts (Play US, GB; App Store "
                            "CN, US) whether an absent app is missing everywhere; absences "
                            "are then stored with scope unknown")
    _add_client_options(check)
    check.set_defaults(func=cmd_check)


def _add_changes(sub: Any) -> None:
    """``harness stores changes``."""
    changes = sub.add_parser(
        "changes", help="confirmed changes of availability",
        description="Changes of availability that repeated: at least --min-checks "
                    "consecutive conclusive checks agreeing, spanning at least --min-hours. "
                    "Failures never count.")
    changes.add_argument("--db", default=db_default(),
                         help="SQLite path or SQLAlchemy URL (default results.db)")
    changes.add_argument("--min-checks", type=int, default=DEFAULT_MIN_CHECKS,
                         help=f"agreeing checks needed (default {DEFAULT_MIN_CHECKS})")
    changes.add_argument("--min-hours", type=float, default=DEFAULT_MIN_HOURS,
                         help=f"hours they must span (default {DEFAULT_MIN_HOURS:g})")
    changes.add_argument("--app", default=None, help="only these app ids, comma-separated")
    changes.add_argument("--store", default="all", help="apple, play or all (default)")
    changes.add_argument("--country", default="all", help="country codes or all (default)")
    changes.add_argument("--pending", action="store_true",
                         help="also list changes seen but not yet confirmed")
    changes.set_defaults(func=cmd_changes)


def _add_verify(sub: Any) -> None:
    """``harness stores verify``."""
    verify = sub.add_parser(
        "verify", help="confirm the catalog's Apple ids and bundle ids against the lookup",
        description="Look every catalog Apple id up and compare the store's bundle id with "
                    "the catalog's. Prints what it would mark verified; --write updates "
                    "`verified:` in the --catalog file.")
    verify.add_argument("--catalog", type=Path, default=None,
                        help="catalog YAML to check (and, with --write, to update); default "
                             "the packaged catalog")
    verify.add_argument("--country", default="US,CN",
                        help="storefronts to look in, in order (default US,CN: some Chinese "
                             "apps are sold only in CN)")
    verify.add_argument("--app", default=None, help="only these app ids, comma-separated")
    verify.add_argument("--write", action="store_true",
                        help="update `verified:` in the --catalog file")
    _add_client_options(verify, play=False)
    verify.set_defaults(func=cmd_verify)


def _err_console() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def _settings(args: argparse.Namespace) -> StoreSettings:
    if args.max_attempts < 1:
        raise ConfigError(f"--max-attempts={args.max_attempts}", None,
                          "at least one attempt is needed", "Use e.g. --max-attempts 4")
    if args.backoff < 0 or args.timeout <= 0:
        raise ConfigError("--backoff/--timeout", None, "times must be positive",
                          "Use e.g. --backoff 2 --timeout 20")
    workers = getattr(args, "workers", 8)
    if workers < 1:
        raise ConfigError(f"--workers={workers}", None, "at least one worker is needed")
    chunk = getattr(args, "chunk_size", 100)
    if chunk < 1:
        raise ConfigError(f"--chunk-size={chunk}", None, "at least one id per request")
    return StoreSettings(
        apple_url=args.apple_url, play_url=getattr(args, "play_url", DEFAULT_PLAY_URL),
        apple_per_minute=args.apple_rate,
        play_per_minute=getattr(args, "play_rate", PLAY_PER_MINUTE),
        max_attempts=args.max_attempts, backoff=args.backoff, timeout=args.timeout,
        workers=workers, chunk_size=chunk)


def _catalog(path: Path | None) -> Catalog:
    from harness.spec.catalog import default_catalog, load_catalog

    return load_catalog(path) if path is not None else default_catalog()


def _select_apps(catalog: Catalog, text: str | None, option: str = "--app") -> list[CatalogApp]:
    if not text:
        return list(catalog.apps)
    known = [a.id for a in catalog.apps]
    out: list[CatalogApp] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        app = catalog.get(part)
        if app is None:
            near = difflib.get_close_matches(part, known, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            raise ConfigError(f"{option}={text}", None,
                              f"no app {part!r} in the catalog.{hint}",
                              f"Known ids: {', '.join(known)}")
        if app not in out:
            out.append(app)
    return out


def _proxies(args: argparse.Namespace, countries: set[str], console: Console,
             references: set[str] | None = None) -> dict[str, str | None]:
    """Each selected country's vantage: its profile's proxy (resolved now), else direct.

    ``references`` (the reference storefronts) get their profile's proxy too when it
    resolves; one that does not is checked directly, with a note, not an error: the
    reference checks only tell an absence's scope.
    """
    if args.direct:
        return {}
    references = (references or set()) - countries
    from harness.spec.profile import resolve_proxy
    from harness.spec.profiles import load_profiles
    from harness.stores.stage import reference_proxies

    directory = args.profiles or Path("device_profiles")
    if not directory.is_dir():
        if args.profiles is not None:
            raise ConfigError(display_path(directory), None, "profile directory not found",
                              "Pass --profiles DIR, or --direct to check from this machine")
        return {}
    profiles = load_profiles(directory)
    proxies: dict[str, str | None] = {}
    for profile in profiles:
        if profile.country in countries and profile.country not in proxies:
            try:
                proxies[profile.country] = resolve_proxy(profile)
            except ConfigError as exc:
                raise ConfigError(exc.location, exc.field, exc.problem,
                                  (exc.fix or "Set it") + "; or pass --direct to check "
                                  "every country from this machine") from None
    proxies.update(reference_proxies(profiles, references,
                                     lambda note: console.print(f"note: {note}")))
    via = sorted(c for c, p in proxies.items() if p)
    if via:
        console.print(f"vantage: {len(via)} countr{'y' if len(via) == 1 else 'ies'} through "
                      f"their profile's proxy ({', '.join(via)}); the others directly")
    return proxies


# --------------------------------------------------------------------------- check


def cmd_check(args: argparse.Namespace) -> int:
    from harness.storage.store import Store
    from harness.stores.clients import StoreClients
    from harness.stores.scope import REFERENCE_STOREFRONTS, ScopeResolver
    from harness.stores.sweep import plan_sweep, run_sweep, targets_from_catalog

    stores = parse_stores(args.store)
    selection = select_countries(args.country, stores)
    catalog = _catalog(args.catalog)
    apps = _select_apps(catalog, args.app)
    settings = _settings(args)
    err = _err_console()
    for note in selection.notes:
        err.print(f"note: {note}")
    targets = targets_from_catalog(catalog, [a.id for a in apps])
    all_countries = {c for s in stores for c in selection.countries(s)}
    references = (set() if args.no_reference_check else
                  {c for s in stores for c in REFERENCE_STOREFRONTS[s]})
    proxies = _proxies(args, all_countries, err, references)
    units = plan_sweep(targets, selection.by_store, proxies)
    if not units:
        raise ConfigError("selection", None, "nothing to check: no selected app has an "
                          f"identifier in {' or '.join(s.value for s in stores)}")
    _print_plan(err, units, settings)
    store = Store.open(args.db, args.artifacts)
    progress = WorkProgress(err, "checking", len(units))

    def on_unit(unit: SweepUnit, obs: list[StoreObservation], done: int, total: int) -> None:
        progress.advance(f"{unit.label}: {_unit_summary(obs)}")

    try:
        with StoreClients(settings) as clients, progress:
            scopes = (None if args.no_reference_check else
                      ScopeResolver(clients, proxy_for=lambda c: proxies.get(c)))
            report = run_sweep(clients, units, store, workers=settings.workers,
                               on_unit=on_unit, scopes=scopes)
    except KeyboardInterrupt:
        err.print("interrupted: the checks that finished are stored")
        raise
    finally:
        store.close()
    _print_sweep(report, stores, args.db)
    return EXIT_FAILURES if report.failures else EXIT_OK


def _print_sweep(report: SweepReport, stores: Sequence[StoreName], db: str) -> None:
    """What ``harness stores check`` found: tables, reference checks, totals, failures."""
    out = out_console()
    out.print(_summary_table(report.checks, stores,
                             title=f"Store checks (run {report.run_id[:8]})"))
    unavailable = _unavailable_table(report.checks)
    if unavailable is not None:
        out.print(unavailable)
    failures = report.failures
    if failures:
        out.print(_failure_table(failures))
    refs = report.references
    if refs:
        where = ", ".join(f"{s.value} {' '.join(sorted({o.country for o in refs if o.store is s}))}"
                          for s in stores if any(o.store is s for o in refs))
        out.print(f"{len(refs)} reference checks ({where}) told an absence here from an "
                  "absence everywhere; stored with reference = true")
    out.print(f"{len(report.observations)} checks stored in {db} with "
              f"{report.requests} requests in {report.elapsed:.1f} s; run id {report.run_id}")
    if failures:
        out.print(f"[magenta]{len(failures)} checks failed[/] (the instrument, not the app; "
                  "never counted as unavailable). Re-run later, or slow down with "
                  "--apple-rate/--play-rate.")


def _print_plan(console: Console, units: Sequence[SweepUnit], settings: StoreSettings
                ) -> None:
    apple = [u for u in units if u.store is StoreName.APPLE]
    play = [u for u in units if u.store is StoreName.PLAY]
    parts = []
    if apple:
        n = len(apple[0].targets)
        per = -(-n // settings.chunk_size)
        rate = (f"at most {settings.apple_per_minute:g}/min per vantage"
                if settings.apple_per_minute else "no rate limit")
        parts.append(f"App Store: {n} apps x {len(apple)} storefronts, about "
                     f"{len(apple) * per} requests ({rate})")
    if play:
        apps = len({u.targets[0].app_id for u in play})
        countries = len({u.country for u in play})
        rate = (f"at most {settings.play_per_minute:g}/min per vantage"
                if settings.play_per_minute else "no rate limit")
        parts.append(f"Google Play: {apps} apps x {countries} countries = {len(play)} "
                     f"requests ({rate})")
    console.print("; ".join(parts))


def _unit_summary(observations: Sequence[StoreObservation]) -> str:
    obs = [o for o in observations if not o.reference]
    refs = len(observations) - len(obs)
    return _results_summary(obs) + (f" (+{refs} reference check{'s' if refs > 1 else ''})"
                                    if refs else "")


def _results_summary(obs: Sequence[StoreObservation]) -> str:
    if len(obs) == 1:
        o = obs[0]
        return o.result.value + (f" ({o.failure.value})" if o.failure else "")
    c = Counter(o.result.value + (f" ({o.failure.value})" if o.failure else "") for o in obs)
    return ", ".join(f"{v} {k}" for k, v in sorted(c.items())) or "no apps"


def _scope(o: StoreObservation) -> str:
    return (o.scope or StoreScope.UNKNOWN).value


def _summary_table(obs: Sequence[StoreObservation], stores: Sequence[StoreName],
                   title: str) -> Table:
    """Checks per store; ``unavailable`` split by scope (absent in the country only,
    everywhere, or unknown)."""
    table = Table(title=title)
    for col in ("store", "countries", "checks", "available", "unavailable", "in country",
                "everywhere", "scope unknown", "failure"):
        table.add_column(col, justify="left" if col == "store" else "right")
    for s in stores:
        mine = [o for o in obs if o.store is s]
        c = Counter(o.result for o in mine)
        scopes = Counter(_scope(o) for o in mine if o.result is CheckResult.UNAVAILABLE)
        table.add_row(s.value, str(len({o.country for o in mine})), str(len(mine)),
                      str(c[CheckResult.AVAILABLE]), str(c[CheckResult.UNAVAILABLE]),
                      str(scopes[StoreScope.IN_COUNTRY.value]),
                      str(scopes[StoreScope.EVERYWHERE.value]),
                      str(scopes[StoreScope.UNKNOWN.value]), str(c[CheckResult.FAILURE]))
    return table


def _codes(codes: Sequence[str], limit: int = 24) -> str:
    codes = sorted(codes)
    if len(codes) <= limit:
        return ", ".join(codes)
    return ", ".join(codes[:limit]) + f" … (+{len(codes) - limit})"


def _unavailable_table(obs: Sequence[StoreObservation]) -> Table | None:
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for o in obs:
        if o.result is CheckResult.UNAVAILABLE:
            groups[(o.app_id, o.store.value, _scope(o))].append(o.country)
    if not groups:
        return None
    table = Table(title="Unavailable (scope: missing in_country only, everywhere, or "
                        "unknown)")
    for col in ("app", "store", "scope", "n", "countries"):
        table.add_column(col)
    for (app, store, scope), countries in sorted(groups.items()):
        table.add_row(app, store, scope, str(len(countries)), _codes(countries))
    return table


def _failure_table(failures: Sequence[StoreObservation]) -> Table:
    groups: dict[tuple[str, str], list[StoreObservation]] = defaultdict(list)
    for o in failures:
        groups[(o.store.value, o.failure.value if o.failure else "?")].append(o)
    table = Table(title="Failures (not findings)")
    for col in ("store", "failure", "n", "countries", "example"):
        table.add_column(col)
    for (store, code), items in sorted(groups.items()):
        countries = sorted({o.country + ("*" if o.reference else "") for o in items})
        table.add_row(store, code, str(len(items)), _codes(countries, 12), items[0].detail)
    if any(o.reference for o in failures):
        table.caption = "* a reference check: the scope of the absences it served is unknown"
    return table


# --------------------------------------------------------------------------- changes


def cmd_changes(args: argparse.Namespace) -> int:
    from harness.storage.store import Store
    from harness.stores.repository import load_checks, timelines

    try:
        rule = ConfirmationRule(args.min_checks, args.min_hours)
    except ValueError as exc:
        raise ConfigError("--min-checks/--min-hours", None, str(exc),
                          "Use e.g. --min-checks 3 --min-hours 6") from None
    stores = parse_stores(args.store)
    countries = (None if args.country.strip().lower() == "all"
                 else parse_country_codes(args.country))
    apps = [a.strip() for a in args.app.split(",") if a.strip()] if args.app else None
    if "://" not in args.db and not Path(args.db).exists():
        raise HarnessError(f"--db={args.db}: no such database yet; run `harness stores "
                           "check` first, or pass --db")
    store = Store.open(args.db)
    try:
        checks = load_checks(store, app_ids=apps, stores=stores, countries=countries)
    finally:
        store.close()
    series = timelines(checks)
    rows, pending, baselines = _confirm_series(series, rule)
    out = out_console()
    table = Table(title=f"Confirmed availability changes ({args.db})")
    for col in ("app", "store", "country", "change", "scope", "since (UTC)",
                "confirmed (UTC)", "checks"):
        table.add_column(col)
    for (app, st, country), c in sorted(rows, key=lambda r: (r[1].confirmed_at, r[0])):
        table.add_row(app, st, country, f"{_state(c.previous)} → {_state(c.available)}",
                      _scope_cell(c.available, c.scope),
                      f"{c.since:%Y-%m-%d %H:%M}", f"{c.confirmed_at:%Y-%m-%d %H:%M}",
                      str(c.checks))
    out.print(table if rows else "No confirmed availability changes.")
    if args.pending:
        out.print(_pending_table(pending) if pending else "Pending: none.")
    out.print(f"{len(series)} series (app x store x country), {baselines} with a confirmed "
              f"state, {len(rows)} confirmed changes, {len(pending)} pending. Rule: "
              f"{rule.min_checks} consecutive agreeing checks spanning at least "
              f"{rule.min_hours:g} h; failures never count.")
    return EXIT_OK


_Confirmed = tuple[tuple[str, str, str], ConfirmedState]
_Pending = tuple[tuple[str, str, str], PendingChange]


def _confirm_series(series: Sequence[Series], rule: ConfirmationRule
                    ) -> tuple[list[_Confirmed], list[_Pending], int]:
    """Each series' confirmed changes and pending change; how many have a confirmed state."""
    rows: list[_Confirmed] = []
    pending: list[_Pending] = []
    baselines = 0
    for s in series:
        status = confirm(s.points, rule)
        baselines += 1 if status.history else 0
        rows.extend((s.key, c) for c in status.changes)
        if status.pending is not None and status.pending.previous is not None:
            pending.append((s.key, status.pending))
    return rows, pending, baselines


def _pending_table(pending: Sequence[_Pending]) -> Table:
    """The changes seen but not yet confirmed, by series."""
    pt = Table(title="Pending (seen, not yet confirmed)")
    for col in ("app", "store", "country", "change", "scope", "first (UTC)",
                "last (UTC)", "checks"):
        pt.add_column(col)
    for (app, st, country), p in sorted(pending, key=lambda r: r[0]):
        pt.add_row(app, st, country, f"{_state(p.previous)} → {_state(p.available)}",
                   _scope_cell(p.available, p.scope), f"{p.first:%Y-%m-%d %H:%M}",
                   f"{p.last:%Y-%m-%d %H:%M}", str(p.checks))
    return pt


def _state(available: bool | None) -> str:
    return {True: "available", False: "unavailable", None: "?"}[available]


def _scope_cell(available: bool | None, scope: str | None) -> str:
    """An absence's scope as recorded by its latest check (``unknown`` when that check
    has none: a reference check failed, or it was made before scopes were recorded)."""
    if available is not False:
        return ""
    return scope or StoreScope.UNKNOWN.value


# --------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace) -> int:
    from harness.stores.clients import StoreClients
    from harness.stores.verify import VerifyStatus, update_verified, verify_catalog

    if args.write and args.catalog is None:
        raise ConfigError("--write", None, "--write needs the catalog file to update",
                          "Pass it with --catalog, e.g. --catalog harness/data/catalog.yaml")
    catalog = _catalog(args.catalog)
    apps = _select_apps(catalog, args.app)
    countries = parse_country_codes(args.country)
    apple_codes = storefront_codes(StoreName.APPLE)
    bad = [c for c in countries if c not in apple_codes]
    if bad:
        raise ConfigError(f"--country={args.country}", None,
                          f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not App Store "
                          "storefronts", "See harness/data/storefronts_apple.csv")
    settings = _settings(args)
    with StoreClients(settings) as clients:
        rows = verify_catalog(clients.apple, apps, countries)
        requests = clients.requests
    out = out_console()
    out.print(_verify_table(rows, countries))
    changes = {r.app.id: nv for r in rows
               if (nv := r.new_verified()) is not None and nv != r.app.verified}
    verified_now = [r.app.id for r in rows if r.status is VerifyStatus.MATCH]
    out.print(f"{requests} lookup requests. Would mark apple_id and bundle_id verified for: "
              f"{', '.join(verified_now) or 'none'}")
    unverify = [r.app.id for r in rows if r.status is VerifyStatus.MISMATCH]
    if unverify:
        out.print(f"[red]mismatch[/]: {', '.join(unverify)} (apple_id/bundle_id would be "
                  "removed from verified)")
    if args.write:
        changed = update_verified(args.catalog, changes) if changes else []
        out.print(f"updated {display_path(args.catalog)}: "
                  f"{', '.join(changed) if changed else 'nothing to change'}")
    elif changes:
        out.print(f"run again with --write to update `verified:` of {len(changes)} apps "
                  f"({shlex.join(['--catalog', str(args.catalog or 'FILE')])})")
    failed = any(r.status in (VerifyStatus.MISMATCH, VerifyStatus.FAILED) for r in rows)
    return EXIT_FAILURES if failed else EXIT_OK


def _verify_table(rows: Sequence[VerifyRow], countries: Sequence[str]) -> Table:
    """Each catalog app's lookup: status (coloured), storefront, bundle ids, title, detail."""
    from harness.stores.verify import VerifyStatus

    table = Table(title=f"Catalog check against the iTunes lookup ({', '.join(countries)})")
    for col in ("app", "apple id", "status", "storefront", "catalog bundle", "store bundle",
                "store title", "detail"):
        table.add_column(col)
    colors = {VerifyStatus.MATCH: "green", VerifyStatus.MISMATCH: "red",
              VerifyStatus.FAILED: "magenta"}
    for r in rows:
        c = colors.get(r.status)
        status = f"[{c}]{r.status.value}[/]" if c else r.status.value
        table.add_row(r.app.id, str(r.app.apple_id), status, r.country or "",
                      r.app.bundle_id or "", r.record.bundle_id if r.record else "",
                      (r.record.title or "") if r.record else "", r.detail)
    return table
