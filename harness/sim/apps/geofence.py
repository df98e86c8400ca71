"""GeoFence: a video app licensed for a few East and South-East Asian markets only. It
decides by the network (IP) country the device appears from, not by the SIM: after the
consent screen, a device whose traffic exits elsewhere sees "This app is not available in
your country or region." and no way to sign up. The measured barrier is
``region_blocked``; through a proxy that exits in a served country the same device signs
up normally, which is what the vantage checks are for."""

from __future__ import annotations

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import WELCOME, PhoneSignupApp
from harness.sim.apps.texts import AppTexts, english
from harness.sim.ui import Node, column, text_view

#: IP countries GeoFence serves.
SERVED = frozenset({"HK", "MO", "TW", "SG", "JP", "KR", "MY", "CN"})

BLOCKED = "This app is not available in your country or region."

_TEXTS = english(
    "GeoFence",
    tagline="GeoFence: dramas and variety shows from Asia.",
    submit="Continue",
    home_title="Home",
    home_body="Recommended for you in {country}",
    compose="Comment",
    composer_title="Comment",
)


class GeoFence(PhoneSignupApp):
    """Blocks every IP country outside ``SERVED`` right after consent."""

    package = "org.harnessdemo.geofence"
    label = "GeoFence"
    sms_sender = "106900007777"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _TEXTS

    def blocked(self, ctx: AppContext) -> bool:
        return ctx.profile.network_country not in SERVED

    def content(self, ctx: AppContext) -> Node:
        if self.screen == WELCOME and self.dialog is None and self.blocked(ctx):
            return column([
                text_view("GeoFence", rid=self.rid("app_name"), style="title"),
                text_view(BLOCKED, rid=self.rid("region_notice")),
            ], rid=self.rid("blocked_root"))
        return super().content(ctx)

    def tap(self, action: str, ctx: AppContext) -> None:
        if self.screen == WELCOME and self.blocked(ctx) and action in ("signup", "login"):
            return  # nothing to tap on the blocked screen
        super().tap(action, ctx)
