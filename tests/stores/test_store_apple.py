"""The iTunes lookup client against the recorded responses, replayed on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from store_helpers import FACEBOOK_ID, ORANGE_ID, FakeTime, fixture_bytes
from store_replay import ReplayServer

from harness.stores.apple import UnusableLookup, parse_lookup
from harness.stores.clients import StoreClients
from harness.stores.model import CheckResult, StoreFailure, StoreTarget

FACEBOOK = StoreTarget("facebook", "com.facebook.katana", FACEBOOK_ID, "com.facebook.Facebook")
ORANGE = StoreTarget("orange118712", None, ORANGE_ID, "com.orange.118712")

Clients = Callable[..., StoreClients]


def test_parse_recorded_bodies() -> None:
    assert parse_lookup(fixture_bytes("itunesLookup-0.json")) == {}
    fb = parse_lookup(fixture_bytes("itunesLookup-284882215.json"))[FACEBOOK_ID]
    assert (fb.bundle_id, fb.title, fb.version) == ("com.facebook.Facebook", "Facebook", "15.0")
    fr = parse_lookup(fixture_bytes("itunesLookup-338986109_FR.json"))[ORANGE_ID]
    assert fr.bundle_id == "com.orange.118712" and fr.version == "4.2.2"
    with pytest.raises(UnusableLookup) as exc:
        parse_lookup(fixture_bytes("itunesLookup-invalid.json"))
    assert exc.value.failed.failure is StoreFailure.LOOKUP_ERROR
    assert not exc.value.failed.retry
    with pytest.raises(UnusableLookup) as exc:
        parse_lookup(b"<html>oops</html>")
    assert exc.value.failed.failure is StoreFailure.UNRECOGNIZED


def test_full_record_is_available_with_its_title_version_and_bundle(
        replay: ReplayServer, make_clients: Clients) -> None:
    clients = make_clients(replay)
    [obs] = clients.apple.check([FACEBOOK], "us")
    assert obs.result is CheckResult.AVAILABLE and obs.available is True
    assert (obs.title, obs.version, obs.bundle_id) == ("Facebook", "15.0",
                                                       "com.facebook.Facebook")
    assert obs.http_status == 200 and obs.country == "US"
    assert obs.raw is not None and obs.raw.body == fixture_bytes("itunesLookup-284882215.json")
    assert obs.signal == "apple.record" and "mismatch" not in obs.detail
    assert replay.requests == [f"/lookup?id={FACEBOOK_ID}&country=us&entity=software"]

    [fr] = clients.apple.check([ORANGE], "FR")
    assert fr.result is CheckResult.AVAILABLE and fr.version == "4.2.2"


def test_empty_lookup_is_unavailable(make_replay: Callable[..., ReplayServer],
                                     make_clients: Clients) -> None:
    server = make_replay(apple_available=lambda country, i: country != "CN")
    clients = make_clients(server)
    [obs] = clients.apple.check([FACEBOOK], "CN")
    assert obs.result is CheckResult.UNAVAILABLE and obs.available is False
    assert obs.failure is None and obs.http_status == 200
    assert obs.raw is not None and obs.raw.body == fixture_bytes("itunesLookup-0.json")
    assert obs.signal == "apple.no_record"


def test_bundle_id_is_checked_against_the_catalog(replay: ReplayServer,
                                                  make_clients: Clients) -> None:
    wrong = StoreTarget("facebook", None, FACEBOOK_ID, "com.example.notfacebook")
    [obs] = make_clients(replay).apple.check([wrong], "US")
    assert obs.result is CheckResult.AVAILABLE
    assert "bundle id mismatch: catalog com.example.notfacebook, store com.facebook.Facebook" \
        in obs.detail


def test_one_request_per_storefront_for_many_apps(make_replay: Callable[..., ReplayServer],
                                                  make_clients: Clients) -> None:
    gone = {1000003, 1000007}
    server = make_replay(apple_available=lambda country, i: i not in gone)
    targets = [StoreTarget(f"app{i}", None, 1000000 + i) for i in range(60)]
    clients = make_clients(server)
    obs = clients.apple.check(targets, "JP")
    assert server.count("/lookup") == 1 and clients.requests == 1
    assert len(obs) == 60
    unavailable = {o.store_app_id for o in obs if o.result is CheckResult.UNAVAILABLE}
    assert unavailable == {str(i) for i in gone}
    # the shared answer is one body for all sixty rows
    assert len({o.raw.sha256 for o in obs if o.raw}) == 1


def test_ids_are_chunked(make_replay: Callable[..., ReplayServer], make_clients: Clients
                         ) -> None:
    server = make_replay()
    targets = [StoreTarget(f"app{i}", None, 2000000 + i) for i in range(250)]
    obs = make_clients(server, chunk_size=100).apple.check(targets, "DE")
    assert server.count("/lookup") == 3
    assert all(o.result is CheckResult.AVAILABLE for o in obs) and len(obs) == 250


def test_invalid_id_fails_alone_and_never_blanks_the_storefront(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    bad = 3000005
    server = make_replay(apple_invalid_ids=frozenset({bad}))
    targets = [StoreTarget(f"app{i}", None, 3000000 + i) for i in range(8)]
    obs = {o.store_app_id: o for o in make_clients(server).apple.check(targets, "GB")}
    assert obs[str(bad)].result is CheckResult.FAILURE
    assert obs[str(bad)].failure is StoreFailure.LOOKUP_ERROR
    raw = obs[str(bad)].raw
    assert raw is not None and raw.body == fixture_bytes("itunesLookup-invalid.json")
    others = [o for k, o in obs.items() if k != str(bad)]
    assert all(o.result is CheckResult.AVAILABLE for o in others)
    # 1 (all 8) + 2 halves + 2 quarters of the bad half + 2 pairs: a few, not one per id
    assert server.count("/lookup") <= 7


@pytest.mark.parametrize("kind", ["403", "429", "503", "html", "reset"])
def test_transient_errors_are_retried_then_answered(kind: str, replay: ReplayServer,
                                                    make_clients: Clients,
                                                    fake_time: FakeTime) -> None:
    replay.inject(kind, "apple", times=2)
    clients = make_clients(replay)
    [obs] = clients.apple.check([FACEBOOK], "US")
    assert obs.result is CheckResult.AVAILABLE
    assert replay.count("/lookup") == 3
    assert len(fake_time.sleeps) == 2 and fake_time.sleeps[1] >= fake_time.sleeps[0] >= 1.0


@pytest.mark.parametrize(("kind", "failure"), [
    ("403", StoreFailure.HTTP_ERROR),
    ("429", StoreFailure.RATE_LIMITED),
    ("503", StoreFailure.HTTP_ERROR),
    ("html", StoreFailure.BLOCKED_PAGE),
    ("reset", StoreFailure.CONNECTION_ERROR),
])
def test_persistent_errors_are_failures_never_unavailable(
        kind: str, failure: StoreFailure, make_replay: Callable[..., ReplayServer],
        make_clients: Clients) -> None:
    # even where the app is really not sold, an error must not read as "unavailable"
    server = make_replay(apple_available=lambda country, i: False)
    server.inject(kind, "apple", times=100)
    clients = make_clients(server, max_attempts=3)
    targets = [FACEBOOK, ORANGE]
    obs = clients.apple.check(targets, "US")
    assert [o.result for o in obs] == [CheckResult.FAILURE] * 2
    assert {o.failure for o in obs} == {failure}
    assert all(o.available is None for o in obs)
    assert all("(after 3 attempts)" in o.detail for o in obs)
    assert server.count("/lookup") == 3


def test_retry_after_is_honoured(replay: ReplayServer, make_clients: Clients,
                                 fake_time: FakeTime) -> None:
    replay.inject("429", "apple", times=1, retry_after="42")
    [obs] = make_clients(replay, backoff=0.5).apple.check([FACEBOOK], "US")
    assert obs.result is CheckResult.AVAILABLE
    assert fake_time.sleeps and fake_time.sleeps[0] == pytest.approx(42.0)


def test_apple_budget_paces_requests(make_replay: Callable[..., ReplayServer],
                                     make_clients: Clients, fake_time: FakeTime) -> None:
    server = make_replay()
    clients = make_clients(server, apple_per_minute=20.0)
    for country in ("US", "GB", "DE", "FR"):
        clients.apple.check([FACEBOOK], country)
    # 20 a minute: the 2nd, 3rd and 4th requests each wait 3 s
    assert fake_time.sleeps == pytest.approx([3.0, 3.0, 3.0])


def test_an_error_about_the_country_is_not_split_per_id(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    body = b'{"errorMessage":"Invalid value(s) for key(s): [country]"}'
    ids = [4000000 + i for i in range(8)]
    server = make_replay(apple_invalid=body, apple_invalid_ids=frozenset(ids))
    obs = make_clients(server).apple.check([StoreTarget(f"a{i}", None, i) for i in ids], "US")
    assert {o.failure for o in obs} == {StoreFailure.LOOKUP_ERROR} and len(obs) == 8
    assert server.count("/lookup") == 1
