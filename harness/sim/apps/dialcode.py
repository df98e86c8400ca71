"""DialCode: a Greater-China-first messenger whose calling-code picker lists only
mainland China, Hong Kong, Macao, Taiwan and Singapore. Anyone else cannot even enter
their number: the measured barrier is ``phone_country_unsupported``."""

from __future__ import annotations

from collections.abc import Sequence

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import PhoneSignupApp
from harness.sim.apps.texts import AppTexts, english
from harness.sim.regions import Region, regions_for

OFFERED = ("CN", "HK", "MO", "TW", "SG")

_TEXTS = english(
    "DialCode",
    tagline="DialCode: calls and messages across Greater China.",
    search_hint="Search",
)


class DialCode(PhoneSignupApp):
    """Offers +86, +852, +853, +886 and +65 only; those get full access."""

    package = "org.harnessdemo.dialcode"
    label = "DialCode"
    sms_sender = "106575550123"
    fallback_region = "CN"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _TEXTS

    def offered_regions(self) -> Sequence[Region]:
        return regions_for(OFFERED)
