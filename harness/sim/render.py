"""Screenshots: a laid-out snapshot drawn as a PNG with Pillow.

The picture is a schematic, not a pixel copy of Android: every view is drawn as a box
at its bounds with its text, so the layout a classification was made on is visible in
the evidence. Text is drawn in the Noto Sans CJK font the project installs (the
``noto-cjk-sans-otc`` package, its simplified-Chinese face), so Chinese text is legible
in the screenshot as in the page source beside it; without it, a system CJK font, and
as a last resort Pillow's built-in font (which draws CJK characters as boxes).
"""

from __future__ import annotations

import hashlib
import io
import re
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from harness.sim.ui import (
    BUTTON,
    EDIT_TEXT,
    IMAGE_VIEW,
    LINEAR_LAYOUT,
    LIST_VIEW,
    SCREEN_HEIGHT,
    SCREEN_WIDTH,
    TEXT_VIEW,
    Node,
)

#: Device pixels per screenshot pixel: 1080x2400 is drawn at 360x800.
SCALE = 3

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_TOKENS = re.compile(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+")


#: Fonts with CJK glyphs on the machine (Debian's fonts-noto-cjk / fonts-wqy-*, macOS),
#: used when the packaged one cannot be loaded; otherwise Pillow's built-in font.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)


#: The simplified-Chinese face of the installed Noto Sans CJK collection.
_NOTO_SC_INDEX = 2


@cache
def _font(size: int) -> Font:
    try:
        import noto_cjk_sans_otc

        return ImageFont.truetype(str(noto_cjk_sans_otc.FONT_PATH), size,
                                  index=_NOTO_SC_INDEX)
    except (ImportError, OSError):
        pass
    for path in CJK_FONTS:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError):  # Pillow without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph):
            candidate = line + token
            if line and draw.textlength(candidate, font=font) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


def _text(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    text: str,
    *,
    size: int,
    fill: str,
    center: bool = False,
) -> None:
    x1, y1, x2, y2 = box
    font = _font(size)
    line_height = size + 3
    lines = _wrap(draw, text, font, x2 - x1 - 8)
    top = y1 + 4
    if center:
        top = y1 + max((y2 - y1 - line_height * len(lines)) // 2, 2)
    for i, line in enumerate(lines):
        y = top + i * line_height
        if y + line_height > y2 + 2:
            break
        x = x1 + 4
        if center:
            x = int(x1 + (x2 - x1 - draw.textlength(line, font=font)) / 2)
        draw.text((x, y), line, font=font, fill=fill)


def _finder(row: int, col: int, cells: int) -> bool | None:
    """Whether a cell of a QR finder square is dark; None outside the three squares."""
    for top, left in ((0, 0), (0, cells - 7), (cells - 7, 0)):
        r, c = row - top, col - left
        if 0 <= r < 7 and 0 <= c < 7:
            return r in (0, 6) or c in (0, 6) or (2 <= r <= 4 and 2 <= c <= 4)
    return None


def _qr(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], seed: str) -> None:
    """A QR-looking pattern (not a decodable code): finder squares plus hashed cells."""
    x1, y1, x2, y2 = box
    side = min(x2 - x1, y2 - y1)
    left = x1 + (x2 - x1 - side) // 2
    cells = 21
    cell = side / cells
    bits = "".join(f"{b:08b}" for b in hashlib.sha256(seed.encode()).digest() * 2)
    for row in range(cells):
        for col in range(cells):
            on = _finder(row, col, cells)
            if on is None:
                on = bits[(row * cells + col) % len(bits)] == "1"
            if on:
                cx, cy = left + col * cell, y1 + row * cell
                draw.rectangle((cx, cy, cx + cell, cy + cell), fill="black")


def _draw(draw: ImageDraw.ImageDraw, node: Node) -> None:
    box = tuple(v // SCALE for v in node.bounds)
    x1, y1, x2, y2 = box
    rect = (x1, y1, x2, y2)
    if node.cls == LINEAR_LAYOUT and node.style == "dialog":
        draw.rounded_rectangle(rect, radius=8, fill="white", outline="#424242", width=2)
    elif node.cls == BUTTON:
        fill = "#1565c0" if node.enabled else "#9e9e9e"
        draw.rounded_rectangle(rect, radius=6, fill=fill, outline="#0d47a1")
        _text(draw, rect, node.text, size=15, fill="white", center=True)
    elif node.cls == EDIT_TEXT:
        draw.rectangle(rect, fill="#fafafa", outline="#616161" if not node.focused else "#1565c0")
        colour = "#212121" if node.text else "#9e9e9e"
        _text(draw, rect, node.display_text, size=15, fill=colour, center=False)
    elif node.cls == LIST_VIEW:
        draw.rectangle(rect, outline="#bdbdbd")
    elif node.cls == IMAGE_VIEW:
        if node.style == "qr":
            _qr(draw, rect, node.content_desc + node.key)
        else:
            draw.rectangle(rect, outline="#757575")
            draw.line(rect, fill="#757575")
    elif node.cls == TEXT_VIEW:
        if node.clickable:
            draw.rectangle(rect, outline="#e0e0e0")
        size = {"title": 22, "small": 12}.get(node.style, 15)
        _text(draw, rect, node.text, size=size, fill="#212121", center=node.style == "icon")


def render_png(root: Node, status: str = "") -> bytes:
    """Draw the laid-out tree ``root`` (a ``Snapshot.root``) as PNG bytes, 360x800."""
    width, height = SCREEN_WIDTH // SCALE, SCREEN_HEIGHT // SCALE
    background = "#616161" if root.style == "dim" else "white"
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 96 // SCALE), fill="#263238")
    _text(draw, (4, 0, width - 4, 96 // SCALE), status, size=12, fill="white")
    for node in root.walk():
        _draw(draw, node)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # fast: evidence, not archives
    return out.getvalue()
