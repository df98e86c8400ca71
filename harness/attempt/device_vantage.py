"""What the device itself says about where it is: its GPS fix and its network route.

Every value here is observed, never assumed. The GPS country is the country of the
position the device reports after the profile's position was set (``null`` with the
reason when the device reports none); a failed ``set_location`` is recorded. The device
route is how the device's own traffic reaches the internet:

- an emulator gets the profile's ``http://`` proxy at boot (``-http-proxy``);
- a phone gets an ``http://`` proxy without credentials as its global proxy setting for
  the attempt (the setting carries neither SOCKS5 nor HTTPS nor a password);
- anything else (a phone with a SOCKS5, HTTPS or authenticated proxy, a farm device the
  harness cannot configure) is measured only through a full tunnel the operator
  confirmed (``full_tunnel: true``: a VPN app on the device, or the farm's network), and
  is refused before the attempt otherwise, never silently measured without its proxy.

The harness's own egress check goes through the proxy from the host. The device-route
check asks the same IP-echo endpoint from the device, through its browser, so that the
route the apps really use is tested too (a VPN app that is down, a proxy setting that did
not take); a mismatch is ``failure: vantage_mismatch``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from harness.devices.base import NETWORK_ERROR_PAGE, Device, DeviceError, UnsupportedCommand
from harness.devices.capabilities import proxy_host_port
from harness.spec.profile import DeviceSlot, Profile
from harness.support.errors import ConfigError
from harness.support.secrets import mask_url
from harness.vocabulary.countries import country_at
from harness.vocabulary.ipecho import EchoFormatError, parse_echo
from harness.vocabulary.outcomes import Backend

log = logging.getLogger(__name__)


class RouteKind(StrEnum):
    SIMULATOR = "simulator"
    DIRECT = "direct"
    EMULATOR_PROXY = "emulator_proxy"
    PHONE_SETTING = "phone_setting"
    FULL_TUNNEL = "full_tunnel"


@dataclass(frozen=True)
class Route:
    """How one attempt's device traffic reaches the internet."""

    kind: RouteKind
    #: ``host:port`` to set as a phone's global proxy (PHONE_SETTING only)
    phone_proxy: str | None = None


def _can_set_on_phone(proxy: str) -> str | None:
    """Why a phone's global proxy setting cannot carry ``proxy``, or None if it can."""
    parts = urlsplit(proxy)
    if parts.scheme != "http":
        return f"a {parts.scheme}:// proxy"
    if parts.username or parts.password:
        return "a proxy that needs a password"
    return None


def route_for(profile: Profile, proxy: str | None, backend: Backend,
              slot: DeviceSlot | None = None) -> Route:
    """The route of an attempt on ``slot`` (or the profile's one device); ``ConfigError``
    when the profile's proxy cannot be applied to the device and no full tunnel says the
    traffic goes elsewhere."""
    if backend is Backend.SIM:
        return Route(RouteKind.SIMULATOR)
    if proxy is None:
        return Route(RouteKind.DIRECT)
    if profile.full_tunnel:
        return Route(RouteKind.FULL_TUNNEL)
    udid = slot.udid if slot is not None else profile.device.udid
    emulator = slot.emulator if slot is not None else profile.device.emulator
    if emulator and not udid:
        return Route(RouteKind.EMULATOR_PROXY)  # -http-proxy; non-http is refused there
    if udid:
        why = _can_set_on_phone(proxy)
        if why is None:
            return Route(RouteKind.PHONE_SETTING, proxy_host_port(proxy))
        raise ConfigError(
            profile.where("proxy"), "proxy",
            f"the phone {udid} cannot be given {why} ({mask_url(proxy)}): its global proxy "
            "setting carries only http:// without a password, so its apps would not go "
            "through the proxy while the harness's own checks did",
            "Use an IP-allow-listed http:// proxy for phones, or run a VPN app on the phone "
            "that carries all its traffic and set `full_tunnel: true` (confirmed per run; "
            "the harness then checks the phone's own route)")
    raise ConfigError(
        profile.where("proxy"), "proxy",
        f"a farm device (no emulator or udid in the profile) cannot be given the proxy "
        f"{mask_url(proxy)} by the harness, so its apps would not go through it",
        "Give the farm's own network setting for the country and set `full_tunnel: true` "
        "(confirmed per run; the harness then checks the device's own route)")


def check_routes(profile: Profile, proxy: str | None, backend: Backend) -> None:
    """Every device of the profile can carry its proxy (for the preflight of a run)."""
    slots: list[DeviceSlot | None] = list(profile.device.slots()) or [None]
    for slot in slots:
        route_for(profile, proxy, backend, slot)


# --------------------------------------------------------------------------- GPS


@dataclass(frozen=True)
class LocationObservation:
    location_set: bool | None
    gps_country: str | None
    gps_country_match: bool | None
    detail: str | None


def observe_location(device: Device, profile: Profile) -> LocationObservation:
    """Set the profile's GPS position (when it has one), then read back what the device
    reports and place it in a country."""
    notes: list[str] = []
    location_set: bool | None = None
    if profile.gps is not None:
        try:
            device.set_location(profile.gps.latitude, profile.gps.longitude,
                                profile.gps.altitude)
            location_set = True
        except DeviceError as exc:
            location_set = False
            notes.append(f"setting the profile's position failed: {exc.message}")
    try:
        lat, lon = device.location()
    except DeviceError as exc:
        notes.append(f"the device reported no position: {exc.message}")
        return LocationObservation(location_set, None, None, "; ".join(notes))
    country, how = country_at(lat, lon)
    if country is None:
        notes.append(how)
        return LocationObservation(location_set, None, None, "; ".join(notes))
    notes.append(f"reported position in {country} ({how})")
    return LocationObservation(location_set, country, country == profile.country.upper(),
                               "; ".join(notes))


# --------------------------------------------------------------------------- route


@dataclass(frozen=True)
class DeviceEgress:
    country: str | None
    detail: str
    #: The device's browser showed a network error page: its route carries nothing.
    unreachable: bool = False

    def matches(self, profile: Profile) -> bool | None:
        return None if self.country is None else self.country == profile.country.upper()


def check_device_route(device: Device, echo_url: str) -> DeviceEgress:
    """Ask ``echo_url`` from the device's browser: the country the device's own traffic
    exits in, as the IP-echo service sees it."""
    shown = mask_url(echo_url)
    try:
        body = device.browse(echo_url)
    except UnsupportedCommand as exc:
        return DeviceEgress(None, f"not checked: the device could not open {shown} in a "
                                  f"browser ({exc.message})")
    except DeviceError as exc:
        return DeviceEgress(None, f"not checked: {exc.message}")
    if not body.lstrip().startswith("{") and NETWORK_ERROR_PAGE.search(body):
        return DeviceEgress(None, f"the device's browser could not reach {shown} "
                                  f"({' '.join(body.split())[:100]})", unreachable=True)
    try:
        answer = parse_echo(json.loads(body))
    except (ValueError, EchoFormatError) as exc:
        return DeviceEgress(None, f"not checked: {shown} answered the device with no "
                                  f"readable IP-echo JSON ({exc})")
    if answer.country is None:
        return DeviceEgress(None, f"not checked: {shown} gave the device no country")
    return DeviceEgress(answer.country.upper(),
                        f"the device's own traffic exits in {answer.country.upper()} "
                        f"({answer.source})")
