"""QuietSMS: accepts every number, but its SMS gateway silently drops verification
codes to +49, +33, +55 and +971 numbers while the screen claims the code was sent. The
measured barrier is ``sms_not_delivered``."""

from __future__ import annotations

import phonenumbers

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import PhoneSignupApp
from harness.sim.apps.texts import AppTexts, english

#: Calling codes whose SMS never arrive (Germany, France, Brazil, UAE).
UNDELIVERED = frozenset({49, 33, 55, 971})

_TEXTS = english("QuietSMS", tagline="QuietSMS: private messages, quietly delivered.")


class QuietSMS(PhoneSignupApp):
    """Full access except for the calling codes in ``UNDELIVERED``."""

    package = "org.harnessdemo.quietsms"
    label = "QuietSMS"
    sms_sender = "106900005678"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _TEXTS

    def delivers_sms(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> bool:
        return number.country_code not in UNDELIVERED
