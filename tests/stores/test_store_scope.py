"""Absent from this country's store, or from the store everywhere: the reference
storefronts, their cache, and a failed reference check (the scope stays unknown)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_helpers import FakeTime
from store_replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer

from harness.storage.store import Store
from harness.stores.clients import StoreClients
from harness.stores.model import CheckResult, StoreName, StoreScope, StoreTarget
from harness.stores.repository import load_checks
from harness.stores.scope import REFERENCE_STOREFRONTS, ScopeResolver
from harness.stores.sweep import plan_sweep, run_sweep

Clients = Callable[..., StoreClients]
APP = StoreTarget("wechat", "com.tencent.mm", 414478124, "com.tencent.xin")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(str(tmp_path / "results.db"))
    yield store
    store.close()


def _gl(server: ReplayServer, country: str) -> int:
    return sum(1 for r in server.requests if r.startswith("/store/apps/details")
               and f"gl={country}&" in r)


def _apple(server: ReplayServer, country: str) -> int:
    return sum(1 for r in server.requests if r.startswith("/lookup")
               and f"country={country.lower()}&" in r)


def test_the_reference_storefronts_are_documented() -> None:
    assert REFERENCE_STOREFRONTS[StoreName.PLAY] == ("US", "GB")
    assert REFERENCE_STOREFRONTS[StoreName.APPLE] == ("CN", "US")
    doc = (Path(__file__).resolve().parents[2] / "docs" / "stores.md").read_text("utf-8")
    assert "Google Play: `US`, then `GB`" in doc and "App Store: `CN`" in doc


def test_play_absent_in_country_when_the_reference_offers_it(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c == "DE"
                         else PLAY_AVAILABLE)
    clients = make_clients(server)
    obs = clients.play.check(APP, "DE")
    assert obs is not None and obs.result is CheckResult.UNAVAILABLE
    scoped, reference = ScopeResolver(clients).resolve([obs])
    assert scoped.scope is StoreScope.IN_COUNTRY
    assert scoped.scope_detail is not None
    assert scoped.scope_detail.startswith("reference storefronts: play US: available "
                                          "(play.install_offer, ")
    assert (reference.country, reference.result, reference.reference) == (
        "US", CheckResult.AVAILABLE, True)
    assert _gl(server, "GB") == 0  # the first reference settled it


def test_play_absent_everywhere_needs_every_reference(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    clients = make_clients(server)
    obs = clients.play.check(APP, "DE")
    assert obs is not None
    scoped, *refs = ScopeResolver(clients).resolve([obs])
    assert scoped.scope is StoreScope.EVERYWHERE
    assert [(r.country, r.result) for r in refs] == [("US", CheckResult.UNAVAILABLE),
                                                     ("GB", CheckResult.UNAVAILABLE)]
    assert "play US: unavailable (play.http_404" in (scoped.scope_detail or "")
    assert "play GB: unavailable (play.http_404" in (scoped.scope_detail or "")


def test_a_country_that_is_a_reference_is_not_its_own_reference(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c == "US"
                         else PLAY_AVAILABLE)
    clients = make_clients(server)
    obs = clients.play.check(APP, "US")
    assert obs is not None
    scoped, reference = ScopeResolver(clients).resolve([obs])
    assert scoped.scope is StoreScope.IN_COUNTRY and reference.country == "GB"
    assert _gl(server, "US") == 1


def test_apple_home_storefront_then_us(make_replay: Callable[..., ReplayServer],
                                       make_clients: Clients) -> None:
    # sold only in CN: absent from DE, but only there (CN answers, US is never asked)
    server = make_replay(apple_available=lambda c, i: c == "CN")
    clients = make_clients(server)
    [obs] = clients.apple.check([APP], "DE")
    scoped, reference = ScopeResolver(clients).resolve([obs])
    assert scoped.scope is StoreScope.IN_COUNTRY and reference.country == "CN"
    assert _apple(server, "US") == 0
    # withdrawn everywhere: neither CN nor US sells it
    server = make_replay(apple_available=lambda c, i: False)
    clients = make_clients(server)
    [obs] = clients.apple.check([APP], "DE")
    scoped, *refs = ScopeResolver(clients).resolve([obs])
    assert scoped.scope is StoreScope.EVERYWHERE
    assert [r.country for r in refs] == ["CN", "US"]


def test_a_failed_reference_check_leaves_the_scope_unknown(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    server.inject("503", "play", times=10, country="US")
    clients = make_clients(server, max_attempts=2)
    obs = clients.play.check(APP, "DE")
    assert obs is not None
    scoped, us, gb = ScopeResolver(clients).resolve([obs])
    # GB says absent too, but US could not tell: "everywhere" would be a guess
    assert scoped.scope is StoreScope.UNKNOWN
    assert (us.country, us.result, gb.country, gb.result) == (
        "US", CheckResult.FAILURE, "GB", CheckResult.UNAVAILABLE)
    assert "play US: failure store_http_error (play.http_error" in (scoped.scope_detail or "")


def test_a_failed_reference_is_not_needed_when_another_offers_the_app(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_AVAILABLE if c == "GB"
                         else PLAY_NOT_FOUND)
    server.inject("503", "play", times=10, country="US")
    clients = make_clients(server, max_attempts=2)
    obs = clients.play.check(APP, "DE")
    assert obs is not None
    scoped, _, _ = ScopeResolver(clients).resolve([obs])
    assert scoped.scope is StoreScope.IN_COUNTRY


def test_answers_are_cached_and_failures_asked_again_after_their_ttl(
        make_replay: Callable[..., ReplayServer], make_clients: Clients,
        fake_time: FakeTime) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c not in ("US", "GB")
                         else PLAY_AVAILABLE)
    clients = make_clients(server)
    resolver = ScopeResolver(clients, failure_ttl=600, clock=fake_time.clock)
    for country in ("DE", "FR", "JP", "BR"):
        obs = clients.play.check(APP, country)
        assert obs is not None
        scoped, *refs = resolver.resolve([obs])
        assert scoped.scope is StoreScope.IN_COUNTRY
        assert len(refs) == (1 if country == "DE" else 0)  # asked once, then cached
    assert _gl(server, "US") == 1 and resolver.reference_checks == 1

    failing = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    failing.inject("503", "play", times=2, country="US")
    clients = make_clients(failing, max_attempts=2)
    resolver = ScopeResolver(clients, failure_ttl=600, clock=fake_time.clock)
    obs = clients.play.check(APP, "DE")
    assert obs is not None
    assert resolver.resolve([obs])[0].scope is StoreScope.UNKNOWN
    assert resolver.resolve([obs])[0].scope is StoreScope.UNKNOWN  # the failure, cached
    assert _gl(failing, "US") == 2  # two attempts of one check
    fake_time.now += 601
    assert resolver.resolve([obs])[0].scope is StoreScope.EVERYWHERE  # asked again
    assert _gl(failing, "US") == 3


def test_a_sweep_asks_each_reference_once_and_stores_the_scopes(
        db: Store, make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    # app a: not on Play anywhere; app b: withheld from four countries only
    def play(country: str, package: str) -> str:
        if package == "org.example.a" or country in ("DE", "FR", "JP", "KR"):
            return PLAY_NOT_FOUND
        return PLAY_AVAILABLE

    server = make_replay(play_state=play)
    clients = make_clients(server)
    targets = [StoreTarget("a", "org.example.a"), StoreTarget("b", "org.example.b")]
    countries = ["DE", "FR", "JP", "KR", "US", "BR"]
    # one worker: the order is fixed (reference storefronts first), so are the counts
    report = run_sweep(clients, plan_sweep(targets, {StoreName.PLAY: countries}), db,
                       run_id="s1", workers=1, scopes=ScopeResolver(clients))
    # US is in the sweep: its checks serve as references; GB is asked once, for a only
    assert _gl(server, "US") == 2 and _gl(server, "GB") == 1
    assert report.requests == len(countries) * 2 + 1
    assert [(o.app_id, o.country) for o in report.references] == [("a", "GB")]
    rows = {(r.app_id, r.country): r for r in load_checks(db) if not r.reference}
    assert {c: rows[("a", c)].scope for c in countries} == dict.fromkeys(
        countries, "everywhere")
    assert {c: rows[("b", c)].scope for c in ("DE", "FR", "JP", "KR")} == dict.fromkeys(
        ("DE", "FR", "JP", "KR"), "in_country")
    assert rows[("b", "US")].scope is None and rows[("b", "US")].result == "available"
    assert "play GB: unavailable" in (rows[("a", "DE")].scope_detail or "")
    [ref] = [r for r in load_checks(db) if r.reference]
    assert (ref.app_id, ref.country, ref.run_id, ref.scope) == ("a", "GB", "s1", "everywhere")


def test_a_check_under_way_is_waited_for_not_repeated(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c == "DE"
                         else PLAY_AVAILABLE)
    clients = make_clients(server)
    resolver = ScopeResolver(clients)
    obs = clients.play.check(APP, "DE")
    assert obs is not None
    got: list[StoreScope | None] = []
    with resolver.in_flight(StoreName.PLAY, "US", [APP.android_package or ""]):
        worker = threading.Thread(target=lambda: got.append(resolver.resolve([obs])[0].scope))
        worker.start()
        worker.join(0.3)
        assert worker.is_alive() and got == []  # waiting for the US check under way
        us = clients.play.check(APP, "US")
        assert us is not None
        resolver.offer([us])
    worker.join(5)
    assert got == [StoreScope.IN_COUNTRY]
    assert _gl(server, "US") == 1 and resolver.reference_checks == 0


def test_a_sweep_with_many_workers_stores_every_scope(
        db: Store, make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(apple_available=lambda c, i: c == "CN")
    clients = make_clients(server)
    targets = [StoreTarget(f"app{i}", None, 9000 + i) for i in range(3)]
    countries = ["US", "CN", "DE", "FR", "JP", "KR", "BR", "IN"]
    report = run_sweep(clients, plan_sweep(targets, {StoreName.APPLE: countries}), db,
                       workers=8, scopes=ScopeResolver(clients))
    absent = [o for o in report.checks if o.result is CheckResult.UNAVAILABLE]
    assert len(absent) == 3 * 7 and {o.scope for o in absent} == {StoreScope.IN_COUNTRY}
    # CN (in the sweep) answers for every other storefront: at most the few checks that
    # raced the CN unit ask CN again, never one per country
    assert _apple(server, "CN") <= 2
