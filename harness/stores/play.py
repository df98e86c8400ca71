"""Google Play availability from the app's public details page, per country.

``GET https://play.google.com/store/apps/details?id=PKG&gl=XX&hl=en`` through the
country's proxy. Google decides both by the ``gl`` parameter and by the caller's
address, which is why the request leaves from the country's own vantage point.

How an answer is read (docs/stores.md has the full table). The rules are conservative:
``unavailable`` needs a positive signal, anything ambiguous is a failure.

- HTTP 404 with Google's not-found page (``gplay-datasafety-missing.html``) is
  ``unavailable``. A 404 with any other body is a failure: it could come from a proxy or
  a wrong ``--play-url``.
- HTTP 200 is read for the page's own availability signal. The page must be the details
  page of the package asked for. An install offer (``itemprop="offers"`` or the Install
  button) means ``available``; the page's "not available in your country" message with no
  install offer means ``unavailable``; a page with neither is a failure
  (``store_unrecognized``), never a guess.
- Consent walls (a redirect to consent.google.com, "Before you continue") and captcha
  pages ("unusual traffic", ``/sorry/``) are failures, never availability. 403, 429, 5xx,
  captchas and unknown pages are retried with backoff first.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from harness.stores.fetch import Failed, Fetcher, failure_detail, is_html, status_failure
from harness.stores.model import (
    CheckResult,
    RawResponse,
    StoreFailure,
    StoreName,
    StoreObservation,
    StoreTarget,
)
from harness.stores.settings import DEFAULT_PLAY_URL
from harness.support.secrets import mask_url

_TITLE_SUFFIX = re.compile(r"\s+-\s+Apps on Google Play\s*$")
_DS5 = re.compile(r"AF_initDataCallback\(\{key:\s*'ds:5',\s*hash:\s*'[^']*',\s*data:")
_OG_TITLE = re.compile(r'<meta\s+property="og:title"\s+content="([^"]*)"', re.I)
_OG_URL = re.compile(r'<meta\s+property="og:url"\s+content="([^"]*)"', re.I)
_OFFER_MARKERS = ('itemprop="offers"', 'aria-label="Install"', 'aria-label="Buy')
_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_NOT_AVAILABLE = re.compile(
    r"(?:is not|isn't|is no longer|not) available in your (?:country|region)", re.I)
# a cheap pre-filter on the raw page (no re.I: it is 3x slower on a 1.2 MB page)
_NOT_AVAILABLE_RAW = re.compile(
    r"[Aa][Vv][Aa][Ii][Ll][Aa][Bb][Ll][Ee]\s+[Ii][Nn]\s+[Yy][Oo][Uu][Rr]")
_NOT_FOUND_MARKERS = ('id="error-section"', "the requested url was not found on this server")
_CAPTCHA_MARKERS = ("unusual traffic from your computer network", "detected unusual traffic",
                    "/sorry/index", "g-recaptcha", "our systems have detected unusual traffic")
_CONSENT_MARKERS = ("consent.google.", "before you continue to google")


@dataclass(frozen=True)
class PlayPage:
    """What a details page says about availability, and what it names."""

    package: str | None
    title: str | None
    version: str | None
    available_flag: Any
    has_offer: bool
    not_available_text: str | None

    @property
    def is_details_page(self) -> bool:
        return self.package is not None or self.title is not None


def _ds5(text: str) -> Any:
    """The page's ``ds:5`` data block (the app's details as JSON), or None."""
    m = _DS5.search(text)
    if m is None:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(text, m.end())
    except ValueError:
        return None
    return data


def _at(data: Any, *path: int) -> Any:
    for i in path:
        if not isinstance(data, list) or i >= len(data):
            return None
        data = data[i]
    return data


def visible_text(page: str) -> str:
    """The page's text without scripts, styles and tags, entities decoded, one line."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _SCRIPT_STYLE.sub(" ", page)))).strip()


