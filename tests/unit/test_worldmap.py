"""The world map of barrier rates (harness.analysis.worldmap): fills, tooltips, legend,
caption, and that the SVG stands alone."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from lxml import etree

from harness.analysis.definitions import NO_RESULT
from harness.analysis.worldmap import (
    NOT_TESTED_COLOR,
    country_rates,
    default_outline_svg,
    parse_outline,
    share_color,
    world_map_svg,
)

SVG_NS = "http://www.w3.org/2000/svg"
NS = {"s": SVG_NS}

#: A two-country outline in pygal_maps_world's layout (groups keyed by lower-case code).
SMALL_OUTLINE = f"""<svg xmlns="{SVG_NS}" viewBox="0 0 200 100">
  <g id="countries">
    <g class="de country map-element"><path id="de-1" d="M 10,10 h 40 v 40 h -40 z"/></g>
    <g class="fr country map-element"><path id="fr-1" d="M 60,10 h 40 v 40 h -40 z"/>
      <circle id="fr_" r="3" cx="80" cy="30"/></g>
  </g>
</svg>"""


def _rates(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["country", "instances", "barrier_instances"])


def _groups(svg: str) -> dict[str, etree._Element]:
    root = etree.fromstring(svg.encode("utf-8"))
    return {g.get("data-country"): g
            for g in root.iterfind(".//s:g[@data-country]", NS)}


def _texts(svg: str) -> list[str]:
    root = etree.fromstring(svg.encode("utf-8"))
    return ["".join(t.itertext()) for t in root.iterfind(".//s:text", NS)]


def _caption(svg: str) -> str:
    """The caption's lines joined (it is wrapped into several ``<text>``)."""
    root = etree.fromstring(svg.encode("utf-8"))
    return " ".join("".join(t.itertext())
                    for t in root.iterfind(".//s:text[@class='caption']", NS))


def test_the_scale_runs_from_pale_yellow_to_dark_red_through_its_anchors() -> None:
    assert share_color(0.0) == "#ffffcc"
    assert share_color(0.5) == "#fd8d3c"
    assert share_color(1.0) == "#800026"
    # halfway between the first two anchors (#ffffcc, #ffeda0), channel by channel
    assert share_color(1 / 16) == "#fff6b6"
    assert share_color(-0.2) == "#ffffcc" and share_color(1.7) == "#800026"


@pytest.fixture(scope="module")
def world() -> str:
    rates = _rates([("DE", 4, 3), ("FR", 2, 0), ("US", 2, 2), ("KE", 0, 0)])
    return world_map_svg(rates, title="Barrier rates, test")


def test_tested_countries_get_the_fill_of_their_share(world: str) -> None:
    groups = _groups(world)
    assert groups["DE"].get("fill") == share_color(0.75)
    assert groups["FR"].get("fill") == "#ffffcc"
    assert groups["US"].get("fill") == "#800026"


def test_untested_countries_are_grey_and_the_domestic_one_hatched(world: str) -> None:
    groups = _groups(world)
    assert groups["JP"].get("fill") == NOT_TESTED_COLOR
    assert groups["KE"].get("fill") == NOT_TESTED_COLOR  # tried, no conclusive result
    assert groups["CN"].get("fill", "").startswith("url(#")
    assert NOT_TESTED_COLOR not in {share_color(s / 20) for s in range(21)}
    # every country of the installed outline is drawn, once
    assert len(groups) == len(parse_outline(default_outline_svg()).shapes) > 200


def test_every_country_has_a_tooltip_with_name_share_and_counts(world: str) -> None:
    groups = _groups(world)
    title = {code: g.findtext("s:title", namespaces=NS) for code, g in groups.items()}
    assert title["DE"] == "Germany (DE): 75% with a barrier (3/4 apps tested)"
    assert title["FR"] == "France (FR): 0% with a barrier (0/2 apps tested)"
    assert title["JP"] == "Japan (JP): not tested"
    assert title["KE"].startswith("Kenya (KE): tried, no conclusive result")
    assert "domestic" in title["CN"]
    assert all(title.values())


