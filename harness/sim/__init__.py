"""A simulated Android device behind an Appium (UiAutomator2) protocol endpoint.

``SimServer`` serves on loopback the part of the W3C WebDriver / Appium protocol the
harness uses, so the harness drives it through exactly the same appium-python-client
code path as a real emulator. Each session is a device whose SIM country, network
(IP) country, phone number, locale and time zone come from its capabilities, with the
demo apps of ``DEMO_APPS`` preinstalled: their sign-up flows end in the barriers the
harness measures (unsupported calling code, undelivered SMS, real-name ID form, friend
verification, restricted posting) depending on that profile.

Run it standalone with ``python -m harness.sim --port 4723``.
"""

from __future__ import annotations

from harness.sim.apps import (
    DEMO_APPS,
    AppContext,
    AppFactory,
    AppTexts,
    Dialog,
    PhoneSignupApp,
    SimApp,
)
from harness.sim.errors import WebDriverError
from harness.sim.launcher import LAUNCHER_PACKAGE
from harness.sim.profile import DeviceProfile
from harness.sim.routes import ELEMENT_KEY
from harness.sim.server import SimServer
from harness.sim.session import SimSession
from harness.sim.sms import SmsMessage

__all__ = [
    "DEMO_APPS",
    "ELEMENT_KEY",
    "LAUNCHER_PACKAGE",
    "AppContext",
    "AppFactory",
    "AppTexts",
    "DeviceProfile",
    "Dialog",
    "PhoneSignupApp",
    "SimApp",
    "SimServer",
    "SimSession",
    "SmsMessage",
    "WebDriverError",
]
