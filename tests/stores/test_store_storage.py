"""Store checks in the database, evidence on disk, and sweeps end to end in-process."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_helpers import FACEBOOK_ID, WHEREAMI, fixture_bytes
from store_replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer

from harness.storage.models import StoreCheck
from harness.storage.store import Store
from harness.stores.clients import StoreClients
from harness.stores.model import CheckResult, StoreName, StoreTarget
from harness.stores.repository import load_checks, read_raw, save_observations
from harness.stores.sweep import plan_sweep, run_sweep

Clients = Callable[..., StoreClients]


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> Iterator[Store]:
    store = Store.open(db_url, tmp_path / "artifacts")
    yield store
    store.close()


def test_observations_are_stored_with_their_evidence(db: Store, replay: ReplayServer,
                                                     make_clients: Clients) -> None:
    clients = make_clients(replay)
    target = StoreTarget("facebook", WHEREAMI, FACEBOOK_ID, "com.facebook.Facebook")
    obs = clients.apple.check([target], "US")
    play = clients.play.check(target, "US")
    assert play is not None
    assert save_observations(db, [*obs, play], run_id="r1") == 2
    rows = load_checks(db)
    assert [(r.store, r.result, r.available) for r in rows] == [
        ("apple", "available", True), ("play", "available", True)]
    apple = rows[0]
    assert (apple.app_id, apple.store_app_id, apple.country, apple.http_status) == (
        "facebook", str(FACEBOOK_ID), "US", 200)
    assert (apple.title, apple.version, apple.bundle_id) == ("Facebook", "15.0",
                                                             "com.facebook.Facebook")
    assert apple.run_id == "r1" and apple.request_url and apple.request_url.endswith(
        "entity=software")
    assert apple.proxy_masked is None and apple.failure is None
    body = fixture_bytes("itunesLookup-284882215.json")
    assert apple.artifact_sha256 == hashlib.sha256(body).hexdigest()
    assert apple.artifact_path is not None
    assert read_raw(db.artifacts_dir, apple.artifact_path) == body
    assert apple.artifact_path.startswith("stores/apple/")
    path = db.artifacts_dir / apple.artifact_path
    assert gzip.decompress(path.read_bytes()) == body
    assert rows[1].title == "Where Am I? - GeoGuess Game" and rows[1].version == "4.0.7"


def test_shared_answers_are_stored_once(db: Store, make_replay: Callable[..., ReplayServer],
                                        make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    clients = make_clients(server)
    targets = [StoreTarget(f"app{i}", f"org.example.app{i}", 5000 + i) for i in range(5)]
    units = plan_sweep(targets, {StoreName.APPLE: ["US", "JP"], StoreName.PLAY: ["US", "JP"]})
    report = run_sweep(clients, units, db, run_id="sweep1", workers=4)
    assert report.units == 2 + 10 and len(report.observations) == 20
    rows = load_checks(db)
    assert len(rows) == 20 and {r.run_id for r in rows} == {"sweep1"}
    files = sorted(p for p in (db.artifacts_dir / "stores").rglob("*.gz"))
    # two Apple answers (one per storefront) and one 404 page for all ten Play checks
    assert len(files) == 3
    assert len({r.artifact_path for r in rows if r.store == "play"}) == 1


def test_sweep_counts_requests_and_keeps_going_after_failures(
        db: Store, make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c == "KR"
                         else PLAY_AVAILABLE)
    server.inject("503", "apple", times=10, country="DE")
    server.inject("captcha_page", "play", times=10, country="JP")
    clients = make_clients(server, max_attempts=2)
    targets = [StoreTarget("a", "org.example.a", 1), StoreTarget("b", "org.example.b", 2)]
    units = plan_sweep(targets, {StoreName.APPLE: ["US", "DE"],
                                 StoreName.PLAY: ["US", "JP", "KR"]})
    report = run_sweep(clients, units, db)
    by = {(o.store, o.country, o.app_id): o.result for o in report.observations}
    assert by[(StoreName.APPLE, "US", "a")] is CheckResult.AVAILABLE
    assert by[(StoreName.APPLE, "DE", "a")] is CheckResult.FAILURE
    assert by[(StoreName.PLAY, "JP", "b")] is CheckResult.FAILURE
    assert by[(StoreName.PLAY, "KR", "b")] is CheckResult.UNAVAILABLE
    # US apple 1 + DE apple 2 attempts + play US 2 + JP 2x2 + KR 2
    assert report.requests == server.count("/") == 1 + 2 + 2 + 4 + 2
    stored = load_checks(db, stores=[StoreName.PLAY], countries=["jp"])
    assert [r.failure for r in stored] == ["store_captcha", "store_captcha"]


def test_failed_checks_are_never_stored_as_unavailable(
        db: Store, make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    """Every injected error, in both stores, where the truth is "not offered"."""
    kinds = {"apple": ["403", "429", "503", "html", "reset"],
             "play": ["403", "429", "503", "html", "reset", "captcha", "captcha_page",
                      "consent", "consent_page", "404_unknown"]}
    server = make_replay(apple_available=lambda c, i: False,
                         play_state=lambda c, p: PLAY_NOT_FOUND)
    countries = ["US", "GB", "DE", "FR", "JP", "KR", "BR", "IN", "AU", "CA"]
    for store, ks in kinds.items():
        for kind, country in zip(ks, countries, strict=False):
            server.inject(kind, store, times=50, country=country)
    clients = make_clients(server, max_attempts=2)
    t = StoreTarget("x", "org.example.x", 77)
    plan = {StoreName.APPLE: countries[:5], StoreName.PLAY: countries}
    run_sweep(clients, plan_sweep([t], plan), db)
    with db.session() as s:
        rows = s.query(StoreCheck).all()
    assert len(rows) == 15
    assert all(r.result == "failure" and r.available is None and r.failure for r in rows)
