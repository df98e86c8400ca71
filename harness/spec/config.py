"""Run configuration: one immutable object, built once and passed down explicitly.

Precedence: command-line options > ini / pyproject ``[tool.pytest.ini_options]`` keys >
environment (``HARNESS_*``) > defaults. Nothing reads globals after this point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from harness.vocabulary.outcomes import Backend

DEFAULT_APPIUM_URL = "http://127.0.0.1:4723"

#: Which screens of an attempt get a screenshot beside their page source: ``key`` (the
#: default) the verdict screen and the first screen of each stage; ``all`` every step's
#: (for scenario authors); ``none`` no screenshot. Every step's page source is kept in
#: each case: it is the screen the step was decided on.
ScreenshotPolicy = Literal["none", "key", "all"]
SCREENSHOT_POLICIES: tuple[ScreenshotPolicy, ...] = ("none", "key", "all")


def screenshot_policy(value: bool | str) -> ScreenshotPolicy:
    """A policy from a name or a yes/no (true: ``key``, false: ``none``)."""
    if value is True:
        return "key"
    if value is False:
        return "none"
    for policy in SCREENSHOT_POLICIES:
        if value == policy:
            return policy
    raise ValueError(f"screenshots must be one of {', '.join(SCREENSHOT_POLICIES)} "
                     f"(or true / false), not {value!r}")


@dataclass(frozen=True)
class RunConfig:
    backend: Backend = Backend.APPIUM
    appium_url: str = DEFAULT_APPIUM_URL
    db: str = "results.db"
    #: Where evidence goes: a folder, or an object-store URL (``s3://bucket/prefix``,
    #: checked by ``harness.storage.locations.artifacts_option``); None: ``artifacts/``
    #: beside a SQLite file.
    artifacts_dir: Path | str | None = None
    profiles_dir: Path = Path("device_profiles")
    attempt_timeout: float = 900.0
    poll_interval: float = 0.2
    screenshots: ScreenshotPolicy = "key"
    session_attempts: int = 3
    #: IP-echo endpoint for the egress check; None = no check (the simulator's default).
    ip_echo_url: str | None = None
    vantage_ttl: float = 3600.0
    #: Profiles whose full-tunnel mode (VPN app, network namespace) the operator confirmed.
    full_tunnel_confirmed: frozenset[str] = frozenset()
    #: Check the app store before each attempt (Google Play through the profile's proxy);
    #: the result is recorded on the measurement row (``store_result``).
    store_check: bool = True
    #: Measure sign-up even when the store does not offer the app in the country, on a
    #: device that has it (sideloaded): the store barrier and a sign-up barrier behind it
    #: are both recorded. False (``--no-sideload``): the store barrier ends the attempt.
    sideload: bool = True
    #: Seconds a rule's candidate must persist, with the step's target absent, before it
    #: is a verdict (None: 3 s on real devices, 0.5 s on the simulator, whose screens
    #: are drawn at once and never debounce).
    settle_time: float | None = None
    #: An operator attends the device and solves routine challenges (slider, captcha).
    attended: bool = False
    #: How Android's runtime-permission dialogs are answered: "allow" or "deny".
    permissions: str = "allow"
    #: Skip an (app, profile) attempted less than this many hours ago (0 = never skip).
    #: The polite default on real devices is one attempt per app and country per day.
    min_interval_hours: float = 0.0


DEFAULT_MIN_INTERVAL_HOURS = 20.0
#: The IP-echo endpoint of the egress check on real devices.
DEFAULT_ECHO_URL = "https://ipinfo.io/json"


def min_interval_for(backend: Backend, given: float | None) -> float:
    """``--min-interval``: as given, else one attempt per app and country a day on real
    devices and no limit on the simulator."""
    if given is not None:
        return float(given)
    return 0.0 if backend is Backend.SIM else DEFAULT_MIN_INTERVAL_HOURS


def echo_url_for(backend: Backend, given: str | None, check: bool = True) -> str | None:
    """The egress-check endpoint: none when the check is off, else as given, else
    ipinfo.io for real devices and none on the simulator."""
    if not check:
        return None
    if given:
        return given
    return DEFAULT_ECHO_URL if backend is Backend.APPIUM else None


def recent_attempt_message(scenario_id: str, profile_id: str, hours_ago: float,
                           interval: float) -> str:
    return (f"{scenario_id}-{profile_id} was attempted {hours_ago:.1f} h ago (less than "
            f"--min-interval {interval:g} h): skipped to keep to one attempt per app and "
            "country per day; pass --min-interval 0 to measure anyway")

    def with_(self, **changes: object) -> RunConfig:
        return replace(self, **changes)
