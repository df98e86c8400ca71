"""How a value of an analyst table reads in HTML (the report page and the report site):
missing values (None, NA, NaT, NaN) are empty or a dash, shares are percentages, times are
UTC."""

from __future__ import annotations

import html
import math
import re
from datetime import datetime

import pandas as pd


def missing(value: object) -> bool:
    """True for None, NA, NaT and NaN."""
    return (value is None or value is pd.NA or value is pd.NaT
            or (isinstance(value, float) and math.isnan(value)))


def esc(value: object) -> str:
    """HTML-escaped text of a value; a missing value is empty."""
    return "" if missing(value) else html.escape(str(value))


_CODE = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*(\S(?:[^*\n]*\S)?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])")


def _emphasis(text: str) -> str:
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    return _EM.sub(r"<em>\1</em>", text)


def esc_inline(value: object) -> str:
    """``esc`` of a text written with inline Markdown: `code` spans as ``<code>``,
    **strong** and *emphasis* outside them; everything else stays escaped text."""
    parts = _CODE.split(esc(value))  # even: prose, odd: the inside of a code span
    return "".join(f"<code>{part}</code>" if i % 2 else _emphasis(part)
                   for i, part in enumerate(parts))


def pct(value: object, digits: int = 0) -> str:
    """A share as a percentage (``61%``), a dash when there is none."""
    if missing(value) or not isinstance(value, int | float):
        return "–"
    return f"{float(value):.{digits}%}"


def when(value: object) -> str:
    """A timestamp as ``2024-03-01 18:30 UTC``."""
    if missing(value):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return esc(value)


__all__ = ["esc", "esc_inline", "missing", "pct", "when"]