def parse_details_page(page: str) -> PlayPage:
    """Read a Play details page; fields it cannot find are None / False."""
    data = _ds5(page)
    package = _at(data, 1, 2, 77, 0)
    title = _at(data, 1, 2, 0, 0)
    version = _at(data, 1, 2, 140, 0, 0, 0)
    flag = _at(data, 1, 2, 18, 0)
    if not isinstance(title, str):
        m = _OG_TITLE.search(page)
        title = _TITLE_SUFFIX.sub("", html.unescape(m.group(1))) if m else None
    if not isinstance(package, str):
        m = _OG_URL.search(page)
        pm = re.search(r"[?&]id=([A-Za-z0-9_.]+)", html.unescape(m.group(1))) if m else None
        package = pm.group(1) if pm else None
    # the visible text costs a pass over the whole page: only when the phrase is there
    na = None
    if _NOT_AVAILABLE_RAW.search(page):
        text = visible_text(page)
        na = _NOT_AVAILABLE.search(text)
    return PlayPage(
        package=package,
        title=title if isinstance(title, str) else None,
        version=version if isinstance(version, str) else None,
        available_flag=flag,
        has_offer=any(m in page for m in _OFFER_MARKERS),
        not_available_text=_context(na.string, na.start(), na.end()) if na else None,
    )


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    a = text.rfind(".", max(0, start - width), start)
    a = a + 1 if a >= 0 else max(0, start - width)
    return text[a:end + 1].strip()


def _lower_text(resp: httpx.Response) -> str:
    return resp.content[:400_000].decode("utf-8", "replace").lower()


def consent_redirect(location: str) -> bool:
    return "consent.google." in location.lower()


def captcha_redirect(location: str) -> bool:
    return "/sorry/" in location.lower()


def stop_redirect(location: str) -> bool:
    """Redirects not followed: the consent wall and the captcha are failures as they are."""
    return consent_redirect(location) or captcha_redirect(location)


def looks_like_details(page: str) -> bool:
    """Cheap test: the page carries the details data block or a Play app title."""
    return bool(_DS5.search(page)) or "- Apps on Google Play" in page[:20_000]


def is_not_found_page(resp: httpx.Response) -> bool:
    """Google Play's own "not found" page (English or localized), as served with a 404."""
    body = _lower_text(resp)
    return any(m in body for m in _NOT_FOUND_MARKERS)


def check_details_response(resp: httpx.Response) -> Failed | None:
    """Instrument errors of a details-page response; None when it can be read."""
    status = resp.status_code
    location = resp.headers.get("location", "")
    if resp.is_redirect and consent_redirect(location):
        return Failed(StoreFailure.CONSENT_WALL,
                      "play.consent_redirect: redirected to Google's consent wall",
                      retry=False)
    if resp.is_redirect and captcha_redirect(location):
        return Failed(StoreFailure.CAPTCHA, "play.captcha_redirect: redirected to /sorry/",
                      retry=True)
    html_body = is_html(resp)
    # A details page is never taken for a block page, whatever its reviews say.
    details = status == 200 and html_body and looks_like_details(resp.text)
    body = _lower_text(resp) if html_body and not details else ""
    if any(m in body for m in _CAPTCHA_MARKERS):
        return Failed(StoreFailure.CAPTCHA,
                      f"play.captcha_page: HTTP {status} with Google's unusual-traffic page",
                      retry=True)
    if any(m in body for m in _CONSENT_MARKERS):
        return Failed(StoreFailure.CONSENT_WALL,
                      f"play.consent_page: HTTP {status} with Google's consent page",
                      retry=False)
    failed = status_failure(resp)
    if failed is not None:
        return failed
    if status == 404:
        if is_not_found_page(resp):
            return None
        return Failed(StoreFailure.HTTP_ERROR,
                      "play.http_404_unknown_page: HTTP 404 without Google Play's not-found "
                      "page (a proxy's or a wrong --play-url?)", retry=False)
    if status != 200:
        return Failed(StoreFailure.HTTP_ERROR,
                      f"play.http_status: HTTP {status} {resp.reason_phrase}".strip(),
                      retry=False)
    if not html_body:
        return Failed(StoreFailure.UNRECOGNIZED,
                      "play.not_html: HTTP 200 whose body is not an HTML page", retry=True)
    if not details:
        return Failed(StoreFailure.BLOCKED_PAGE,
                      "play.not_details_page: HTTP 200 with an HTML page that is not an app's "
                      "details page", retry=True)
    return None


