"""The site's own files: the style sheet and a CJK web font cut to the glyphs it uses.

The pages name app names and screens in Chinese script; a reader's machine without a CJK
font would draw them as empty boxes. The project already ships Noto Sans CJK (the
``noto-cjk-sans-otc`` package, SIL Open Font License, ``harness.analysis.fonts``); its
Simplified Chinese face is subset with fontTools to exactly the characters of the site's
pages (Latin included, so every page looks the same everywhere), typically 20 to 80 kB
instead of 19 MB, and written as WOFF2 when the brotli module is installed, else as
OpenType. Files are written atomically (a temporary name, then a rename).
"""

from __future__ import annotations

import importlib.util
import io
import os
import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

from harness.analysis.fonts import CJK_FAMILY, cjk_font_path

#: The folder of the site's style sheet and font.
ASSETS_FOLDER = "assets"
#: Characters always in the font, whatever the pages say.
ALWAYS = string.printable + "–—·✓…‘’“”×→←±≥≤ "


def font_file() -> tuple[str, str]:
    """The font's file name in ``assets/`` and its CSS ``format()``: WOFF2 when brotli
    can compress it, else OpenType."""
    if importlib.util.find_spec("brotli") is not None:
        return "site-font.woff2", "woff2"
    return "site-font.otf", "opentype"


@cache
def _face_number() -> int:
    """The index of ``CJK_FAMILY`` in the installed collection."""
    collection = TTCollection(str(cjk_font_path()), lazy=True)
    for i, face in enumerate(collection.fonts):
        if face["name"].getDebugName(1) == CJK_FAMILY:
            return i
    raise RuntimeError(f"{cjk_font_path()} has no {CJK_FAMILY} face")


def subset_font(texts: Iterable[str]) -> bytes:
    """The CJK face cut to the characters of ``texts`` (plus :data:`ALWAYS`)."""
    chars = set(ALWAYS)
    for text in texts:
        chars.update(text)
    chars = {c for c in chars if c.isprintable() or c == " "}
    _name, kind = font_file()
    opts = subset.Options()
    opts.font_number = _face_number()
    opts.flavor = "woff2" if kind == "woff2" else None
    opts.hinting = False
    opts.notdef_outline = True
    opts.desubroutinize = True
    font = subset.load_font(str(cjk_font_path()), opts, lazy=True)
    try:
        cutter = subset.Subsetter(opts)
        cutter.populate(text="".join(sorted(chars)))
        cutter.subset(font)
        buf = io.BytesIO()
        subset.save_font(font, buf, opts)
        return buf.getvalue()
    finally:
        font.close()


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` (folders created) through a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


__all__ = ["ALWAYS", "ASSETS_FOLDER", "font_file", "subset_font", "write_atomic"]
