"""The farm inventory: one YAML file naming the Grid hub, the hosts, and on each host the
devices with the Appium server in front of each and the profiles each can serve.

``harness farm nodes INVENTORY.yaml`` turns it into the hub's TOML and one relay-node TOML
per device (``harness.runs.farm``), so that nobody writes stereotype JSON by hand. Two
layers, as for profiles and scenarios: a permissive pydantic parse layer whose errors name
``file:line``, the field and a fix, then checks across entries (a udid, ``systemPort``,
Appium port or node port used twice on one host; a profile id that no file in
``device_profiles/`` has), then frozen ``Inventory`` objects.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.devices.grid import (
    DEFAULT_AUTOMATION,
    DEFAULT_PLATFORM,
    grid_request,
    slot_matches,
)
from harness.spec.profile import Profile
from harness.support.errors import ConfigError, ConfigErrors
from harness.support.yamlfile import LoadedYaml, load_yaml, validation_errors

INVENTORY_EXAMPLE = """\
hub:
  host: 10.0.0.10                # where the hub listens and the nodes reach it
  port: 4444
hosts:
  - name: farm-a
    address: 10.0.0.11           # where the hub reaches this host's nodes
    devices:
      - emulator: harness_DE_1   # AVD name; a phone: `udid: R58M123ABC`
        udid: emulator-5554      # the emulator's adb serial (optional)
        appium: http://127.0.0.1:4723
        system_port: 8200
        profiles: [DE]
