"""Shifting: a test app whose button moves between a read of the screen and the tap.

Its start screen has a "Continue" button. Right after the first page-source read of that
screen, a banner is inserted above the button, which pushes it down by the banner's
height: a tap at the centre the read gave lands on the banner and does nothing, and only
a tap where the button now is goes on to "Welcome". It is what a runner's "the element
moved" detection is tested on (``tests/fixtures/shifting/shifting.yaml``). The screen
keeps its identity while the banner comes in, so element references stay valid, as they
would on a device where a view was only added.
"""

from __future__ import annotations

from harness.sim.apps.base import AppContext
from harness.sim.ui import Node, button, column, text_view

PACKAGE = "org.harnessdemo.shifting"
START = "start"
WELCOME = "welcome"
BANNER = "New: sign in faster with your phone number. Tap Continue below to go on."


class Shifting:
    """The start screen (title, then the banner once read, then Continue) and Welcome."""

    package = PACKAGE
    label = "Shifting"

    def __init__(self) -> None:
        self._screen: str | None = None
        self._banner = False
        self._nav = 0

    @property
    def running(self) -> bool:
        return self._screen is not None

    def start(self, ctx: AppContext) -> None:
        self._go(START)

    def stop(self) -> None:
        self._screen = None
        self._banner = False

    def clear(self) -> None:
        self.stop()

    def view_token(self) -> str:
        return f"{self._screen}#{self._nav}"

    def _go(self, screen: str) -> None:
        self._screen, self._banner = screen, False
        self._nav += 1

    def _rid(self, name: str) -> str:
        return f"{PACKAGE}:id/{name}"

    def content(self, ctx: AppContext) -> Node:
        if self._screen == WELCOME:
            views = [text_view("Welcome", rid=self._rid("welcome_title"), style="title"),
                     text_view("Your account is ready.", rid=self._rid("welcome_body"))]
            return column(views, rid=self._rid("welcome_root"))
        views = [text_view("Shifting", rid=self._rid("title"), style="title")]
        if self._banner:
            views.append(text_view(BANNER, rid=self._rid("banner")))
        views.append(button("Continue", "continue", rid=self._rid("continue")))
        return column(views, rid=self._rid("start_root"))

    def screen_read(self, ctx: AppContext) -> None:
        """The first page-source read of the start screen brings the banner in."""
        if self._screen == START:
            self._banner = True

    def tap(self, action: str, ctx: AppContext) -> None:
        if action == "continue" and self._screen == START:
            self._go(WELCOME)

    def type_text(self, field: str, text: str, ctx: AppContext) -> None:
        return None

    def back(self, ctx: AppContext) -> bool:
        if self._screen == WELCOME:
            self._go(START)
        else:
            self.stop()
        return self.running
