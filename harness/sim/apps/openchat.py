"""OpenChat: an English chat app that lets everyone in. The control case: full access
from every country, so a barrier measured here is a harness bug."""

from __future__ import annotations

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import PhoneSignupApp
from harness.sim.apps.texts import AppTexts, english

_TEXTS = english("OpenChat")


class OpenChat(PhoneSignupApp):
    """Accepts every calling code, delivers every SMS, posts for everyone."""

    package = "org.harnessdemo.openchat"
    label = "OpenChat"
    sms_sender = "OpenChat"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _TEXTS
