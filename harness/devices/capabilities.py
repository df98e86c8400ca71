"""Appium capabilities built from a profile.

The same function serves an emulator, a phone, a farm and the simulator, so a scenario
exercised on the simulator goes through the capabilities a real device gets. Secrets
(the phone number, proxy credentials) are in the returned dict because the device needs
them; ``masked_capabilities`` is the only form that may be logged or stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from harness.spec.profile import DeviceSlot
from harness.support.errors import ConfigError
from harness.vocabulary.outcomes import Backend

if TYPE_CHECKING:
    from harness.spec.profile import PhoneNumber, Profile
from harness.support.secrets import mask_phone, mask_url
from harness.vocabulary.locales import parse_locale

DEFAULT_NEW_COMMAND_TIMEOUT = 300


def locale_parts(profile: Profile) -> tuple[str, str]:
    """(language, country) for UiAutomator2's ``language`` / ``locale`` capabilities."""
    country = parse_locale(profile.locale).region or profile.country.upper()
    return parse_locale(profile.language).language, country


def proxy_host_port(proxy_url: str) -> str:
    """``host:port`` of a proxy URL (port 80 when none is given)."""
    parts = urlsplit(proxy_url)
    return f"{parts.hostname}:{parts.port or 80}"


def emulator_proxy_arg(proxy_url: str) -> str:
    """``-http-proxy`` takes ``[user:pass@]host:port`` (http only)."""
    parts = urlsplit(proxy_url)
    auth = ""
    if parts.username:
        auth = parts.username + (f":{parts.password}" if parts.password else "") + "@"
    return f"{auth}{proxy_host_port(proxy_url)}"


def build_capabilities(
    profile: Profile,
    phone: PhoneNumber,
    backend: Backend,
    proxy_url: str | None = None,
    system_port: int | None = None,
    extra: Mapping[str, Any] | None = None,
    slot: DeviceSlot | None = None,
    ip_echo_url: str | None = None,
    farm: bool = False,
) -> dict[str, Any]:
    """W3C capabilities (``appium:``-prefixed) for one attempt from ``profile``.

    ``slot`` is the device leased from the profile's pool (it replaces the profile's
    emulator / udid); ``system_port`` the UiAutomator2 port leased for this session.
    Through a ``farm`` (a Selenium Grid hub) the request names no device: it carries
    what the hub routes on (``harness:profile``, ``harness:country``), and the node
    that takes it adds its own device's ``udid`` and ``systemPort`` from its stereotype.
    """
    caps = _base_capabilities(profile)
    if farm:
        from harness.devices.grid import grid_request

        caps.update(grid_request(profile))
    else:
        caps.update(_target_capabilities(profile, phone, backend, proxy_url, slot))
    dev = profile.device
    if dev.platform_version:
        caps["appium:platformVersion"] = dev.platform_version
    if dev.app_path:
        caps["appium:app"] = dev.app_path
    if system_port is not None:
        caps["appium:systemPort"] = system_port
    mjpeg_port = slot.mjpeg_port if slot is not None and slot.mjpeg_port else dev.mjpeg_port
    if mjpeg_port is not None and not farm:
        caps.update(stream_screenshot_capabilities(mjpeg_port))
    if backend is Backend.SIM:
        caps.update(_sim_capabilities(profile, phone, proxy_url, ip_echo_url))
    caps.update(dev.capabilities)
    if slot is not None:
        caps.update(slot.capabilities)
    if extra:
        caps.update(extra)
    settings = caps.get("appium:settings")
    if mjpeg_port is not None and not farm and isinstance(settings, Mapping):
        caps["appium:settings"] = {**STREAM_SETTINGS, **settings}  # a profile's win
    return caps


#: The device-side MJPEG broadcaster's settings for evidence screenshots: full size (the
#: page source's bounds map 1:1, small CJK text stays legible) and a JPEG quality at
#: which text has no visible artefacts; the driver's defaults are 50 and 50.
STREAM_SETTINGS = {"mjpegScalingFactor": 100, "mjpegServerScreenshotQuality": 80}


