"""The contract between the simulated device and the app models it runs.

The session (the device) owns the screen, the SMS inbox and the profile; an app owns
its own state and decides what its screen shows. The device tells the app what the
user did (``tap`` an action, ``type_text`` into a field, ``back``) and asks it for the
current ``content``; it never looks inside. Adding an app means writing one class that
satisfies ``SimApp`` (usually by subclassing ``PhoneSignupApp``) and listing it in
``harness.sim.apps.DEMO_APPS``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from harness.sim.profile import DeviceProfile
from harness.sim.ui import Node


class AppContext(Protocol):
    """What an app may ask of the device it runs on."""

    @property
    def profile(self) -> DeviceProfile:
        """Where the device is and whose SIM it holds."""
        ...

    def now(self) -> float:
        """The device clock, seconds since the epoch."""
        ...

    def send_sms_to(self, number: str, sender: str, body: str) -> bool:
        """Send an SMS to E.164 ``number``; True if it reached this device's inbox.

        A message to a number that is not this device's SIM is delivered elsewhere,
        i.e. never seen here, exactly as it would be on a real phone.
        """
        ...


class SimApp(Protocol):
    """An installed app as the device sees it.

    ``view_token`` changes whenever the app shows a new screen (a new activity or
    dialog): element references taken on the previous screen then become stale.
    ``running`` turns False when the app finishes itself (e.g. "Disagree").
    """

    @property
    def package(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def running(self) -> bool: ...

    def start(self, ctx: AppContext) -> None:
        """Cold start: show the entry screen, keeping stored data (login, consent)."""
        ...

    def stop(self) -> None:
        """The process is killed: forget what is on screen, keep stored data."""
        ...

    def clear(self) -> None:
        """``pm clear``: forget everything, as after a fresh install."""
        ...

    def view_token(self) -> str: ...

    def content(self, ctx: AppContext) -> Node:
        """The current screen's view tree (without window decor or coordinates)."""
        ...

    def tap(self, action: str, ctx: AppContext) -> None:
        """The user tapped a view whose ``action`` is ``action``."""
        ...

    def type_text(self, field: str, text: str, ctx: AppContext) -> None:
        """The text of the EditText bound to ``field`` is now ``text``."""
        ...

    def back(self, ctx: AppContext) -> bool:
        """The back key; False when the app has nothing to go back to and closes."""
        ...


@runtime_checkable
class ReadObserver(Protocol):
    """An app that reacts to its screen being read: told after each page source read of
    its screen (a test app whose layout changes once it has been looked at)."""

    def screen_read(self, ctx: AppContext) -> None: ...
