"""`harness profiles new XX` and the default study set of shipped profiles."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.spec.profiles import load_profile, load_profiles
from harness.spec.scaffold import country_defaults, render_profile, scaffold_profile
from harness.support.errors import ConfigError
from harness.vocabulary.countries import Region, all_countries

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "device_profiles"


def test_the_scaffold_of_de_is_the_shipped_de_profile(tmp_path: Path) -> None:
    path = scaffold_profile("de", tmp_path)
    assert path == tmp_path / "DE.yaml"
    assert path.read_text(encoding="utf-8") == (SHIPPED / "DE.yaml").read_text(encoding="utf-8")


def test_every_country_with_a_time_zone_scaffolds_a_valid_profile(tmp_path: Path) -> None:
    defaults = country_defaults()
    assert len(defaults) >= 247
    assert set(all_countries()) - set(defaults) == {"BV", "HM"}  # uninhabited
    for code, d in defaults.items():
        zoneinfo.ZoneInfo(d.timezone)
        assert d.locale == f"{d.language}_{code}"
        path = tmp_path / f"{code}.yaml"
        path.write_text(render_profile(code), encoding="utf-8")
        p = load_profile(path)
        assert (p.id, p.country, p.timezone, p.locale) == (code, code, d.timezone, d.locale)
        assert p.gps is not None
        assert p.phone_ref == f"${{HARNESS_PHONE_{code}}}"
        assert p.proxy_ref == f"${{HARNESS_PROXY_{code}:-}}"
        assert p.device.emulator == f"harness_{code}"


def test_the_time_zone_is_the_capitals_for_countries_with_several(tmp_path: Path) -> None:
    d = country_defaults()
    assert (d["US"].timezone, d["US"].city) == ("America/New_York", "New York")
    assert d["RU"].timezone == "Europe/Moscow"
    assert d["CN"].timezone == "Asia/Shanghai"
    assert d["BR"].timezone == "America/Sao_Paulo"
    assert d["UA"].timezone == "Europe/Kyiv"
    assert d["AU"].timezone == "Australia/Sydney"
    assert d["CA"].timezone == "America/Toronto"


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = scaffold_profile("JP", tmp_path)
    path.write_text("# edited by hand\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        scaffold_profile("JP", tmp_path)
    assert "already exists" in str(info.value) and "--force" in str(info.value)
    assert path.read_text(encoding="utf-8").startswith("# edited by hand")
    scaffold_profile("JP", tmp_path, force=True)
    assert path.read_text(encoding="utf-8") == render_profile("JP")


@pytest.mark.parametrize(("typed", "suggested"), [
    ("UK", "GB (United Kingdom)"), ("Germany", "DE (Germany)"), ("DX", "DE (Germany)"),
])
def test_unknown_country_suggests_close_matches(tmp_path: Path, typed: str,
                                                suggested: str) -> None:
    with pytest.raises(ConfigError) as info:
        scaffold_profile(typed, tmp_path)
    assert suggested in str(info.value)
    assert not list(tmp_path.iterdir())


def test_a_country_without_a_time_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        scaffold_profile("BV", tmp_path)
    assert "Bouvet Island" in str(info.value) and "by hand" in str(info.value)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "profiles"
    assert main(["profiles", "new", "KE", "--dir", str(d)]) == 0
    out = capsys.readouterr().out
    assert "KE.yaml" in out and "HARNESS_PHONE_KE" in out and "Africa/Nairobi" in out
    assert main(["profiles", "new", "KE", "--dir", str(d)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["profiles", "new", "KE", "--dir", str(d), "--force"]) == 0
    assert main(["profiles", "check", str(d)]) == 0


# --------------------------------------------------------------------------- the default set


def test_the_default_study_set_spans_every_region_with_58_or_more_countries() -> None:
    profiles = load_profiles(SHIPPED)
    countries = {p.country for p in profiles}
    assert len(countries) >= 58
    assert {p.region for p in profiles} == set(Region)
    per_region = {r: sum(p.region is r for p in profiles) for r in Region}
    assert all(n >= 2 for n in per_region.values()), per_region


def test_shipped_profiles_follow_one_layout() -> None:
    for p in load_profiles(SHIPPED):
        c = p.country
        assert p.id == c and p.source.name == f"{c}.yaml"
        assert p.phone_ref == f"${{HARNESS_PHONE_{c}}}"
        assert p.proxy_ref == f"${{HARNESS_PROXY_{c}:-}}"
        assert p.device.emulator == f"harness_{c}"
        assert p.gps is not None and not p.foreign_sim
        assert c in country_defaults()


def test_the_default_set_is_documented() -> None:
    doc = (REPO / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert "## Default study set" in doc
    section = doc.split("## Default study set", 1)[1]
    for p in load_profiles(SHIPPED):
        assert p.country in section, p.country
