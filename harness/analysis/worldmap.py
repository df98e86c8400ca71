"""A world map of barrier rates by country, as one self-contained SVG string.

Each tested country is filled on a sequential scale (ColorBrewer YlOrRd, pale yellow at
0% to dark red at 100%) of its *barrier share*: the (app, country) instances abroad whose
latest conclusive outcome is a barrier, over the instances with a conclusive outcome
(the counting of ``by_region``; ``country_rates`` derives it from ``barrier_matrix``).
Countries not tested are plain light grey; the domestic countries
(``DOMESTIC_COUNTRIES``) are hatched grey, since they are left out of every rate. Each
country carries a ``<title>`` tooltip (name, share, k/n). Title, legend and caption are
SVG text; nothing is fetched: the country outlines are read at run time from the
``worldmap.svg`` of the installed ``pygal_maps_world`` package (paths grouped per
country, keyed by lower-case ISO alpha-2 code). A tested country the outline lacks is
named in the caption with its figures, never silently dropped.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd
from lxml import etree

from harness.analysis.definitions import DOMESTIC_COUNTRIES, NO_RESULT
from harness.vocabulary.countries import get_country
from harness.vocabulary.outcomes import Status

#: The sequential scale, share 0 to 1 in equal steps (ColorBrewer YlOrRd, 9 classes);
#: a share between two anchors is interpolated linearly in sRGB, as an SVG gradient is.
SCALE_COLORS: tuple[str, ...] = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
                                 "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
#: Fill of a country with no tested instance (or only instances without a result).
NOT_TESTED_COLOR = "#d4d4d4"
#: The sea behind the outlines.
SEA_COLOR = "#eef3f7"
#: Columns ``world_map_svg`` reads (``country`` is an upper-case alpha-2 code).
RATE_COLUMNS: tuple[str, ...] = ("country", "instances", "barrier_instances")

_COUNTRY_CLASS = re.compile(r"^([a-z]{2}) country\b")
_HATCH_ID = "rnr-worldmap-domestic"
_SCALE_ID = "rnr-worldmap-scale"
_TITLE_ID = "rnr-worldmap-title"
_FONT = "system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif"
_TITLE_BAND = 110.0  # viewBox units above the outline: the title
_CAPTION_WRAP = 150  # characters per caption line (31-unit text across the map's width)


@dataclass(frozen=True)
class Outline:
    """Country outlines: the viewBox ``(x, y, width, height)`` and, per lower-case code,
    the SVG markup of its shapes and of its marker circles (tiny countries)."""

    view_box: tuple[float, float, float, float]
    shapes: Mapping[str, str]
    markers: Mapping[str, str]


def share_color(share: float) -> str:
    """The scale's colour of a share in [0, 1] (clamped), as ``#rrggbb``."""
    pos = min(max(float(share), 0.0), 1.0) * (len(SCALE_COLORS) - 1)
    i = min(math.floor(pos), len(SCALE_COLORS) - 2)
    t = pos - i
    low, high = (_rgb(SCALE_COLORS[i]), _rgb(SCALE_COLORS[i + 1]))
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(low, high,
                                                                       strict=True))


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def country_rates(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per country abroad, from a ``barrier_matrix`` table: ``instances`` (apps with a
    conclusive latest outcome), ``barrier_instances`` (of them, a barrier) and
    ``barrier_share`` (NaN when no instance has a result). Domestic countries are left
    out; a country tried only with failures or aborted attempts has 0 instances."""
    abroad = matrix[~matrix["country"].isin(DOMESTIC_COUNTRIES)]
    result = (abroad["outcome"] != NO_RESULT).fillna(False).astype(bool)
    barrier = result & (abroad["status"] == Status.BARRIER.value).fillna(False).astype(bool)
    df = (pd.DataFrame({"country": abroad["country"].astype(str).str.upper(),
                        "instances": result.astype("int64"),
                        "barrier_instances": barrier.astype("int64")})
          .groupby("country", as_index=False, sort=True).sum())
    df["barrier_share"] = df["barrier_instances"] / df["instances"].where(df["instances"] > 0)
    return df.reset_index(drop=True)


@cache
def default_outline_svg() -> str:
    """The text of the world outline shipped by the installed ``pygal_maps_world``
    (read once per process)."""
    return resources.files("pygal_maps_world").joinpath("worldmap.svg").read_text("utf-8")


@cache
def parse_outline(svg: str) -> Outline:
    """The country groups (``<g class="xx country ...">``) of an outline SVG.

    Element ids are dropped (they would collide when the map is inlined in a page);
    everything else of each shape, transforms included, is kept as it is.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(svg.encode("utf-8"), parser)
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname
            if "id" in el.attrib:
                del el.attrib["id"]
    etree.cleanup_namespaces(root)
    shapes: dict[str, str] = {}
    markers: dict[str, str] = {}
    for group in root.iter("g"):
        match = _COUNTRY_CLASS.match(group.get("class", ""))
        if match is None:
            continue
        parts = [child for child in group if isinstance(child.tag, str)]
        shapes[match[1]] = "".join(_markup(c) for c in parts if c.tag != "circle")
        markers[match[1]] = "".join(_markup(c) for c in parts if c.tag == "circle")
    box = [float(v) for v in root.get("viewBox", "0 0 1000 500").replace(",", " ").split()]
    return Outline((box[0], box[1], box[2], box[3]), shapes, markers)


def _markup(el: etree._Element) -> str:
    el.tail = None
    return etree.tostring(el, encoding="unicode")


def country_name(code: str) -> str:
    """The country's common English name (harness/data/countries.csv), else the code."""
    found = get_country(code)
    return code.upper() if found is None else found.name


def _rates_by_country(rates: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """``{CODE: (barrier_instances, instances)}``, checked."""
    missing = [c for c in RATE_COLUMNS if c not in rates.columns]
    if missing:
        raise ValueError(f"rates lack the columns {', '.join(missing)}")
    codes = rates["country"].astype(str).str.upper()
    repeated = sorted(set(codes[codes.duplicated()]))
    domestic = sorted(set(codes) & set(DOMESTIC_COUNTRIES))
    if repeated or domestic:
        raise ValueError(("countries listed twice: " + ", ".join(repeated)) if repeated else
                         f"domestic countries have no rate abroad: {', '.join(domestic)}")
    out: dict[str, tuple[int, int]] = {}
    for code, n, k in zip(codes, rates["instances"], rates["barrier_instances"],
                          strict=True):
        if not 0 <= int(k) <= int(n):
            raise ValueError(f"{code}: barrier_instances {k} is not within 0..{n}")
        out[code] = (int(k), int(n))
    return out


def _figures(code: str, counts: tuple[int, int] | None) -> str:
    """What the map says of a country: its share and k/n, or why it has none."""
    if code in DOMESTIC_COUNTRIES:
        return "domestic, not counted in the rates abroad"
    if counts is None:
        return "not tested"
    k, n = counts
    if n == 0:
        return "tried, no conclusive result yet (0 instances)"
    return f"{k / n:.0%} with a barrier ({k}/{n} apps tested)"


def _named(code: str) -> str:
    name = country_name(code)
    return code if name == code else f"{name} ({code})"


def _tooltip(code: str, counts: tuple[int, int] | None) -> str:
    return f"{_named(code)}: {_figures(code, counts)}"


def _country_groups(outline: Outline, counts: Mapping[str, tuple[int, int]]) -> str:
    """Every country of the outline: its fill, tooltip and shapes; a tested country keeps
    its marker circle, so a tiny one (Singapore, Macao) stays visible."""
    out = []
    for code in sorted(outline.shapes):
        upper = code.upper()
        tested = counts.get(upper)
        if upper in DOMESTIC_COUNTRIES:
            fill, stroke = f"url(#{_HATCH_ID})", "#ffffff"
        elif tested is None or tested[1] == 0:
            fill, stroke = NOT_TESTED_COLOR, "#ffffff"
        else:
            fill, stroke = share_color(tested[0] / tested[1]), "#6b6b6b"
        marks = outline.markers[code] if tested is not None and tested[1] else ""
        out.append(f'<g class="country {code}" data-country="{upper}" fill="{fill}" '
                   f'stroke="{stroke}"><title>{html.escape(_tooltip(upper, tested))}'
                   f"</title>{outline.shapes[code]}{marks}</g>")
    return "".join(out)


def _defs() -> str:
    stops = "".join(f'<stop offset="{i / (len(SCALE_COLORS) - 1):.4f}" stop-color="{c}"/>'
                    for i, c in enumerate(SCALE_COLORS))
    return (f'<defs><linearGradient id="{_SCALE_ID}" x1="0" y1="0" x2="1" y2="0">{stops}'
            f'</linearGradient><pattern id="{_HATCH_ID}" width="9" height="9" '
            'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="9" height="9" fill="{NOT_TESTED_COLOR}"/>'
            '<rect width="3.5" height="9" fill="#8f8f8f"/></pattern></defs>')


def _text(x: float, y: float, text: str, size: float, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}"{extra}>'
            f"{html.escape(text)}</text>")


def _legend(x: float, y: float) -> str:
    """The scale (a gradient bar with 0-100% ticks) and the two grey swatches."""
    bar_w, bar_h = 820.0, 34.0
    out = [_text(x, y + 34, "Share of tested apps that met a barrier", 34, fill="#222"),
           f'<rect x="{x:.1f}" y="{y + 50:.1f}" width="{bar_w:g}" height="{bar_h:g}" '
           f'fill="url(#{_SCALE_ID})" stroke="#6b6b6b" stroke-width="1.5"/>']
    for i in range(5):
        tx = x + bar_w * i / 4
        out.append(f'<line x1="{tx:.1f}" y1="{y + 50 + bar_h:.1f}" x2="{tx:.1f}" '
                   f'y2="{y + 62 + bar_h:.1f}" stroke="#444" stroke-width="2"/>')
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        out.append(_text(tx, y + 98 + bar_h, f"{i * 25}%", 31, fill="#222",
                         text_anchor=anchor))
    sx = x + bar_w + 140
    domestic = ", ".join(f"{country_name(c)}, {c}" for c in DOMESTIC_COUNTRIES)
    for row, (fill, label) in enumerate((
            (NOT_TESTED_COLOR, "not tested"),
            (f"url(#{_HATCH_ID})", f"domestic ({domestic}): not counted in the rates"))):
        ry = y + 14 + row * 58
        out.append(f'<rect x="{sx:.1f}" y="{ry:.1f}" width="70" height="{bar_h:g}" '
                   f'fill="{fill}" stroke="#6b6b6b" stroke-width="1.5"/>')
        out.append(_text(sx + 90, ry + 28, label, 34, fill="#222"))
    return "".join(out)


def _caption(counts: Mapping[str, tuple[int, int]], absent: Iterable[str]) -> list[str]:
    """The caption's lines: countries and instances counted, the countries tried without
    a result, and the tested countries the outline lacks (with their figures)."""
    tested = {c: kn for c, kn in counts.items() if kn[1] > 0}
    n = sum(kn[1] for kn in tested.values())
    k = sum(kn[0] for kn in tested.values())
    text = (f"{len(tested)} countr{'y' if len(tested) == 1 else 'ies'} tested abroad, "
            f"{n} instance{'' if n == 1 else 's'} (app, country) by their latest "
            f"conclusive outcome; {k} with a barrier"
            + (f" ({k / n:.0%})." if n else "."))
    tried = sorted(c for c, kn in counts.items() if kn[1] == 0)
    if tried:
        text += " Tried without a conclusive result: " + ", ".join(tried) + "."
    lacking = sorted(absent)
    if lacking:
        text += " Not on the outline map: " + "; ".join(
            f"{_named(c)}, {_figures(c, counts.get(c))}" for c in lacking) + "."
    return textwrap.wrap(text, _CAPTION_WRAP)


def world_map_svg(rates: pd.DataFrame, title: str = "Barrier rates by country, abroad",
                  outline: str | None = None) -> str:
    """The map as an SVG document string (``RATE_COLUMNS``; ``country_rates`` builds them).

    ``outline`` is the text of an outline SVG in pygal_maps_world's layout (default: the
    installed package's). Raises ``ValueError`` on a repeated or domestic country, or on
    more barrier instances than instances.
    """
    counts = _rates_by_country(rates)
    shape = parse_outline(outline if outline is not None else default_outline_svg())
    x0, y0, w, h = shape.view_box
    # a country without a result is not coloured anyway: the caption lists it as tried
    absent = [c for c, (_, n) in counts.items() if n and c.lower() not in shape.shapes]
    lines = _caption(counts, absent)
    top, height = y0 - _TITLE_BAND, _TITLE_BAND + h + 205 + 44 * len(lines)
    caption = "".join(_text(x0 + 30, y0 + h + 228 + 44 * i, line, 31, fill="#333",
                            **{"class": "caption"}) for i, line in enumerate(lines))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:g} {top:g} {w:g} {height:g}" '
        f'width="{w / 2:g}" height="{height / 2:g}" role="img" '
        f'aria-labelledby="{_TITLE_ID}" font-family="{html.escape(_FONT)}" class="worldmap">'
        f'<title id="{_TITLE_ID}">{html.escape(title)}</title>{_defs()}'
        f'<rect x="{x0:g}" y="{top:g}" width="{w:g}" height="{height:g}" fill="#ffffff"/>'
        f'<rect x="{x0:g}" y="{y0:g}" width="{w:g}" height="{h:g}" fill="{SEA_COLOR}"/>'
        + _text(x0 + 30, top + 70, title, 54, fill="#111", font_weight="600")
        + f'<g stroke-width="0.7" stroke-linejoin="round">{_country_groups(shape, counts)}'
        f"</g>{_legend(x0 + 30, y0 + h + 10)}{caption}</svg>")


__all__ = [
    "NOT_TESTED_COLOR",
    "RATE_COLUMNS",
    "SCALE_COLORS",
    "SEA_COLOR",
    "Outline",
    "country_name",
    "country_rates",
    "default_outline_svg",
    "parse_outline",
    "share_color",
    "world_map_svg",
]