def stream_screenshot_capabilities(port: int) -> dict[str, Any]:
    """Screenshots from UiAutomator2's MJPEG stream: the driver forwards the device's
    broadcaster to host ``port`` and answers a screenshot with the stream's latest frame,
    on the Appium host, instead of asking the device to take and encode one."""
    return {
        "appium:mjpegServerPort": port,
        "appium:mjpegScreenshotUrl": f"http://127.0.0.1:{port}",
        "appium:settings": dict(STREAM_SETTINGS),
    }


def _base_capabilities(profile: Profile) -> dict[str, Any]:
    """The capabilities every session gets: platform, driver, locale, time zone, reset."""
    language, locale = locale_parts(profile)
    return {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:language": language,
        "appium:locale": locale,
        "appium:timeZone": profile.timezone,
        "appium:newCommandTimeout": DEFAULT_NEW_COMMAND_TIMEOUT,
        "appium:noReset": profile.device.reset != "full",
        "appium:fullReset": profile.device.reset == "full",
        "appium:autoGrantPermissions": True,
    }


def _target_capabilities(profile: Profile, phone: PhoneNumber, backend: Backend,
                         proxy_url: str | None, slot: DeviceSlot | None) -> dict[str, Any]:
    """Which device: the slot's or the profile's udid, else its emulator and its arguments."""
    dev = profile.device
    udid = slot.udid if slot else dev.udid
    emulator = slot.emulator if slot else dev.emulator
    if udid:
        return {"appium:udid": udid}
    if emulator:
        return {"appium:avd": emulator,
                "appium:avdArgs": _emulator_args(profile, phone, backend, proxy_url)}
    return {}


def _emulator_args(profile: Profile, phone: PhoneNumber, backend: Backend,
                   proxy_url: str | None) -> str:
    """The emulator's ``avdArgs``: its http proxy (not on the simulator) and phone number."""
    args = []
    if proxy_url and backend is not Backend.SIM:
        scheme = urlsplit(proxy_url).scheme
        if scheme != "http":
            raise ConfigError(
                profile.where("proxy"), "proxy",
                f"an emulator's -http-proxy speaks only http://, not {scheme}://",
                "Use an http:// proxy for emulator profiles, or route the device through "
                "a full-tunnel VPN app and leave `proxy` for the harness's own checks")
        args.append(f"-http-proxy {emulator_proxy_arg(proxy_url)}")
    args.append(f"-phone-number {phone.e164.reveal()}")
    return " ".join(args)


def _sim_capabilities(profile: Profile, phone: PhoneNumber, proxy_url: str | None,
                      ip_echo_url: str | None) -> dict[str, Any]:
    """The simulator's own capabilities: SIM country, phone number, the country it is seen in."""
    caps: dict[str, Any] = {
        "harness:simCountry": phone.region or profile.country,
        "harness:phoneNumber": phone.e164.reveal(),
    }
    if proxy_url and ip_echo_url:
        # the simulated apps see the country the proxy exits in, as real apps would
        caps["harness:ipEchoUrl"] = ip_echo_url
        caps["harness:proxy"] = proxy_url
    else:
        caps["harness:ipCountry"] = profile.country
    return caps


_SECRET_KEY = re.compile(r"pass|token|secret|key|auth", re.IGNORECASE)
_PHONE = re.compile(r"\+\d{6,15}")


def _mask_value(key: str, value: Any, clear: str | None) -> Any:
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v, clear) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v, clear) for v in value]
    if not isinstance(value, str):
        return value
    if _SECRET_KEY.search(key):
        return "***"
    if clear and clear in value:
        value = value.replace(clear, mask_phone(clear))
    value = _PHONE.sub(lambda m: mask_phone(m.group(0)), value)
    value = re.sub(r"\S+://\S+", lambda m: mask_url(m.group(0)), value)
    return re.sub(r"(-http-proxy\s+)([^\s:@]+):([^\s@]+)@", r"\1\2:***@", value)


def masked_capabilities(caps: Mapping[str, Any], phone: PhoneNumber | None = None
                        ) -> dict[str, Any]:
    """The capabilities with every phone number and credential masked, nested ones too
    (farm options such as ``bstack:options`` carry access keys)."""
    clear = phone.e164.reveal() if phone else None
    return {key: _mask_value(key, value, clear) for key, value in caps.items()}