def test_title_legend_and_caption_are_text(world: str) -> None:
    texts = _texts(world)
    assert texts[0] == "Barrier rates, test"
    assert "Share of tested apps that met a barrier" in texts
    assert {"0%", "25%", "50%", "75%", "100%", "not tested"} <= set(texts)
    assert any(t.startswith("domestic (China, CN)") for t in texts)
    caption = _caption(world)
    assert "3 countries tested abroad, 8 instances" in caption
    assert "5 with a barrier (62%)" in caption
    assert "Tried without a conclusive result: KE." in caption


def test_the_svg_fetches_nothing(world: str) -> None:
    # the only URL is the SVG namespace name, which is never fetched
    assert re.findall(r"https?://[^\s\"'<>]*", world) == [SVG_NS]
    assert "href" not in world and "<image" not in world and "@import" not in world
    refs = re.findall(r"url\(([^)]*)\)", world)
    assert refs and all(r.startswith("#") for r in refs)
    # ids are few and unique (the outline's own ids are dropped): the map can be inlined
    ids = re.findall(r'\sid="([^"]+)"', world)
    assert len(ids) == len(set(ids)) == 3


def test_a_country_missing_from_the_outline_is_named_in_the_caption() -> None:
    rates = _rates([("DE", 2, 1), ("SG", 3, 1)])
    svg = world_map_svg(rates, outline=SMALL_OUTLINE)
    groups = _groups(svg)
    assert set(groups) == {"DE", "FR"}
    assert groups["DE"].get("fill") == share_color(0.5)
    assert groups["FR"].get("fill") == NOT_TESTED_COLOR
    caption = _caption(svg)
    assert "2 countries tested abroad, 5 instances" in caption
    assert "Not on the outline map: Singapore (SG), 33% with a barrier (1/3 apps tested)" \
        in caption
    # a marker circle is kept for a tested country only
    assert groups["FR"].find("s:circle", NS) is None


def test_a_tested_tiny_country_keeps_its_marker() -> None:
    svg = world_map_svg(_rates([("FR", 1, 1)]), outline=SMALL_OUTLINE)
    circle = _groups(svg)["FR"].find("s:circle", NS)
    assert circle is not None and circle.get("cx") == "80"


@pytest.mark.parametrize(("rows", "message"), [
    ([("DE", 2, 1), ("de", 1, 0)], "countries listed twice: DE"),
    ([("CN", 3, 3)], "domestic countries have no rate abroad: CN"),
    ([("FR", 2, 3)], "FR: barrier_instances 3 is not within 0..2"),
])
def test_bad_rates_are_refused(rows: list[tuple[str, int, int]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        world_map_svg(_rates(rows), outline=SMALL_OUTLINE)


def test_country_rates_count_latest_outcomes_abroad() -> None:
    matrix = pd.DataFrame({
        "app": ["a", "b", "c", "a", "b", "a", "a"],
        "country": ["DE", "DE", "DE", "FR", "FR", "US", "CN"],
        "outcome": ["barrier:id_verification_required", "access:full",
                    "barrier:feature_restricted", "access:limited", NO_RESULT, NO_RESULT,
                    "barrier:mainland_phone_required"],
        "status": ["barrier", "access", "barrier", "access", None, None, "barrier"],
    })
    rates = country_rates(matrix)
    assert rates[["country", "instances", "barrier_instances"]].values.tolist() == [
        ["DE", 3, 2], ["FR", 1, 0], ["US", 0, 0]]
    assert rates["barrier_share"].iloc[0] == pytest.approx(2 / 3)
    assert pd.isna(rates["barrier_share"].iloc[2])
    empty = country_rates(matrix.iloc[0:0])
    assert empty.empty and {"country", "instances", "barrier_instances"} <= set(empty)
