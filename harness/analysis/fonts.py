"""The fonts of the charts: DejaVu Sans for Latin text, Noto Sans CJK for app names in Chinese.

Matplotlib's bundled DejaVu Sans has no CJK glyphs, so an app called 微博 or 小红书 would be
drawn as empty boxes. The ``noto-cjk-sans-otc`` package ships the Noto Sans CJK
OpenType collection (``NotoSansCJK-Regular.ttc``, SIL Open Font License); it is
registered with matplotlib's font manager from the installed package, never looked up
on the system or downloaded. Charts name a family *list*: matplotlib (3.6 and later)
draws each glyph with the first family that has it, so Latin text keeps DejaVu Sans and
only the CJK characters come from Noto Sans CJK.
"""

from __future__ import annotations

import threading
from pathlib import Path

import noto_cjk_sans_otc
from matplotlib import font_manager

#: The face of the collection used for CJK text: Simplified Chinese glyph shapes, the
#: script of the apps studied. The collection's other faces (JP, KR, TC, HK) are
#: registered too and can be named in a family list.
CJK_FAMILY = "Noto Sans CJK SC"
#: The family for Latin text, matplotlib's own default.
LATIN_FAMILY = "DejaVu Sans"

_LOCK = threading.Lock()


def cjk_font_path() -> Path:
    """The installed Noto Sans CJK collection (a file inside the ``noto_cjk_sans_otc``
    package; site-packages installs are plain folders, so this is a real path)."""
    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def use_cjk_font() -> str:
    """Register the CJK collection with matplotlib, once per process, and return its
    family name (``CJK_FAMILY``).

    ``FontManager.addfont`` appends every face of the collection each time it is called,
    so the font manager is asked first whether the file is already known.
    """
    path = str(cjk_font_path())
    with _LOCK:
        manager = font_manager.fontManager
        if not any(entry.fname == path for entry in manager.ttflist):
            manager.addfont(path)
    return CJK_FAMILY


def font_families() -> list[str]:
    """The family list for ``rcParams["font.family"]``: Latin first, then CJK fallback
    (registering the CJK font if need be)."""
    return [LATIN_FAMILY, use_cjk_font()]


__all__ = [
    "CJK_FAMILY",
    "LATIN_FAMILY",
    "cjk_font_path",
    "font_families",
    "use_cjk_font",
]
