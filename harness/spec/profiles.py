"""Device profiles: one YAML file per country vantage point (``device_profiles/XX.yaml``).

Two layers, as for scenarios: a permissive pydantic model reads what people write (short
forms such as ``phone: "${HARNESS_PHONE_DE}"`` or ``gps: [52.52, 13.40]``), and is converted
into a frozen ``Profile``. Secrets (the phone number, proxy credentials) stay as
``${ENV_VAR}`` references until a run resolves them, and are masked whenever shown.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from harness.spec.profile import (
    FIELD_EXAMPLES,
    PROXY_SCHEMES,
    DeviceSlot,
    DeviceTarget,
    Gps,
    OtpConfig,
    Profile,
    parse_phone_number,
)
from harness.support.errors import ConfigError, ConfigErrors, display_path
from harness.support.secrets import (
    env_names,
    has_env_ref,
    mask_url,
)
from harness.support.yamlfile import LoadedYaml, load_many, load_yaml, validation_errors
from harness.vocabulary.countries import Country, Region, get_country, suggest_countries
from harness.vocabulary.locales import is_locale_tag

PROFILE_EXAMPLE = """\
id: DE
country: DE
locale: de_DE
language: de
timezone: Europe/Berlin
gps: {latitude: 52.52, longitude: 13.405}
phone:
  number: ${HARNESS_PHONE_DE}
proxy: ${HARNESS_PROXY_DE}
device:
  emulator: harness_DE
