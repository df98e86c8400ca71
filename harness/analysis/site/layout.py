"""The look of the report site: one style sheet, the page shell and the table helpers.

Every page has the same shell: the title bar with the navigation, the simulator banner
when simulated data is in the selection, the page's own sections and a footer naming the
database, the selection and the harness version. Text is dark on light (contrast above
7:1), the layout is one column up to 1240 px wide so that every page reads at 1280 px
without sideways scrolling, and long tables show their first rows with the rest in a
``<details>`` block. Nothing is loaded from the network: the style sheet and the font are
files in ``assets/`` beside the pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from harness.analysis.cells import esc, missing, pct, when

#: The web font's family name in the style sheet (a subset of Noto Sans CJK SC, written
#: to ``assets/`` by ``harness.analysis.site.assets``).
FONT_FAMILY = "Noto Sans CJK SC"
#: Rows a table shows before the rest is folded into "show N more".
TABLE_ROWS = 25

#: The pages of the navigation bar: (file relative to the site root, label).
NAV: tuple[tuple[str, str], ...] = (
    ("index.html", "Overview"), ("apps/index.html", "Apps"),
    ("countries/index.html", "Countries"), ("changes.html", "Changes"),
    ("methodology.html", "Methodology"), ("data.html", "Data and citation"),
)

CSS = """
@font-face{font-family:"%(font)s";src:url("%(font_file)s") format("%(font_format)s");
 font-weight:400;font-style:normal;font-display:block}
