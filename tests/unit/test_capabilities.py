"""Appium capabilities built from a profile, for an emulator, a phone, a farm and the
simulator; and the masked form that is the only one ever logged or stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.devices.capabilities import (
    DEFAULT_NEW_COMMAND_TIMEOUT,
    build_capabilities,
    emulator_proxy_arg,
    locale_parts,
    masked_capabilities,
)
from harness.spec.profile import PhoneNumber, Profile
from harness.spec.profiles import load_profile
from harness.support.errors import ConfigError, ConfigErrors
from harness.vocabulary.outcomes import Backend

TW_NUMBER = "+886912345678"
DE_NUMBER = "+4915223456789"
PROXY = "http://alice:hunter2@proxy.example.net:3128"


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
              ) -> None:
    monkeypatch.setenv("HARNESS_HASH_KEY", "unit-test-key")
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE", str(tmp_path_factory.mktemp("k") / "hash.key"))


def profile(tmp_path: Path, text: str, name: str = "p.yaml") -> Profile:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def emulator_tw(tmp_path: Path) -> Profile:
    return profile(tmp_path, """\
id: TW
country: TW
locale: zh_TW
language: zh
timezone: Asia/Taipei
phone: ${PH}
device:
  emulator: harness_TW
""")


def phone_of(p: Profile, number: str) -> PhoneNumber:
    return p.resolve_phone(Backend.APPIUM, environ={"PH": number})


def test_emulator_capabilities_exactly(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    caps = build_capabilities(p, phone_of(p, TW_NUMBER), Backend.APPIUM, proxy_url=PROXY,
                              system_port=8201)
    assert caps == {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:language": "zh",
        "appium:locale": "TW",
        "appium:timeZone": "Asia/Taipei",
        "appium:newCommandTimeout": DEFAULT_NEW_COMMAND_TIMEOUT,
        "appium:noReset": True,
        "appium:fullReset": False,
        "appium:autoGrantPermissions": True,
        "appium:avd": "harness_TW",
        "appium:avdArgs": "-http-proxy alice:hunter2@proxy.example.net:3128 "
                          f"-phone-number {TW_NUMBER}",
        "appium:systemPort": 8201,
    }


def test_emulator_without_proxy_or_system_port(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    caps = build_capabilities(p, phone_of(p, TW_NUMBER), Backend.APPIUM)
    assert caps["appium:avdArgs"] == f"-phone-number {TW_NUMBER}"
    assert "appium:systemPort" not in caps
    assert "appium:udid" not in caps
    assert not [k for k in caps if k.startswith("harness:")]


def test_emulator_proxy_arg() -> None:
    assert emulator_proxy_arg("http://proxy.example.net:3128") == "proxy.example.net:3128"
    assert emulator_proxy_arg("http://proxy.example.net") == "proxy.example.net:80"
    assert emulator_proxy_arg(PROXY) == "alice:hunter2@proxy.example.net:3128"
    assert emulator_proxy_arg("http://tok@10.0.0.2:8080") == "tok@10.0.0.2:8080"


def test_emulator_refuses_a_socks_proxy(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    with pytest.raises(ConfigError, match="speaks only http://, not socks5://"):
        build_capabilities(p, phone_of(p, TW_NUMBER), Backend.APPIUM,
                           proxy_url="socks5://proxy.example.net:1080")


@pytest.mark.parametrize(("locale", "language", "expected"), [
    ("zh_TW", "zh", ("zh", "TW")),
    ("de-DE", "de", ("de", "DE")),
    ("zh-Hant-HK", "zh-Hant", ("zh", "HK")),
    ("es_419", "es", ("es", "MX")),   # no two-letter region: the profile's country
    ("yue", "yue", ("yue", "MX")),
])
def test_locale_parts(tmp_path: Path, locale: str, language: str,
                      expected: tuple[str, str]) -> None:
    p = profile(tmp_path, f"country: MX\nlocale: {locale}\nlanguage: {language}\n"
                          "timezone: America/Mexico_City\n")
    assert locale_parts(p) == expected


#: A DE profile up to its `device:` section.
DE_PROFILE = """\
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
phone: ${PH}
device:
"""


def test_phone_profile_capabilities(tmp_path: Path) -> None:
    p = profile(tmp_path, DE_PROFILE + """\
  udid: R58M123ABC
  platform_version: "14"
  app_path: /apps/app.apk
