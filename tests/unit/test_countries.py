"""The committed country table (harness/data/countries.csv) and country look-ups."""

from __future__ import annotations

import csv
from importlib import resources

import phonenumbers
import pycountry
import pytest

from harness.vocabulary.countries import Region, all_countries, get_country, suggest_countries


def _rows() -> list[dict[str, str]]:
    text = resources.files("harness.data").joinpath("countries.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_csv_has_the_documented_columns() -> None:
    text = resources.files("harness.data").joinpath("countries.csv").read_text("utf-8")
    assert text.splitlines()[0] == "alpha2,name,region,calling_code"


def test_every_pycountry_code_appears_exactly_once() -> None:
    codes = [r["alpha2"] for r in _rows()]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    assert duplicates == []
    expected = {c.alpha_2 for c in pycountry.countries}
    assert set(codes) == expected
    assert len(all_countries()) == len(expected)


def test_every_region_is_a_region_and_every_region_is_used() -> None:
    values = {r["region"] for r in _rows()}
    known = {r.value for r in Region}
    assert values <= known, values - known
    # a region with no country would be a dead option of --region
    assert values == known


def test_calling_codes_match_phonenumbers() -> None:
    mismatched = []
    for row in _rows():
        if not row["calling_code"]:
            continue
        assert row["calling_code"].isdigit(), row
        expected = phonenumbers.country_code_for_region(row["alpha2"])
        if int(row["calling_code"]) != expected:
            mismatched.append((row["alpha2"], row["calling_code"], expected))
    assert mismatched == []


def test_calling_code_is_empty_only_where_phonenumbers_knows_none() -> None:
    for row in _rows():
        if not row["calling_code"]:
            assert phonenumbers.country_code_for_region(row["alpha2"]) == 0, row
            assert get_country(row["alpha2"]).calling_code is None  # type: ignore[union-attr]


def test_names_are_non_empty_and_unique() -> None:
    names = [r["name"] for r in _rows()]
    assert all(n.strip() for n in names)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(("code", "name", "region", "cc"), [
    ("DE", "Germany", Region.EUROPE, 49),
    ("TW", "Taiwan", Region.ASIA_PACIFIC, 886),
    ("HK", "Hong Kong", Region.ASIA_PACIFIC, 852),
    ("US", "United States", Region.NORTH_AMERICA, 1),
    ("BR", "Brazil", Region.LATIN_AMERICA, 55),
    ("AE", "United Arab Emirates", Region.MENA, 971),
    ("KZ", "Kazakhstan", Region.CENTRAL_ASIA, 7),
    ("NG", "Nigeria", Region.SUB_SAHARAN_AFRICA, 234),
])
def test_get_country(code: str, name: str, region: Region, cc: int) -> None:
    c = get_country(code)
    assert c is not None
    assert (c.alpha2, c.name, c.region, c.calling_code) == (code, name, region, cc)


def test_get_country_normalises_case_and_space() -> None:
    assert get_country(" de ") == get_country("DE")
    assert get_country("XX") is None
    assert get_country("") is None
    assert get_country("DEU") is None


def test_every_region_member_is_documented() -> None:
    for region in Region:
        assert region.doc.strip(), region


def test_suggest_typo_of_a_code_prefers_same_first_letter() -> None:
    hits = suggest_countries("DX")
    assert hits[0] == "DE (Germany)"
    assert all(h.startswith("D") for h in hits)
    assert len(hits) == 3


@pytest.mark.parametrize(("typed", "first"), [
    ("UK", "GB (United Kingdom)"),
    ("uk", "GB (United Kingdom)"),
    ("EL", "GR (Greece)"),
    ("JA", "JP (Japan)"),
    ("Germny", "DE (Germany)"),
    ("germany", "DE (Germany)"),
])
def test_suggest_aliases_and_names(typed: str, first: str) -> None:
    assert suggest_countries(typed)[0] == first


def test_suggest_respects_limit_and_format() -> None:
    hits = suggest_countries("DX", limit=1)
    assert hits == ["DE (Germany)"]
    hits = suggest_countries("Korea")
    assert hits[:2] == ["KR (South Korea)", "KP (North Korea)"]
    for h in hits:
        code, rest = h.split(" ", 1)
        assert get_country(code) is not None
        assert rest == f"({get_country(code).name})"  # type: ignore[union-attr]


def test_suggest_nothing_for_gibberish() -> None:
    assert suggest_countries("qqqqqqqq") == []
