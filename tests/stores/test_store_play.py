"""The Google Play details client against the recorded pages, replayed on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from store_helpers import TRANSLATE, WHEREAMI, FakeTime, fixture_bytes
from store_replay import (
    PLAY_AVAILABLE,
    PLAY_NOT_AVAILABLE_PAGE,
    PLAY_NOT_FOUND,
    ReplayServer,
    not_available_variant,
)

from harness.stores.clients import StoreClients
from harness.stores.model import CheckResult, StoreFailure, StoreTarget
from harness.stores.play import (
    parse_details_page,
    read_details,
)

Clients = Callable[..., StoreClients]
WECHAT = StoreTarget("wechat", "com.tencent.mm", 414478124, "com.tencent.xin")


def target(package: str) -> StoreTarget:
    return StoreTarget(package.rsplit(".", 1)[-1].lower(), package)


def test_recorded_pages_parse() -> None:
    w = parse_details_page(fixture_bytes("gplay-app-whereami.html").decode())
    assert (w.package, w.title, w.version) == (WHEREAMI, "Where Am I? - GeoGuess Game", "4.0.7")
    assert w.has_offer and w.not_available_text is None
    t = parse_details_page(fixture_bytes("gplay-app-translate.html").decode())
    assert (t.package, t.title, t.version) == (TRANSLATE, "Google Translate", None)
    # the translate page says "not available in all languages or countries" in its
    # description; that is not the country message
    assert t.not_available_text is None
    assert read_details(t, TRANSLATE)[0] is CheckResult.AVAILABLE


def test_decision_table_is_conservative() -> None:
    page = fixture_bytes("gplay-app-whereami.html").decode()
    gone = parse_details_page(not_available_variant(page))
    assert not gone.has_offer and gone.not_available_text
    assert read_details(gone, WHEREAMI)[0] is CheckResult.UNAVAILABLE
    # the message in a review while the install offer is there: still available
    review = parse_details_page(page.replace(
        'class="h3YV2d">Fun and exciting', 'class="h3YV2d">Not available in your country, '
        "they said. Fun and exciting"))
    assert review.not_available_text is not None and review.has_offer
    result, _, detail = read_details(review, WHEREAMI)
    assert result is CheckResult.AVAILABLE and "also appears" in detail
    # neither an offer nor the message: a failure, never a guess
    bare = not_available_variant(page).replace("This item is not available in your country.",
                                               "")
    result, failure, _ = read_details(parse_details_page(bare), WHEREAMI)
    assert result is CheckResult.FAILURE and failure is StoreFailure.UNRECOGNIZED
    # a page for another app
    result, failure, detail = read_details(parse_details_page(page), "com.tencent.mm")
    assert result is CheckResult.FAILURE and "is for com.adex77.WhereAmI" in detail


@pytest.mark.parametrize("package", [WHEREAMI, TRANSLATE])
def test_recorded_page_is_available(package: str, replay: ReplayServer,
                                    make_clients: Clients) -> None:
    obs = make_clients(replay).play.check(target(package), "us")
    assert obs is not None and obs.result is CheckResult.AVAILABLE
    assert obs.http_status == 200 and obs.country == "US" and obs.title
    assert obs.signal == "play.install_offer"
    name = "whereami" if package == WHEREAMI else "translate"
    assert obs.raw is not None and obs.raw.body == fixture_bytes(f"gplay-app-{name}.html")
    assert replay.requests == [f"/store/apps/details?id={package}&gl=US&hl=en"]


@pytest.mark.parametrize("not_found", ["gplay-datasafety-missing.html",
                                       "gplay-datasafety-missing-zh.tail.html"])
def test_recorded_404_page_is_unavailable(not_found: str,
                                          make_replay: Callable[..., ReplayServer],
                                          make_clients: Clients) -> None:
    server = make_replay(play_not_found=fixture_bytes(not_found),
                         play_state=lambda c, p: PLAY_NOT_FOUND if c == "JP" else PLAY_AVAILABLE)
    clients = make_clients(server)
    obs = clients.play.check(target(WHEREAMI), "JP")
    assert obs is not None and obs.result is CheckResult.UNAVAILABLE
    assert obs.http_status == 404 and obs.signal == "play.http_404" and obs.failure is None
    assert obs.raw is not None and obs.raw.body == fixture_bytes(not_found)
    ok = clients.play.check(target(WHEREAMI), "US")
    assert ok is not None and ok.result is CheckResult.AVAILABLE


def test_200_page_saying_not_available_is_unavailable(
        make_replay: Callable[..., ReplayServer], make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_AVAILABLE_PAGE)
    obs = make_clients(server).play.check(WECHAT, "DE")
    assert obs is not None and obs.result is CheckResult.UNAVAILABLE
    assert obs.http_status == 200 and obs.signal == "play.not_available_text"
    assert "not available in your country" in obs.detail


def test_other_packages_get_the_page_with_their_id(replay: ReplayServer,
                                                   make_clients: Clients) -> None:
    obs = make_clients(replay).play.check(WECHAT, "DE")
    assert obs is not None and obs.result is CheckResult.AVAILABLE
    assert obs.store_app_id == "com.tencent.mm" and obs.app_id == "wechat"


@pytest.mark.parametrize(("kind", "failure"), [
    ("consent", StoreFailure.CONSENT_WALL),
    ("consent_page", StoreFailure.CONSENT_WALL),
])
def test_consent_walls_are_failures_and_not_retried(
        kind: str, failure: StoreFailure, make_replay: Callable[..., ReplayServer],
        make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    server.inject(kind, "play", times=10)
    obs = make_clients(server).play.check(WECHAT, "FR")
    assert obs is not None and obs.result is CheckResult.FAILURE and obs.failure is failure
    assert obs.available is None
    assert server.count("/store") == 1  # the redirect is not followed to consent.google.com


@pytest.mark.parametrize(("kind", "failure"), [
    ("403", StoreFailure.HTTP_ERROR),
    ("429", StoreFailure.RATE_LIMITED),
    ("503", StoreFailure.HTTP_ERROR),
    ("html", StoreFailure.BLOCKED_PAGE),
    ("captcha", StoreFailure.CAPTCHA),
    ("captcha_page", StoreFailure.CAPTCHA),
    ("reset", StoreFailure.CONNECTION_ERROR),
])
def test_persistent_errors_are_failures_never_unavailable(
        kind: str, failure: StoreFailure, make_replay: Callable[..., ReplayServer],
        make_clients: Clients) -> None:
    server = make_replay(play_state=lambda c, p: PLAY_NOT_FOUND)
    server.inject(kind, "play", times=100)
    obs = make_clients(server, max_attempts=3).play.check(WECHAT, "KR")
    assert obs is not None and obs.result is CheckResult.FAILURE
    assert obs.failure is failure and obs.available is None
    assert server.count("/store") == 3


@pytest.mark.parametrize("kind", ["403", "429", "503", "html", "captcha_page", "reset"])
def test_transient_errors_are_retried_then_answered(kind: str, replay: ReplayServer,
                                                    make_clients: Clients,
                                                    fake_time: FakeTime) -> None:
    replay.inject(kind, "play", times=1, country="BR")
    obs = make_clients(replay).play.check(target(WHEREAMI), "BR")
    assert obs is not None and obs.result is CheckResult.AVAILABLE
    assert replay.count("/store") == 2 and len(fake_time.sleeps) == 1


def test_404_without_google_page_is_a_failure(replay: ReplayServer,
                                              make_clients: Clients) -> None:
    replay.inject("404_unknown", "play", times=5)
    obs = make_clients(replay).play.check(WECHAT, "US")
    assert obs is not None and obs.result is CheckResult.FAILURE
    assert obs.failure is StoreFailure.HTTP_ERROR and obs.http_status == 404
    assert replay.count("/store") == 1


def test_app_without_package_is_not_checked(replay: ReplayServer,
                                            make_clients: Clients) -> None:
    assert make_clients(replay).play.check(StoreTarget("ios-only", None, 1), "US") is None
    assert replay.requests == []
