"""A simulated Android device behind an Appium (UiAutomator2) protocol endpoint.

``SimServer`` serves on loopback the part of the W3C WebDriver / Appium protocol the
harness uses, so the harness drives it through exactly the same appium-python-client
code path as a real emulator. Each session is a device whose SIM country, network
(IP) country, phone number, locale and time zone come from its capabilities, with the
demo apps of ``DEMO_APPS`` preinstalled: their sign-up flows end in the barriers the
harness measures (unsupported calling code, undelivered SMS, real-name ID form, friend
verification, restricted posting) depending on that profile.

Beside the W3C element commands it takes W3C actions (taps by coordinates and key
presses, as ``SimSession.tap_at`` / ``press_key``), counts every command it answers by
kind (``SimServer.commands``), and can answer at a real device's pace
(``SimServer(pace=PACE_UIAUTOMATOR2)``: per command kind, from the published timings in
``PACE_SOURCES``). ``FIXTURE_APPS`` are installed too: apps the harness's own tests need,
such as ``Shifting``, whose button moves after its screen is read.

Run it standalone with ``python -m harness.sim --port 4723 [--pace uiautomator2]``.
"""

from __future__ import annotations

from harness.sim.actions import LONG_PRESS_MS, TOUCH_SLOP_PX
from harness.sim.apps import (
    DEMO_APPS,
    FIXTURE_APPS,
    SIM_APPS,
    AppContext,
    AppFactory,
    AppTexts,
    Dialog,
    PhoneSignupApp,
    Shifting,
    SimApp,
)
from harness.sim.commands import Command
from harness.sim.errors import WebDriverError
from harness.sim.launcher import LAUNCHER_PACKAGE
from harness.sim.pace import (
    PACE_SOURCES,
    PACE_UIAUTOMATOR2,
    PACES,
    SOURCE_FIGURE_BYTES,
    PaceFigure,
    hierarchy_seconds,
)
from harness.sim.profile import DeviceProfile
from harness.sim.server import SimServer
from harness.sim.session import ELEMENT_KEY, SimSession
from harness.sim.sms import SmsMessage

__all__ = [
    "DEMO_APPS",
    "ELEMENT_KEY",
    "FIXTURE_APPS",
    "LAUNCHER_PACKAGE",
    "LONG_PRESS_MS",
    "PACES",
    "PACE_SOURCES",
    "PACE_UIAUTOMATOR2",
    "SIM_APPS",
    "SOURCE_FIGURE_BYTES",
    "TOUCH_SLOP_PX",
    "AppContext",
    "AppFactory",
    "AppTexts",
    "Command",
    "DeviceProfile",
    "Dialog",
    "PaceFigure",
    "PhoneSignupApp",
    "Shifting",
    "SimApp",
    "SimServer",
    "SimSession",
    "SmsMessage",
    "WebDriverError",
    "hierarchy_seconds",
]
