"""The ``store`` stage of a scenario run: what the store showed, and the barrier verdict
that comes with an absence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from store_helpers import socks_proxy
from store_replay import PLAY_AVAILABLE, PLAY_NOT_FOUND, ReplayServer

from harness.spec.profile import Profile
from harness.spec.profiles import load_profile
from harness.spec.scenarios import App, Scenario
from harness.storage.store import Store
from harness.stores.clients import StoreClients
from harness.stores.model import StoreName, StoreResult
from harness.stores.repository import load_checks
from harness.stores.stage import check_store_stage
from harness.vocabulary.outcomes import Barrier, Stage, Status

REPO = Path(__file__).resolve().parents[2]
Clients = Callable[..., StoreClients]

WECHAT = Scenario(id="wechat-signup", version=1,
                  app=App(name="WeChat", android_package="com.tencent.mm", apple_id=414478124,
                          bundle_id="com.tencent.xin"),
                  steps=(), rules=(), source=REPO / "scenarios" / "wechat.yaml")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(str(tmp_path / "results.db"))
    yield store
    store.close()


@pytest.fixture
def profile_de(monkeypatch: pytest.MonkeyPatch) -> Profile:
    monkeypatch.delenv("HARNESS_PROXY_DE", raising=False)
    return load_profile(REPO / "device_profiles" / "DE.yaml")


def test_unavailable_on_play_is_a_store_barrier(db: Store, profile_de: Profile,
                                                make_replay: Callable[..., ReplayServer],
                                                make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND if c == "DE"
                         else PLAY_AVAILABLE)
    seen = check_store_stage(db, WECHAT, profile_de, run_id="run1",
                             clients=make_clients(server))
    assert seen.result is StoreResult.ABSENT_IN_COUNTRY
    assert seen.rule_id == "store.play.absent_in_country"
    verdict = seen.barrier
    assert verdict is not None
    assert (verdict.status, verdict.stage, verdict.barrier) == (
        Status.BARRIER, Stage.STORE, Barrier.STORE_UNAVAILABLE)
    assert verdict.rule_id == "store.play.absent_in_country"
    assert verdict.matched_text and verdict.matched_text.startswith("play.http_404")
    assert verdict.outcome == "barrier:store_unavailable"
    assert seen.detail and "play US: available (play.install_offer" in seen.detail
    row, reference = load_checks(db)
    # named like the sweeps name it (the catalog id), so both extend one series
    assert (row.app_id, row.store, row.country, row.result, row.run_id, row.scope) == (
        "wechat", "play", "DE", "unavailable", "run1", "in_country")
    assert not row.reference
    assert (reference.country, reference.result, reference.reference, reference.run_id) == (
        "US", "available", True, "run1")


def test_available_means_go_on(db: Store, profile_de: Profile, replay: ReplayServer,
                               make_clients: Clients) -> None:
    seen = check_store_stage(db, WECHAT, profile_de, clients=make_clients(replay))
    assert (seen.result, seen.rule_id, seen.barrier) == (StoreResult.AVAILABLE, None, None)
    assert seen.detail and "play.install_offer" in seen.detail
    assert [r.result for r in load_checks(db)] == ["available"]  # no reference needed


def test_a_failed_check_never_stops_the_attempt(db: Store, profile_de: Profile,
                                                make_replay: Callable[..., ReplayServer],
                                                make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    server.inject("429", "play", times=10)
    seen = check_store_stage(db, WECHAT, profile_de,
                             clients=make_clients(server, max_attempts=2))
    assert (seen.result, seen.barrier) == (StoreResult.CHECK_FAILED, None)
    assert seen.detail and "play.rate_limited" in seen.detail
    [row] = load_checks(db)
    assert (row.result, row.failure, row.available) == ("failure", "store_rate_limited", None)


def test_apple_on_request(db: Store, profile_de: Profile,
                          make_replay: Callable[..., ReplayServer],
                          make_clients: Clients) -> None:
    server = make_replay(apple_available=lambda c, i: c != "DE")
    seen = check_store_stage(db, WECHAT, profile_de, stores=("apple", "play"),
                             clients=make_clients(server))
    assert seen.barrier is not None and seen.rule_id == "store.apple.absent_in_country"
    # DE on Apple and Play, and CN (the App Store's first reference storefront)
    assert sorted((r.store, r.country, bool(r.reference)) for r in load_checks(db)) == [
        ("apple", "CN", True), ("apple", "DE", False), ("play", "DE", False)]


def test_demo_apps_and_unlisted_countries_are_not_checked(
        db: Store, profile_de: Profile, replay: ReplayServer, make_clients: Clients) -> None:
    demo = replace(WECHAT, app=replace(WECHAT.app, demo=True))
    seen = check_store_stage(db, demo, profile_de, clients=make_clients(replay))
    assert (seen.result, seen.detail) == (StoreResult.NOT_CHECKED, "demo app: in no store")
    in_cn = replace(profile_de, id="CN", country="CN")  # Play does not operate in CN
    seen = check_store_stage(db, WECHAT, in_cn, clients=make_clients(replay))
    assert (seen.result, seen.detail) == (StoreResult.NOT_CHECKED,
                                          "play: no storefront for CN")
    assert replay.requests == [] and load_checks(db) == []


def test_checks_go_through_the_profiles_proxy(db: Store, monkeypatch: pytest.MonkeyPatch,
                                              replay: ReplayServer,
                                              make_clients: Clients) -> None:
    with socks_proxy() as proxy:
        monkeypatch.setenv("HARNESS_PROXY_DE", proxy)
        profile = load_profile(REPO / "device_profiles" / "DE.yaml")
        seen = check_store_stage(db, WECHAT, profile, clients=make_clients(replay))
        assert seen.result is StoreResult.AVAILABLE
        [row] = load_checks(db)
        assert row.result == "available"
        assert row.proxy_masked is not None and "s3cret" not in row.proxy_masked
        assert row.proxy_masked.startswith("socks5://harness:***@127.0.0.1:")
        # a wrong password is the proxy's failure, not the app's
        monkeypatch.setenv("HARNESS_PROXY_DE", proxy.replace("s3cret", "wrong"))
        profile = load_profile(REPO / "device_profiles" / "DE.yaml")
        seen = check_store_stage(db, WECHAT, profile,
                                 clients=make_clients(replay, max_attempts=1))
        assert seen.result is StoreResult.CHECK_FAILED and seen.barrier is None
        assert seen.detail and "s3cret" not in seen.detail and "wrong" not in seen.detail
    rows = load_checks(db, stores=[StoreName.PLAY])
    assert rows[-1].failure == "store_proxy_error" and "s3cret" not in (rows[-1].detail or "")
    assert "wrong" not in (rows[-1].detail or "")
