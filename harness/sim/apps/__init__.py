"""The apps preinstalled on every simulated device, by Android package id.

Each maps to a zero-argument factory (the app class) that makes a fresh app with its
own state; every session gets its own instances. ``DEMO_APPS`` are the seven demo apps
the demo scenarios measure; ``FIXTURE_APPS`` are apps for the harness's own tests (e.g.
``Shifting``, whose button moves after the screen is read); ``SIM_APPS`` is both, what a
simulated device has installed by default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from harness.sim.apps.base import AppContext, ReadObserver, SimApp
from harness.sim.apps.dialcode import DialCode
from harness.sim.apps.friendcheck import FriendCheck
from harness.sim.apps.gatedpost import GatedPost
from harness.sim.apps.geofence import GeoFence
from harness.sim.apps.openchat import OpenChat
from harness.sim.apps.quietsms import QuietSMS
from harness.sim.apps.shifting import Shifting
from harness.sim.apps.signup import Dialog, PhoneSignupApp
from harness.sim.apps.texts import AppTexts
from harness.sim.apps.zhenming import Zhenming

AppFactory = Callable[[], SimApp]

DEMO_APPS: Mapping[str, AppFactory] = MappingProxyType(
    {app.package: app for app in (OpenChat, DialCode, QuietSMS, Zhenming, GatedPost, FriendCheck,
                                  GeoFence)}
)

FIXTURE_APPS: Mapping[str, AppFactory] = MappingProxyType({Shifting.package: Shifting})

SIM_APPS: Mapping[str, AppFactory] = MappingProxyType({**DEMO_APPS, **FIXTURE_APPS})

__all__ = [
    "DEMO_APPS",
    "FIXTURE_APPS",
    "SIM_APPS",
    "AppContext",
    "AppFactory",
    "AppTexts",
    "DialCode",
    "Dialog",
    "FriendCheck",
    "GatedPost",
    "GeoFence",
    "OpenChat",
    "PhoneSignupApp",
    "QuietSMS",
    "ReadObserver",
    "Shifting",
    "SimApp",
    "Zhenming",
]
