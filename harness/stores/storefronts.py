"""Which countries each store serves, and reading ``--store`` / ``--country`` options.

The lists are data files: ``harness/data/storefronts_apple.csv`` (the 175 App Store
storefronts) and ``harness/data/storefronts_play.csv`` (the countries probed on Google
Play). Both use ISO 3166-1 alpha-2 codes; the one exception, ``XK`` (Kosovo), is a
user-assigned code that Apple uses for its storefront and is listed in
``USER_ASSIGNED_CODES``. docs/stores.md says where each list comes from.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from harness.stores.model import StoreName
from harness.support.errors import ConfigError
from harness.vocabulary.countries import get_country, suggest_countries

#: Codes outside ISO 3166-1 that a store uses for a storefront of its own.
USER_ASSIGNED_CODES: dict[str, str] = {"XK": "Kosovo"}

_FILES = {StoreName.APPLE: "storefronts_apple.csv", StoreName.PLAY: "storefronts_play.csv"}


@dataclass(frozen=True)
class Storefront:
    code: str
    name: str


@cache
def storefronts(store: StoreName) -> tuple[Storefront, ...]:
    """The countries ``store`` serves, sorted by code."""
    text = resources.files("harness.data").joinpath(_FILES[store]).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows = [Storefront(r["code"].strip().upper(), r["name"].strip())
            for r in csv.DictReader(lines)]
    return tuple(sorted(rows, key=lambda s: s.code))


def storefront_codes(store: StoreName) -> frozenset[str]:
    return frozenset(s.code for s in storefronts(store))


def is_known_code(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code, or a user-assigned code a store uses."""
    code = code.strip().upper()
    return len(code) == 2 and (get_country(code) is not None or code in USER_ASSIGNED_CODES)


def country_name(code: str) -> str:
    c = get_country(code)
    return c.name if c else USER_ASSIGNED_CODES.get(code.upper(), code)


def parse_stores(text: str | None, option: str = "--store") -> tuple[StoreName, ...]:
    """``apple``, ``play``, ``apple,play`` or ``all``, in store order."""
    if not text or text.strip().lower() == "all":
        return tuple(StoreName)
    valid = [s.value for s in StoreName]
    wanted: list[StoreName] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        alias = {"google": "play", "googleplay": "play", "google_play": "play",
                 "ios": "apple", "appstore": "apple", "app_store": "apple",
                 "itunes": "apple"}.get(part, part)
        if alias not in valid:
            raise ConfigError(f"{option}={text}", None, f"unknown store {part!r}",
                              f"Use one or more of {', '.join(valid)}, comma-separated, or "
                              "all, e.g. --store apple,play")
        store = StoreName(alias)
        if store not in wanted:
            wanted.append(store)
    if not wanted:
        raise ConfigError(f"{option}={text}", None, "no store given",
                          f"Use one or more of {', '.join(valid)}, e.g. --store apple,play")
    return tuple(s for s in StoreName if s in wanted)


@dataclass(frozen=True)
class CountrySelection:
    """The countries to check in each store, and notes on codes a store does not serve."""

    by_store: dict[StoreName, tuple[str, ...]]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def countries(self, store: StoreName) -> tuple[str, ...]:
        return self.by_store.get(store, ())


def parse_country_codes(text: str, option: str = "--country") -> list[str]:
    """Comma-separated country codes, each checked; a typo suggests close matches."""
    codes: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        code = part.upper()
        if not is_known_code(code):
            near = suggest_countries(part)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            raise ConfigError(f"{option}={text}", None,
                              f"{part!r} is not a country code.{hint}",
                              "Give ISO 3166-1 alpha-2 codes separated by commas (e.g. "
                              "--country DE,JP), or all")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ConfigError(f"{option}={text}", None, "no country given",
                          "Give codes such as DE,JP, or all")
    return codes


def select_countries(text: str | None, stores: Sequence[StoreName],
                     option: str = "--country") -> CountrySelection:
    """``all`` = every storefront of each store; else the given codes, per store."""
    if not text or text.strip().lower() == "all":
        return CountrySelection({s: tuple(sorted(storefront_codes(s))) for s in stores})
    codes = parse_country_codes(text, option)
    by_store: dict[StoreName, tuple[str, ...]] = {}
    notes: list[str] = []
    for store in stores:
        served = storefront_codes(store)
        by_store[store] = tuple(c for c in codes if c in served)
        missing = [c for c in codes if c not in served]
        if missing:
            notes.append(f"{_label(store)} has no storefront for "
                         f"{', '.join(f'{c} ({country_name(c)})' for c in missing)}; "
                         "not checked there")
    if not any(by_store.values()):
        raise ConfigError(f"{option}={text}", None,
                          f"none of {', '.join(codes)} has a storefront in "
                          f"{' or '.join(_label(s) for s in stores)}",
                          "See harness/data/storefronts_apple.csv and storefronts_play.csv "
                          "for the countries each store serves")
    return CountrySelection(by_store, tuple(notes))


def _label(store: StoreName) -> str:
    return "the App Store" if store is StoreName.APPLE else "Google Play"


def invalid_codes(codes: Iterable[str]) -> list[str]:
    """Codes in ``codes`` that are neither ISO 3166-1 alpha-2 nor user-assigned (for tests)."""
    return [c for c in codes if not is_known_code(c)]
