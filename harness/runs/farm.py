"""A device farm on Selenium Grid 4: the hub's and the relay nodes' TOML from the
inventory (``harness farm nodes``), and what the hub serves (``harness farm check``).

One relay node stands in front of each device's Appium server. Its ``[relay]`` section
lists one ``configs`` entry per profile the device serves: a slot count of ``"1"`` and the
stereotype the Grid matches requests against (``platformName``,
``appium:automationName``, ``harness:profile``, ``harness:country``) together with what
only this device has (``appium:udid`` or ``appium:avd``, ``appium:systemPort``,
``appium:deviceName``, ``harness:device``). The Grid merges the stereotype into the
capabilities Appium receives, so the request itself never names a device. A relay makes
one slot per ``configs`` entry, but the node's ``max-sessions = 1`` caps how many of them
run at once: a device that serves three profiles shows three slots and still runs one
session at a time, and a request for another of its profiles waits in the hub's queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.devices.capabilities import stream_screenshot_capabilities
from harness.devices.grid import GridSlot, GridStatus, grid_request, matching_slots
from harness.runs.inventory import DeviceSpec, HubSpec, Inventory, NodeTiming
from harness.spec.profile import Profile

#: The first line of every generated file.
HEADER = ("# Written by `harness farm nodes {source}`: edit the inventory and run it again "
          "rather than editing this file.\n")


# --------------------------------------------------------------------------- TOML


class Pairs(tuple[str, ...]):
    """A TOML array written two items a line (a relay's slot count and stereotype)."""


def toml_value(value: Any) -> str:
    """A TOML value for a string, bool, int, float or list of those."""
    if isinstance(value, Pairs):
        lines = [f"  {toml_value(value[i])}, {toml_value(value[i + 1])},"
                 for i in range(0, len(value) - 1, 2)]
        return "[\n" + "\n".join(lines) + "\n]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a TOML basic string (same escapes, \\uXXXX for control chars)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_document(sections: Mapping[str, Mapping[str, Any]], header: str = "") -> str:
    """``[section]`` tables of ``key = value`` lines, in the order given."""
    out = [header] if header else []
    for name, values in sections.items():
        out.append(f"[{name}]")
        out.extend(f"{key} = {toml_value(v)}" for key, v in values.items())
        out.append("")
    return "\n".join(out)


def events(hub: HubSpec) -> dict[str, str]:
    """The hub's event bus: nodes publish to one port and subscribe to the other."""
    return {"publish": f"tcp://{hub.host}:{hub.publish_port}",
            "subscribe": f"tcp://{hub.host}:{hub.subscribe_port}"}


def hub_toml(inventory: Inventory) -> str:
    """The hub's configuration: where it listens, how often it checks its nodes (a node
    whose Appium died is ``DOWN`` from the next check on), how long a request may queue."""
    hub = inventory.hub
    return toml_document({
        "server": {"host": hub.host, "port": hub.port},
        "events": events(hub),
        "distributor": {"healthcheck-interval": hub.healthcheck_interval,
                        "reject-unsupported-caps": hub.reject_unsupported},
        "sessionqueue": {"session-request-timeout": hub.session_request_timeout},
    }, HEADER.format(source=inventory.source.name))


def stereotype(device: DeviceSpec, profile: Profile) -> dict[str, Any]:
    """What ``device``'s node advertises for ``profile``: the capabilities the harness
    routes on (the same as ``grid_request`` sends), the device's extra ones, then what
    names this device alone."""
    caps: dict[str, Any] = {
        "platformName": device.platform,
        "appium:automationName": device.automation,
        "appium:deviceName": device.name,
    }
    caps.update(device.capabilities)
    caps.update({
        "harness:profile": profile.id,
        "harness:country": profile.country,
        "harness:device": device.label,
        # the relay's service, which a hub's session error names: where a retry is placed
        "harness:appium": device.appium_url,
    })
    if device.udid:
        caps["appium:udid"] = device.udid
    elif device.emulator:
        caps["appium:avd"] = device.emulator
    caps["appium:systemPort"] = device.system_port
    if device.mjpeg_port is not None:
        caps.update(stream_screenshot_capabilities(device.mjpeg_port))
    return caps


def node_toml(inventory: Inventory, device: DeviceSpec,
              profiles: Mapping[str, Profile]) -> str:
    """One relay node: its own address, the hub's event bus, one session at a time, and
    one ``configs`` pair (slot count, stereotype JSON) per profile the device serves."""
    configs: list[str] = []
    for pid in device.profiles:
        configs += ["1", json.dumps(stereotype(device, profiles[pid]), sort_keys=True,
                                    default=str)]
    timing: NodeTiming = inventory.nodes
    return toml_document({
        "server": {"host": device.address, "port": device.node_port},
        "events": events(inventory.hub),
        "node": {"detect-drivers": False, "max-sessions": 1,
                 "grid-url": inventory.hub.url,
                 "heartbeat-period": timing.heartbeat_period,
                 "session-timeout": timing.session_timeout,
                 "register-cycle": timing.register_cycle,
                 "register-period": timing.register_period},
        "relay": {"url": device.appium_url, "status-endpoint": "/status",
                  "configs": Pairs(configs)},
    }, HEADER.format(source=inventory.source.name))


@dataclass(frozen=True)
class FarmFile:
    """A generated file: where it goes under the output folder, and its text."""

    path: Path
    text: str
    device: DeviceSpec | None = None


def farm_files(inventory: Inventory, profiles: Iterable[Profile]) -> list[FarmFile]:
    """``hub.toml`` and ``<host>/<device>.toml`` for every device of the inventory."""
    known = {p.id: p for p in profiles}
    files = [FarmFile(Path("hub.toml"), hub_toml(inventory))]
    files += [FarmFile(Path(d.host) / f"{d.name}.toml", node_toml(inventory, d, known), d)
              for d in inventory.devices]
    return files


def write_farm(inventory: Inventory, profiles: Iterable[Profile], out: Path) -> list[Path]:
    """Write every file of ``farm_files`` under ``out``; the paths written."""
    written = []
    for f in farm_files(inventory, profiles):
        target = out / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.text, encoding="utf-8")
        written.append(target)
    return written


