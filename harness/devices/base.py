"""The narrow device interface the runner drives.

The runner never touches appium-python-client; it sees a ``Device``. Everything a step
needs is here: read the screen, act on an element at its coordinates or found by
locators, start and reset an app, read SMS, report what the device says about itself.
Instrument faults are raised as ``DeviceError`` subclasses that carry the ``Failure`` code
they mean, so a broken session is never mistaken for a finding about the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from harness.vocabulary.outcomes import Backend, Failure

Locator = tuple[str, str]

#: What a browser shows when the device's network (its proxy, its VPN) carries nothing:
#: Chrome's error pages ("This site can't be reached", ERR_PROXY_CONNECTION_FAILED).
NETWORK_ERROR_PAGE = re.compile(r"can.t be reached|\bERR_[A-Z_]+\b|no internet|"
                                r"webpage not available", re.IGNORECASE)


class DeviceError(Exception):
    """The instrument failed; ``failure`` says how."""

    failure: Failure = Failure.UNKNOWN_FAILURE

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class DeviceUnavailable(DeviceError):
    """No Appium endpoint answered, or it refused to open a session."""

    failure = Failure.DEVICE_UNAVAILABLE


class SessionLost(DeviceError):
    """The session broke mid-attempt: the server died or forgot the session."""

    failure = Failure.SESSION_ERROR


class AppNotInstalled(DeviceError):
    """The app under test is not on the device."""

    failure = Failure.APP_NOT_INSTALLED


class UnsupportedCommand(DeviceError):
    """The driver does not implement a command (e.g. ``mobile: listSms`` on a driver for
    another platform). Callers fall back where a fallback exists."""


class ElementGone(Exception):
    """The element seen on the last screen read is not there any more (the UI moved on).

    Not an instrument failure: the runner reads the screen again and keeps polling.
    """


@dataclass(frozen=True)
class Sms:
    """One SMS in the device's inbox. ``key`` is stable for the same message."""

    key: str
    sender: str
    body: str
    date_ms: int | None = None


@dataclass(frozen=True)
class DeviceInfo:
    """What the device reports about itself, for the measurement's observed vantage."""

    model: str | None = None
    platform_version: str | None = None
    locale: str | None = None
    timezone: str | None = None
    sim_country: str | None = None
    network_country: str | None = None
    carrier: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Device(Protocol):
    """One open session on one device."""

    @property
    def device_id(self) -> str: ...

    @property
    def backend(self) -> Backend: ...

    def page_source(self) -> str: ...

    def screenshot(self) -> bytes: ...

    def tap(self, locators: Sequence[Locator]) -> None:
        """Click the first element found by any locator; ``ElementGone`` if none."""
        ...

    def type_text(self, locators: Sequence[Locator], text: str, clear: bool = True) -> None:
        """Type into the first element found; ``ElementGone`` if none."""
        ...

    def tap_at(self, x: int, y: int) -> None:
        """One tap at screen coordinates, in one command (W3C pointer actions);
        ``UnsupportedCommand`` when the driver has no actions."""
        ...

    def type_at(self, x: int, y: int, text: str) -> None:
        """Tap the field at (x, y) and type ``text`` (printable ASCII) as key presses into
        it, in one command (W3C pointer and key actions); ``UnsupportedCommand`` when the
        driver has no actions."""
        ...

    def launch_app(self, package: str, clear: bool = False) -> None: ...

    def stop_app(self, package: str) -> None: ...

    def device_info(self) -> DeviceInfo: ...

    def list_sms(self, limit: int = 20) -> list[Sms]:
        """Newest first."""
        ...

    def set_http_proxy(self, host_port: str | None) -> None:
        """Set (or, with None, clear) the device's global HTTP proxy setting."""
        ...

    def set_location(self, latitude: float, longitude: float, altitude: float = 0.0
                     ) -> None: ...

    def location(self) -> tuple[float, float]:
        """The position the device reports (latitude, longitude); ``UnsupportedCommand``
        when the driver cannot tell."""
        ...

    def browse(self, url: str, timeout: float = 20.0) -> str:
        """Open ``url`` in the device's browser, through the device's own network route,
        and return the page's visible text (``UnsupportedCommand`` if it cannot)."""
        ...

    def close(self) -> None: ...


#: Opens a device session from W3C capabilities (``AppiumDevice.open`` bound to a server,
#: or the simulator's equivalent); raises ``DeviceError`` when no session can be made.
DeviceFactory = Callable[[Mapping[str, Any]], Device]
