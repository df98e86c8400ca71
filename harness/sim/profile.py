"""The simulated device's identity, read from the session's capabilities.

A real Appium session gets its SIM, locale and time zone from the emulator it boots
(``appium:avdArgs`` with ``-phone-number``, ``appium:locale``, ``appium:language``,
``appium:timeZone``). The simulator reads the same capabilities, plus vendor
capabilities that only a simulator needs because it has no real SIM card or network:
``harness:simCountry`` (the SIM's country) and ``harness:ipCountry`` (the country the
device's network egress appears from). Defaults are those of a stock Android emulator:
a US SIM, ``en_US``, UTC.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers

from harness.sim.errors import SessionNotCreated
from harness.sim.network import egress_country
from harness.vocabulary.locales import parse_locale

#: Carrier names by SIM country, as ``getDeviceInfo`` and ``gsm.sim.operator.alpha`` report.
CARRIERS: Mapping[str, str] = {
    "AE": "etisalat",
    "AU": "Telstra",
    "BR": "VIVO",
    "CA": "Rogers",
    "CN": "CHINA MOBILE",
    "DE": "Telekom.de",
    "ES": "Movistar",
    "FR": "Orange F",
    "GB": "EE",
    "HK": "CSL",
    "IN": "Jio 4G",
    "IT": "TIM",
    "JP": "NTT DOCOMO",
    "KR": "SKTelecom",
    "MO": "CTM",
    "NL": "KPN",
    "SG": "Singtel",
    "TW": "Chunghwa Telecom",
    "US": "T-Mobile",
}

_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")
_TRADITIONAL_REGIONS = frozenset({"TW", "HK", "MO"})


def _country(caps: Mapping[str, object], name: str, default: str | None) -> str | None:
    value = caps.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not _ALPHA2.match(value):
        raise SessionNotCreated(f"{name} must be an ISO 3166 alpha-2 code, got {value!r}")
    return value.upper()


def _string(caps: Mapping[str, object], name: str, default: str) -> str:
    value = caps.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise SessionNotCreated(f"{name} must be a string, got {value!r}")
    return value


def _e164(value: str, source: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise SessionNotCreated(f"{source}: {value!r} is not an E.164 number ({exc})") from exc
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_avd_args(avd_args: str) -> dict[str, str]:
    """The emulator options that matter to the simulator: ``-phone-number``, ``-http-proxy``.

    Options are returned without their leading dash; options without a value and
    options the simulator does not model are ignored.
    """
    try:
        words = shlex.split(avd_args)
    except ValueError as exc:
        raise SessionNotCreated(f"appium:avdArgs cannot be parsed: {exc}") from exc
    found: dict[str, str] = {}
    for i, option in enumerate(words):
        value = words[i + 1] if i + 1 < len(words) else ""
        if option in ("-phone-number", "-http-proxy") and value and not value.startswith("-"):
            found[option[1:]] = value
    return found


@dataclass(frozen=True)
class DeviceProfile:
    """What the device says about where it is and whose SIM it holds.

    ``phone_number`` is None when no number was given; apps then deliver their SMS to
    this device whatever number was typed. ``ip_country`` is None when the harness did
    not say where the egress is; apps then treat the SIM country as the network country.
    """

    sim_country: str = "US"
    ip_country: str | None = None
    phone_number: str | None = None
    language: str = "en"
    locale: str = "US"
    time_zone: str = "UTC"
    #: What the device's own traffic goes through: its proxy, or None for direct (no
    #: proxy, or ``harness:deviceRoute: direct`` for a VPN app that is not connected).
    route_proxy: str | None = None

    @classmethod
    def from_capabilities(cls, caps: Mapping[str, object]) -> DeviceProfile:
        """Build the profile from merged W3C capabilities; malformed values refuse the session."""
        avd = parse_avd_args(_string(caps, "appium:avdArgs", ""))
        phone_cap = caps.get("harness:phoneNumber")
        phone: str | None
        if isinstance(phone_cap, str) and phone_cap:
            phone = _e164(phone_cap, "harness:phoneNumber")
        elif phone_cap not in (None, ""):
            raise SessionNotCreated(f"harness:phoneNumber must be a string, got {phone_cap!r}")
        elif "phone-number" in avd:
            phone = _e164(avd["phone-number"], "appium:avdArgs -phone-number")
        else:
            phone = None
        sim = _country(caps, "harness:simCountry", None)
        if sim is None and phone is not None:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
            sim = region if region and _ALPHA2.match(region) else None
        locale_cap = _string(caps, "appium:locale", "")
        if locale_cap and not _ALPHA2.match(locale_cap):
            # Accept "de_DE" / "zh-TW" too, as people write them.
            locale_region = parse_locale(locale_cap).region
            if locale_region is None:
                raise SessionNotCreated(f"appium:locale must be a country code, got {locale_cap!r}")
            locale_cap = locale_region
        ip_country = _country(caps, "harness:ipCountry", None)
        proxy = caps.get("harness:proxy") or (
            f"http://{avd['http-proxy']}" if "http-proxy" in avd else None)
        route = _string(caps, "harness:deviceRoute", "proxy")
        if route not in ("proxy", "direct"):
            raise SessionNotCreated(f"harness:deviceRoute must be proxy or direct, got {route!r}")
        route_proxy = proxy if isinstance(proxy, str) and route == "proxy" else None
        echo = caps.get("harness:ipEchoUrl")
        if ip_country is None and isinstance(echo, str) and (route_proxy or route == "direct"):
            ip_country = egress_country(route_proxy, echo)
        return cls(
            sim_country=sim or "US",
            ip_country=ip_country,
            phone_number=phone,
            language=_string(caps, "appium:language", "en"),
            locale=(locale_cap or "US").upper(),
            time_zone=_string(caps, "appium:timeZone", "UTC"),
            route_proxy=route_proxy,
        )

    @property
    def network_country(self) -> str:
        """The country the network appears to be in: the IP country, else the SIM's."""
        return self.ip_country or self.sim_country

    @property
    def android_locale(self) -> str:
        """``de_DE``, as ``getDeviceInfo`` reports the locale."""
        return f"{parse_locale(self.language).language}_{self.locale}"

    @property
    def language_tag(self) -> str:
        """``de-DE``, as ``persist.sys.locale`` holds it."""
        return self.android_locale.replace("_", "-")

    @property
    def carrier(self) -> str:
        """The SIM operator's display name (emulators say T-Mobile for their US SIM)."""
        return CARRIERS.get(self.sim_country, f"{self.sim_country} Mobile")

    @property
    def prefers_traditional_chinese(self) -> bool:
        """True for zh-TW, zh-HK, zh-MO and any ``Hant`` script tag."""
        lang = self.language.replace("_", "-").lower()
        if "hant" in lang:
            return True
        if lang.startswith("zh-"):
            return lang.split("-")[1].upper() in _TRADITIONAL_REGIONS
        return lang == "zh" and self.locale in _TRADITIONAL_REGIONS

    @property
    def prefers_chinese(self) -> bool:
        """True when the device language is any Chinese."""
        return self.language.lower().startswith("zh")
