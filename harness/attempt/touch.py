"""Acting on what was observed: a tap or typing goes to the element's place in the page
source the step was decided on, in one device command, instead of finding the element
again by a locator (a second round trip).

Coordinates cannot work, and the element is found by its locators instead, when the node
has no bounds or an empty box (the fake driver's apps, some WebView nodes), when the
driver has no W3C actions (remembered for the session), when a field holds text that
must be cleared first, and when the text is not printable ASCII (W3C key actions type
what a hardware keyboard can; ``send_keys`` goes through the driver's input method).

A tap whose element moved between the read and the tap (a banner pushed it down) misses
it: the next read finds the element still there but no longer under the point, so it is
tapped again where it is now (:meth:`Touch.missed_tap`); an element that stayed where it
was is never tapped twice, since the app may just be slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.devices.base import Device, UnsupportedCommand
from harness.spec.selectors import Selector
from harness.verdicts.screen import Node, Screen

#: Text that W3C key actions type as a hardware keyboard would.
_PRINTABLE = re.compile(r"[ -~]+")


@dataclass(frozen=True)
class _TapCheck:
    """A coordinate tap on ``sel``'s element at ``point``, checked on the next read."""

    sel: Selector
    point: tuple[int, int]
    retries: int = 0


class Touch:
    """Taps and typing for one attempt's device session."""

    #: How many times one tap is repeated after its element moved away from it.
    RETRIES = 2

    def __init__(self, device: Device) -> None:
        self.device = device
        #: False once the driver turned out to have no W3C actions.
        self.coordinates = True
        self._check: _TapCheck | None = None

    def point(self, node: Node) -> tuple[int, int] | None:
        """The centre of ``node``'s bounds, or None where coordinates cannot work."""
        box = node.bounds if self.coordinates else None
        if box is None or box[2] - box[0] < 2 or box[3] - box[1] < 2 or min(box) < 0:
            return None
        return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2

    def tap(self, sel: Selector, node: Node) -> None:
        """Tap ``node`` (found by ``sel`` on the last read)."""
        point = self.point(node)
        if point is not None:
            try:
                self.device.tap_at(*point)
                self._check = _TapCheck(sel, point)
                return
            except UnsupportedCommand:
                self.coordinates = False
        self.device.tap(sel.locators(node))

    def type(self, sel: Selector, node: Node, text: str, clear: bool) -> None:
        """Tap the field and type ``text`` into it in one command where that can work."""
        point = self.point(node)
        if point is not None and _PRINTABLE.fullmatch(text) and not (clear and filled(node)):
            try:
                self.device.type_at(point[0], point[1], text)
                return
            except UnsupportedCommand:
                self.coordinates = False
        self.device.type_text(sel.locators(node), text, clear)

    def missed_tap(self, screen: Screen) -> dict[str, Any] | None:
        """Check the last coordinate tap against the first read after it: when its
        element is still on ``screen`` but no longer under the point, tap it again where
        it is now and return the observation to record (the caller reads again);
        otherwise None."""
        check, self._check = self._check, None
        if check is None:
            return None
        node = check.sel.find(screen)
        box = node.bounds if node is not None else None
        x, y = check.point
        if node is None or box is None or (box[0] <= x < box[2] and box[1] <= y < box[3]):
            return None
        point = self.point(node)
        if point is None or check.retries >= self.RETRIES:
            return None
        self.device.tap_at(*point)
        self._check = _TapCheck(check.sel, point, check.retries + 1)
        return {"runner": "retap", "target": check.sel.describe(), "from": [x, y],
                "to": list(point), "how": "the element moved between the screen read and "
                                          "the tap; tapped again where it is now"}


def filled(node: Node) -> bool:
    """The field holds text of its own (an empty field reports its hint as its text)."""
    text = node.text
    return bool(text) and text != node.attr("hint")


__all__ = ["Touch", "filled"]
