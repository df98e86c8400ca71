"""Devices: the narrow ``Device`` protocol and how sessions are opened.

``harness.devices.appium`` is the one module that imports appium-python-client.
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

__all__ = [
    "AppNotInstalled",
    "Device",
    "DeviceError",
    "DeviceInfo",
    "DeviceUnavailable",
    "ElementGone",
    "Locator",
    "SessionLost",
    "Sms",
    "build_capabilities",
    "masked_capabilities",
]