"""



# --------------------------------------------------------------------------- parse layer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpsIn(_Strict):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    altitude: float = 0.0


class OtpIn(_Strict):
    source: Literal["device", "http", "webhook", "manual"] = "device"
    url: str | None = None
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    code_json: str | None = None
    code_regex: str | None = None
    poll_interval: float = Field(default=5.0, gt=0, le=300)
    listen: str = "127.0.0.1:8765"
    path: str = "/sms"
    token: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OtpIn:
        if self.source == "http" and not self.url:
            raise ValueError("the http source needs `url` (a template, e.g. "
                             "https://provider.example/sms?number={phone.e164}&key=${SMS_KEY})")
        if self.code_regex:
            try:
                re.compile(self.code_regex)
            except re.error as exc:
                raise ValueError(f"code_regex is not a valid regular expression: {exc}"
                                 ) from None
        if self.url and "://" in self.url and not has_env_ref(self.url.split("?")[0]) and \
                re.search(r"[?&](key|token|api_key|apikey|secret)=[^$&{]", self.url):
            raise ValueError("the URL carries a key in clear; put it in the environment: "
                             "...&key=${HARNESS_SMS_KEY}")
        return self


class PhoneIn(_Strict):
    number: str | None = None
    foreign_sim: bool = False
    otp: OtpIn = Field(default_factory=OtpIn)

    @field_validator("otp", mode="before")
    @classmethod
    def _otp_short(cls, v: Any) -> Any:
        return {"source": v} if isinstance(v, str) else v


class SlotIn(_Strict):
    emulator: str | None = None
    udid: str | None = None
    system_port: int | None = Field(default=None, ge=1024, le=65535)
    mjpeg_port: int | None = Field(default=None, ge=1024, le=65535)
    capabilities: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_target(self) -> SlotIn:
        if bool(self.emulator) == bool(self.udid):
            raise ValueError("each pool entry needs exactly one of `emulator` or `udid`")
        return self


class DeviceIn(_Strict):
    emulator: str | None = None
    udid: str | None = None
    system_port: int | None = Field(default=None, ge=1024, le=65535)
    mjpeg_port: int | None = Field(default=None, ge=1024, le=65535)
    pool: list[SlotIn] = Field(default_factory=list)
    platform_version: str | None = None
    app_path: str | None = None
    reset: Literal["none", "full"] = "none"
    capabilities: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _stream_ports(self) -> DeviceIn:
        if self.mjpeg_port is not None and len(self.pool) > 1:
            raise ValueError("`mjpeg_port` is one host port, and a pool has several devices; "
                             "give each pool entry its own `mjpeg_port:` instead")
        if self.mjpeg_port is not None and self.mjpeg_port == self.system_port:
            raise ValueError("`mjpeg_port` and `system_port` are two host ports; give them "
                             "different numbers (e.g. system_port: 8200, mjpeg_port: 7810)")
        return self


class ProfileIn(_Strict):
    id: str | None = None
    country: str
    region: str | None = None
    locale: str
    language: str
    timezone: str
    gps: GpsIn | None = None
    phone: PhoneIn = Field(default_factory=PhoneIn)
    proxy: str | None = None
    full_tunnel: bool = False
    device: DeviceIn = Field(default_factory=DeviceIn)
    notes: str | None = None

    @field_validator("gps", mode="before")
    @classmethod
    def _gps_short(cls, v: Any) -> Any:
        if isinstance(v, str) and "," in v:
            v = [p.strip() for p in v.split(",")]
        if isinstance(v, list | tuple) and len(v) in (2, 3):
            keys = ("latitude", "longitude", "altitude")
            return dict(zip(keys, v, strict=False))
        return v

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_short(cls, v: Any) -> Any:
        if isinstance(v, str | int):
            return {"number": str(v)}
        return v

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if not is_locale_tag(v):
            raise ValueError(f"{v!r} is not a locale like de_DE, zh_TW or zh-Hant-HK")
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{4})?", v):
            raise ValueError(f"{v!r} is not an ISO 639 language code like de, en or zh")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{v!r} is not an IANA time zone (for example Europe/Berlin, Asia/Hong_Kong)"
            ) from None
        return v


def parse_profile(doc: LoadedYaml) -> Profile:
    """Validate a loaded profile document; raise ``ConfigErrors`` with every problem."""
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error((), "a profile must be a YAML mapping",
                                      example=PROFILE_EXAMPLE)])
    try:
        raw = ProfileIn.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(doc, exc, FIELD_EXAMPLES)) from None
    country, info = _check_country(doc, raw.country)
    region, errors = _check_region(doc, raw.region, info.region)
    pid = raw.id or doc.path.stem
    errors.extend(_check_id(doc, pid))
    errors.extend(_check_phone(doc, raw.phone, country))
    if raw.proxy is not None:
        errors.extend(_check_proxy(doc, raw.proxy))
    errors.extend(_check_device(doc, raw.device))
    if errors:
        raise ConfigErrors(errors)
    return _build_profile(doc, raw, pid, country, region)


def _check_country(doc: LoadedYaml, written: str) -> tuple[str, Country]:
    """The upper-cased ISO 3166-1 alpha-2 code and its country; raise ConfigErrors if unknown."""
    country = written.strip().upper()
    info = get_country(country)
    if info is None or len(written.strip()) != 2:
        near = suggest_countries(written)
        hint = f"Did you mean {', '.join(near)}?" if near else None
        raise ConfigErrors([doc.error(("country",), f"{written!r} is not an ISO 3166-1 alpha-2 "
                                      "country code", hint, FIELD_EXAMPLES["country"])])
    return country, info


def _check_region(doc: LoadedYaml, written: str | None, default: Region
                  ) -> tuple[Region, list[ConfigError]]:
    """The study region (the country's own unless ``region:`` overrides it) and its error."""
    if written is None:
        return default, []
    try:
        return Region(written), []
    except ValueError:
        return default, [doc.error(("region",), f"{written!r} is not a study region",
                                   "Use one of " + ", ".join(r.value for r in Region))]


def _check_id(doc: LoadedYaml, pid: str) -> list[ConfigError]:
    """Check that the profile id is letters, digits, '-', '_' or '.'."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", pid):
        return []
    return [doc.error(("id",), f"{pid!r} is not a valid profile id",
                      "Use letters, digits, '-', '_' or '.', e.g. DE or DE-emu2")]


def _check_phone(doc: LoadedYaml, phone: PhoneIn, country: str) -> list[ConfigError]:
    """Check a phone number written in clear (not an ``${ENV_VAR}``) against the country."""
    number = phone.number
    if number is None or has_env_ref(number):
        return []
    try:
        parse_phone_number(number, country, phone.foreign_sim,
                           doc.where(("phone", "number")), from_env=False)
    except ConfigError as exc:
        return [exc]
    return []


def _check_device(doc: LoadedYaml, device: DeviceIn) -> list[ConfigError]:
    """Check the device fields together: one target, no duplicate in the pool, reset needs app."""
    errors: list[ConfigError] = []
    if device.emulator and device.udid:
        errors.append(doc.error(("device",), "give either `emulator` or `udid`, not both",
                                example=FIELD_EXAMPLES["device"]))
    if device.pool and (device.emulator or device.udid):
        errors.append(doc.error(("device", "pool"), "give either a `pool` or one "
                                "`emulator`/`udid`, not both"))
    labels = [s.udid or s.emulator for s in device.pool]
    if len(set(labels)) != len(labels):
        errors.append(doc.error(("device", "pool"), "a device is listed twice in the pool"))
    if device.reset == "full" and not device.app_path:
        errors.append(doc.error(("device", "reset"), "`reset: full` reinstalls the app and "
                                "needs `app_path` (the APK)", example="device:\n  emulator: "
                                "harness_DE\n  app_path: /apks/app.apk\n  reset: full"))
    return errors


def _build_profile(doc: LoadedYaml, raw: ProfileIn, pid: str, country: str,
                   region: Region) -> Profile:
    """Build the frozen ``Profile`` from the validated input."""
    lines = {".".join(str(p) for p in k): v for k, v in doc.lines.items()}
    return Profile(
        id=pid,
        country=country,
        region=region,
        locale=raw.locale,
        language=raw.language,
        timezone=raw.timezone,
        gps=Gps(raw.gps.latitude, raw.gps.longitude, raw.gps.altitude) if raw.gps else None,
        phone_ref=raw.phone.number,
        foreign_sim=raw.phone.foreign_sim,
        otp=OtpConfig(**raw.phone.otp.model_dump()),
        proxy_ref=raw.proxy,
        full_tunnel=raw.full_tunnel,
        device=_build_device(raw.device),
        source=doc.path,
        source_lines=lines,
    )


def _build_device(device: DeviceIn) -> DeviceTarget:
    """Build the frozen ``DeviceTarget`` (with its pool of slots) from the validated input."""
    return DeviceTarget(
        emulator=device.emulator,
        udid=device.udid,
        platform_version=device.platform_version,
        app_path=device.app_path,
        capabilities=dict(device.capabilities),
        system_port=device.system_port,
        mjpeg_port=device.mjpeg_port,
        pool=tuple(DeviceSlot(emulator=s.emulator, udid=s.udid, system_port=s.system_port,
                              mjpeg_port=s.mjpeg_port, capabilities=dict(s.capabilities))
                   for s in device.pool),
        reset=device.reset,
    )


def _check_proxy(doc: LoadedYaml, proxy: str) -> list[ConfigError]:
    loc = ("proxy",)
    if proxy.strip().startswith("${") and proxy.strip().endswith("}") and len(
            env_names(proxy)) == 1 and proxy.strip().count("${") == 1:
        return []  # the whole URL comes from the environment; checked when resolved
    probe = re.sub(r"\$\{[^}]*\}", "x", proxy)
    try:
        parts = urlsplit(probe)
        _ = parts.port
    except ValueError as exc:
        return [doc.error(loc, f"{mask_url(proxy)} is not a valid URL ({exc})",
                          example=FIELD_EXAMPLES["proxy"])]
    out = []
    if parts.scheme not in PROXY_SCHEMES:
        out.append(doc.error(loc, f"scheme {parts.scheme!r} is not supported",
                             "Use http://, https:// or socks5://", FIELD_EXAMPLES["proxy"]))
    if not parts.hostname:
        out.append(doc.error(loc, "the proxy URL has no host", example=FIELD_EXAMPLES["proxy"]))
    if parts.password and not has_env_ref(proxy.split("@")[0]):
        out.append(doc.error(
            loc, "the proxy password is written in clear in the file",
            "Move it to the environment: user:${HARNESS_PROXY_PASS_XX}@host",
            FIELD_EXAMPLES["proxy"]))
    return out


def load_profile(path: Path) -> Profile:
    return parse_profile(load_yaml(path))


def load_profiles(directory: Path) -> list[Profile]:
    """Every ``*.yaml`` profile in ``directory``, sorted by id; all errors reported together."""
    if not directory.is_dir():
        raise ConfigError(display_path(directory), None, "profile directory not found",
                          "Pass --profiles DIR or run from the project root")
    profiles = load_many(sorted(directory.glob("*.y*ml")), load_profile,
                         lambda p: (p.id, p.source), "profile")
    return sorted(profiles, key=lambda p: p.id)


def select_profiles(profiles: Iterable[Profile], countries: str | None = None,
                    regions: str | None = None, option: str = "--country") -> list[Profile]:
    """Profiles matching ``countries`` ("DE", "DE,FR", "all", or profile ids) and ``regions``."""
    pool = list(profiles)
    chosen = pool
    if countries and countries.strip().lower() != "all":
        wanted = [c.strip() for c in countries.split(",") if c.strip()]
        chosen = []
        for w in wanted:
            hits = [p for p in pool if p.id.upper() == w.upper() or p.country == w.upper()]
            if not hits:
                have = ", ".join(sorted({p.country for p in pool}))
                near = suggest_countries(w) if get_country(w) is None else []
                hint = f" Did you mean {', '.join(near)}?" if near else ""
                raise ConfigError(
                    f"{option}={countries}", None,
                    f"no device profile for {w!r}.{hint} Profiles exist for: {have}",
                    "Add device_profiles/XX.yaml for it, or pick one of those",
                )
            chosen.extend(h for h in hits if h not in chosen)
    if regions:
        want = [r.strip().lower() for r in regions.split(",") if r.strip()]
        bad = [r for r in want if r not in {x.value for x in Region}]
        if bad:
            raise ConfigError(f"--region={regions}", None, f"unknown region {bad[0]!r}",
                              "Use one of " + ", ".join(r.value for r in Region))
        chosen = [p for p in chosen if p.region.value in want]
    return chosen