"""

FIELD_EXAMPLES = {
    "hub": "hub:\n  host: 10.0.0.10\n  port: 4444",
    "hosts": "hosts:\n  - name: farm-a\n    address: 10.0.0.11\n    devices: [...]",
    "devices": "devices:\n  - emulator: harness_DE_1\n    appium: http://127.0.0.1:4723\n"
               "    system_port: 8200\n    profiles: [DE]",
    "appium": "appium: http://127.0.0.1:4723",
    "system_port": "system_port: 8200         # UiAutomator2's port, one per device of a host",
    "mjpeg_port": "mjpeg_port: 7810          # screenshots from the device's MJPEG stream, "
                  "one port per device of a host",
    "profiles": "profiles: [DE, DE-2]      # ids of files in device_profiles/",
    "nodes": "nodes:\n  heartbeat_period: 10\n  session_timeout: 600",
}

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: Stereotype capabilities the inventory's own fields set; ``capabilities:`` may not.
OWN_PREFIXES = ("harness:",)
OWN_CAPABILITIES = ("platformName", "appium:automationName", "appium:udid", "appium:avd",
                    "appium:systemPort", "appium:mjpegServerPort",
                    "appium:mjpegScreenshotUrl")
Loc = tuple[str | int, ...]


# --------------------------------------------------------------------------- parse layer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubIn(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=4444, ge=1, le=65535)
    publish_port: int = Field(default=4442, ge=1, le=65535)
    subscribe_port: int = Field(default=4443, ge=1, le=65535)
    healthcheck_interval: int = Field(default=10, ge=1, le=3600)
    session_request_timeout: int = Field(default=900, ge=1)
    reject_unsupported: bool = True


class NodesIn(_Strict):
    heartbeat_period: int = Field(default=10, ge=1, le=3600)
    session_timeout: int = Field(default=600, ge=10)
    register_cycle: int = Field(default=10, ge=1)
    register_period: int = Field(default=600, ge=1)


class DeviceIn(_Strict):
    emulator: str | None = None
    udid: str | None = None
    name: str | None = None
    appium: str = Field(min_length=1)
    system_port: int = Field(ge=1024, le=65535)
    mjpeg_port: int | None = Field(default=None, ge=1024, le=65535)
    node_port: int | None = Field(default=None, ge=1, le=65535)
    profiles: list[str] = Field(min_length=1)
    platform: str | None = None
    automation: str | None = None
    capabilities: dict[str, Any] = Field(default_factory=dict)

    @field_validator("profiles", mode="before")
    @classmethod
    def _one_profile(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class HostIn(_Strict):
    name: str = Field(min_length=1)
    address: str | None = None
    node_port: int = Field(default=5600, ge=1, le=65535)
    platform: str = DEFAULT_PLATFORM
    automation: str = DEFAULT_AUTOMATION
    devices: list[DeviceIn] = Field(min_length=1)


class InventoryIn(_Strict):
    hub: HubIn
    nodes: NodesIn = Field(default_factory=NodesIn)
    hosts: list[HostIn] = Field(min_length=1)


# --------------------------------------------------------------------------- domain


@dataclass(frozen=True)
class HubSpec:
    """Where the hub listens (its HTTP port and the two event-bus ports) and how soon it
    notices a dead node."""

    host: str
    port: int = 4444
    publish_port: int = 4442
    subscribe_port: int = 4443
    healthcheck_interval: int = 10
    session_request_timeout: int = 900
    reject_unsupported: bool = True

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class NodeTiming:
    """How often a node says it is alive, tries to register, and drops an idle session."""

    heartbeat_period: int = 10
    session_timeout: int = 600
    register_cycle: int = 10
    register_period: int = 600


@dataclass(frozen=True)
class DeviceSpec:
    """One device on one host, the Appium server in front of it, and what it serves."""

    host: str
    name: str
    address: str
    node_port: int
    appium_url: str
    system_port: int
    profiles: tuple[str, ...]
    platform: str
    automation: str
    emulator: str | None = None
    udid: str | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    #: The host port its MJPEG stream is forwarded to (screenshots from the stream).
    mjpeg_port: int | None = None

    @property
    def label(self) -> str:
        """``host/name``: how attempts and ``harness farm check`` name this device."""
        return f"{self.host}/{self.name}"


@dataclass(frozen=True)
class Inventory:
    """A checked inventory: the hub, node timing, every device of every host."""

    hub: HubSpec
    nodes: NodeTiming
    devices: tuple[DeviceSpec, ...]
    source: Path
    warnings: tuple[str, ...] = ()

    @property
    def hosts(self) -> list[str]:
        return list(dict.fromkeys(d.host for d in self.devices))


# --------------------------------------------------------------------------- reading


def load_inventory(path: Path, profiles: Iterable[Profile]) -> Inventory:
    """Read and check ``path`` against the known ``profiles``; raise ``ConfigErrors``
    with every problem found, each at its line."""
    return parse_inventory(load_yaml(path), profiles)


def parse_inventory(doc: LoadedYaml, profiles: Iterable[Profile]) -> Inventory:
    """Check a loaded inventory: fields first, then what entries share, then routing."""
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error((), "an inventory must be a YAML mapping",
                                      example=INVENTORY_EXAMPLE)])
    try:
        raw = InventoryIn.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(doc, exc, FIELD_EXAMPLES, deepest=True)) from None
    known = {p.id: p for p in profiles}
    errors = _check_hub(doc, raw.hub) + _check_address(doc, ("hub", "host"), raw.hub.host)
    devices: list[DeviceSpec] = []
    for h, host in enumerate(raw.hosts):
        built, problems = _host_devices(doc, h, host, known)
        devices.extend(built)
        errors.extend(problems)
    errors.extend(_check_host_names(doc, raw.hosts))
    if errors:
        raise ConfigErrors(errors)
    served = {pid for d in devices for pid in d.profiles}
    unserved = [pid for pid in sorted(known) if pid not in served]
    warnings = (f"{doc.name}: {len(unserved)} of {len(known)} profiles are served by no "
                f"device of this inventory: {', '.join(unserved)}",) if unserved else ()
    return Inventory(hub=HubSpec(**raw.hub.model_dump()),
                     nodes=NodeTiming(**raw.nodes.model_dump()),
                     devices=tuple(devices), source=doc.path, warnings=warnings)


def _check_hub(doc: LoadedYaml, hub: HubIn) -> list[ConfigError]:
    """The hub's HTTP port and its two event-bus ports differ (an error at the one the
    file writes, when the other is a default)."""
    ports = {"port": hub.port, "publish_port": hub.publish_port,
             "subscribe_port": hub.subscribe_port}
    errors = []
    seen: dict[int, str] = {}
    for name, port in ports.items():
        other = seen.get(port)
        if other is not None:
            written = name if ("hub", name) in doc.lines or ("hub", other) not in doc.lines \
                else other
            errors.append(doc.error(
                ("hub", written), f"`{other}` and `{name}` are both {port}",
                "Give the hub's HTTP port and its two event-bus ports three different "
                "numbers (defaults 4444, 4442, 4443)",
                FIELD_EXAMPLES["hub"] + "\n  publish_port: 4442\n  subscribe_port: 4443"))
        seen.setdefault(port, name)
    return errors


def _check_host_names(doc: LoadedYaml, hosts: Sequence[HostIn]) -> list[ConfigError]:
    errors = []
    seen: dict[str, int] = {}
    for h, host in enumerate(hosts):
        if not NAME_RE.fullmatch(host.name):
            errors.append(doc.error(("hosts", h, "name"), f"{host.name!r} is not a usable "
                                    "host name", "Use letters, digits, '-', '_' or '.' (it "
                                    "names the folder of the host's node files)"))
        if host.name in seen:
            errors.append(doc.error(("hosts", h, "name"), f"host {host.name!r} is listed "
                                    f"twice (also hosts[{seen[host.name]}])",
                                    "List each host once, with all of its devices"))
        seen.setdefault(host.name, h)
    return errors


def _host_devices(doc: LoadedYaml, h: int, host: HostIn, known: Mapping[str, Profile]
                  ) -> tuple[list[DeviceSpec], list[ConfigError]]:
    """The host's devices, each checked alone, then the ports and ids they share."""
    placed: list[tuple[int, DeviceSpec]] = []
    errors: list[ConfigError] = []
    for d, dev in enumerate(host.devices):
        errors.extend(_check_device(doc, ("hosts", h, "devices", d), dev, known))
        placed.append((d, _build_device(host, d, dev)))
    errors.extend(_check_unique(doc, h, host.name, placed))
    errors.extend(_check_routing(doc, h, placed, known))
    errors.extend(_check_address(doc, ("hosts", h, "address"), host.address or host.name))
    return [dev for _, dev in placed], errors


