"""A device profile as a run uses it: the frozen ``Profile`` and its parts.

A profile is one country vantage point: its SIM, network, locale, position and devices.
``harness.spec.profiles`` reads the YAML people write into these values. Secrets (the
phone number, proxy credentials) stay ``${ENV_VAR}`` references here; they are resolved
from the environment only when a run needs them (``Profile.resolve_phone``,
``resolve_proxy``) and are masked whenever shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import phonenumbers

from harness.support.errors import ConfigError, display_path
from harness.support.secrets import (
    MissingEnv,
    Secret,
    expand_env,
    has_env_ref,
    keyed_hash,
    mask_phone,
    mask_url,
    register_phone,
    register_secret,
    url_secrets,
)
from harness.vocabulary.countries import Region
from harness.vocabulary.outcomes import Backend

#: A correct example of each top-level field, shown with an error about it.
FIELD_EXAMPLES = {
    "country": "country: DE",
    "locale": "locale: de_DE",
    "language": "language: de",
    "timezone": "timezone: Europe/Berlin",
    "gps": "gps: {latitude: 52.52, longitude: 13.405}",
    "phone": "phone:\n  number: ${HARNESS_PHONE_DE}   # E.164, e.g. +4915112345678\n"
             "  foreign_sim: false",
    "proxy": "proxy: socks5://user:${HARNESS_PROXY_PASS_DE}@proxy.example.net:1080",
    "device": "device:\n  emulator: harness_DE      # or: udid: R58M123ABC\n"
              "  capabilities: {}           # extra Appium capabilities, e.g. for a farm",
}

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


@dataclass(frozen=True)
class DeviceSlot:
    """One concrete device a profile may use."""

    emulator: str | None = None
    udid: str | None = None
    system_port: int | None = None
    #: The host port UiAutomator2's MJPEG stream is forwarded to; screenshots are read
    #: from the stream when it is set (``harness.devices.capabilities``).
    mjpeg_port: int | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.udid or self.emulator or "farm"


OtpKind = Literal["device", "http", "webhook", "manual"]


@dataclass(frozen=True)
class OtpConfig:
    """The ``phone.otp`` section of a profile, secrets still as ``${ENV}`` references."""

    source: OtpKind = "device"
    url: str | None = None
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    code_json: str | None = None
    code_regex: str | None = None
    poll_interval: float = 5.0
    listen: str = "127.0.0.1:8765"
    path: str = "/sms"
    token: str | None = None


@dataclass(frozen=True)
class PhoneNumber:
    """A resolved phone number. The clear value is behind ``Secret``."""

    e164: Secret
    national: Secret
    calling_code: int
    region: str
    source: Literal["profile", "example"]

    @property
    def masked(self) -> str:
        return self.e164.masked

    @property
    def hashed(self) -> str:
        return keyed_hash(self.e164.reveal())

    def __repr__(self) -> str:
        return f"PhoneNumber({self.masked}, region={self.region}, source={self.source})"


@dataclass(frozen=True)
class DeviceTarget:
    emulator: str | None = None
    udid: str | None = None
    platform_version: str | None = None
    app_path: str | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    system_port: int | None = None
    mjpeg_port: int | None = None
    pool: tuple[DeviceSlot, ...] = ()
    reset: str = "none"

    def slots(self) -> list[DeviceSlot]:
        """The devices an attempt may lease: the pool, else the one device; none for a
        farm endpoint that allocates devices itself."""
        if self.pool:
            return list(self.pool)
        if self.emulator or self.udid:
            return [DeviceSlot(emulator=self.emulator, udid=self.udid,
                               system_port=self.system_port, mjpeg_port=self.mjpeg_port)]
        return []


@dataclass(frozen=True)
class Gps:
    latitude: float
    longitude: float
    altitude: float = 0.0


@dataclass(frozen=True)
class Profile:
    """A country vantage point: who the user appears to be and where from."""

    id: str
    country: str
    region: Region
    locale: str
    language: str
    timezone: str
    gps: Gps | None
    phone_ref: str | None
    foreign_sim: bool
    otp: OtpConfig
    proxy_ref: str | None
    full_tunnel: bool
    device: DeviceTarget
    source: Path
    source_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, field_name: str) -> str:
        """``file:line`` of a dotted field, or of its nearest written parent."""
        key = field_name
        line = self.source_lines.get(key)
        while line is None and "." in key:
            key = key.rsplit(".", 1)[0]
            line = self.source_lines.get(key)
        name = display_path(self.source)
        return f"{name}:{line}" if line else name

    @property
    def proxy_masked(self) -> str | None:
        return mask_url(self.proxy_ref) if self.proxy_ref else None

    def resolve_phone(self, backend: Backend, environ: Mapping[str, str] | None = None
                      ) -> PhoneNumber:
        """The SIM's number, read from the environment now.

        On the simulator an unset variable falls back to the ``phonenumbers`` example
        mobile number of the country; on a real device it is an error, since sign-up
        would send a code to a number nobody holds.
        """
        ref = self.phone_ref
        value: str | None = None
        if ref:
            try:
                value = expand_env(ref, environ)
            except MissingEnv as exc:
                if backend is not Backend.SIM:
                    raise ConfigError(
                        self.where("phone.number"), "phone.number",
                        f"environment variable {exc.var} is not set",
                        f"Export the SIM's number in E.164 form, e.g. "
                        f"`export {exc.var}=+{_cc(self.country)}...`, or use --backend=sim",
                    ) from None
        if value is None:
            if backend is not Backend.SIM:
                raise ConfigError(
                    self.where("phone"), "phone.number", "no phone number configured",
                    "Add the SIM's number (from the environment) to the profile",
                    example=FIELD_EXAMPLES["phone"],
                )
            example = phonenumbers.example_number_for_type(
                self.country, phonenumbers.PhoneNumberType.MOBILE
            )
            if example is None:
                raise ConfigError(self.where("country"), "phone.number",
                                  f"no example number is known for {self.country}",
                                  "Configure a number for this profile")
            return _phone(example, "example")
        parsed = parse_phone_number(value, self.country, self.foreign_sim,
                              self.where("phone.number"), from_env=has_env_ref(ref or ""))
        return _phone(parsed, "profile")


def _cc(country: str) -> int:
    return phonenumbers.country_code_for_region(country) or 0


def _phone(num: phonenumbers.PhoneNumber, source: Literal["profile", "example"]) -> PhoneNumber:
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.national_significant_number(num)
    if source == "profile":
        register_phone(e164, national)
    region = phonenumbers.region_code_for_number(num) or ""
    return PhoneNumber(
        e164=Secret(e164, mask_phone(e164)),
        national=Secret(national, "*" * max(len(national) - 2, 0) + national[-2:]),
        calling_code=int(num.country_code or 0),
        region=region,
        source=source,
    )


def parse_phone_number(value: str, country: str, foreign_sim: bool, where: str,
                 from_env: bool) -> phonenumbers.PhoneNumber:
    shown = mask_phone(value) if value.startswith("+") else "the value"
    origin = "the environment variable's value" if from_env else "the number"
    try:
        num = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ConfigError(
            where, "phone.number", f"{origin} ({shown}) is not an E.164 phone number",
            "Write it with + and the calling code, without spaces, e.g. +4915112345678",
        ) from None
    if not phonenumbers.is_valid_number(num):
        raise ConfigError(
            where, "phone.number",
            f"{origin} ({mask_phone(value)}) is not a valid phone number",
            "Check the digits; phonenumbers' metadata rejects this length or prefix",
        )
    region = phonenumbers.region_code_for_number(num)
    if region != country and not foreign_sim:
        raise ConfigError(
            where, "phone.number",
            f"{origin} ({mask_phone(value)}) belongs to {region}, not to the profile's "
            f"country {country}",
            "Use a number of the profile's country, or set `foreign_sim: true` under `phone:` "
            "if the SIM is deliberately foreign",
        )
    return num


def proxy_url_problem(url: str) -> str | None:
    """What is wrong with a proxy URL, or None; the message never shows the password."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        return f"{mask_url(url)} is not a valid URL ({exc})"
    if parts.scheme not in PROXY_SCHEMES:
        return f"scheme {parts.scheme!r} of {mask_url(url)} is not supported (use http, " \
               "https or socks5)"
    if not parts.hostname:
        return f"{mask_url(url)} has no host"
    return None


def resolve_proxy(profile: Profile) -> str | None:
    """The proxy URL with credentials from the environment, or None for direct."""
    if not profile.proxy_ref:
        return None
    try:
        value = expand_env(profile.proxy_ref)
    except MissingEnv as exc:
        raise ConfigError(profile.where("proxy"), "proxy",
                          f"environment variable {exc.var} is not set",
                          f"Export it (e.g. `export {exc.var}=socks5://host:1080`) or "
                          "write ${" + exc.var + ":-} to allow a direct connection") from None
    if not value:
        return None
    register_secret(*url_secrets(value))
    problem = proxy_url_problem(value)
    if problem:
        raise ConfigError(profile.where("proxy"), "proxy",
                          f"the proxy from the environment: {problem}",
                          "Fix the variable's value, e.g. socks5://user:pass@host:1080")
    return value
