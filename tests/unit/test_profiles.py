"""Device profiles: the shipped files, the short forms, every error a person can make, and
how phone numbers and proxies stay secret."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
import pytest

from harness.spec.profile import Gps, Profile
from harness.spec.profiles import load_profile, load_profiles, select_profiles
from harness.support.errors import ConfigError, ConfigErrors
from harness.vocabulary.countries import Region, get_country
from harness.vocabulary.outcomes import Backend

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "device_profiles"
REQUIRED = {"DE", "US", "GB", "FR", "JP", "KR", "SG", "AU", "BR", "AE", "TW", "HK"}

DE_NUMBER = "+4915223456789"
FR_NUMBER = "+33612345678"

BASE = """\
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
"""


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
              ) -> None:
    monkeypatch.setenv("HARNESS_HASH_KEY", "unit-test-key")
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE", str(tmp_path_factory.mktemp("k") / "hash.key"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as info:
        load_profile(path)
    assert str(info.value) == "\n".join(str(e) for e in info.value.errors)
    return info.value.errors


def one_error(path: Path) -> ConfigError:
    errs = errors_of(path)
    assert len(errs) == 1, [str(e) for e in errs]
    return errs[0]


# --------------------------------------------------------------------------- shipped files


@pytest.fixture(scope="module")
def shipped() -> list[Profile]:
    return load_profiles(PROFILES)


def test_every_shipped_profile_loads(shipped: list[Profile]) -> None:
    ids = [p.id for p in shipped]
    assert set(ids) >= REQUIRED
    assert ids == sorted(ids)
    assert len(shipped) == len(list(PROFILES.glob("*.y*ml")))


def test_shipped_profiles_are_consistent(shipped: list[Profile]) -> None:
    for p in shipped:
        assert p.source.stem == p.id == p.country, p.source
        info = get_country(p.country)
        assert info is not None
        assert p.region is info.region
        # the locale's country part is the profile's country (de_DE, zh_TW, ...)
        assert p.locale.replace("-", "_").split("_")[-1] == p.country, p.locale
        assert p.locale.startswith(p.language), (p.locale, p.language)
        assert p.gps is not None
        assert p.device.emulator or p.device.udid


def test_shipped_profiles_keep_secrets_out_of_the_repo(shipped: list[Profile]) -> None:
    for p in shipped:
        assert p.phone_ref is not None
        assert re.fullmatch(r"\$\{HARNESS_PHONE_[A-Z]{2}\}", p.phone_ref), p.phone_ref
        assert p.proxy_ref is None or p.proxy_ref.startswith("${"), p.proxy_ref
        assert not p.foreign_sim


def test_shipped_profiles_resolve_on_the_simulator_without_any_env(
        shipped: list[Profile]) -> None:
    for p in shipped:
        phone = p.resolve_phone(Backend.SIM, environ={})
        assert phone.source == "example"
        assert phone.region == p.country
        assert phone.calling_code == get_country(p.country).calling_code  # type: ignore[union-attr]


def test_de_profile_fields_and_lines(shipped: list[Profile]) -> None:
    de = next(p for p in shipped if p.id == "DE")
    assert (de.country, de.locale, de.language, de.timezone) == (
        "DE", "de_DE", "de", "Europe/Berlin")
    assert de.region is Region.EUROPE
    assert de.gps == Gps(52.52, 13.405)
    assert de.device.emulator == "harness_DE"
    assert de.phone_ref == "${HARNESS_PHONE_DE}"
    lines = PROFILES.joinpath("DE.yaml").read_text().splitlines()
    line = de.source_lines["phone.number"]
    assert lines[line - 1].strip().startswith("number:")
    assert de.where("phone.number").endswith(f"DE.yaml:{line}")


# --------------------------------------------------------------------------- country


def test_unknown_country_names_file_line_field_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "DX.yaml", "id: DX\ncountry: DX\nlocale: de_DE\nlanguage: de\n"
                                      "timezone: Europe/Berlin\n")
    err = one_error(path)
    text = str(err)
    assert "DX.yaml:2" in text
    assert err.location.endswith("DX.yaml:2")
    assert err.field == "country"
    assert "field `country`" in text
    assert "DE (Germany)" in text
    assert "country: DE" in text  # the correct example


def test_uk_suggests_gb(tmp_path: Path) -> None:
    path = write(tmp_path, "UK.yaml", BASE.replace("country: DE", "country: UK"))
    err = one_error(path)
    assert err.field == "country"
    assert "Did you mean GB (United Kingdom)" in str(err)
    assert err.location.endswith("UK.yaml:1")


def test_three_letter_country_is_refused(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "x.yaml", BASE.replace("country: DE", "country: DEU")))
    assert err.field == "country"


def test_lower_case_country_is_accepted(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "de2.yaml", BASE.replace("country: DE", "country: de")))
    assert p.country == "DE"
    assert p.id == "de2"  # id defaults to the file name


# --------------------------------------------------------------------------- phone number


def test_invalid_literal_number_names_field_and_line_but_not_the_digits(
        tmp_path: Path) -> None:
    number = "+49151234"
    path = write(tmp_path, "p.yaml", BASE + f'phone:\n  number: "{number}"\n')
    err = one_error(path)
    text = str(err)
    assert err.field == "phone.number"
    assert "p.yaml:6" in text
    assert "not a valid phone number" in text
    assert number not in text
    assert number.lstrip("+") not in text
    assert "151234" not in text


def test_unparseable_literal_number_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", BASE + "phone: 015223456789\n")
    err = one_error(path)
    assert err.field == "phone.number"
    assert "p.yaml:5" in str(err)
    assert "E.164" in str(err)
    assert "15223456789" not in str(err)


def test_number_of_another_country_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", BASE + f'phone:\n  number: "{FR_NUMBER}"\n')
    err = one_error(path)
    text = str(err)
    assert err.field == "phone.number"
    assert "p.yaml:6" in text
    assert "belongs to FR" in text
    assert "foreign_sim: true" in text
    assert "612345678" not in text


def test_foreign_number_is_accepted_with_foreign_sim(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml",
                 BASE + f'phone:\n  number: "{FR_NUMBER}"\n  foreign_sim: true\n')
    p = load_profile(path)
    assert p.foreign_sim
    phone = p.resolve_phone(Backend.APPIUM, environ={})
    assert phone.region == "FR"
    assert phone.calling_code == 33
    assert phone.source == "profile"


def test_foreign_number_from_env_is_refused_when_resolved(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "phone:\n  number: ${PH}\n"))
    with pytest.raises(ConfigError) as info:
        p.resolve_phone(Backend.APPIUM, environ={"PH": FR_NUMBER})
    assert info.value.field == "phone.number"
    assert "environment variable's value" in str(info.value)
    assert "612345678" not in str(info.value)


def test_phone_from_env_is_resolved_and_never_shown(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "phone:\n  number: ${HARNESS_PHONE_X}\n"))
    assert p.phone_ref == "${HARNESS_PHONE_X}"
    phone = p.resolve_phone(Backend.APPIUM, environ={"HARNESS_PHONE_X": DE_NUMBER})
    assert phone.source == "profile"
    assert phone.e164.reveal() == DE_NUMBER
    assert phone.national.reveal() == "15223456789"
    assert (phone.calling_code, phone.region) == (49, "DE")
    assert phone.masked == "+49*********89"
    shown = [repr(phone), str(phone), repr(phone.e164), str(phone.e164),
             repr(phone.national), str(phone.national), f"{phone}", repr([phone])]
    for s in shown:
        assert "23456789" not in s, s
    assert repr(phone) == "PhoneNumber(+49*********89, region=DE, source=profile)"
    assert str(phone.national) == "*********89"
    # the hash is keyed, stable, and not the number
    assert phone.hashed == phone.hashed
    assert re.fullmatch(r"[0-9a-f]{32}", phone.hashed)


def test_phone_short_form(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "phone: ${PH}\n"))
    assert p.phone_ref == "${PH}"
    assert not p.foreign_sim
    assert p.resolve_phone(Backend.APPIUM, {"PH": DE_NUMBER}).e164.reveal() == DE_NUMBER


def test_missing_env_on_appium_names_variable_and_field(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "phone:\n  number: ${HARNESS_PHONE_ZZ}\n"))
    with pytest.raises(ConfigError) as info:
        p.resolve_phone(Backend.APPIUM, environ={})
    err = info.value
    assert err.field == "phone.number"
    assert "HARNESS_PHONE_ZZ" in str(err)
    assert err.location.endswith("p.yaml:6")
    assert "--backend=sim" in str(err)


def test_missing_env_with_short_form_still_has_a_line(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "phone: ${HARNESS_PHONE_ZZ}\n"))
    with pytest.raises(ConfigError) as info:
        p.resolve_phone(Backend.APPIUM, environ={})
    assert info.value.location.endswith("p.yaml:5")


def test_missing_env_on_sim_falls_back_to_example_number(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "phone:\n  number: ${HARNESS_PHONE_ZZ}\n"))
    phone = p.resolve_phone(Backend.SIM, environ={})
    example = phonenumbers.example_number_for_type("DE", phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    assert phone.source == "example"
    assert phone.e164.reveal() == phonenumbers.format_number(
        example, phonenumbers.PhoneNumberFormat.E164)
    assert phone.region == "DE"
    # a value in the environment wins over the example, on the simulator too
    assert p.resolve_phone(Backend.SIM, {"HARNESS_PHONE_ZZ": DE_NUMBER}).source == "profile"


def test_no_phone_configured(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE))
    assert p.phone_ref is None
    with pytest.raises(ConfigError) as info:
        p.resolve_phone(Backend.APPIUM, environ={})
    assert info.value.field == "phone.number"
    assert p.resolve_phone(Backend.SIM, environ={}).source == "example"


def test_env_default_number(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml",
                           BASE + f"phone:\n  number: ${{PH:-{DE_NUMBER}}}\n"))
    assert p.resolve_phone(Backend.APPIUM, environ={}).e164.reveal() == DE_NUMBER


# --------------------------------------------------------------------------- proxy


def test_proxy_with_clear_password_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", BASE + "proxy: http://alice:hunter2@proxy.example.net:3128\n")
    err = one_error(path)
    assert err.field == "proxy"
    assert err.location.endswith("p.yaml:5")
    assert "in clear" in str(err)
    assert "hunter2" not in str(err)
    assert "${" in str(err)  # shows how to move it to the environment


def test_proxy_with_unsupported_scheme_is_refused(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", BASE + "proxy: ftp://proxy.example.net:21\n"))
    assert err.field == "proxy"
    assert "'ftp'" in str(err)
    assert "socks5://" in str(err)


def test_proxy_without_host_is_refused(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", BASE + "proxy: 'http://:3128'\n"))
    assert err.field == "proxy"
    assert "no host" in str(err)


def test_proxy_with_bad_port_is_refused(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", BASE + "proxy: http://proxy.example.net:99999\n"))
    assert err.field == "proxy"
    assert err.location.endswith("p.yaml:5")
    assert "not a valid URL" in str(err)


def test_proxy_with_credentials_and_bad_port_is_refused(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml",
                          BASE + "proxy: http://u:${P}@proxy.example.net:99999\n"))
    assert err.field == "proxy"
    assert "not a valid URL" in str(err)


@pytest.mark.parametrize("proxy", [
    "${HARNESS_PROXY_DE:-}",
    "${HARNESS_PROXY_DE}",
    "http://alice:${HARNESS_PROXY_PASS_DE}@proxy.example.net:3128",
    "socks5://proxy.example.net:1080",
    "socks5h://alice:${P}@proxy.example.net:1080",
    "https://${HARNESS_PROXY_HOST}:8443",
])
def test_acceptable_proxies(tmp_path: Path, proxy: str) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + f'proxy: "{proxy}"\n'))
    assert p.proxy_ref == proxy


def test_proxy_masked_hides_resolved_style_password(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml",
                           BASE + "proxy: http://alice:${PASS}@proxy.example.net:3128\n"))
    assert p.proxy_masked == "http://alice:***@proxy.example.net:3128"
    assert load_profile(write(tmp_path, "q.yaml", BASE)).proxy_masked is None


# --------------------------------------------------------------------------- other fields


@pytest.mark.parametrize(("field", "bad", "line", "hint"), [
    ("locale", "german", 2, "de_DE"),
    ("language", "Deutsch", 3, "ISO 639"),
    ("timezone", "Europe/Berln", 4, "IANA time zone"),
    ("timezone", "../etc/passwd", 4, "IANA time zone"),
])
def test_bad_field_names_field_and_line(tmp_path: Path, field: str, bad: str, line: int,
                                        hint: str) -> None:
    text = re.sub(rf"^{field}: .*$", f"{field}: '{bad}'", BASE, flags=re.M)
    err = one_error(write(tmp_path, "p.yaml", text))
    assert err.field == field
    assert err.location.endswith(f"p.yaml:{line}")
    assert hint in str(err)
    assert bad in str(err)
    assert err.example is not None and err.example.startswith(f"{field}:")


@pytest.mark.parametrize("locale", ["de_DE", "de-DE", "zh_TW", "zh-Hant-HK", "es_419", "yue"])
def test_locales_accepted(tmp_path: Path, locale: str) -> None:
    text = BASE.replace("locale: de_DE", f"locale: {locale}")
    assert load_profile(write(tmp_path, "p.yaml", text)).locale == locale


def test_unknown_field_is_reported(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", BASE + "colour: blue\n"))
    assert err.field == "colour"
    assert err.location.endswith("p.yaml:5")
    assert "not a known field" in str(err)


def test_unknown_nested_field_is_reported(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml",
                          BASE + "phone:\n  number: ${PH}\n  foriegn_sim: true\n"))
    assert err.field == "phone.foriegn_sim"
    assert err.location.endswith("p.yaml:7")


def test_missing_required_field(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", BASE.replace("timezone: Europe/Berlin\n", "")))
    assert err.field == "timezone"
    assert "required" in str(err)


def test_several_errors_are_reported_together(tmp_path: Path) -> None:
    errs = errors_of(write(tmp_path, "p.yaml", BASE + "locale_x: 1\nfoo: 2\n"))
    assert [e.field for e in errs] == ["locale_x", "foo"]
    errs = errors_of(write(tmp_path, "q.yaml",
                           BASE + f'phone: "{FR_NUMBER}"\nproxy: ftp://h:1\n'))
    assert {e.field for e in errs} == {"phone.number", "proxy"}


def test_not_a_mapping(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", "- DE\n- FR\n"))
    assert "mapping" in str(err)
    assert "country: DE" in str(err)


def test_emulator_and_udid_together_is_refused(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml",
                          BASE + "device:\n  emulator: e\n  udid: R58M123ABC\n"))
    assert err.field == "device"
    assert err.location.endswith("p.yaml:5")


def test_region_override(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "region: mena\n"))
    assert p.region is Region.MENA
    err = one_error(write(tmp_path, "q.yaml", BASE + "region: mars\n"))
    assert err.field == "region"
    assert "europe" in str(err)


def test_invalid_profile_id(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "p.yaml", "id: 'DE emu'\n" + BASE))
    assert err.field == "id"
    assert err.location.endswith("p.yaml:1")


def test_device_fields(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + (
        "device:\n  udid: R58M123ABC\n  platform_version: '14'\n  app_path: /apps/x.apk\n"
        "  capabilities: {'appium:newCommandTimeout': 600}\n")))
    assert p.device.udid == "R58M123ABC"
    assert p.device.emulator is None
    assert p.device.platform_version == "14"
    assert p.device.app_path == "/apps/x.apk"
    assert dict(p.device.capabilities) == {"appium:newCommandTimeout": 600}


# --------------------------------------------------------------------------- gps


@pytest.mark.parametrize("gps", [
    "[52.52, 13.405]",
    "'52.52, 13.405'",
    "'52.52,13.405'",
    "{latitude: 52.52, longitude: 13.405}",
])
def test_gps_forms(tmp_path: Path, gps: str) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + f"gps: {gps}\n"))
    assert p.gps == Gps(52.52, 13.405, 0.0)


def test_gps_with_altitude(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, "p.yaml", BASE + "gps: [35.68, 139.69, 40]\n"))
    assert p.gps == Gps(35.68, 139.69, 40.0)


@pytest.mark.parametrize("gps", ["[95, 13]", "[52, 200]", "'north'"])
def test_gps_out_of_range_or_wrong(tmp_path: Path, gps: str) -> None:
    errs = errors_of(write(tmp_path, "p.yaml", BASE + f"gps: {gps}\n"))
    assert all(e.field is not None and e.field.startswith("gps") for e in errs)
    assert all(e.location.endswith("p.yaml:5") for e in errs)


# --------------------------------------------------------------------------- directories


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: DE\n" + BASE)
    write(tmp_path, "b.yaml", "id: DE\n" + BASE)
    with pytest.raises(ConfigErrors) as info:
        load_profiles(tmp_path)
    (err,) = info.value.errors
    assert err.field == "id"
    assert "b.yaml" in err.location
    assert "a.yaml" in str(err)
    assert "'DE'" in str(err)


def test_load_profiles_collects_errors_from_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", BASE + "colour: blue\n")
    write(tmp_path, "b.yaml", "country: [\n")
    write(tmp_path, "c.yaml", BASE)
    with pytest.raises(ConfigErrors) as info:
        load_profiles(tmp_path)
    locations = [e.location for e in info.value.errors]
    assert len(locations) == 2
    assert "a.yaml:5" in locations[0]
    assert "b.yaml" in locations[1]


def test_load_profiles_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_profiles(tmp_path / "nope")
    assert "not found" in str(info.value)


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(tmp_path / "XX.yaml")
    assert "XX.yaml" in str(info.value)
    assert "not found" in str(info.value)


# --------------------------------------------------------------------------- select


def ids(profiles: list[Profile]) -> list[str]:
    return [p.id for p in profiles]


def test_select_by_countries(shipped: list[Profile]) -> None:
    assert ids(select_profiles(shipped, "DE,FR")) == ["DE", "FR"]
    assert ids(select_profiles(shipped, " fr , de,FR")) == ["FR", "DE"]
    assert ids(select_profiles(shipped, "all")) == ids(shipped)
    assert ids(select_profiles(shipped, "ALL")) == ids(shipped)
    assert ids(select_profiles(shipped, None)) == ids(shipped)


def test_select_by_region(shipped: list[Profile]) -> None:
    europe = ids(select_profiles(shipped, None, "europe"))
    assert {"DE", "FR", "GB"} <= set(europe)
    assert all(p.region is Region.EUROPE for p in shipped if p.id in europe)
    assert not {"US", "JP", "TW"} & set(europe)
    both = ids(select_profiles(shipped, "all", "europe,north_america"))
    america = {p.id for p in shipped if p.region is Region.NORTH_AMERICA}
    assert "US" in america
    assert set(both) == set(europe) | america
    assert select_profiles(shipped, "DE", "asia_pacific") == []


def test_select_by_profile_id(tmp_path: Path, shipped: list[Profile]) -> None:
    extra = load_profile(write(tmp_path, "x.yaml", "id: DE-emu2\n" + BASE))
    pool = [*shipped, extra]
    assert ids(select_profiles(pool, "de-emu2")) == ["DE-emu2"]
    assert set(ids(select_profiles(pool, "DE"))) == {"DE", "DE-emu2"}


def test_select_unknown_country_is_an_error(shipped: list[Profile]) -> None:
    with pytest.raises(ConfigError) as info:
        select_profiles(shipped, "DE,XX")
    text = str(info.value)
    assert info.value.location == "--country=DE,XX"
    assert "'XX'" in text
    have = ", ".join(sorted({p.country for p in shipped}))
    assert f"Profiles exist for: {have}" in text


def test_select_uk_suggests_gb(shipped: list[Profile]) -> None:
    with pytest.raises(ConfigError) as info:
        select_profiles(shipped, "UK", option="--countries")
    assert info.value.location == "--countries=UK"
    assert "Did you mean GB (United Kingdom)" in str(info.value)


def test_select_unknown_region_is_an_error(shipped: list[Profile]) -> None:
    with pytest.raises(ConfigError) as info:
        select_profiles(shipped, None, "europe,mars")
    assert info.value.location == "--region=europe,mars"
    assert "'mars'" in str(info.value)
    for r in Region:
        assert r.value in str(info.value)
