"""Countries and calling codes as the demo apps' country pickers show them.

Names come from the ``phonenumbers`` package's geocoding data (English and simplified
Chinese); traditional Chinese names are derived with a small character table, which
covers the characters that differ in common country names. Phone numbers are parsed
and validated with ``phonenumbers`` against the region picked in the app, as a real
sign-up form does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

#: Names phonenumbers' geodata lacks.
_MISSING_NAMES = {
    "AC": ("Ascension Island", "阿森松岛"),
    "TA": ("Tristan da Cunha", "特里斯坦-达库尼亚群岛"),
    "XK": ("Kosovo", "科索沃"),
}

_TO_TRADITIONAL = str.maketrans(
    "国湾门区亚兰尔马罗鲁乌维纳达韩泽萨岛属联圣卢几内东冈叙约缅挝宾来莱奥时龙开给苏单刚纽发库伦麦腊乔兹别锡鲜爱顿赞济汤礼诺劳贝热众万与队拉伯",
    "國灣門區亞蘭爾馬羅魯烏維納達韓澤薩島屬聯聖盧幾內東岡敘約緬撾賓來萊奧時龍開給蘇單剛紐發庫倫麥臘喬茲別錫鮮愛頓贊濟湯禮諾勞貝熱眾萬與隊拉伯",
)
_DIGITS = re.compile(r"^\+?\s*(\d+)$")


def _locale_name(region: str, language: str) -> str:
    names = LOCALE_DATA.get(region, {})
    name = names.get(language, "")
    seen = 0
    while name.startswith("*") and seen < 5:
        name = names.get(name[1:], "")
        seen += 1
    return name


@dataclass(frozen=True)
class Region:
    """One picker entry: an ISO region and its international calling code."""

    code: str
    calling_code: int
    name_en: str
    name_zh: str

    def name(self, script: str) -> str:
        """The name in ``en``, ``zh-Hans`` or ``zh-Hant``."""
        if script == "zh-Hans":
            return self.name_zh
        if script == "zh-Hant":
            return self.name_zh.translate(_TO_TRADITIONAL)
        return self.name_en

    def label(self, script: str) -> str:
        """The row text, e.g. ``Germany +49``."""
        return f"{self.name(script)} +{self.calling_code}"


@cache
def region(code: str) -> Region:
    """The picker entry for an ISO alpha-2 code (upper case)."""
    calling = phonenumbers.country_code_for_region(code)
    if calling == 0:
        raise KeyError(code)
    en, zh = _MISSING_NAMES.get(code, ("", ""))
    return Region(
        code=code,
        calling_code=calling,
        name_en=_locale_name(code, "en") or en or code,
        name_zh=_locale_name(code, "zh") or zh or code,
    )


@cache
def all_regions() -> tuple[Region, ...]:
    """Every region phonenumbers knows, in English alphabetical order."""
    regions = (region(code) for code in phonenumbers.SUPPORTED_REGIONS if code != "001")
    return tuple(sorted(regions, key=lambda r: r.name_en))


def regions_for(codes: Iterable[str]) -> tuple[Region, ...]:
    return tuple(region(code) for code in codes)


def search(regions: Sequence[Region], query: str, script: str) -> list[Region]:
    """Filter picker rows as the apps' search boxes do.

    Digits (with or without ``+``) match calling codes by prefix, exact codes first and
    the code's main region (``+1`` -> United States) before the others; anything else
    matches the English or localised name, or the ISO code, case-insensitively.
    """
    text = query.strip()
    if not text:
        return list(regions)
    digits = _DIGITS.match(text)
    if digits:
        wanted = digits.group(1)
        found = [r for r in regions if str(r.calling_code).startswith(wanted)]

        def digit_rank(r: Region) -> tuple[bool, bool]:
            main = phonenumbers.region_code_for_country_code(r.calling_code)
            return (str(r.calling_code) != wanted, r.code != main)

        return sorted(found, key=digit_rank)
    needle = text.casefold()
    found = [
        r
        for r in regions
        if needle in r.name_en.casefold()
        or needle in r.name(script).casefold()
        or needle == r.code.casefold()
    ]
    return sorted(found, key=lambda r: not r.name(script).casefold().startswith(needle))


def parse_national(national: str, region_code: str) -> phonenumbers.PhoneNumber | None:
    """The typed number as a valid number of the picked region, or None if invalid."""
    typed = national.strip()
    if not typed or re.search(r"[^\d\s().-]", typed):
        return None
    try:
        number = phonenumbers.parse(typed, region_code)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != phonenumbers.country_code_for_region(region_code):
        return None
    return number if phonenumbers.is_valid_number(number) else None


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def international(number: phonenumbers.PhoneNumber) -> str:
    """``+49 1511 2345678``, as apps echo the number a code was sent to."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