def read_details(page: PlayPage, package: str) -> tuple[CheckResult, StoreFailure | None, str]:
    """The decision table for a 200 details page: result, failure code, detail."""
    if page.package is not None and page.package != package:
        return (CheckResult.FAILURE, StoreFailure.UNRECOGNIZED,
                f"play.other_app: the page is for {page.package}, not {package}")
    if page.has_offer:
        detail = "play.install_offer: HTTP 200, the details page offers the app"
        if page.not_available_text:
            detail += (f" (the text {page.not_available_text!r} also appears, outside the "
                       "install area, e.g. in a review)")
        return CheckResult.AVAILABLE, None, detail
    if page.not_available_text:
        return (CheckResult.UNAVAILABLE, None,
                f"play.not_available_text: HTTP 200, no install offer, the page says "
                f"{page.not_available_text!r}")
    # The page's data flag (ds:5 [1][2][18][0]) alone is not trusted either way: its
    # meaning for a country the app is not offered in is not documented anywhere.
    return (CheckResult.FAILURE, StoreFailure.UNRECOGNIZED,
            f"play.no_signal: HTTP 200 details page with no install offer, no availability "
            f"message and availability flag {page.available_flag!r}")


class PlayDetails:
    """Checks one app in one Google Play country through that country's vantage point."""

    #: The rate-limit budget every details request waits for (per vantage).
    budget = "play"

    def __init__(self, fetcher: Fetcher, base_url: str = DEFAULT_PLAY_URL,
                 language: str = "en") -> None:
        self.fetcher = fetcher
        self.base_url = base_url
        self.language = language

    def url(self, package: str, country: str) -> str:
        return (f"{self.base_url}?id={quote(package, safe='._')}&gl={country.upper()}"
                f"&hl={self.language}")

    def check(self, target: StoreTarget, country: str, *, proxy: str | None = None,
              egress_country: str | None = None) -> StoreObservation | None:
        """The observation for ``target`` in ``country``; None if it has no Android package."""
        package = target.android_package
        if not package:
            return None
        country = country.upper()
        ex = self.fetcher.get(self.url(package, country), check=check_details_response,
                              proxy=proxy, stop_redirect=stop_redirect, budget=self.budget)
        raw = None
        if ex.response is not None and ex.response.content:
            raw = RawResponse(ex.response.content, ".html" if is_html(ex.response) else ".txt")
        common: dict[str, Any] = dict(
            app_id=target.app_id, store=StoreName.PLAY, store_app_id=package, country=country,
            checked_at=datetime.now(UTC), http_status=ex.status, request_url=ex.request_url,
            proxy_masked=mask_url(proxy) if proxy else None, egress_country=egress_country,
            raw=raw)
        if ex.failed is not None or ex.response is None:
            failed = ex.failed or Failed(StoreFailure.UNRECOGNIZED, "no answer", retry=False)
            return StoreObservation(result=CheckResult.FAILURE, failure=failed.failure,
                                    detail=failure_detail("play", failed, ex.attempts),
                                    **common)
        if ex.response.status_code == 404:
            return StoreObservation(
                result=CheckResult.UNAVAILABLE,
                detail="play.http_404: HTTP 404 with Google Play's not-found page", **common)
        page = parse_details_page(ex.response.text)
        result, failure, detail = read_details(page, package)
        title = page.title if result is not CheckResult.FAILURE else None
        return StoreObservation(result=result, failure=failure, detail=detail, title=title,
                                version=page.version if title else None, **common)
