"""The world map's figures from a real database, and the map in the HTML report."""

from __future__ import annotations

import re
from pathlib import Path

from harness.analysis import Analysis, render_report
from harness.analysis.worldmap import country_rates, share_color


def test_country_rates_agree_with_the_regional_table(db_path: Path) -> None:
    with Analysis(db_path) as a:
        rates = country_rates(a.barrier_matrix())
        by_region = a.by_region()
    # CN is domestic; US was tried (app-a) but every attempt failed
    assert rates[["country", "instances", "barrier_instances"]].values.tolist() == [
        ["DE", 3, 2], ["FR", 2, 1], ["JP", 2, 2], ["US", 0, 0]]
    assert rates["instances"].sum() == by_region["instances"].sum()
    assert rates["barrier_instances"].sum() == by_region["barrier_instances"].sum()


def test_the_report_carries_the_map_inline(db_path: Path, tmp_path: Path) -> None:
    with Analysis(db_path) as a:
        page = render_report(a, tmp_path)
    assert page.count("<svg") == 1 and "class=\"worldmap\"" in page
    section = page[page.index("Barrier rates by region</h2>"):page.index("<svg")]
    assert "Barrier rates by country</h2>" in section and "barrier share" in section
    assert f'data-country="DE" fill="{share_color(2 / 3)}"' in page
    assert "Japan (JP): 100% with a barrier (2/2 apps tested)" in page
    assert "3 countries tested abroad, 7 instances" in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)
