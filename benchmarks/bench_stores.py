"""Benchmark: a store sweep of 60 apps x 175 storefronts against a loopback store.

    .venv/bin/python benchmarks/bench_stores.py                 # Apple, then Play
    .venv/bin/python benchmarks/bench_stores.py --apple-only
    .venv/bin/python benchmarks/bench_stores.py --apps 60 --play-countries 175 --workers 8

The loopback store (``tests/stores/store_replay.py``) answers from the recorded responses in
tests/fixtures/stores: lookup records built from the recorded Facebook record, the
recorded empty answer where an app is not sold, and Play details pages derived from the
recorded whereami page (compacted to the parts the harness reads, about 20 kB instead of
1.2 MB, so the figure measures the harness rather than loopback copying) or the recorded
404 page. About one app in ten is unavailable in about one country in five.

The sweep is the real one (``plan_sweep`` + ``run_sweep``), rate limits off, storing
every check and its gzip-compressed raw response in a temporary SQLite database. It
prints the number of HTTP requests, the wall time and the rows stored; the target for
Apple is at most one request per storefront (175).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "stores"

sys.path.insert(0, str(REPO))

from store_replay import (  # noqa: E402
    PLAY_AVAILABLE,
    PLAY_NOT_FOUND,
    ReplayServer,
    compact_play_page,
)

from harness.storage.store import Store  # noqa: E402
from harness.stores.clients import StoreClients  # noqa: E402
from harness.stores.model import CheckResult, StoreName, StoreTarget  # noqa: E402
from harness.stores.settings import StoreSettings  # noqa: E402
from harness.stores.storefronts import storefront_codes  # noqa: E402
from harness.stores.sweep import plan_sweep, run_sweep  # noqa: E402


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _unavailable(app_index: int, country: str) -> bool:
    return app_index % 10 == 3 and (ord(country[0]) + ord(country[1])) % 5 == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--apps", type=int, default=60)
    p.add_argument("--play-countries", type=int, default=175,
                   help="Play countries to sweep (default 175, the first by code)")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--apple-only", action="store_true")
    args = p.parse_args(argv)

    apple_ids = {1_500_000_000 + i: i for i in range(args.apps)}
    packages = {f"org.bench.app{i:03d}": i for i in range(args.apps)}
    targets = [StoreTarget(f"app{i:03d}", f"org.bench.app{i:03d}", 1_500_000_000 + i)
               for i in range(args.apps)]
    apple_countries = sorted(storefront_codes(StoreName.APPLE))
    play_countries = sorted(storefront_codes(StoreName.PLAY))[:args.play_countries]
    page = compact_play_page(_fixture("gplay-app-whereami.html").decode("utf-8"))

    server = ReplayServer(
        apple_record=_fixture("itunesLookup-284882215.json"),
        apple_empty=_fixture("itunesLookup-0.json"),
        apple_invalid=_fixture("itunesLookup-invalid.json"),
        play_page=page.encode("utf-8"),
        play_not_found=_fixture("gplay-datasafety-missing.html"),
        apple_available=lambda c, i: not _unavailable(apple_ids.get(i, 0), c),
        play_state=lambda c, pkg: (PLAY_NOT_FOUND if _unavailable(packages.get(pkg, 0), c)
                                   else PLAY_AVAILABLE),
    ).start()
    settings = StoreSettings(apple_url=server.apple_url, play_url=server.play_url,
                             apple_per_minute=None, play_per_minute=None,
                             workers=args.workers, backoff=0.1)
    print(f"{args.apps} apps; {len(apple_countries)} Apple storefronts; "
          f"{len(play_countries)} Play countries; {args.workers} workers; rate limits off; "
          f"Play page {len(page) / 1000:.0f} kB")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-stores-") as tmp:
            store = Store.open(str(Path(tmp) / "results.db"))
            try:
                runs = [("Apple", StoreName.APPLE, apple_countries)]
                if not args.apple_only:
                    runs.append(("Play", StoreName.PLAY, play_countries))
                for label, name, countries in runs:
                    before = server.count("/")
                    with StoreClients(settings) as clients:
                        units = plan_sweep(targets, {name: countries})
                        t0 = time.perf_counter()
                        report = run_sweep(clients, units, store, workers=args.workers)
                        wall = time.perf_counter() - t0
                    c = report.counts()
                    served = server.count("/") - before
                    print(f"{label:5s}: {len(report.observations):6d} checks "
                          f"({c[(name, CheckResult.AVAILABLE)]} available, "
                          f"{c[(name, CheckResult.UNAVAILABLE)]} unavailable, "
                          f"{c[(name, CheckResult.FAILURE)]} failures) with "
                          f"{report.requests} requests (server saw {served}) in "
                          f"{wall:.2f} s wall, {len(report.observations) / wall:,.0f} "
                          "checks/s")
                    if name is StoreName.APPLE:
                        verdict = "OK" if report.requests <= len(countries) else "OVER"
                        print(f"       target: at most {len(countries)} Apple requests -> "
                              f"{verdict}")
                with store.session() as s:
                    from sqlalchemy import func, select

                    from harness.storage.models import StoreCheck
                    rows = s.scalar(select(func.count()).select_from(StoreCheck))
                files = sum(1 for _ in (store.artifacts_dir / "stores").rglob("*.gz"))
                size = sum(f.stat().st_size for f in (store.artifacts_dir / "stores").rglob(
                    "*.gz"))
                print(f"stored: {rows} rows, {files} evidence files ({size / 1e6:.1f} MB "
                      "gzip)")
            finally:
                store.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
