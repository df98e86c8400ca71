"""``write_site``: the report site as a folder of static pages.

The folder opens from the file system with no network and no server::

    index.html                overview: headline figures, matrix, map, regions, funnel
    apps/index.html           the apps;  apps/<scenario id>.html  one page per app
    countries/index.html      the countries;  countries/<XX>.html  one page per country
    changes.html              what changed when, with confirmation
    methodology.html          the definitions, vantage validity, sample sizes, simulator
    data.html                 links to the published data, citation and licence
    assets/site.css           the style sheet
    assets/site-font.woff2    Noto Sans CJK SC cut to the pages' characters
    evidence/...              copies of the screenshots and page sources shown

Pages are written atomically one by one; an existing folder is updated in place (pages of
apps or countries no longer in the selection are left as they were).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness import __version__
from harness.analysis.site.app_pages import app_body, apps_index_body
from harness.analysis.site.assets import ASSETS_FOLDER, font_file, subset_font, write_atomic
from harness.analysis.site.changes import changes_body
from harness.analysis.site.country_pages import countries_index_body, country_body
from harness.analysis.site.datapage import DataFolder, data_body, read_data_folder
from harness.analysis.site.layout import Shell, esc, page, style_sheet, when
from harness.analysis.site.matrix import MATRIX_CSS
from harness.analysis.site.methodology import methodology_body
from harness.analysis.site.model import SiteData, gather
from harness.analysis.site.overview import overview_body
from harness.analysis.tables import Analysis
from harness.support.secrets import mask_url

DEFAULT_TITLE = "Real-name registration barriers"
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class SiteResult:
    """What :func:`write_site` wrote."""

    out_dir: Path
    pages: tuple[str, ...]
    font_bytes: int
    evidence_files: int


def _scope(analysis: Analysis) -> str:
    parts = [f"{k}={v}" for k, v in analysis.filters.describe().items()
             if v not in (None, [], {}, False)]
    if analysis.runs:
        parts.append("runs " + ", ".join(r[:12] for r in analysis.runs))
    return ", ".join(parts) or "all measurements except the simulator's"


def banner(data: SiteData, root: str) -> str:
    """The simulator banner, on every page whose selection has simulated attempts."""
    n = data.simulated_attempts
    if n == 0:
        return ""
    total = len(data.attempts)
    return (f"<div class='sim' role='note'><b>Simulated data.</b> {n:,} of {total:,} "
            "attempts in this selection were measured on the harness's simulator: fictional "
            "demo apps on a simulated device. They show how the instrument works and are "
            "<b>not findings about any real app</b> (<a href='"
            f"{root}methodology.html#simulator'>what the simulator is</a>).</div>")


def _shell(data: SiteData, title: str, root: str) -> Shell:
    analysis = data.analysis
    name, kind = font_file()
    footer = (f"Generated {when(data.generated)} by harness {esc(__version__)} from "
              f"<code>{esc(mask_url(str(analysis.store.engine.url)))}</code>. Selection: "
              f"{esc(_scope(analysis))}. Definitions: <a href='{root}methodology.html'>"
              f"methodology</a>; files, citation and licence: <a href='{root}data.html'>"
              "data</a>. Text in Noto Sans CJK (SIL Open Font License).")
    return Shell(title, footer, banner(data, root), name, kind)


def render_pages(data: SiteData, title: str, site_dir: Path,
                 folder: DataFolder | None) -> dict[str, str]:
    """Every page's HTML, keyed by its path relative to the site root."""
    top, sub = _shell(data, title, ""), _shell(data, title, "../")
    pages = {
        "index.html": page(top, "Overview", overview_body(data, title), "", "index.html"),
        "apps/index.html": page(sub, "Apps", apps_index_body(data), "../",
                                "apps/index.html"),
        "countries/index.html": page(sub, "Countries", countries_index_body(data), "../",
                                     "countries/index.html"),
        "changes.html": page(top, "Changes", changes_body(data), "", "changes.html"),
        "methodology.html": page(top, "Methodology", methodology_body(data), "",
                                 "methodology.html"),
        "data.html": page(top, "Data and citation", data_body(folder, site_dir), "",
                          "data.html"),
    }
    for app in data.apps.values():
        pages[f"apps/{app.id}.html"] = page(sub, app.label, app_body(data, app), "../",
                                            "apps/index.html")
    for country in data.countries.values():
        pages[f"countries/{country.code}.html"] = page(
            sub, country.name, country_body(data, country), "../", "countries/index.html")
    return pages


def _texts(pages: Mapping[str, str]) -> list[str]:
    """The characters the font must have: every page's text without its markup."""
    return [_TAG.sub(" ", html) for html in pages.values()]


def write_site(analysis: Analysis, out_dir: Path, title: str | None = None,
               data_dir: Path | None = None) -> SiteResult:
    """Write the site for ``analysis`` into ``out_dir`` (see the module docstring);
    ``data_dir`` is the folder ``harness publish`` wrote, linked from the data page."""
    folder = read_data_folder(data_dir) if data_dir is not None else None
    out_dir.mkdir(parents=True, exist_ok=True)
    data = gather(analysis, out_dir)
    title = title or DEFAULT_TITLE
    pages = render_pages(data, title, out_dir, folder)
    font = subset_font(_texts(pages))
    shell = _shell(data, title, "")
    write_atomic(out_dir / ASSETS_FOLDER / shell.font_file, font)
    write_atomic(out_dir / ASSETS_FOLDER / "site.css", style_sheet(shell) + MATRIX_CSS)
    for rel, html in pages.items():
        write_atomic(out_dir / rel, html)
    copied = sum(1 for href in data.hrefs.values() if href is not None)
    return SiteResult(out_dir, tuple(pages), len(font), copied)


__all__ = ["DEFAULT_TITLE", "SiteResult", "banner", "render_pages", "write_site"]
