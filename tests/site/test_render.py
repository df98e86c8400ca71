"""Every page of a site built from a simulator run, rendered by headless Chromium at
1280 px: no console error, every image loads, the CJK web font is used and draws real
glyphs, nothing scrolls sideways. Screenshots of each page are saved in the test's
folder (printed) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _chromium import Browser, chromium_path
from _sitedemo import DEMO_COUNTRIES, DemoSite

WIDTH = 1280

pytestmark = pytest.mark.skipif(
    chromium_path() is None and os.environ.get("CI") != "true",
    reason="chromium is not installed (tests/site/ensure_chromium.sh installs it as root)")


def test_every_page_renders_at_1280_px(demo_site: DemoSite, tmp_path: Path) -> None:
    site = demo_site.site
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) == 6 + 4 + len(DEMO_COUNTRIES)
    shots = tmp_path / "screenshots"
    print(f"\nscreenshots of the report site: {shots}")
    problems = {}
    with Browser(tmp_path / "profile", width=WIDTH) as browser:
        for name in pages:
            seen = browser.render(site / name, shots / (name.replace("/", "_") + ".png"))
            c = seen.checks
            wrong = list(seen.errors)
            if c["broken"]:
                wrong.append(f"images not loaded: {c['broken']}")
            if {"family": "Noto Sans CJK SC", "status": "loaded"} not in c["faces"]:
                wrong.append(f"web font not loaded: {c['faces']}")
            if c["scrollWidth"] > WIDTH:
                wrong.append(f"scrolls sideways: {c['scrollWidth']} px wide")
            if c["hasCjkText"] and c["cjkDistinct"] is False:
                wrong.append(f"CJK drawn as empty boxes: {c['cjkChars']}")
            if wrong:
                problems[name] = wrong
    assert problems == {}


def test_the_overview_app_and_country_pages_show_what_readers_need(
        demo_site: DemoSite, tmp_path: Path) -> None:
    site = demo_site.site
    with Browser(tmp_path / "profile", width=WIDTH) as browser:
        overview = browser.render(site / "index.html", tmp_path / "overview.png")
        app = browser.render(site / "apps" / "demo-zhenming.html", tmp_path / "app.png")
        country = browser.render(site / "countries" / "DE.html", tmp_path / "country.png")
    print(f"\nscreenshots: {tmp_path}/overview.png, app.png, country.png")
    text = overview.checks["text"]
    assert "Simulated data." in text and "Headline figures" in text
    assert "真名社区" in text and "Barrier rates by country" in text
    assert "Identity document required" in text  # the legend, in words
    assert overview.checks["cjkDistinct"] is True
    # the app page: its name in Chinese script, an inline verdict screen per barrier
    assert app.checks["title"].startswith("真名社区")
    assert app.checks["images"] >= len(DEMO_COUNTRIES) and app.checks["broken"] == []
    assert "page source" in app.checks["text"]
    # the country page: vantage fidelity and the screens of its barriers
    assert "Vantage fidelity" in country.checks["text"] and "SIM" in country.checks["text"]
    assert country.checks["images"] >= 3 and country.checks["broken"] == []
    for seen in (overview, app, country):
        assert seen.errors == [] and seen.screenshot is not None
        assert seen.screenshot.stat().st_size > 20_000
