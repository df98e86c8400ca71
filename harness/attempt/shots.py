"""The screenshots of one attempt: one device command per distinct screen.

A screen read again unchanged (the same page source) is the same screen: the first
screen of a stage is often the one the previous stage ended on, and a verdict is often
given on a screen already shot. Its screenshot is taken once and reused, so the evidence
pair (page source, screenshot) stays the screen the step decided on without a second
round trip to the device. A screen whose source differs in anything is shot again.
"""

from __future__ import annotations

import logging

from harness.devices.base import Device, DeviceError
from harness.verdicts.screen import Screen

log = logging.getLogger(__name__)


class Screenshots:
    """Screenshots of an attempt's screens, each distinct screen shot once."""

    def __init__(self, device: Device) -> None:
        self._device = device
        self._last: tuple[str, bytes] | None = None
        #: Device screenshot commands sent, and screenshots reused for an unchanged screen.
        self.taken = 0
        self.reused = 0

    def of(self, screen: Screen) -> bytes | None:
        """The screenshot of ``screen``: the last one if its page source is the same,
        else a new one from the device (None if the device could not take it)."""
        if self._last is not None and self._last[0] == screen.source:
            self.reused += 1
            return self._last[1]
        try:
            shot = self._device.screenshot()
        except DeviceError as exc:
            log.debug("no screenshot: %s", exc.message)
            return None
        self._last = (screen.source, shot)
        self.taken += 1
        return shot


__all__ = ["Screenshots"]