# --------------------------------------------------------------------------- check


@dataclass(frozen=True)
class ProfileCoverage:
    """Which ``UP`` slots of the hub could serve one profile (none: unserved)."""

    profile: Profile
    request: Mapping[str, Any]
    slots: tuple[GridSlot, ...]

    @property
    def served(self) -> bool:
        return bool(self.slots)


@dataclass(frozen=True)
class FarmCheck:
    """The hub's nodes and, for each profile, the slots that serve it."""

    status: GridStatus
    coverage: tuple[ProfileCoverage, ...]

    @property
    def unserved(self) -> list[Profile]:
        return [c.profile for c in self.coverage if not c.served]

    def devices_for(self, coverage: ProfileCoverage) -> list[str]:
        """How the serving slots name their device (``harness:device``, else the node)."""
        out = []
        for slot in coverage.slots:
            node = self.status.node(slot.node_id)
            label = slot.stereotype.get("harness:device") or (node.uri if node else slot.id)
            out.append(str(label))
        return sorted(set(out))


def check_farm(status: GridStatus, profiles: Sequence[Profile]) -> FarmCheck:
    """Which profiles some ``UP`` slot serves, asked as the harness asks the Grid."""
    coverage = []
    for profile in profiles:
        request = grid_request(profile)
        coverage.append(ProfileCoverage(profile, request,
                                        tuple(matching_slots(status, request))))
    return FarmCheck(status, tuple(coverage))


__all__ = [
    "HEADER",
    "FarmCheck",
    "FarmFile",
    "Pairs",
    "ProfileCoverage",
    "check_farm",
    "events",
    "farm_files",
    "hub_toml",
    "node_toml",
    "stereotype",
    "toml_document",
    "toml_value",
    "write_farm",
]
