"""Storefront data files and the --store / --country options."""

from __future__ import annotations

import pytest

from harness.stores.model import StoreName
from harness.stores.storefronts import (
    USER_ASSIGNED_CODES,
    invalid_codes,
    parse_stores,
    select_countries,
    storefront_codes,
    storefronts,
)
from harness.support.errors import ConfigError
from harness.vocabulary.countries import all_countries


def test_apple_has_175_storefronts_all_valid_countries() -> None:
    apple = storefronts(StoreName.APPLE)
    codes = [s.code for s in apple]
    assert len(codes) == 175 == len(set(codes))
    assert invalid_codes(codes) == []
    outside_iso = [c for c in codes if c not in all_countries()]
    assert outside_iso == ["XK"] and set(outside_iso) <= set(USER_ASSIGNED_CODES)
    for must in ("US", "CN", "HK", "TW", "JP", "DE", "RU", "KZ", "AE"):
        assert must in codes
    assert all(s.name for s in apple)


def test_play_countries_are_valid_and_leave_out_where_play_does_not_operate() -> None:
    codes = [s.code for s in storefronts(StoreName.PLAY)]
    assert len(codes) == len(set(codes)) >= 150
    assert invalid_codes(codes) == []
    assert all(c in all_countries() for c in codes)
    for absent in ("CN", "IR", "KP", "CU", "SY", "AQ"):
        assert absent not in codes
    for present in ("US", "HK", "TW", "DE", "JP", "SG", "BR"):
        assert present in codes


def test_parse_stores() -> None:
    assert parse_stores("apple,play") == (StoreName.APPLE, StoreName.PLAY)
    assert parse_stores("play, apple") == (StoreName.APPLE, StoreName.PLAY)
    assert parse_stores("all") == tuple(StoreName)
    assert parse_stores("google") == (StoreName.PLAY,)
    with pytest.raises(ConfigError) as exc:
        parse_stores("apple,amazon")
    msg = str(exc.value)
    assert "'amazon'" in msg and "apple, play" in msg and msg.startswith("--store=")


def test_select_all_countries_per_store() -> None:
    sel = select_countries("all", [StoreName.APPLE, StoreName.PLAY])
    assert len(sel.countries(StoreName.APPLE)) == 175
    assert set(sel.countries(StoreName.PLAY)) == storefront_codes(StoreName.PLAY)


def test_select_given_countries_with_notes_for_missing_storefronts() -> None:
    sel = select_countries("de,CN, jp", [StoreName.APPLE, StoreName.PLAY])
    assert sel.countries(StoreName.APPLE) == ("DE", "CN", "JP")
    assert sel.countries(StoreName.PLAY) == ("DE", "JP")
    assert any("Google Play has no storefront for CN (China)" in n for n in sel.notes)


def test_bad_country_suggests_close_matches() -> None:
    with pytest.raises(ConfigError) as exc:
        select_countries("DE,UK,Germny", [StoreName.APPLE])
    assert "Did you mean GB" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        select_countries("DE,Germny", [StoreName.APPLE])
    assert "'Germny' is not a country code" in str(exc.value)
    assert "DE (Germany)" in str(exc.value)


def test_country_no_selected_store_serves_is_an_error() -> None:
    with pytest.raises(ConfigError) as exc:
        select_countries("KP", [StoreName.APPLE, StoreName.PLAY])
    assert "none of KP has a storefront" in str(exc.value)
