"""PNG charts of the analyst tables (matplotlib, Agg backend: no display, no network).

Each function takes a table from ``harness.analysis.tables`` and returns PNG bytes, so the
report can embed them and tests can check them without files. Colours are fixed per
outcome label: greens for access, reds and purples for RNR barriers, ambers, browns and
greys for the other barriers, light grey for "no result". Text is drawn with DejaVu Sans
and, for app names in Chinese script, Noto Sans CJK (``harness.analysis.fonts``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, ParamSpec

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from harness.analysis.definitions import NO_RESULT, REGION_SHORT, outcome_labels
from harness.analysis.fonts import LATIN_FAMILY, font_families
from harness.analysis.tables import country_order
from harness.analysis.terminal_table import SHORT

#: Colour of every outcome label in the heatmap and its legend.
OUTCOME_COLORS: dict[str, str] = {
    "access:full": "#2e7d32",
    "access:limited": "#9ccc65",
    "barrier:store_unavailable": "#607d8b",
    "barrier:region_blocked": "#37474f",
    "barrier:phone_country_unsupported": "#ffb300",
    "barrier:phone_number_rejected": "#ef6c00",
    "barrier:sms_not_delivered": "#ffe082",
    "barrier:mainland_phone_required": "#7f0000",
    "barrier:id_verification_required": "#d32f2f",
    "barrier:face_verification_required": "#ad1457",
    "barrier:friend_verification_required": "#6a1b9a",
    "barrier:risk_control_block": "#795548",
    "barrier:feature_restricted": "#f48fb1",
    NO_RESULT: "#d9d9d9",
}
_DARK_TEXT = {"access:limited", "barrier:phone_country_unsupported",
              "barrier:sms_not_delivered", "barrier:feature_restricted", NO_RESULT}
_DPI = 110
_BARRIER = "#c62828"
_RNR = "#6a1b9a"
_P = ParamSpec("_P")


def _with_fonts(draw: Callable[_P, bytes]) -> Callable[_P, bytes]:
    """Draw (and save) a chart with the Latin + CJK family list, leaving the caller's
    ``rcParams`` as they were."""
    @functools.wraps(draw)
    def drawn(*args: _P.args, **kwargs: _P.kwargs) -> bytes:
        with plt.rc_context({"font.family": font_families()}):
            return draw(*args, **kwargs)
    return drawn


def short_label(outcome: str) -> str:
    """The terminal table's short cell label (``ID``, ``+86``, ``OK``) of an outcome."""
    if outcome == NO_RESULT:
        return "n/a"
    return SHORT.get(outcome, (outcome.split(":")[-1][:6], ""))[0]


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", facecolor="white",
                metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _empty(message: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555")
    return _png(fig)


def _outcome_grid(matrix: pd.DataFrame, labels: list[str], apps: list[str],
                  countries: list[str]) -> tuple[Any, dict[tuple[int, int], tuple[str, str]]]:
    """The heatmap's colour indices (NaN where untested) and each cell's label and outcome."""
    index = {label: i for i, label in enumerate(labels)}
    grid = np.full((len(apps), len(countries)), np.nan)
    text: dict[tuple[int, int], tuple[str, str]] = {}
    a_pos = {a: i for i, a in enumerate(apps)}
    c_pos = {c: j for j, c in enumerate(countries)}
    for app, country, outcome, confirmation in matrix[
            ["app", "country", "outcome", "confirmation"]].itertuples(index=False, name=None):
        i, j = a_pos[app], c_pos[country]
        grid[i, j] = index.get(outcome, index[NO_RESULT])
        mark = "?" if confirmation == "unconfirmed" else ""
        text[(i, j)] = (short_label(outcome) + mark, outcome)
    return grid, text


def _draw_grid(ax: Any, grid: Any, labels: list[str], apps: list[str], countries: list[str],
               wide: bool) -> None:
    """Paint the coloured cells, the app and country ticks, and hide the frame."""
    cmap = ListedColormap([OUTCOME_COLORS[label] for label in labels])
    ax.pcolormesh(np.ma.masked_invalid(grid), cmap=cmap, vmin=-0.5, vmax=len(labels) - 0.5,
                  edgecolors="white", linewidth=1.5)
    ax.set_xlim(0, len(countries))
    ax.set_ylim(len(apps), 0)
    ax.set_xticks(np.arange(len(countries)) + 0.5, countries, fontsize=8 if wide else 9)
    ax.set_yticks(np.arange(len(apps)) + 0.5, apps, fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _cell_labels(ax: Any, text: dict[tuple[int, int], tuple[str, str]], cell: float,
                 wide: bool) -> None:
    """Write each cell's short label, shrunk to fit the cell width."""
    base = 6.5 if wide else 8.0
    for (i, j), (label, outcome) in text.items():
        # bold capitals are about 0.75 em wide: shrink long labels to fit the cell
        size = min(base, cell * 72 * 0.85 / (0.75 * max(len(label), 1)))
        ax.text(j + 0.5, i + 0.5, label, ha="center", va="center", fontsize=size,
                color="#222" if outcome in _DARK_TEXT else "white", fontweight="bold",
                family=LATIN_FAMILY)  # ASCII codes; the CJK font has no bold face


def _region_bands(ax: Any, matrix: pd.DataFrame, countries: list[str]) -> None:
    """Name each study region above its columns and separate regions by a line."""
    regions = matrix.drop_duplicates("country").set_index("country")["region"]
    start = 0
    for j in range(1, len(countries) + 1):
        if j == len(countries) or regions[countries[j]] != regions[countries[start]]:
            region = str(regions[countries[start]])
            long, short = REGION_SHORT.get(region, (region, region))
            name = long if j - start >= 3 else short
            ax.annotate(name, xy=((start + j) / 2, -0.15), xycoords=("data", "data"),
                        ha="center", va="bottom", fontsize=8, color="#333",
                        annotation_clip=False)
            if j < len(countries):
                ax.axvline(j, color="#333", linewidth=1.2)
            start = j


def _outcome_legend(ax: Any, matrix: pd.DataFrame, labels: list[str]) -> None:
    """The legend of the outcomes present, and of the ``?`` mark."""
    present = [label for label in labels if label in set(matrix["outcome"])]
    handles = [Patch(facecolor=OUTCOME_COLORS[label], edgecolor="#999",
                     label=f"{short_label(label)} = {label}") for label in present]
    handles.append(Patch(facecolor="white", edgecolor="white",
                         label="? = unconfirmed (see docs/analysis.md)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False, title="Outcome", title_fontsize=9)


def app_labels(matrix: pd.DataFrame, apps: list[str]) -> list[str]:
    """Each app's name as the table has it, in its own script (``app_name``: 微博,
    小红书), else its scenario id; a name two apps share is followed by the id."""
    names: dict[str, str] = {}
    if "app_name" in matrix.columns:
        for app, name in zip(matrix["app"], matrix["app_name"], strict=True):
            if isinstance(name, str) and name.strip():
                names.setdefault(str(app), name.strip())
    labels = [names.get(app, app) for app in apps]
    return [f"{label} ({app})" if labels.count(label) > 1 and label != app else label
            for label, app in zip(labels, apps, strict=True)]


@_with_fonts
def heatmap(matrix: pd.DataFrame, title: str = "Latest outcome per app and country") -> bytes:
    """App x country grid of the latest conclusive outcome (``barrier_matrix`` table).

    Countries are grouped by study region (labelled above the grid); each cell shows the
    short label of its outcome, with ``?`` when it is not confirmed; untested cells are
    blank; the legend lists the outcomes present.
    """
    if matrix.empty:
        return _empty("No measurements in the selection")
    labels = outcome_labels()
    apps = sorted(matrix["app"].unique())
    countries = country_order(matrix)
    grid, text = _outcome_grid(matrix, labels, apps, countries)
    wide = len(countries) > 30
    cell = 0.46 if wide else 0.62  # inches per country column
    width = min(80.0, 2.8 + cell * len(countries))
    height = min(60.0, 2.4 + 0.42 * len(apps))
    fig, ax = plt.subplots(figsize=(width, height))
    _draw_grid(ax, grid, labels, app_labels(matrix, apps), countries, wide)
    if len(countries) <= 90 and len(apps) <= 90:
        _cell_labels(ax, text, cell, wide)
    _region_bands(ax, matrix, countries)
    _outcome_legend(ax, matrix, labels)
    ax.set_title(title, fontsize=12, loc="left", pad=18)
    return _png(fig)


@_with_fonts
def region_rates(by_region: pd.DataFrame) -> bytes:
    """Horizontal bars: barrier and RNR shares per region with Wilson 95% error bars,
    annotated ``k/n``; regions without a tested instance are left out."""
    df = by_region[by_region["instances"] > 0]
    if df.empty:
        return _empty("No tested instance abroad in the selection")
    y = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(9, 1.3 + 0.75 * len(df)))
    h = 0.38
    for offset, key, color, name in ((-h / 2, "barrier", _BARRIER, "any barrier"),
                                     (h / 2, "rnr", _RNR, "RNR barrier")):
        share = df[f"{key}_share"].to_numpy(dtype=float)
        low = df[f"{key}_ci_low"].to_numpy(dtype=float)
        high = df[f"{key}_ci_high"].to_numpy(dtype=float)
        ax.barh(y + offset, share, height=h, color=color, alpha=0.85, label=name)
        ax.errorbar(share, y + offset, xerr=[share - low, high - share], fmt="none",
                    ecolor="#222", elinewidth=1, capsize=3)
        for yi, s, lo, hi, k, n in zip(y + offset, share, low, high,
                                       df[f"{key}_instances"], df["instances"], strict=True):
            ax.text(1.03, yi, f"{s:.0%} [{lo:.0%}–{hi:.0%}]  {k}/{n}", va="center",
                    fontsize=8, color=color, transform=ax.get_yaxis_transform(),
                    clip_on=False)
    ax.set_yticks(y, list(df["region_name"]), fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
    ax.set_xlabel("share of tested (app, country) instances abroad; bars: Wilson 95% interval")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, fontsize=8,
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Barrier rates by region", fontsize=12, loc="left", pad=22)
    return _png(fig)


@_with_fonts
def funnel(funnel_table: pd.DataFrame) -> bytes:
    """Horizontal funnel: instances reaching each stage, the part stopped there by a
    barrier (red) and the part that ended there with access (green)."""
    df = funnel_table
    total = int(df["reached"].max()) if not df.empty else 0
    if total == 0:
        return _empty("No conclusive instance abroad in the selection")
    y = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.42 * len(df)))
    cont = df["continued"].to_numpy(dtype=float)
    stop = df["stopped_by_barrier"].to_numpy(dtype=float)
    done = df["ended_with_access"].to_numpy(dtype=float)
    ax.barh(y, cont, color="#90a4ae", label="went on to the next stage")
    ax.barh(y, done, left=cont, color="#2e7d32", label="ended here with access")
    ax.barh(y, stop, left=cont + done, color=_BARRIER, label="stopped here by a barrier")
    for yi, reached, s in zip(y, df["reached"], stop, strict=True):
        note = f"{reached} reached" + (f", {int(s)} stopped" if s else "")
        ax.text(float(reached) + total * 0.01, float(yi), note, va="center", fontsize=8)
    ax.set_yticks(y, list(df["stage"]), fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, total * 1.25)
    ax.set_xlabel("(app, country) instances abroad, by their latest conclusive attempt")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, fontsize=8,
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("How far sign-up got", fontsize=12, loc="left", pad=22)
    return _png(fig)