*{box-sizing:border-box}
html{background:#fff}
body{font-family:"%(font)s",system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;
 color:#1b1f24;font-size:15px;line-height:1.5}
a{color:#0b4f9c}a:visited{color:#5b2a86}
.top{background:#f1f3f5;border-bottom:1px solid #d0d5db}
.top .in,main,footer{max-width:1240px;margin:0 auto;padding:0 20px}
.top .in{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 22px;padding-top:10px;
 padding-bottom:10px}
.top .brand{font-weight:700;font-size:17px;color:#1b1f24;text-decoration:none}
.top nav a{margin-right:14px;text-decoration:none;color:#1d3d63;font-weight:600}
.top nav a.on{color:#1b1f24;border-bottom:3px solid #1d3d63}
.sim{background:#fff3cd;border:2px solid #8a5a00;color:#3d2800;padding:10px 14px;
 margin:14px 0;border-radius:4px}
.sim b{color:#3d2800}
h1{font-size:26px;margin:18px 0 4px}h2{font-size:20px;margin:30px 0 8px;
 padding-bottom:4px;border-bottom:2px solid #e1e5ea}h3{font-size:16px;margin:20px 0 6px}
.sub{color:#3f4751;margin:0 0 10px}.note{color:#3f4751;max-width:75em}
.local{font-size:1.1em}.latin{color:#3f4751;font-weight:400}
table{border-collapse:collapse;margin:8px 0 12px;font-size:14px}
th,td{border:1px solid #d0d5db;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e9edf1;color:#111;font-weight:600}
tbody tr:nth-child(even) td{background:#f8f9fa}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
small,.small{font-size:12.5px;color:#3f4751}
code{font-size:13px;background:#f1f3f5;padding:0 3px;border-radius:3px}
details{margin:6px 0 12px}summary{cursor:pointer;color:#0b4f9c;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:12px;
 margin:10px 0}
.card{border:1px solid #d0d5db;border-radius:6px;padding:10px 14px;background:#fff}
.card .v{font-size:28px;font-weight:700;color:#1b1f24}
.card .t{font-weight:600}.card .d{font-size:13px;color:#3f4751}
.chip{display:inline-block;min-width:2.6em;padding:0 4px;border-radius:3px;
 font-size:12px;font-weight:700;text-align:center;margin:1px}
.bar{position:relative;width:240px;height:14px;background:#e9edf1;border-radius:2px;
 margin:3px 0}.nw{white-space:nowrap}
.bar .f{position:absolute;left:0;top:0;bottom:0}
.bar .ci{position:absolute;top:6px;height:2px;background:#111}
.bar .ci:before,.bar .ci:after{content:"";position:absolute;top:-4px;width:2px;height:10px;
 background:#111}.bar .ci:before{left:0}.bar .ci:after{right:0}
.ev{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.ev figure{margin:0;border:1px solid #d0d5db;border-radius:6px;padding:8px;background:#fff}
.ev img{width:100%%;aspect-ratio:9/10;object-fit:cover;object-position:top;
 border:1px solid #d0d5db;display:block}
.ev figcaption{font-size:13px;margin-top:6px}
.missing{color:#8b0000}
svg.worldmap{width:100%%;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0;font-size:13px}
.legend span{white-space:nowrap}
footer{color:#3f4751;font-size:13px;border-top:1px solid #d0d5db;margin-top:40px;
 padding-top:10px;padding-bottom:30px}
pre{background:#f6f8fa;border:1px solid #d0d5db;padding:10px;overflow-x:auto;font-size:13px}
"""


@dataclass(frozen=True)
class Shell:
    """What every page shares: the site title, the footer's facts, the simulator banner
    (empty when the selection has no simulated data) and the font file."""

    title: str
    footer: str
    banner: str
    font_file: str
    font_format: str



def records(df: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``df`` as named tuples (attributes are the columns)."""
    yield from df.itertuples(index=False)





def sample_text(k: int, n: int, low: object, high: object) -> str:
    """``34 of 56; 95% CI 48–72%``, or "none tested"."""
    if not n:
        return "none tested"
    return f"{k} of {n}; 95% CI {pct(low)}–{pct(high)}"


def share_text(k: int, n: int, low: object, high: object) -> str:
    """``61% (34 of 56; 95% CI 48–72%)``, or "none tested"."""
    if not n:
        return "none tested"
    return f"{pct(k / n)} <small>({sample_text(k, n, low, high)})</small>"


def bar(share: object, low: object, high: object, color: str) -> str:
    """A horizontal bar of a share with its 95% interval as a whisker (HTML, no image)."""
    if missing(share) or not isinstance(share, int | float):
        return "<div class='bar'></div>"
    lo = 0.0 if missing(low) else float(low)  # type: ignore[arg-type]
    hi = 1.0 if missing(high) else float(high)  # type: ignore[arg-type]
    return (f"<div class='bar' role='img' aria-label='{pct(share)}'><div class='f' "
            f"style='width:{float(share) * 100:.1f}%;background:{color}'></div>"
            f"<div class='ci' style='left:{lo * 100:.1f}%;width:{(hi - lo) * 100:.1f}%'>"
            "</div></div>")


def _rows_html(rows: Sequence[Sequence[str]], numeric: set[int],
               ids: Sequence[str | None]) -> str:
    out = []
    for row, rid in zip(rows, ids, strict=True):
        tr = f"<tr id='{esc(rid)}'>" if rid else "<tr>"
        out.append(tr + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>"
                                for i, c in enumerate(row)) + "</tr>")
    return "".join(out)


def table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
          limit: int = TABLE_ROWS, more: str = "rows", css: str = "",
          ids: Sequence[str | None] | None = None) -> str:
    """A table whose cells are HTML already; after ``limit`` rows the rest is folded into
    a ``<details>`` block with the same headings. ``ids`` names each row (anchors)."""
    nums = set(numeric)
    row_ids = list(ids) if ids is not None else [None] * len(rows)
    th = "".join(f"<th{' class=n' if i in nums else ''}>{esc(h)}</th>"
                 for i, h in enumerate(head))
    cls = f" class='{css}'" if css else ""
    first = (f"<table{cls}><thead><tr>{th}</tr></thead><tbody>"
             f"{_rows_html(rows[:limit], nums, row_ids[:limit])}</tbody></table>")
    if len(rows) <= limit:
        return first
    rest = rows[limit:]
    return (first + f"<details><summary>Show the other {len(rest)} {esc(more)}</summary>"
            f"<table{cls}><thead><tr>{th}</tr></thead><tbody>"
            f"{_rows_html(rest, nums, row_ids[limit:])}</tbody></table></details>")


def nav(root: str, active: str) -> str:
    """The navigation bar; ``root`` is the way from the page back to the site root."""
    links = "".join(f"<a href='{root}{href}'{' class=on' if href == active else ''}>"
                    f"{esc(label)}</a>" for href, label in NAV)
    return f"<nav>{links}</nav>"


def page(shell: Shell, title: str, body: str, root: str = "", active: str = "") -> str:
    """A whole page: head, title bar and navigation, banner, body, footer."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)} · {esc(shell.title)}</title>"
        f"<link rel='stylesheet' href='{root}assets/site.css'></head><body>"
        f"<header class='top'><div class='in'><a class='brand' href='{root}index.html'>"
        f"{esc(shell.title)}</a>{nav(root, active)}</div></header><main>"
        f"{shell.banner}{body}</main><footer>{shell.footer}</footer></body></html>")


def style_sheet(shell: Shell) -> str:
    """The site's CSS with the font file named (relative to ``assets/``)."""
    return CSS % {"font": FONT_FAMILY, "font_file": shell.font_file,
                  "font_format": shell.font_format}


__all__ = [
    "CSS",
    "FONT_FAMILY",
    "NAV",
    "TABLE_ROWS",
    "Shell",
    "bar",
    "esc",
    "missing",
    "nav",
    "page",
    "pct",
    "records",
    "sample_text",
    "share_text",
    "style_sheet",
    "table",
    "when",
]
