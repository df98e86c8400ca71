"""FriendCheck: a WeChat-like messenger. After the SMS code, numbers outside Hong
Kong, Macao, Taiwan and Singapore must get a friend who has used the app for more
than six months to scan a QR code, which a tester abroad cannot arrange: the measured
barrier is ``friend_verification_required``. The exempt numbers reach "Chats"."""

from __future__ import annotations

import phonenumbers

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import WELCOME, PhoneSignupApp
from harness.sim.apps.texts import AppTexts, english
from harness.sim.ui import Node, button, image, text_view

#: Calling codes that skip friend verification.
EXEMPT = frozenset({852, 853, 886, 65})
FRIEND_GATE = "friend_scan"

NOTICE = (
    "Security verification: to finish signing up, ask a friend who has used FriendCheck "
    "for more than 6 months to scan this QR code for you."
)

_TEXTS = english(
    "FriendCheck",
    tagline="FriendCheck: chats, calls and moments.",
    submit="Next",
    home_title="Chats",
    home_body="No chats yet. Say hi to someone in {country}!",
    compose="Post",
    composer_title="Moments",
)


class FriendCheck(PhoneSignupApp):
    """+852/+853/+886/+65 reach Chats; other numbers must be vouched for by a friend."""

    package = "org.harnessdemo.friendcheck"
    label = "FriendCheck"
    sms_sender = "106900006666"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _TEXTS

    def gate_after_signup(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> str | None:
        return None if number.country_code in EXEMPT else FRIEND_GATE

    def gate_content(self, gate: str, ctx: AppContext) -> list[Node]:
        return [
            text_view("Security verification", rid=self.rid("verify_title"), style="title"),
            text_view(NOTICE, rid=self.rid("verify_notice")),
            image("QR code", rid=self.rid("qr_code"), style="qr"),
            text_view("Waiting for your friend to scan…", rid=self.rid("wait_status")),
            button("Cancel", "gate:cancel", rid=self.rid("cancel_verify")),
        ]

    def gate_tap(self, gate: str, action: str, ctx: AppContext) -> None:
        if action == "cancel":
            self.gate = None
            self.account = None
            self.go(WELCOME)
