"""Countries and study regions, from the committed data file ``harness/data/countries.csv``.

The file lists every ISO 3166-1 alpha-2 code with its English name, its study region and
its calling code. Study regions follow the grouping used in reports on real-name
registration abroad: Asia-Pacific, Europe (extended), Middle East and North Africa, North
America, Latin America, Sub-Saharan Africa, Central Asia.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from harness.vocabulary.outcomes import DocumentedEnum


class Region(DocumentedEnum):
    """Study region of a country."""

    ASIA_PACIFIC = ("asia_pacific", "East, South-East and South Asia, and Oceania.")
    EUROPE = ("europe", "Europe including extended Europe (Turkey, the Caucasus, Russia).")
    MENA = ("mena", "Middle East and North Africa.")
    NORTH_AMERICA = ("north_america", "United States, Canada and nearby territories.")
    LATIN_AMERICA = ("latin_america", "Central and South America and the Caribbean.")
    SUB_SAHARAN_AFRICA = ("sub_saharan_africa", "Africa south of the Sahara.")
    CENTRAL_ASIA = ("central_asia", "Afghanistan and the former Soviet republics of Central Asia.")


#: Codes people commonly type for a country whose ISO code differs.
_ALIASES = {"UK": "GB", "EL": "GR", "EN": "GB", "KO": "KR", "JA": "JP", "ZH": "CN", "DU": "DE"}


@dataclass(frozen=True)
class Country:
    alpha2: str
    name: str
    region: Region
    calling_code: int | None


@cache
def all_countries() -> dict[str, Country]:
    """Every ISO 3166-1 alpha-2 country, keyed by upper-case code."""
    text = resources.files("harness.data").joinpath("countries.csv").read_text("utf-8")
    out: dict[str, Country] = {}
    for row in csv.DictReader(text.splitlines()):
        code = row["calling_code"]
        out[row["alpha2"]] = Country(
            alpha2=row["alpha2"],
            name=row["name"],
            region=Region(row["region"]),
            calling_code=int(code) if code else None,
        )
    return out


def get_country(code: str) -> Country | None:
    return all_countries().get(code.strip().upper())


def suggest_countries(text: str, limit: int = 3) -> list[str]:
    """Close matches for a mistyped code or name, as ``"DE (Germany)"`` strings."""
    countries = all_countries()
    t = text.strip()
    hits: list[str] = []
    by_name = {c.name.lower(): c.alpha2 for c in countries.values()}
    for name in difflib.get_close_matches(t.lower(), list(by_name), n=limit, cutoff=0.6):
        hits.append(by_name[name])
    for name, code in by_name.items():
        if len(t) > 2 and name.startswith(t.lower()) and code not in hits:
            hits.append(code)
    up = t.upper()
    if up in _ALIASES:
        hits.insert(0, _ALIASES[up])
    if len(up) == 2:
        # one letter off, same first letter first (typos hit the second letter more often)
        near = [c for c in countries
                if c != up and sum(a != b for a, b in zip(c, up, strict=True)) == 1]
        near.sort(key=lambda c: (c[0] != up[0], c))
        hits.extend(c for c in near if c not in hits)
    return [f"{c} ({countries[c].name})" for c in hits[:limit]]


#: A reported position farther than this from every known town is not placed in a
#: country (at sea, in a desert, or a device with no fix at all).
MAX_PLACE_KM = 150.0


def country_at(latitude: float, longitude: float) -> tuple[str | None, str]:
    """The ISO country code of a position, and how it was found (or why not).

    Offline: the nearest town of GeoNames' list of places with 1,000 people or more
    (the ``reverse_geocode`` package). Near a border the nearest town can lie across it;
    a position more than ``MAX_PLACE_KM`` from any town, and the (0, 0) an unfixed GPS
    reports, give no country.
    """
    import math

    if abs(latitude) < 1e-3 and abs(longitude) < 1e-3:
        return None, "the device reported (0, 0): no GPS fix"
    import reverse_geocode

    place = reverse_geocode.get((latitude, longitude))
    plat, plon = math.radians(float(place["latitude"])), math.radians(float(place["longitude"]))
    lat, lon = math.radians(latitude), math.radians(longitude)
    a = (math.sin((plat - lat) / 2) ** 2
         + math.cos(lat) * math.cos(plat) * math.sin((plon - lon) / 2) ** 2)
    km = 2 * 6371.0 * math.asin(math.sqrt(a))
    if km > MAX_PLACE_KM:
        return None, f"no town within {MAX_PLACE_KM:.0f} km of the reported position"
    code = str(place.get("country_code") or "").upper() or None
    return code, f"nearest town {place.get('city')} ({km:.0f} km)"


@cache
def country_name_patterns(exclude: frozenset[str] = frozenset({"CN"})) -> tuple[str, ...]:
    """Regular expressions for every country's names, in English and in Chinese (both
    scripts), for the barrier rules' ``names: countries`` concepts. The names are CLDR's
    (the Unicode Common Locale Data Repository, en / zh_Hans / zh_Hant / zh_Hant_HK), with
    the usual short forms (UK, USA, 香港); mainland China is left out, it has its own
    concept. An all-capital abbreviation (UK, USA, UAE) matches in capitals only, so the
    pronoun "us" is not the United States."""
    text = resources.files("harness.data").joinpath("country_names.csv").read_text("utf-8")
    english: list[str] = []
    caps: list[str] = []
    chinese: list[str] = []
    for row in csv.DictReader(text.splitlines()):
        if row["alpha2"] in exclude:
            continue
        for name in filter(None, row["en"].split("|")):
            (caps if name.isupper() and len(name) <= 4 else english).append(re.escape(name))
        chinese += [re.escape(n) for n in row["zh"].split("|") if len(n) >= 2]
    by_length = sorted(set(english), key=len, reverse=True)
    out = [r"\b(?:" + "|".join(by_length) + r")\b"]
    out.append(r"(?-i:\b(?:" + "|".join(sorted(set(caps), key=len, reverse=True)) + r")\b)")
    out.append("(?:" + "|".join(sorted(set(chinese), key=len, reverse=True)) + ")")
    return tuple(out)

