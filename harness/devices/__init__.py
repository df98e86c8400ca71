"""Devices: the narrow ``Device`` protocol and how sessions are opened.

``harness.devices.appium`` is the one module that imports appium-python-client;
``harness.devices.grid`` is a small client of a Selenium Grid 4 hub (its nodes and slots,
which slots could serve a profile, which node serves a session).
"""

from harness.devices.base import (
    AppNotInstalled,
    Device,
    DeviceError,
    DeviceInfo,
    DeviceUnavailable,
    ElementGone,
    Locator,
    SessionLost,
    Sms,
)
from harness.devices.capabilities import build_capabilities, masked_capabilities
from harness.devices.grid import (
    GridNode,
    GridSlot,
    GridStatus,
    grid_request,
    hub_status,
    matching_slots,
    session_node,
)

__all__ = [
    "AppNotInstalled",
    "Device",
    "DeviceError",
    "DeviceInfo",
    "DeviceUnavailable",
    "ElementGone",
    "GridNode",
    "GridSlot",
    "GridStatus",
    "Locator",
    "SessionLost",
    "Sms",
    "build_capabilities",
    "grid_request",
    "hub_status",
    "masked_capabilities",
    "matching_slots",
    "session_node",
]