def _check_routing(doc: LoadedYaml, h: int, placed: Sequence[tuple[int, DeviceSpec]],
                   known: Mapping[str, Profile]) -> list[ConfigError]:
    """A device serves a profile only if the harness's request for that profile (its
    ``platformName`` and ``appium:automationName``) would be routed to the device."""
    errors = []
    for d, dev in placed:
        for i, pid in enumerate(dev.profiles):
            if pid not in known:
                continue
            wanted = grid_request(known[pid])
            offered = {"platformName": dev.platform, "appium:automationName": dev.automation}
            if not slot_matches(offered, {k: wanted[k] for k in offered}):
                errors.append(doc.error(
                    ("hosts", h, "devices", d, "profiles", i),
                    f"the harness asks for {pid} with platformName "
                    f"{wanted['platformName']!r} and appium:automationName "
                    f"{wanted['appium:automationName']!r}, but this device offers "
                    f"{dev.platform!r} and {dev.automation!r}",
                    "Set the device's (or its host's) `platform:` and `automation:` to the "
                    "profile's, or serve another profile here"))
    return errors


def _check_address(doc: LoadedYaml, loc: Loc, address: str) -> list[ConfigError]:
    """An address others must reach cannot be a wildcard."""
    if address.strip("[]") in ("0.0.0.0", "::", "*"):
        return [doc.error(loc, f"{address} is where a server listens on every interface, "
                          "not an address the hub and the nodes can reach",
                          "Give this machine's address on the farm's network, e.g. 10.0.0.11")]
    return []


def _check_device(doc: LoadedYaml, loc: Loc, dev: DeviceIn, known: Mapping[str, Profile]
                  ) -> list[ConfigError]:
    errors = []
    if not dev.emulator and not dev.udid:
        errors.append(doc.error(loc, "a device needs `emulator` (its AVD name) or `udid` "
                                "(a phone's adb serial)", example=FIELD_EXAMPLES["devices"]))
    name = dev.name or dev.emulator or dev.udid or ""
    if name and not NAME_RE.fullmatch(name):
        errors.append(doc.error((*loc, "name"), f"{name!r} cannot name a node file",
                                "Add `name:` with letters, digits, '-', '_' or '.'"))
    errors.extend(_check_appium_url(doc, (*loc, "appium"), dev.appium))
    for key in dev.capabilities:
        if key.startswith(OWN_PREFIXES) or key in OWN_CAPABILITIES:
            errors.append(doc.error((*loc, "capabilities", key), f"{key} is written by "
                                    "`harness farm nodes` itself",
                                    "Use the device's `udid`, `emulator`, `system_port`, "
                                    "`mjpeg_port`, `platform`, `automation` or "
                                    "`profiles` instead"))
    errors.extend(_check_profiles(doc, (*loc, "profiles"), dev.profiles, known))
    return errors


