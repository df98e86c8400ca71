"""Locale tags, read in one place: ``de_DE``, ``zh-Hant-TW``, ``en-us``, ``zh``.

Profiles write a locale as ``language[_Script][_REGION]`` (``_`` or ``-``); devices report
theirs in the same shapes, not always with the same case. ``is_locale_tag`` is the strict
form a profile must use; ``parse_locale`` reads any of them loosely, for comparing what a
device reports with what a profile asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"[a-z]{2,3}([_-][A-Za-z]{4})?([_-][A-Z]{2}|[_-]\d{3})?")
_PARTS = re.compile(r"[_-]")


@dataclass(frozen=True)
class Locale:
    """A locale tag's parts: ``zh-Hant-TW`` -> ``zh``, ``Hant``, ``TW``."""

    language: str
    script: str | None
    region: str | None


def is_locale_tag(tag: str) -> bool:
    """Whether ``tag`` is written as a profile must write it (``de_DE``, ``zh-Hant-HK``,
    ``es_419``, ``zh``)."""
    return _TAG.fullmatch(tag) is not None


def parse_locale(tag: str) -> Locale:
    """The parts of any locale tag: the language lower-cased, a four-letter script, and
    the first two-letter part after the language as the region (upper-cased), or None."""
    parts = [p for p in _PARTS.split(tag.strip()) if p]
    language = parts[0].lower() if parts else ""
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return Locale(language, script, region)


__all__ = ["Locale", "is_locale_tag", "parse_locale"]
