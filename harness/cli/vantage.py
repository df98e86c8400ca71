"""``harness vantage check``: the egress check alone, for the selected profiles."""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.attempt.vantage import VantageChecker, VantageResult
from harness.spec.config import DEFAULT_ECHO_URL
from harness.spec.profile import Profile, resolve_proxy
from harness.spec.profiles import load_profiles, select_profiles
from harness.support.console import WorkProgress, out_console
from harness.support.errors import ConfigError, ConfigErrors


def register(subparsers: Any) -> None:
    vantage = subparsers.add_parser("vantage", help="network vantage points (proxies)")
    vsub = vantage.add_subparsers(dest="action", metavar="ACTION")
    check = vsub.add_parser("check", help="check where each profile's traffic exits")
    check.add_argument("--country", default="all",
                       help="profile ids or country codes, comma-separated, or 'all' (default)")
    check.add_argument("--region", default=None,
                       help="only profiles of these study regions, comma-separated")
    check.add_argument("--profiles", type=Path, default=Path("device_profiles"),
                       help="folder of device profiles (default device_profiles)")
    check.add_argument("--ip-echo-url", default=os.environ.get("HARNESS_IP_ECHO_URL",
                                                               DEFAULT_ECHO_URL),
                       help="IP-echo endpoint asked through each proxy (default "
                            f"$HARNESS_IP_ECHO_URL, else {DEFAULT_ECHO_URL})")
    check.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                       help="seconds to wait for each proxy's answer (default 10)")
    check.add_argument("--ttl", type=float, default=0.0,
                       help="reuse a stored check younger than this many seconds "
                            "(default 0: always check)")
    check.add_argument("--db", default=None,
                       help="also record the checks in this database (SQLite path or URL)")
    check.add_argument("--workers", type=int, default=8,
                       help="proxies checked in parallel (default 8)")
    check.set_defaults(func=cmd_check)
    vantage.set_defaults(func=lambda args: (vantage.print_help(), 2)[1])


def cmd_check(args: argparse.Namespace) -> int:
    profiles = select_profiles(load_profiles(args.profiles), args.country, args.region)
    proxies: dict[str, str | None] = {}
    errors: list[ConfigError] = []
    for p in profiles:
        try:
            proxies[p.id] = resolve_proxy(p)
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    store = None
    if args.db:
        from harness.storage import Store

        store = Store.open(args.db)
    checker = VantageChecker(store, args.ip_echo_url, ttl=args.ttl, timeout=args.timeout)
    err = Console(stderr=True, soft_wrap=True)
    results: dict[str, VantageResult] = {}
    try:
        with WorkProgress(err, "checking egress", len(profiles)) as progress, \
                ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            futures = {pool.submit(checker.check, p, proxies[p.id]): p for p in profiles}
            for fut in as_completed(futures):
                prof: Profile = futures[fut]
                res = fut.result()
                results[prof.id] = res
                progress.advance(f"{prof.id}: {res.verdict}")
    finally:
        if store is not None:
            store.close()
    table = Table(title=f"Egress of {len(profiles)} profiles via {args.ip_echo_url}")
    for col in ("profile", "target", "proxy", "verdict", "exit", "ASN", "IP country",
                "GeoIP", "agree", "detail"):
        table.add_column(col)
    style = {"ok": "green", "vantage_mismatch": "red", "proxy_unreachable": "magenta",
             "echo_failed": "magenta"}
    for p in profiles:
        r = results[p.id]
        table.add_row(p.id, p.country, r.proxy_masked or "direct",
                      f"[{style[r.verdict]}]{r.verdict}[/]" + (" (cached)" if r.cached else ""),
                      r.ip_masked or "", r.asn or "", r.ip_country or "", r.geoip_country or "",
                      "" if r.sources_agree is None else ("yes" if r.sources_agree else "NO"),
                      r.detail or "")
    out = out_console()
    out.print(table)
    bad = [r for r in results.values() if not r.ok]
    out.print(f"{len(results) - len(bad)} ok, {len(bad)} not usable")
    return 1 if bad else 0