def _check_appium_url(doc: LoadedYaml, loc: Loc, url: str) -> list[ConfigError]:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        return [doc.error(loc, f"{url!r} is not a valid URL ({exc})",
                          example=FIELD_EXAMPLES["appium"])]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [doc.error(loc, f"{url!r} is not an http:// URL of an Appium server",
                          "Give the address the node reaches Appium at, usually on the "
                          "same host", FIELD_EXAMPLES["appium"])]
    return []


def _check_profiles(doc: LoadedYaml, loc: Loc, ids: Sequence[str],
                    known: Mapping[str, Profile]) -> list[ConfigError]:
    errors = []
    folded = {k.casefold(): k for k in known}
    for i, pid in enumerate(ids):
        if pid in ids[:i]:
            errors.append(doc.error((*loc, i), f"profile {pid} is listed twice for this "
                                    "device", "List each profile once"))
        elif pid not in known:
            near = [folded[k] for k in difflib.get_close_matches(
                pid.casefold(), list(folded), n=3, cutoff=0.5)]
            hint = f"Did you mean {', '.join(near)}? " if near else ""
            errors.append(doc.error((*loc, i), f"no device profile has the id {pid!r}",
                                    f"{hint}Use the id of a file in the profiles folder "
                                    "(its `id:`, else its file name), or add that profile",
                                    FIELD_EXAMPLES["profiles"]))
    return errors


def _build_device(host: HostIn, d: int, dev: DeviceIn) -> DeviceSpec:
    return DeviceSpec(
        host=host.name,
        name=dev.name or dev.emulator or dev.udid or f"device{d}",
        address=host.address or host.name,
        node_port=dev.node_port if dev.node_port is not None else host.node_port + d,
        appium_url=dev.appium.rstrip("/"),
        system_port=dev.system_port,
        profiles=tuple(dev.profiles),
        platform=dev.platform or host.platform,
        automation=dev.automation or host.automation,
        emulator=dev.emulator,
        udid=dev.udid,
        capabilities=dict(dev.capabilities),
        mjpeg_port=dev.mjpeg_port,
    )


def appium_port(url: str) -> int | None:
    """The port of an Appium URL (the scheme's default when it names none); ``None`` for
    a URL that is not valid."""
    try:
        parts = urlsplit(url)
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def _check_unique(doc: LoadedYaml, h: int, host: str,
                  placed: Sequence[tuple[int, DeviceSpec]]) -> list[ConfigError]:
    """No two devices of one host share a udid, AVD, name or systemPort, and no two of
    its servers (Appium servers, relay nodes) share a port."""
    seen: dict[tuple[str, Any], int] = {}
    errors = []
    for d, dev in placed:
        keys: list[tuple[str, str, str, Any]] = [
            ("udid", "udid", "udid", dev.udid),
            ("emulator", "emulator", "AVD", dev.emulator),
            ("port", "system_port", "systemPort", dev.system_port),
            ("port", "mjpeg_port", "MJPEG port", dev.mjpeg_port),
            ("port", "appium", "Appium port", appium_port(dev.appium_url)),
            ("port", "node_port", "node port", dev.node_port),
            ("name", "name", "name", dev.name),
        ]
        same_device = False
        for group, fld, what, value in keys:
            if value is None or (group == "name" and same_device):
                continue
            if (group, value) in seen:
                same_device = same_device or group in ("udid", "emulator")
                errors.append(doc.error(
                    ("hosts", h, "devices", d, fld),
                    f"{what} {value} is also used by devices[{seen[(group, value)]}] on "
                    f"host {host}", _UNIQUE_FIX[what]))
            else:
                seen[(group, value)] = d
    return errors


_UNIQUE_FIX = {
    "udid": "Each device has its own adb serial; list a device once",
    "AVD": "Each emulator is one AVD; create one AVD per emulator (avdmanager create avd)",
    "name": "Give each device of a host its own `name:`",
    "systemPort": "Give each device its own UiAutomator2 systemPort (8200, 8201, ...), "
                  "not a port another server of the host uses",
    "MJPEG port": "Give each device its own `mjpeg_port:` (7810, 7811, ...), not a port "
                  "another server of the host uses",
    "Appium port": "Run one Appium server per device, each on its own --port",
    "node port": "Give each device its own `node_port:` (or leave it out: the host's "
                 "`node_port` + the device's position)",
}


__all__ = [
    "FIELD_EXAMPLES",
    "INVENTORY_EXAMPLE",
    "DeviceSpec",
    "HubSpec",
    "Inventory",
    "NodeTiming",
    "appium_port",
    "load_inventory",
    "parse_inventory",
]