""")
    caps = build_capabilities(p, phone_of(p, DE_NUMBER), Backend.APPIUM, proxy_url=PROXY)
    assert caps["appium:udid"] == "R58M123ABC"
    assert caps["appium:platformVersion"] == "14"
    assert caps["appium:app"] == "/apps/app.apk"
    assert "appium:avd" not in caps
    assert "appium:avdArgs" not in caps
    # a real phone's number is its SIM's; it never goes into capabilities
    assert DE_NUMBER not in json.dumps(caps)
    assert (caps["appium:language"], caps["appium:locale"]) == ("de", "DE")
    assert caps["appium:timeZone"] == "Europe/Berlin"


def test_farm_capabilities_override_and_add(tmp_path: Path) -> None:
    p = profile(tmp_path, """\
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
phone: ${PH}
device:
  udid: farm-device-7
  capabilities:
    appium:newCommandTimeout: 600
    appium:language: en
    df:build: nightly
    lt:options: {w3c: true}
""")
    caps = build_capabilities(p, phone_of(p, DE_NUMBER), Backend.APPIUM, system_port=8300,
                              extra={"appium:systemPort": 9000, "df:recordVideo": True})
    assert caps["appium:newCommandTimeout"] == 600
    assert caps["appium:language"] == "en"
    assert caps["appium:locale"] == "DE"
    assert caps["df:build"] == "nightly"
    assert caps["lt:options"] == {"w3c": True}
    # `extra` (from the run) wins over the profile and over the defaults
    assert caps["appium:systemPort"] == 9000
    assert caps["df:recordVideo"] is True
    assert caps["appium:automationName"] == "UiAutomator2"


def test_sim_backend_adds_harness_capabilities(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    phone = phone_of(p, TW_NUMBER)
    caps = build_capabilities(p, phone, Backend.SIM)
    assert caps["harness:simCountry"] == "TW"
    assert caps["harness:ipCountry"] == "TW"
    assert caps["harness:phoneNumber"] == TW_NUMBER
    assert caps["appium:avd"] == "harness_TW"  # same capabilities as a real emulator


def test_sim_country_follows_a_foreign_sim(tmp_path: Path) -> None:
    p = profile(tmp_path, """\
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
phone: {number: "+33612345678", foreign_sim: true}
""")
    phone = p.resolve_phone(Backend.SIM, environ={})
    caps = build_capabilities(p, phone, Backend.SIM)
    assert caps["harness:simCountry"] == "FR"
    assert caps["harness:ipCountry"] == "DE"


def test_sim_example_number(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    phone = p.resolve_phone(Backend.SIM, environ={})
    caps = build_capabilities(p, phone, Backend.SIM)
    assert caps["harness:phoneNumber"] == phone.e164.reveal()
    assert caps["harness:simCountry"] == "TW"


def test_masked_capabilities_hide_number_and_password_everywhere(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    phone = phone_of(p, TW_NUMBER)
    caps = build_capabilities(p, phone, Backend.APPIUM, proxy_url=PROXY,
                              extra={"harness:proxy": PROXY, "appium:proxyPassword": "hunter2",
                                     "df:accessToken": "tok-123", "appium:note": "x",
                                     "harness:phoneNumber": phone.e164.reveal()})
    masked = masked_capabilities(caps, phone)
    dumped = json.dumps(masked, ensure_ascii=False)
    assert "hunter2" not in dumped
    assert "tok-123" not in dumped
    assert TW_NUMBER not in dumped
    assert "912345678" not in dumped
    assert masked["harness:phoneNumber"] == "+886*******78"
    assert masked["appium:avdArgs"] == ("-http-proxy alice:***@proxy.example.net:3128 "
                                        "-phone-number +886*******78")
    assert masked["harness:proxy"] == "http://alice:***@proxy.example.net:3128"
    assert masked["appium:proxyPassword"] == "***"
    assert masked["df:accessToken"] == "***"
    # everything that is not secret is unchanged
    for key in ("platformName", "appium:avd", "appium:locale", "appium:timeZone",
                "appium:noReset", "appium:newCommandTimeout", "appium:note"):
        assert masked[key] == caps[key]
    # the original is untouched: the device still needs the clear values
    assert caps["harness:phoneNumber"] == TW_NUMBER


def test_masked_capabilities_without_phone_still_hide_the_number(tmp_path: Path) -> None:
    p = emulator_tw(tmp_path)
    caps = build_capabilities(p, phone_of(p, TW_NUMBER), Backend.SIM)
    assert TW_NUMBER not in json.dumps(masked_capabilities(caps))



def test_an_mjpeg_port_reads_screenshots_from_the_stream(tmp_path: Path) -> None:
    p = profile(tmp_path, DE_PROFILE + "  udid: R58M123ABC\n  mjpeg_port: 7811\n")
    caps = build_capabilities(p, phone_of(p, DE_NUMBER), Backend.APPIUM)
    assert caps["appium:mjpegServerPort"] == 7811
    assert caps["appium:mjpegScreenshotUrl"] == "http://127.0.0.1:7811"
    assert caps["appium:settings"] == {"mjpegScalingFactor": 100,
                                       "mjpegServerScreenshotQuality": 80}
    tuned = profile(tmp_path, DE_PROFILE + "  udid: R58M123ABC\n  mjpeg_port: 7811\n"
                    "  capabilities: {appium:settings: {mjpegServerFramerate: 5, "
                    "mjpegServerScreenshotQuality: 90}}\n", "tuned.yaml")
    assert build_capabilities(tuned, phone_of(tuned, DE_NUMBER), Backend.APPIUM)[
        "appium:settings"] == {"mjpegScalingFactor": 100, "mjpegServerScreenshotQuality": 90,
                               "mjpegServerFramerate": 5}
    plain = profile(tmp_path, DE_PROFILE + "  udid: R58M123ABC\n", "plain.yaml")
    plain_caps = build_capabilities(plain, phone_of(plain, DE_NUMBER), Backend.APPIUM)
    assert not any("mjpeg" in key or "settings" in key for key in plain_caps)


def test_each_pool_entry_streams_to_its_own_port(tmp_path: Path) -> None:
    p = profile(tmp_path, DE_PROFILE + "  pool:\n"
                "    - {emulator: harness_DE_1, mjpeg_port: 7810}\n"
                "    - {emulator: harness_DE_2, mjpeg_port: 7811}\n")
    slots = p.device.slots()
    urls = [build_capabilities(p, phone_of(p, DE_NUMBER), Backend.APPIUM, slot=slot)
            ["appium:mjpegScreenshotUrl"] for slot in slots]
    assert urls == ["http://127.0.0.1:7810", "http://127.0.0.1:7811"]


@pytest.mark.parametrize("device, words", [
    ("  pool:\n    - {emulator: a}\n    - {emulator: b}\n  mjpeg_port: 7810\n",
     "each pool entry its own `mjpeg_port:`"),
    ("  emulator: a\n  system_port: 8200\n  mjpeg_port: 8200\n", "different numbers"),
    ("  emulator: a\n  mjpeg_port: 80\n", "mjpeg_port"),
])
def test_a_stream_port_that_cannot_work_is_refused(tmp_path: Path, device: str,
                                                   words: str) -> None:
    with pytest.raises(ConfigErrors) as err:
        profile(tmp_path, DE_PROFILE + device)
    text = str(err.value)
    assert "p.yaml" in text and words in text
