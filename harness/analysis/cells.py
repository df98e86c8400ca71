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


def esc_code(value: object) -> str:
    """``esc`` of a Markdown-ish text, its `backtick` spans shown as ``<code>``."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", esc(value))


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


__all__ = ["esc", "esc_code", "missing", "pct", "when"]
