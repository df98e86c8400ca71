"""The charts' CJK font (harness.analysis.fonts): registered once from the installed
package, found by matplotlib, and used for app names in Chinese script."""

from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from PIL import Image

from harness.analysis import charts
from harness.analysis.fonts import (
    CJK_FAMILY,
    LATIN_FAMILY,
    cjk_font_path,
    font_families,
    use_cjk_font,
)

NAMES = "微信微博小红书抖音"


def test_the_font_is_registered_once_and_found_by_its_family() -> None:
    assert use_cjk_font() == CJK_FAMILY == "Noto Sans CJK SC"
    entries = len(font_manager.fontManager.ttflist)
    assert use_cjk_font() == CJK_FAMILY
    assert len(font_manager.fontManager.ttflist) == entries  # idempotent
    found = font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILY),
                                  fallback_to_default=False)
    assert str(found) == str(cjk_font_path())
    assert cjk_font_path().is_file() and cjk_font_path().suffix == ".ttc"


def test_the_cjk_face_has_glyphs_that_dejavu_sans_lacks() -> None:
    use_cjk_font()
    cjk = font_manager.get_font(font_manager.findfont(
        font_manager.FontProperties(family=CJK_FAMILY), fallback_to_default=False))
    latin = font_manager.get_font(font_manager.findfont(
        font_manager.FontProperties(family=LATIN_FAMILY), fallback_to_default=False))
    assert cjk.family_name == CJK_FAMILY
    assert all(cjk.get_char_index(ord(c)) != 0 for c in NAMES)
    assert all(latin.get_char_index(ord(c)) == 0 for c in NAMES)  # hence the fallback
    assert font_families() == [LATIN_FAMILY, CJK_FAMILY]


def _render(text: str, families: list[str]) -> np.ndarray:
    fig = Figure(figsize=(2, 0.6), dpi=100)
    fig.text(0.05, 0.3, text, fontsize=16, family=families)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return np.asarray(Image.open(buf).convert("L"))


def test_cjk_text_is_drawn_with_glyphs_not_boxes() -> None:
    """Without the CJK font every character is the same missing-glyph box, so two
    different names would render alike; with it they differ, and each has ink."""
    families = font_families()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")
        weibo, weixin = _render("微博", families), _render("微信", families)
    assert (weibo < 128).sum() > 50 and (weixin < 128).sum() > 50
    assert not np.array_equal(weibo, weixin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the missing-glyph warning is the point here
        box_a, box_b = _render("微博", [LATIN_FAMILY]), _render("微信", [LATIN_FAMILY])
    assert np.array_equal(box_a, box_b)
    assert not np.array_equal(weibo, box_a)
    # Latin text keeps DejaVu Sans: the family list changes nothing for it
    assert np.array_equal(_render("OpenChat", families), _render("OpenChat", [LATIN_FAMILY]))


def _matrix(name: object) -> pd.DataFrame:
    return pd.DataFrame({
        "app": ["app-a", "app-a", "app-b"], "app_name": [name, name, "OpenChat"],
        "country": ["DE", "JP", "DE"], "region": ["europe", "asia_pacific", "europe"],
        "outcome": ["barrier:id_verification_required", "access:full", "access:full"],
        "confirmation": ["confirmed", "unconfirmed", "confirmed"],
    })


def test_the_heatmap_labels_apps_by_their_name_in_their_own_script() -> None:
    before = list(matplotlib.rcParams["font.family"])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")
        weibo, weixin = charts.heatmap(_matrix("微博")), charts.heatmap(_matrix("微信"))
    assert weibo.startswith(b"\x89PNG") and weibo != weixin  # same length: boxes alike
    assert list(matplotlib.rcParams["font.family"]) == before  # the caller's rc is kept


@pytest.mark.parametrize(("names", "expected"), [
    (["微博", "OpenChat"], ["微博", "OpenChat"]),
    ([None, "OpenChat"], ["app-a", "OpenChat"]),  # no name: the scenario id
    (["  ", "OpenChat"], ["app-a", "OpenChat"]),
    (["Chat", "Chat"], ["Chat (app-a)", "Chat (app-b)"]),  # a shared name gets the id
])
def test_app_labels(names: list[object], expected: list[str]) -> None:
    matrix = pd.DataFrame({"app": ["app-a", "app-b"], "app_name": names})
    assert charts.app_labels(matrix, ["app-a", "app-b"]) == expected
    assert charts.app_labels(matrix.drop(columns="app_name"), ["app-a"]) == ["app-a"]
